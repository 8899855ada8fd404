"""The demo data set (`zaao-hx demo`, CONTRACTS.md "Demo data").

Two demo customers behind the seed's demo logins — contract `demo` + personal code `demo`
(a private person) and email `demo` + password `demo` ("Demo juridiska persona", contract
`dem-1-oju`) — and two ordinary customers without an account, so that registration can be
tried for real with the codes in `ORDINARY_CUSTOMERS`.

Dates are relative to `today` (Europe/Riga).  Loading is one transaction and idempotent:
each table's demo rows are compared with what should be there, and only the difference is
written, so a second run on the same day changes nothing (not even serial ids, the demo
snapshot row or the account's password hash).  Rows that are not demo data are never
touched; a demo key already used by other data stops the load with `DemoDataConflict`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from dateutil.rrule import rrulestr
from piccolo.columns.combination import Or
from piccolo.table import Table

from zaao_hx.accounts.passwords import hash_password, needs_rehash, verify_password
from zaao_hx.accounts.tables import Account, AccountContract
from zaao_hx.billing import identity
from zaao_hx.billing.calendar import second_working_day
from zaao_hx.billing.tables import (
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
from zaao_hx.db import write_transaction
from zaao_hx.imports.format import WASTE_LINE_TEXT
from zaao_hx.settings import Settings
from zaao_hx.web.i18n import gettext

RIGA = ZoneInfo("Europe/Riga")
VAT_RATE = 21  # percent

DEMO_PRIVATE_CONTRACT = "demo"
DEMO_PRIVATE_CODE = "demo"
DEMO_LEGAL_CONTRACT = "dem-1-oju"
DEMO_LEGAL_NAME = "Demo juridiska persona"
DEMO_EMAIL = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the published demo login

# Every customer the demo loads, with the plain codes the README documents.  Only a keyed
# hash and a masked form of a personal code reach the database.
DEMO_CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_id": "demo-fiz",
        "kind": "private",
        "name": "Demo fiziska persona",
        "contract_no": DEMO_PRIVATE_CONTRACT,
        "personal_code": DEMO_PRIVATE_CODE,
        "reg_no": None,
        "login": "līguma nr. demo + personas kods demo",
    },
    {
        "customer_id": "demo-jur",
        "kind": "legal",
        "name": DEMO_LEGAL_NAME,
        "contract_no": DEMO_LEGAL_CONTRACT,
        "personal_code": None,
        "reg_no": None,
        "login": "e-pasts demo + parole demo",
    },
    {
        "customer_id": "K-204518",
        "kind": "private",
        "name": "Ilze Kalniņa",
        "contract_no": "10-204518",
        "personal_code": "140378-12342",  # old format DDMMYY-CNNNN, valid check digit
        "reg_no": None,
        "login": "reģistrācija: līguma nr. 10-204518 + personas kods 140378-12342",
    },
    {
        "customer_id": "K-118733",
        "kind": "legal",
        "name": 'SIA "Ziemeļvidzemes Galdnieks"',
        "contract_no": "20-118733",
        "personal_code": None,
        "reg_no": "40103271696",  # valid check digit
        "login": "reģistrācija: līguma nr. 20-118733 + reģistrācijas nr. 40103271696",
    },
]
ORDINARY_CUSTOMERS = [c for c in DEMO_CUSTOMERS if not c["customer_id"].startswith("demo-")]
DEMO_CUSTOMER_IDS = [c["customer_id"] for c in DEMO_CUSTOMERS]
DEMO_CONTRACT_NOS = [c["contract_no"] for c in DEMO_CUSTOMERS]

PAYMENT_CHANNELS = ["Swedbank", "SEB", "bank transfer", "Luminor", "Citadele"]


class DemoDataConflict(RuntimeError):
    """A key the demo needs is already used by data that is not the demo's."""


@dataclass(frozen=True)
class _Bin:
    container_id: str
    site_id: str
    waste_type: str
    volume_l: int
    count: int
    rrule: str
    dtstart: datetime.date
    unit_price_cents: int  # per emptying of one container, without VAT
    until: datetime.date | None = None


