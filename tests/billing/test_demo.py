"""`zaao-hx demo`: the data set CONTRACTS.md promises, loaded idempotently on both databases."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections import defaultdict

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from dateutil.rrule import rrulestr
from stdnum.lv import pvn

from zaao_hx import db
from zaao_hx.accounts.tables import Account, AccountContract
from zaao_hx.billing import identity
from zaao_hx.billing.calendar import is_working_day, second_working_day
from zaao_hx.billing.tables import (
    READ_MODEL,
    CollectionException,
    Container,
    Contract,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Site,
    Snapshot,
)
from zaao_hx.demo import (
    DEMO_CONTRACT_NOS,
    DEMO_CUSTOMERS,
    ORDINARY_CUSTOMERS,
    DemoDataConflict,
    load_demo,
)

TODAY = datetime.date(2026, 11, 29)
RIGA = datetime.timezone(datetime.timedelta(hours=2))  # Riga in winter (EET)


def run(awaitable):
    """Run a coroutine or a Piccolo query (an awaitable, not a coroutine) to completion."""

    async def wait():
        return await awaitable

    return asyncio.run(wait())


async def _dump(tables=None) -> dict[str, list[dict]]:
    tables = tables or db.ALL_TABLES
    return {t._meta.tablename: await t.select().order_by(t._meta.primary_key) for t in tables}


def dump(tables=None) -> dict[str, list[dict]]:
    return run(_dump(tables))


@pytest.fixture(scope="module")
def loaded(migrated):
    db.bind(db.engine_from_url(migrated.database_url))
    summary = run(load_demo(migrated, today=TODAY))
    yield migrated, summary
    # Leave the session database as the `demo_data` fixture makes it.
    db.bind(db.engine_from_url(migrated.database_url))
    run(load_demo(migrated))


def rows(table, *where):
    return run(table.select().where(*where)) if where else run(table.select())


def contract_of(customer_id: str) -> str:
    return next(c["contract_no"] for c in DEMO_CUSTOMERS if c["customer_id"] == customer_id)


def documents(contract_no: str) -> list[dict]:
    return sorted(rows(Invoice, Invoice.contract_no == contract_no), key=lambda i: i["issue_date"])


def paid_by_invoice(contract_no: str) -> dict[str, int]:
    paid: dict[str, int] = defaultdict(int)
    for p in rows(Payment, Payment.contract_no == contract_no):
        paid[p["invoice_no"]] += p["amount_cents"]
    return paid


# -- the Latvian working-day calendar ----------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        # 1 Jan (Thu) New Year's Day; 2 Jan (Fri) a day off moved from Sat 17 Jan by the
        # cabinet order of 2025; so Mon 5 Jan is the first working day.
        (2026, 1, datetime.date(2026, 1, 6)),
        # 1 Jan (Wed) holiday; Thu 2 and Fri 3 Jan are working days.
        (2025, 1, datetime.date(2025, 1, 3)),
        # 1 May (Fri) and 4 May (Mon, Restoration of Independence Day) are holidays.
        (2026, 5, datetime.date(2026, 5, 6)),
        # 22 Jun (Mon) a day off moved from Sat 27 Jun; 1 Jun is a Monday, so untouched.
        (2026, 6, datetime.date(2026, 6, 2)),
        # 1 Nov is a Sunday.
        (2026, 11, datetime.date(2026, 11, 3)),
        # 1 May 2027 is a Saturday; 4 May (Tue) a holiday.
        (2027, 5, datetime.date(2027, 5, 5)),
    ],
)
def test_second_working_day_follows_the_latvian_calendar(year, month, expected):
    assert second_working_day(year, month) == expected


def test_moved_working_days_count_as_working_days():
    assert is_working_day(datetime.date(2026, 1, 17))  # a Saturday worked for 2 January
    assert is_working_day(datetime.date(2025, 11, 8))  # a Saturday worked for 17 November
    assert not is_working_day(datetime.date(2026, 1, 2))
    assert not is_working_day(datetime.date(2026, 1, 10))  # an ordinary Saturday


def test_local_overrides_for_years_the_package_does_not_know():
    # 1 Aug 2026 is a Saturday: declared a working day, it becomes the first one.
    assert second_working_day(2026, 8) == datetime.date(2026, 8, 4)
    assert second_working_day(2026, 8, extra_workdays={datetime.date(2026, 8, 1)}) == (
        datetime.date(2026, 8, 3)
    )
    assert second_working_day(2026, 8, extra_holidays={datetime.date(2026, 8, 3)}) == (
        datetime.date(2026, 8, 5)
    )


# -- the data set ------------------------------------------------------------------------


def test_demo_company_has_fourteen_monthly_invoices_on_the_second_working_day(loaded):
    invoices = documents("dem-1-oju")
    assert [i["invoice_no"] for i in invoices] == [
        "1-102025", "1-112025", "1-122025", "1-012026", "1-022026", "1-032026", "1-042026",
        "1-052026", "1-062026", "1-072026", "1-082026", "1-092026", "1-102026", "1-112026",
    ]  # fmt: skip
    by_no = {i["invoice_no"]: i for i in invoices}
    assert by_no["1-012026"]["issue_date"] == datetime.date(2026, 1, 6)
    assert by_no["1-012026"]["period_start"] == datetime.date(2025, 12, 1)
    assert by_no["1-012026"]["period_end"] == datetime.date(2025, 12, 31)
    assert by_no["1-112026"]["issue_date"] == datetime.date(2026, 11, 3)
    for inv in invoices:
        issue = inv["issue_date"]
        assert inv["kind"] == "invoice"
        assert inv["invoice_no"] == f"1-{issue:%m%Y}"
        assert issue == second_working_day(issue.year, issue.month)
        previous_month_end = issue.replace(day=1) - datetime.timedelta(days=1)
        assert inv["period_end"] == previous_month_end
        assert inv["period_start"] == previous_month_end.replace(day=1)
        assert inv["due_date"] > issue


def test_invoices_issued_later_this_month_are_not_there_yet(migrated, loaded):
    # 5 Jan 2026 is before January's second working day (6 Jan).
    run(load_demo(migrated, today=datetime.date(2026, 1, 5)))
    try:
        numbers = [i["invoice_no"] for i in documents("dem-1-oju")]
        assert len(numbers) == 14
        assert numbers[0] == "1-112024" and numbers[-1] == "1-122025"
        statements = documents("demo")
        assert statements[-1]["invoice_no"] == "A1-2026-demo"
        assert [s["issue_date"].year for s in statements].count(2026) == 1
    finally:
        run(load_demo(migrated, today=TODAY))


def test_line_sums_match_every_document(loaded):
    invoices = rows(Invoice, Invoice.contract_no.is_in(DEMO_CONTRACT_NOS))
    lines = defaultdict(list)
    for line in rows(InvoiceLine, InvoiceLine.invoice_seq.is_in([i["seq"] for i in invoices])):
        lines[line["invoice_seq"]].append(line)
    for inv in invoices:
        own = sorted(lines[inv["seq"]], key=lambda line: line["line_no"])
        assert [line["line_no"] for line in own] == list(range(1, len(own) + 1))
        if inv["contract_no"] == "dem-1-oju":
            assert 2 <= len(own) <= 3
        else:
            assert own
        for line in own:
            assert line["vat_rate"] == "21"
            assert line["net_cents"] == int(line["quantity"]) * line["unit_price_cents"]
            assert line["description"] and line["unit"]
        net = sum(line["net_cents"] for line in own)
        assert inv["net_cents"] == net > 0
        assert inv["vat_cents"] == (net * 21 + 50) // 100
        assert inv["total_cents"] == inv["net_cents"] + inv["vat_cents"]
        assert all(isinstance(inv[k], int) for k in ("net_cents", "vat_cents", "total_cents"))


@pytest.mark.parametrize("contract_no", ["demo", "dem-1-oju"])
def test_demo_customers_owe_exactly_the_latest_document(loaded, contract_no):
    docs = documents(contract_no)
    paid = paid_by_invoice(contract_no)
    unpaid = [d["invoice_no"] for d in docs if paid.get(d["invoice_no"], 0) < d["total_cents"]]
    assert unpaid == [docs[-1]["invoice_no"]]
    assert paid.get(docs[-1]["invoice_no"], 0) == 0
    for d in docs[:-1]:
        assert paid[d["invoice_no"]] == d["total_cents"]
    for p in rows(Payment, Payment.contract_no == contract_no):
        doc = next(d for d in docs if d["invoice_no"] == p["invoice_no"])
        assert doc["issue_date"] <= p["paid_on"] < doc["due_date"]
        assert p["paid_on"] <= TODAY
        assert p["reference"] == p["invoice_no"]
        assert p["channel"]


def test_demo_private_person_has_this_years_statements_and_two_addresses(loaded):
    statements = documents("demo")
    assert {s["kind"] for s in statements} == {"statement"}
    this_year = [s for s in statements if s["issue_date"].year == TODAY.year]
    assert [s["invoice_no"] for s in this_year] == [f"A{q}-2026-demo" for q in (1, 2, 3, 4)]
    assert all(s["issue_date"] <= TODAY for s in statements)
    sites = rows(Site, Site.contract_no == "demo")
    assert len({s["address"] for s in sites}) == 2
    containers = rows(Container, Container.site_id.is_in([s["site_id"] for s in sites]))
    assert {c["site_id"] for c in containers} == {s["site_id"] for s in sites}


def test_demo_company_has_the_three_calendars(loaded):
    sites = rows(Site, Site.contract_no == "dem-1-oju")
    containers = rows(Container, Container.site_id.is_in([s["site_id"] for s in sites]))
    assert {"mixed", "sorted", "pko_bag"} <= {c["waste_type"] for c in containers}


def test_every_schedule_is_an_rrule_starting_on_an_occurrence(loaded):
    for c in rows(Container):
        if not c["container_id"].startswith(("demo-", "K-")):
            continue
        start = datetime.datetime.combine(c["dtstart"], datetime.time())
        rule = rrulestr(c["rrule"], dtstart=start)
        assert rule[0] == start, c
        assert c["volume_l"] > 0 and c["count"] >= 1


def test_demo_account_signs_in_with_demo_demo(loaded):
    [account] = rows(Account, Account.email == "demo")
    assert PasswordHasher().verify(account["password_hash"], "demo")
    assert extract_parameters(account["password_hash"]).type is Type.ID
    assert account["is_demo"] and not account["is_staff"]
    assert account["confirmed_at"] is not None and account["confirmed_at"].tzinfo is not None
    assert account["language"] == "lv"
    links = rows(AccountContract, AccountContract.account == account["id"])
    assert [link["contract_no"] for link in links] == ["dem-1-oju"]
    [customer] = rows(Customer, Customer.customer_id == "demo-jur")
    assert customer["name"] == "Demo juridiska persona" and customer["kind"] == "legal"
    [contract] = rows(Contract, Contract.contract_no == "dem-1-oju")
    assert contract["customer_id"] == "demo-jur"


def test_demo_private_person_is_found_by_its_code_hash(loaded):
    settings, _ = loaded
    [customer] = rows(Customer, Customer.customer_id == "demo-fiz")
    assert customer["kind"] == "private"
    assert identity.codes_match(settings.secret_key, "demo", customer["personal_code_hash"])
    assert "demo" not in {str(v).lower() for v in customer.values()}
    [contract] = rows(Contract, Contract.contract_no == "demo")
    assert contract["customer_id"] == "demo-fiz"


def test_ordinary_customers_have_valid_codes_and_no_account(loaded):
    settings, summary = loaded
    private, legal = (
        next(c for c in ORDINARY_CUSTOMERS if c["kind"] == kind) for kind in ("private", "legal")
    )
    code = private["personal_code"]
    assert pvn.is_valid(code) and code[6] == "-" and code[0] in "0123"
    assert pvn.get_birth_date(code) == datetime.date(1978, 3, 14)
    [row] = rows(Customer, Customer.customer_id == private["customer_id"])
    assert row["personal_code_hash"] == identity.hash_code(settings.secret_key, code)
    assert row["personal_code_masked"] == identity.mask_code(code)
    assert row["reg_no"] is None

    reg_no = legal["reg_no"]
    assert pvn.is_valid(reg_no) and len(reg_no) == 11 and reg_no[0] in "45"
    [row] = rows(Customer, Customer.customer_id == legal["customer_id"])
    assert row["reg_no"] == reg_no and row["vat_no"] == "LV" + reg_no
    assert row["personal_code_hash"] is None

    demo_accounts = {a["id"] for a in rows(Account, Account.is_demo == True)}  # noqa: E712
    for customer in ORDINARY_CUSTOMERS:
        # Registration tests may have made accounts since; the demo itself links none.
        links = rows(AccountContract, AccountContract.contract_no == customer["contract_no"])
        assert not {link["account"] for link in links} & demo_accounts
        assert rows(Contract, Contract.contract_no == customer["contract_no"])
        assert documents(customer["contract_no"])
        assert rows(Site, Site.contract_no == customer["contract_no"])
        assert customer["contract_no"] in summary
        assert (customer["personal_code"] or customer["reg_no"]) in summary


def test_personal_codes_are_stored_nowhere_in_plain_text(loaded):
    code = next(c["personal_code"] for c in ORDINARY_CUSTOMERS if c["kind"] == "private")
    text = json.dumps(dump(), default=str)
    for form in (code, identity.normalize_code(code), code[:6]):
        assert form not in text


def test_snapshot_row_says_as_of_today(loaded):
    latest = run(Snapshot.select().order_by(Snapshot.id, ascending=False).first())
    assert latest["source"] == "demo" and latest["outcome"] == "imported"
    assert latest["as_of"] == datetime.datetime(2026, 11, 29, tzinfo=RIGA)
    assert latest["as_of"].tzinfo is not None
    assert latest["next_refresh"] == datetime.date(2026, 11, 30)
    assert latest["started_at"] <= latest["finished_at"]
    counts = latest["counts"]
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert counts["customers"] == len(DEMO_CUSTOMERS)
    assert counts["invoices"] == len(rows(Invoice, Invoice.contract_no.is_in(DEMO_CONTRACT_NOS)))
    assert counts["payments"] == len(rows(Payment, Payment.contract_no.is_in(DEMO_CONTRACT_NOS)))


def test_holiday_shifts_move_to_days_without_a_holiday(loaded):
    shifts = {r["date"]: r for r in rows(CollectionException) if r["date"].year in (2026, 2027)}
    christmas = shifts[datetime.date(2026, 12, 25)]
    assert christmas["moved_to"] == datetime.date(2026, 12, 28)
    assert christmas["waste_type"] is None and christmas["municipality"] is None
    assert christmas["reason"] == "Pirmie Ziemassvētki"
    assert shifts[datetime.date(2027, 1, 1)]["moved_to"] == datetime.date(2027, 1, 2)
    assert shifts[datetime.date(2026, 11, 18)]["moved_to"] is None  # cancelled
    for r in shifts.values():
        if r["moved_to"]:
            assert r["moved_to"] > r["date"] and r["moved_to"].weekday() != 6


# -- idempotency and isolation -----------------------------------------------------------


def test_loading_twice_changes_nothing(migrated, loaded):
    run(load_demo(migrated, today=TODAY))
    before = dump()
    summary = run(load_demo(migrated, today=TODAY))
    assert dump() == before
    assert "nekas nav mainīts (jau ielādēti)" in summary


def test_another_day_then_back_gives_the_same_read_model(migrated, loaded):
    def demo_rows():
        # (the numbers the database gives rows are left out: a line names its invoice)
        tables = [t for t in READ_MODEL if t is not CollectionException]
        dumped = dump(tables)
        invoice_nos = {r["seq"]: r["invoice_no"] for r in dumped["invoice"]}
        for line in dumped["invoice_line"]:
            line["invoice_seq"] = invoice_nos[line["invoice_seq"]]
        return {
            name: sorted(({k: v for k, v in r.items() if k not in ("id", "seq")}
                          for r in table_rows), key=repr)
            for name, table_rows in dumped.items()
        }

    run(load_demo(migrated, today=TODAY))
    before = demo_rows()
    run(load_demo(migrated, today=datetime.date(2027, 2, 15)))
    assert demo_rows() != before
    assert len(documents("dem-1-oju")) == 14
    run(load_demo(migrated, today=TODAY))
    assert demo_rows() == before


def test_data_that_is_not_the_demos_is_left_alone(migrated, loaded):
    async def add():
        await Customer.insert(Customer(customer_id="X-1", kind="private", name="Cits klients"))
        await Contract.insert(
            Contract(
                contract_no="99-000001",
                customer_id="X-1",
                start_date=TODAY,
                delivery="paper",
                cycle="monthly",
            )
        )
        await Invoice.insert(
            Invoice(
                invoice_no="9-112026",
                contract_no="99-000001",
                kind="invoice",
                issue_date=TODAY,
                due_date=TODAY,
                period_start=TODAY,
                period_end=TODAY,
                net_cents=100,
                vat_cents=21,
                total_cents=121,
            )
        )
        seq = await Invoice.select(Invoice.seq).where(
            Invoice.invoice_no == "9-112026").first()
        await InvoiceLine.insert(
            InvoiceLine(
                invoice_seq=seq["seq"],
                line_no=1,
                description="x",
                quantity="1",
                unit="gab.",
                unit_price_cents=100,
                vat_rate="21",
                net_cents=100,
            )
        )

    async def remove():
        await InvoiceLine.delete().where(InvoiceLine.invoice_seq.is_in(
            Invoice.select(Invoice.seq).where(Invoice.invoice_no == "9-112026")))
        await Invoice.delete().where(Invoice.invoice_no == "9-112026")
        await Contract.delete().where(Contract.contract_no == "99-000001")
        await Customer.delete().where(Customer.customer_id == "X-1")

    def others():
        return {
            "customer": rows(Customer, Customer.customer_id == "X-1"),
            "contract": rows(Contract, Contract.contract_no == "99-000001"),
            "invoice": rows(Invoice, Invoice.contract_no == "99-000001"),
            "invoice_line": rows(InvoiceLine, InvoiceLine.invoice_seq.is_in(
                Invoice.select(Invoice.seq).where(Invoice.invoice_no == "9-112026"))),
        }

    run(add())
    try:
        before = others()
        assert all(before.values())
        run(load_demo(migrated, today=datetime.date(2027, 2, 15)))
        run(load_demo(migrated, today=TODAY))
        assert others() == before
    finally:
        run(remove())


def test_a_demo_key_taken_by_other_data_stops_the_load_and_changes_nothing(migrated, loaded):
    # 1-032027 is an invoice number the demo needs on 10 March 2027.
    async def take():
        await Invoice.insert(
            Invoice(
                invoice_no="1-032027",
                contract_no="99-000002",
                kind="invoice",
                issue_date=TODAY,
                due_date=TODAY,
                period_start=TODAY,
                period_end=TODAY,
                net_cents=0,
                vat_cents=0,
                total_cents=0,
            )
        )

    run(take())
    try:
        before = dump()
        with pytest.raises(DemoDataConflict,
                           match="invoice '1-032027' jau ir, un tie nav demonstrācijas dati"):
            run(load_demo(migrated, today=datetime.date(2027, 3, 10)))
        assert dump() == before
    finally:
        run(Invoice.delete().where(Invoice.invoice_no == "1-032027"))


def test_password_hash_is_kept_while_it_verifies_and_repaired_otherwise(migrated, loaded):
    other_hash = PasswordHasher().hash("demo")  # a different salt: still a good hash
    run(Account.update({Account.password_hash: other_hash}).where(Account.email == "demo"))
    run(load_demo(migrated, today=TODAY))
    [account] = rows(Account, Account.email == "demo")
    assert account["password_hash"] == other_hash

    run(Account.update({Account.password_hash: "broken"}).where(Account.email == "demo"))
    run(load_demo(migrated, today=TODAY))
    [account] = rows(Account, Account.email == "demo")
    assert PasswordHasher().verify(account["password_hash"], "demo")
    assert len(rows(Account, Account.email == "demo")) == 1