_PROFILE: dict[str, dict[str, Any]] = {
    "demo-fiz": {
        "customer": {
            "phone": "",
            "email": "demo@example.com",
            "address": "Rīgas iela 10, Valmiera, LV-4201",
        },
        "contract": {
            "start_date": datetime.date(2012, 4, 1),
            "delivery": "paper",
            "cycle": "quarterly",
        },
        "sites": [
            ("demo-s1", "Rīgas iela 10, Valmiera", "Valmieras novads"),
            ("demo-s2", "Meža iela 3, Smiltene", "Smiltenes novads"),
        ],
        "bins": [
            _Bin(
                container_id="demo-c1",
                site_id="demo-s1",
                waste_type="mixed",
                volume_l=240,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
                dtstart=datetime.date(2024, 1, 2),
                unit_price_cents=780,
            ),
            _Bin(
                container_id="demo-c2",
                site_id="demo-s1",
                waste_type="bio",
                volume_l=140,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                dtstart=datetime.date(2024, 1, 4),
                unit_price_cents=390,
            ),
            # A summer house: emptied only from May to September.
            _Bin(
                container_id="demo-c3",
                site_id="demo-s2",
                waste_type="mixed",
                volume_l=120,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYMONTH=5,6,7,8,9",
                dtstart=datetime.date(2024, 5, 3),
                unit_price_cents=450,
            ),
            _Bin(
                container_id="demo-c4",
                site_id="demo-s2",
                waste_type="sorted",
                volume_l=240,
                count=1,
                rrule="FREQ=MONTHLY;BYDAY=3WE",
                dtstart=datetime.date(2024, 1, 17),
                unit_price_cents=150,
            ),
        ],
    },
    "demo-jur": {
        # The seed's demo company shows "Nav norādīts" for both.
        "customer": {"phone": "", "email": "", "address": "Rūpniecības iela 21, Valmiera, LV-4201"},
        "contract": {
            "start_date": datetime.date(2009, 1, 1),
            "delivery": "paper",
            "cycle": "monthly",
        },
        "sites": [
            ("demo-s3", "Rūpniecības iela 21, Valmiera", "Valmieras novads"),
            ("demo-s4", "Lāčplēša iela 2, Valmiera", "Valmieras novads"),
        ],
        "bins": [
            _Bin(
                container_id="demo-c5",
                site_id="demo-s3",
                waste_type="mixed",
                volume_l=1100,
                count=2,
                rrule="FREQ=WEEKLY;BYDAY=MO",
                dtstart=datetime.date(2024, 1, 1),
                unit_price_cents=2650,
            ),
            _Bin(
                container_id="demo-c6",
                site_id="demo-s3",
                waste_type="sorted",
                volume_l=1100,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
                dtstart=datetime.date(2024, 1, 3),
                unit_price_cents=1150,
            ),
            # Every six weeks: some months have no PKO bag line.
            _Bin(
                container_id="demo-c7",
                site_id="demo-s4",
                waste_type="pko_bag",
                volume_l=1000,
                count=3,
                rrule="FREQ=WEEKLY;INTERVAL=6;BYDAY=FR",
                dtstart=datetime.date(2024, 1, 5),
                unit_price_cents=380,
            ),
        ],
    },
    "K-204518": {
        "customer": {
            "phone": "",
            "email": "ilze.kalnina@example.com",
            "address": "Smilšu iela 14, Cēsis, LV-4101",
        },
        "contract": {
            "start_date": datetime.date(2016, 7, 1),
            "delivery": "paper",
            "cycle": "quarterly",
        },
        "sites": [("K-204518-1", "Smilšu iela 14, Cēsis", "Cēsu novads")],
        "bins": [
            _Bin(
                container_id="K-204518-1a",
                site_id="K-204518-1",
                waste_type="mixed",
                volume_l=240,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=4;BYDAY=FR",
                dtstart=datetime.date(2024, 1, 5),
                unit_price_cents=780,
            ),
            _Bin(
                container_id="K-204518-1b",
                site_id="K-204518-1",
                waste_type="sorted",
                volume_l=240,
                count=1,
                rrule="FREQ=MONTHLY;BYDAY=2MO",
                dtstart=datetime.date(2024, 1, 8),
                unit_price_cents=150,
            ),
        ],
    },
    "K-118733": {
        "customer": {
            "phone": "",
            "email": "birojs@example.com",
            "address": "Dārza iela 12, Smiltene, LV-4729",
        },
        "contract": {
            "start_date": datetime.date(2019, 2, 1),
            "delivery": "email",
            "cycle": "monthly",
        },
        "sites": [("K-118733-1", "Dārza iela 12, Smiltene", "Smiltenes novads")],
        "bins": [
            _Bin(
                container_id="K-118733-1a",
                site_id="K-118733-1",
                waste_type="mixed",
                volume_l=660,
                count=1,
                rrule="FREQ=WEEKLY;BYDAY=TH",
                dtstart=datetime.date(2024, 1, 4),
                unit_price_cents=1690,
            ),
            _Bin(
                container_id="K-118733-1b",
                site_id="K-118733-1",
                waste_type="sorted",
                volume_l=1100,
                count=1,
                rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
                dtstart=datetime.date(2024, 1, 2),
                unit_price_cents=1150,
            ),
        ],
    },
}


# -- what the demo data is -------------------------------------------------------------


def riga_today() -> datetime.date:
    return datetime.datetime.now(RIGA).date()


def _month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> datetime.date:
    y, m = _month_add(year, month, 1)
    return datetime.date(y, m, 1) - datetime.timedelta(days=1)


def _emptyings(b: _Bin, start: datetime.date, end: datetime.date) -> int:
    """How many times the bin is emptied in [start, end] by its schedule."""
    rule = rrulestr(b.rrule, dtstart=datetime.datetime.combine(b.dtstart, datetime.time()))
    last = min(end, b.until) if b.until else end
    if last < start:
        return 0
    return len(
        rule.between(
            datetime.datetime.combine(start, datetime.time()),
            datetime.datetime.combine(last, datetime.time()),
            inc=True,
        )
    )


def vat_of(net_cents: int) -> int:
    """21 % VAT, rounded half up to the cent."""
    return (net_cents * VAT_RATE + 50) // 100


def _document(
    invoice_no: str,
    contract_no: str,
    kind: str,
    issue: datetime.date,
    due: datetime.date,
    period: tuple[datetime.date, datetime.date],
    bins: list[_Bin],
    addresses: dict[str, str],
) -> tuple[dict, list[dict]]:
    many_sites = len({b.site_id for b in bins}) > 1
    lines: list[dict] = []
    for b in bins:
        times = _emptyings(b, *period) * b.count
        if not times:
            continue
        text = f"{WASTE_LINE_TEXT[b.waste_type]}, {b.volume_l} l"
        if b.count > 1:
            text += f" × {b.count}"
        if many_sites:
            text += f" ({addresses[b.site_id]})"
        lines.append(
            {
                "invoice_no": invoice_no,
                "line_no": len(lines) + 1,
                "description": text,
                "quantity": str(times),
                "unit": "reizes",
                "unit_price_cents": b.unit_price_cents,
                "vat_rate": str(VAT_RATE),
                "net_cents": times * b.unit_price_cents,
            }
        )
    net = sum(line["net_cents"] for line in lines)
    vat = vat_of(net)
    invoice = {
        "invoice_no": invoice_no,
        "contract_no": contract_no,
        "kind": kind,
        "issue_date": issue,
        "due_date": due,
        "period_start": period[0],
        "period_end": period[1],
        "net_cents": net,
        "vat_cents": vat,
        "total_cents": net + vat,
    }
    return invoice, lines


def _monthly_issues(today: datetime.date, months: int) -> list[tuple[int, int]]:
    """The (year, month) of the last `months` monthly invoices issued by `today`, oldest first."""
    year, month = today.year, today.month
    if second_working_day(year, month) > today:
        year, month = _month_add(year, month, -1)
    return [_month_add(year, month, -k) for k in range(months - 1, -1, -1)]


def _quarterly_issues(today: datetime.date) -> list[tuple[int, int]]:
    """(year, quarter) of the statements issued by `today`: last year's and this year's."""
    current = (today.month - 1) // 3 + 1
    return [(today.year - 1, q) for q in range(1, 5)] + [
        (today.year, q) for q in range(1, current + 1)
    ]


def _documents_for(customer_id: str, today: datetime.date) -> list[tuple[dict, list[dict]]]:
    profile = _PROFILE[customer_id]
    contract_no = next(c["contract_no"] for c in DEMO_CUSTOMERS if c["customer_id"] == customer_id)
    bins = profile["bins"]
    addresses = {site_id: address for site_id, address, _ in profile["sites"]}
    docs = []
    if profile["contract"]["cycle"] == "monthly":
        # `<n>-<MMYYYY>` of the issue month, as the seed's `1-012010`.
        n = 1 if customer_id == "demo-jur" else 2318
        count = 14 if customer_id == "demo-jur" else 4
        for year, month in _monthly_issues(today, count):
            issue = second_working_day(year, month)
            py, pm = _month_add(year, month, -1)
            period = (datetime.date(py, pm, 1), _month_end(py, pm))
            number = f"{n}-{month:02d}{year}"
            due = issue + datetime.timedelta(days=14)
            docs.append(
                _document(number, contract_no, "invoice", issue, due, period, bins, addresses)
            )
    else:
        for year, quarter in _quarterly_issues(today):
            first_month = 3 * quarter - 2
            issue = datetime.date(year, first_month, 1)
            period = (issue, _month_end(year, first_month + 2))
            due = _month_end(year, first_month)
            number = f"A{quarter}-{year}-{contract_no}"
            docs.append(
                _document(number, contract_no, "statement", issue, due, period, bins, addresses)
            )
    return docs


def _payments_for(
    customer_id: str, contract_no: str, invoices: list[dict], today: datetime.date
) -> list[dict]:
    """Payments for every document but the unpaid ones (the latest; for the ordinary
    company the latest two, so that one is overdue)."""
    unpaid = {"demo-fiz": 1, "demo-jur": 1, "K-204518": 0, "K-118733": 2}[customer_id]
    paid = invoices[: len(invoices) - unpaid]
    payments = []
    for i, inv in enumerate(paid):
        early = 2 + (i * 3) % 5

        def on(days_before_due: int, inv: dict = inv) -> datetime.date:
            day = inv["due_date"] - datetime.timedelta(days=days_before_due)
            return max(inv["issue_date"], min(day, today))

        channel = PAYMENT_CHANNELS[(i + len(customer_id)) % len(PAYMENT_CHANNELS)]
        parts = [(inv["total_cents"], on(early))]
        if customer_id == "demo-jur" and i == len(paid) - 4:
            # One invoice settled in two transfers, for "Rādīt apmaksu".
            first = inv["total_cents"] // 2 // 100 * 100
            parts = [(first, on(10)), (inv["total_cents"] - first, on(early))]
        for k, (amount, paid_on) in enumerate(parts, start=1):
            suffix = f"-{k}" if len(parts) > 1 else ""
            payments.append(
                {
                    "payment_id": f"P-{inv['invoice_no']}{suffix}",
                    "contract_no": contract_no,
                    "invoice_no": inv["invoice_no"],
                    "paid_on": paid_on,
                    "amount_cents": amount,
                    "channel": channel,
                    "reference": inv["invoice_no"],
                }
            )
    return payments


def _collection_exceptions(today: datetime.date) -> list[dict]:
    """This year's midsummer and Christmas–New Year holidays that fall on a working
    weekday: collections move to the next day that is neither a holiday nor a Sunday
    (crews work Saturdays to catch up); PKO bags in Valmiera skip 18 November."""
    year = today.year
    names = holidays.country_holidays("LV", years=[year, year + 1], language="lv")
    days = [datetime.date(year, 6, 23), datetime.date(year, 6, 24)]
    days += [datetime.date(year, 12, d) for d in (24, 25, 26, 31)]
    days.append(datetime.date(year + 1, 1, 1))
    rows = []
    for day in days:
        if day not in names or day.weekday() >= 5:
            continue
        moved = day + datetime.timedelta(days=1)
        while moved in names or moved.weekday() == 6:
            moved += datetime.timedelta(days=1)
        rows.append(
            {
                "date": day,
                "moved_to": moved,
                "waste_type": None,
                "municipality": None,
                "reason": names[day],
            }
        )
    nov18 = datetime.date(year, 11, 18)
    if nov18 in names and nov18.weekday() < 5:
        rows.append(
            {
                "date": nov18,
                "moved_to": None,
                "waste_type": "pko_bag",
                "municipality": "Valmieras novads",
                "reason": names[nov18],
            }
        )
    return rows


@dataclass
class DemoData:
    customers: list[dict]
    contracts: list[dict]
    sites: list[dict]
    containers: list[dict]
    collection_exceptions: list[dict]
    invoices: list[dict]
    invoice_lines: list[dict]
    payments: list[dict]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in vars(self).items()}

    def content_hash(self) -> str:
        text = json.dumps(vars(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def build_demo_data(secret_key: str, today: datetime.date) -> DemoData:
    """Every read-model row of the demo, as the import would write it."""
    data = DemoData([], [], [], [], _collection_exceptions(today), [], [], [])
    for spec in DEMO_CUSTOMERS:
        cid, profile = spec["customer_id"], _PROFILE[spec["customer_id"]]
        code = spec["personal_code"]
        data.customers.append(
            {
                "customer_id": cid,
                "kind": spec["kind"],
                "name": spec["name"],
                "personal_code_hash": identity.hash_code(secret_key, code) if code else None,
                "personal_code_masked": identity.mask_code(code) if code else "",
                "reg_no": spec["reg_no"],
                "vat_no": f"LV{spec['reg_no']}" if spec["reg_no"] else None,
                **profile["customer"],
            }
        )
        data.contracts.append(
            {
                "contract_no": spec["contract_no"],
                "customer_id": cid,
                "end_date": None,
                **profile["contract"],
            }
        )
        for site_id, address, municipality in profile["sites"]:
            data.sites.append(
                {
                    "site_id": site_id,
                    "contract_no": spec["contract_no"],
                    "address": address,
                    "municipality": municipality,
                }
            )
        for b in profile["bins"]:
            data.containers.append(
                {
                    "container_id": b.container_id,
                    "site_id": b.site_id,
                    "waste_type": b.waste_type,
                    "volume_l": b.volume_l,
                    "count": b.count,
                    "rrule": b.rrule,
                    "dtstart": b.dtstart,
                    "until": b.until,
                }
            )
        docs = _documents_for(cid, today)
        invoices = [inv for inv, _ in docs]
        data.invoices += invoices
        data.invoice_lines += [line for _, lines in docs for line in lines]
        data.payments += _payments_for(cid, spec["contract_no"], invoices, today)
    return data


# -- writing it ------------------------------------------------------------------------


@dataclass
class _Stats:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _sync(
    table: type[Table],
    rows: list[dict],
    scope: Any,
    stats: _Stats,
    key: tuple[str, ...] | None = None,
) -> None:
    """Make the rows of `table` within `scope` (the demo's own) equal to `rows`.

    `key` identifies a row when the primary key is a serial id (kept when the row stays).
    """
    pk = table._meta.primary_key
    pk_name = pk._meta.name
    key = key or (pk_name,)
    existing = await table.select().where(scope) if scope is not None else []
    have: dict[tuple, dict] = {}
    stale: list = []
    for row in existing:
        k = tuple(row[c] for c in key)
        if k in have:
            stale.append(row[pk_name])
        else:
            have[k] = row
    want = {tuple(r[c] for c in key): r for r in rows}
    stale += [row[pk_name] for k, row in have.items() if k not in want]
    # (the rows are found by the scope and the key too, not by the serial id alone:
    # invoice_line's id has no index, its key (invoice_seq, line_no) is the table's)
    for ids in _chunks(stale):
        await table.delete().where(pk.is_in(ids) & scope)
    stats.deleted += len(stale)

    new: list[dict] = []
    for k, row in want.items():
        old = have.get(k)
        if old is None:
            new.append(row)
            continue
        changes = {table._meta.get_column_by_name(c): v for c, v in row.items() if old[c] != v}
        if changes:
            match = pk == old[pk_name]
            for name in key:
                if name != pk_name:
                    match &= table._meta.get_column_by_name(name) == old[name]
            await table.update(changes).where(match)
            stats.updated += 1
    if not new:
        return
    if key == (pk_name,):
        for ids in _chunks([r[pk_name] for r in new]):
            taken = await table.select(pk).where(pk.is_in(ids))
            if taken:
                raise DemoDataConflict(gettext(
                    "%(table)s %(key)s jau ir, un tie nav demonstrācijas dati: "
                    "demonstrācijas datus šajā datubāzē ielādēt nevar",
                    table=table._meta.tablename, key=repr(taken[0][pk_name])))
    for batch in _chunks(new, 200):
        await table.insert(*[table(**row) for row in batch])
    stats.inserted += len(new)


async def _sync_exceptions(rows: list[dict], stats: _Stats) -> None:
    """Add the demo's holiday shifts that are missing; nothing tells the demo's apart
    from the billing system's, so none is ever deleted."""
    t = CollectionException
    for row in rows:
        same = [
            getattr(t, name).is_null() if value is None else getattr(t, name) == value
            for name, value in row.items()
        ]
        found = await t.select(t.id).where(*same).first()
        if found is None:
            await t.insert(t(**row))
            stats.inserted += 1


def _in(column: Any, values: Iterable) -> Any:
    values = sorted(set(values))
    # Piccolo refuses an empty IN list; a value no key can have selects nothing.
    return column.is_in(values or ["\x00"])


async def _write_read_model(data: DemoData, stats: _Stats) -> None:
    contracts = [c["contract_no"] for c in data.contracts]
    customers = [c["customer_id"] for c in data.customers]
    await _sync(Customer, data.customers, _in(Customer.customer_id, customers), stats)
    await _sync(
        Contract,
        data.contracts,
        Or(_in(Contract.contract_no, contracts), _in(Contract.customer_id, customers)),
        stats,
    )
    old_sites = await Site.select(Site.site_id).where(_in(Site.contract_no, contracts))
    site_ids = [r["site_id"] for r in old_sites] + [s["site_id"] for s in data.sites]
    await _sync(Site, data.sites, _in(Site.contract_no, contracts), stats)
    await _sync(Container, data.containers, _in(Container.site_id, site_ids), stats)
    old_invoices = await Invoice.select(Invoice.seq).where(_in(Invoice.contract_no, contracts))
    await _sync(Invoice, data.invoices, _in(Invoice.contract_no, contracts), stats)
    # lines are keyed by their invoice's `seq`, which the database gives a new invoice
    seqs = {
        r["invoice_no"]: r["seq"]
        for r in await Invoice.select(Invoice.invoice_no, Invoice.seq).where(
            _in(Invoice.invoice_no, [i["invoice_no"] for i in data.invoices]))
    }
    lines = [
        {"invoice_seq": seqs[line["invoice_no"]],
         **{name: value for name, value in line.items() if name != "invoice_no"}}
        for line in data.invoice_lines
    ]
    await _sync(
        InvoiceLine,
        lines,
        _in(InvoiceLine.invoice_seq, [r["seq"] for r in old_invoices] + list(seqs.values())),
        stats,
        key=("invoice_seq", "line_no"),
    )
    await _sync(Payment, data.payments, _in(Payment.contract_no, contracts), stats)
    await _sync_exceptions(data.collection_exceptions, stats)


async def _password_ok(stored: str) -> bool:
    return await verify_password(stored, DEMO_PASSWORD) and not needs_rehash(stored)


async def _write_account(now: datetime.datetime, stats: _Stats) -> None:
    """The demo company's login; its hash is kept while it still verifies."""
    account = await Account.objects().where(Account.email == DEMO_EMAIL).first()
    if account is None:
        password_hash = await hash_password(DEMO_PASSWORD)
        account = Account(
            email=DEMO_EMAIL,
            password_hash=password_hash,
            language="lv",
            created_at=now,
            confirmed_at=now,
            password_changed_at=now,
            terms_accepted_at=now,
            is_demo=True,
        )
        await account.save()
        stats.inserted += 1
    else:
        changes: dict[Any, Any] = {}
        if not await _password_ok(account.password_hash):
            changes[Account.password_hash] = await hash_password(DEMO_PASSWORD)
            changes[Account.password_changed_at] = now
        if account.confirmed_at is None:
            changes[Account.confirmed_at] = now
        wanted = {
            Account.is_demo: True,
            Account.is_staff: False,
            Account.language: "lv",
            Account.pending_email: None,
        }
        for column, value in wanted.items():
            if getattr(account, column._meta.name) != value:
                changes[column] = value
        if changes:
            await Account.update(changes).where(Account.id == account.id)
            stats.updated += 1
    link = await AccountContract.exists().where(
        (AccountContract.account == account.id)
        & (AccountContract.contract_no == DEMO_LEGAL_CONTRACT)
    )
    if not link:
        await AccountContract.insert(
            AccountContract(account=account.id, contract_no=DEMO_LEGAL_CONTRACT, added_at=now)
        )
        stats.inserted += 1


async def _write_snapshot(
    data: DemoData, today: datetime.date, started: datetime.datetime, stats: _Stats
) -> None:
    """A snapshot row for the demo, unless the latest one is already this very demo."""
    as_of = datetime.datetime.combine(today, datetime.time(), tzinfo=RIGA)
    next_refresh = today + datetime.timedelta(days=1)
    content_hash = data.content_hash()
    latest = await Snapshot.select().order_by(Snapshot.id, ascending=False).first()
    if (
        latest is not None
        and latest["source"] == "demo"
        and latest["outcome"] == "imported"
        and latest["content_hash"] == content_hash
        and latest["as_of"] == as_of
        and latest["next_refresh"] == next_refresh
        and stats.changed == 0
    ):
        return
    await Snapshot.insert(
        Snapshot(
            as_of=as_of,
            next_refresh=next_refresh,
            source="demo",
            started_at=started,
            finished_at=datetime.datetime.now(datetime.UTC),
            outcome="imported",
            counts=data.counts(),
            report="",
            content_hash=content_hash,
        )
    )
    stats.inserted += 1


async def load_demo(settings: Settings, today: datetime.date | None = None) -> str:
    """Load (or refresh) the demo data in one transaction; return a summary for the CLI.

    The tables must already be bound to the database (`zaao_hx.db.bind`).
    """
    today = today or riga_today()
    started = datetime.datetime.now(datetime.UTC)
    data = build_demo_data(settings.secret_key, today)
    stats = _Stats()
    async with write_transaction(Customer._meta.db):
        await _write_read_model(data, stats)
        await _write_account(started, stats)
        await _write_snapshot(data, today, started, stats)
    return _summary(data, today, stats)


def _summary(data: DemoData, today: datetime.date, stats: _Stats) -> str:
    counts = data.counts()
    ordinary = "; ".join(
        gettext("%(name)s (%(kind)s), līguma nr. %(contract)s, %(key)s",
                name=c["name"],
                kind=gettext("fiziska persona") if c["personal_code"]
                else gettext("juridiska persona"),
                contract=c["contract_no"],
                key=gettext("personas kods %(code)s", code=c["personal_code"])
                if c["personal_code"]
                else gettext("reģistrācijas nr. %(reg_no)s", reg_no=c["reg_no"]))
        for c in ORDINARY_CUSTOMERS
    )
    if stats.changed:
        change = gettext("rindas: pievienotas %(inserted)s, mainītas %(updated)s, dzēstas "
                         "%(deleted)s", inserted=stats.inserted, updated=stats.updated,
                         deleted=stats.deleted)
    else:
        change = gettext("nekas nav mainīts (jau ielādēti)")
    return gettext(
        "Demonstrācijas dati uz %(day)s: klienti %(customers)s, līgumi %(contracts)s, "
        "objekti %(sites)s, konteineri %(containers)s, svētku pārcelšanas %(exceptions)s, "
        "rēķini un aprēķini %(invoices)s ar pozīcijām %(lines)s, maksājumi %(payments)s; "
        "%(change)s. Demonstrācijas pieteikšanās: līguma nr. %(private_contract)s + personas "
        "kods %(private_code)s (Demo fiziska persona); e-pasts %(email)s + parole "
        "%(password)s (%(legal)s, līgums %(legal_contract)s). Reģistrācijas izmēģināšanai: "
        "%(ordinary)s.",
        day=today.strftime("%d.%m.%Y"), customers=counts["customers"],
        contracts=counts["contracts"],
        sites=counts["sites"], containers=counts["containers"],
        exceptions=counts["collection_exceptions"], invoices=counts["invoices"],
        lines=counts["invoice_lines"], payments=counts["payments"], change=change,
        private_contract=DEMO_PRIVATE_CONTRACT, private_code=DEMO_PRIVATE_CODE,
        email=DEMO_EMAIL, password=DEMO_PASSWORD, legal=DEMO_LEGAL_NAME,
        legal_contract=DEMO_LEGAL_CONTRACT, ordinary=ordinary)
