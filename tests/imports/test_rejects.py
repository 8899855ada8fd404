"""A snapshot with any wrong row is refused: exit 1, a report naming file, line and column,
and the read model exactly as it was (the history's `rejected` row is the one write)."""

from __future__ import annotations

import pytest

from tests.imports.conftest import (
    BASE,
    PORTAL_TABLES,
    cli,
    do_import,
    dump,
    latest_snapshot,
    messages,
    replace_in,
    write_snapshot,
)
from zaao_hx.web.i18n import language


def _swap_column(name: str, column: str, new: str) -> dict[str, str]:
    return replace_in(name, column, new)


def _extra_field() -> dict[str, str]:
    return replace_in("payments.csv", "P2,20-2,I1,2026-11-10,100.00,SEB,I1",
                      "P2,20-2,I1,2026-11-10,100.00,SEB,I1,extra")


def _drop_column(name: str, column: str) -> dict[str, str]:
    header, *rows = BASE[name].strip("\n").split("\n")
    names = header.split(",")
    at = names.index(column)
    kept = [",".join(v for i, v in enumerate(r.split(",")) if i != at) for r in [header, *rows]]
    return {name: "\n".join(kept) + "\n"}


CASES = {
    # id: (changes, where the report must point, what it says)
    "missing column": (
        _drop_column("invoices.csv", "vat"),
        "invoices.csv, line 1, column vat", "required column missing",
    ),
    "wrong header": (
        _swap_column("contracts.csv", "contract_no,customer_id", "contract,customer_id"),
        "contracts.csv, line 1, column contract_no", "required column missing",
    ),
    "bad date": (
        replace_in("invoices.csv", "M2,10-1,statement,2026-11-03", "M2,10-1,statement,2026-11-31"),
        "invoices.csv, line 3, column issue_date", "'2026-11-31' is not a date",
    ),
    "date in another format": (
        replace_in("payments.csv", "2026-10-20", "20.10.2026"),
        "payments.csv, line 2, column paid_on", "is not a date",
    ),
    "money with three decimals": (
        replace_in("payments.csv", "18.88,Swedbank", "18.885,Swedbank"),
        "payments.csv, line 2, column amount", "'18.885' is not an amount",
    ),
    "money with a decimal comma": (
        replace_in("payments.csv", "18.88,Swedbank", '"18,88",Swedbank'),
        "payments.csv, line 2, column amount", "'18,88' is not an amount",
    ),
    "unknown enum": (
        replace_in("contracts.csv", "2015-03-01,,paper", "2015-03-01,,fax"),
        "contracts.csv, line 2, column delivery", "'fax' is not one of paper, email, einvoice",
    ),
    "dangling reference": (
        replace_in("sites.csv", "S3,10-3", "S3,10-9"),
        "sites.csv, line 4, column contract_no", "'10-9' is not in contracts.csv",
    ),
    "dangling line": (
        replace_in("invoice_lines.csv", "Q1,1,", "Q9,1,"),
        "invoice_lines.csv, line 6, column invoice_no", "'Q9' is not in invoices.csv",
    ),
    "duplicate key": (
        replace_in("customers.csv", "C3,private", "C2,private"),
        "customers.csv, line 4, column customer_id", "'C2' appears twice (also on line 3)",
    ),
    "duplicate line number": (
        replace_in("invoice_lines.csv", "I1,2,", "I1,1,"),
        "invoice_lines.csv, line 5, column line_no", "line 1 of invoice 'I1' appears twice",
    ),
    "bad rrule": (
        replace_in("containers.csv", "FREQ=MONTHLY;BYDAY=2WE", "FREQ=SOMETIMES;BYDAY=2WE"),
        "containers.csv, line 4, column rrule", "is not a valid RRULE",
    ),
    "not an rrule value": (
        replace_in("containers.csv", "FREQ=MONTHLY;BYDAY=2WE", "RRULE:FREQ=MONTHLY;BYDAY=2WE"),
        "containers.csv, line 4, column rrule", "is not a bare RRULE value",
    ),
    "missing file": (
        {"payments.csv": None},
        "payments.csv", "the file is missing",
    ),
    "bad manifest": (
        {"manifest.json": '{"as_of": "2026-11-28T23:00:00+02:00", "next_refresh": '},
        "manifest.json", "is not valid JSON",
    ),
    "manifest without time zone": (
        {"manifest.json": '{"as_of": "2026-11-28T23:00:00", "next_refresh": "2026-11-29"}'},
        "manifest.json, column as_of", "has no UTC offset",
    ),
    "not UTF-8": (
        {"customers.csv": BASE["customers.csv"].replace("\n", "\r\n").encode("utf-8").replace(
            "Jānis".encode(), b"J\xe2nis")},
        "customers.csv, line 4, column name", "not UTF-8",
    ),
    "wrong number of fields": (
        _extra_field(),
        "payments.csv, line 3", "number of fields: 8, in the header: 7",
    ),
    "required value empty": (
        replace_in("sites.csv", "Smiltenes novads", ""),
        "sites.csv, line 4, column municipality", "a value is required",
    ),
    "net plus vat is not total": (
        replace_in("invoices.csv", "15.60,3.28,18.88", "15.60,3.28,18.89"),
        "invoices.csv, line 2, column total", "'18.89' is not net + vat",
    ),
    "period ends before it starts": (
        replace_in("invoices.csv", "2026-09-01,2026-09-30,15.60", "2026-09-30,2026-09-01,15.60"),
        "invoices.csv, line 2, column period_end", "is before period_start",
    ),
    "lines do not add up": (
        replace_in("invoice_lines.csv", "1,mēn.,9.20,21,9.20", "1,mēn.,9.30,21,9.30"),
        "invoice_lines.csv, column net", "the lines of invoice 'I1' add up to 0.10 more",
    ),
    "payment of another contract's invoice": (
        replace_in("payments.csv", "P1,10-1,M1", "P1,20-2,M1"),
        "payments.csv, line 2, column invoice_no", "invoice 'M1' is of contract '10-1'",
    ),
    "malformed personal code": (
        replace_in("customers.csv", "140378-12342", "14037812"),
        "customers.csv, line 2, column personal_code", "is not a personal code",
    ),
    "broken quoting": (
        replace_in("sites.csv", '"Meža iela 3, Smiltene"', '"Meža iela 3" Smiltene'),
        "sites.csv, line 4", "not valid CSV",
    ),
    "value too long": (
        replace_in("contracts.csv", "10-3,C3", "10-3" + "x" * 41 + ",C3"),
        "contracts.csv, line 4, column contract_no", "longer than 40 characters",
    ),
    "a quote inside a value": (
        replace_in("invoice_lines.csv", "Konteinera noma", 'Konteinera noma 12" x'),
        "invoice_lines.csv, line 5", "a quote inside a value",
    ),
    "a quote in the header": (
        {"payments.csv": BASE["payments.csv"].replace("reference\n", 'reference,note"\n')
         .replace("\n", ",x\n").replace('note",x', 'note"')},
        "payments.csv, line 1", "a quote inside a value",
    ),
    "a line holding only a quoted empty value": (
        replace_in("payments.csv", "P1,10-1,M1", '""\nP1,10-1,M1'),
        "payments.csv, line 2", "number of fields: 1, in the header: 7",
    ),
    "an rrule that never moves on": (
        replace_in("containers.csv", "INTERVAL=2;BYDAY=TU", "INTERVAL=0;BYDAY=TU"),
        "containers.csv, line 2, column rrule", "INTERVAL must be a positive whole number",
    ),
    "an rrule with both count and until": (
        replace_in("containers.csv", "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO;COUNT=3;"
                   "UNTIL=20261231"),
        "containers.csv, line 3, column rrule", "COUNT and UNTIL together",
    ),
    "control character": (
        replace_in("customers.csv", "Anna Bērziņa", "Anna\x01Bērziņa"),
        "customers.csv, line 2, column name", "control character U+0001",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_bad_snapshot_is_refused_and_changes_nothing(base_loaded, tmp_path, case):
    url = base_loaded
    changes, where, what = CASES[case]
    before = dump(url)
    portal = dump(url, PORTAL_TABLES)
    result = do_import(url, write_snapshot(tmp_path / "snapshot", changes))
    assert result.outcome == "rejected", result.report.listing() or result.message
    listing = result.report.listing()
    assert any(m.startswith(where) and what in m for m in messages(result.report)), listing
    assert dump(url) == before
    assert dump(url, PORTAL_TABLES) == portal
    history = latest_snapshot(url)
    assert history["outcome"] == "rejected"
    with language("lv"):  # the history is kept in Latvian
        assert history["report"] == result.report.listing()


def test_the_command_exits_1_with_the_report(base_loaded, tmp_path):
    url = base_loaded
    folder = write_snapshot(tmp_path / "snapshot", {
        **replace_in("payments.csv", "18.88,Swedbank", "18.885,Swedbank"),
        **replace_in("contracts.csv", "2015-03-01,,paper", "2015-03-01,,fax"),
    })
    before = dump(url)
    done = cli(url, tmp_path, "import", str(folder))
    assert done.returncode == 1
    assert "Refused" in done.stderr and "the database is unchanged" in done.stderr
    assert "contracts.csv, line 2, column delivery: 'fax' is not one of" in done.stderr
    assert "payments.csv, line 2, column amount: '18.885' is not an amount" in done.stderr
    assert "Traceback" not in done.stderr
    assert dump(url) == before


def test_a_folder_that_is_not_there(import_db, tmp_path):
    done = cli(import_db, tmp_path, "import", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert "is not a folder" in done.stderr


def test_many_errors_are_counted_and_the_listing_capped(base_loaded, tmp_path):
    url = base_loaded
    rows = "".join(f"X{i},10-1,M1,2026-13-{i % 30:02d},1.000,SEB,\n" for i in range(150))
    folder = write_snapshot(tmp_path / "snapshot", {"payments.csv": BASE["payments.csv"] + rows})
    result = do_import(url, folder)
    assert result.outcome == "rejected"
    assert result.report.error_count == 300  # a bad date and a bad amount on each line
    assert len(result.report.errors) == 100
    assert "… and 200 more errors not listed" in result.report.listing()


def test_a_payment_id_twice_far_apart(base_loaded, tmp_path):
    """Repeats within a chunk are found at once; across chunks at the end (the database,
    which sees the second one first, refuses it — still a report, not a failure)."""
    url = base_loaded
    extra = "".join(f"Z{i},10-1,,2026-11-0{1 + i % 9},1.00,SEB,\n" for i in range(3000))
    extra = extra.replace("Z2500,", "Z7,")
    before = dump(url)
    result = do_import(url, write_snapshot(tmp_path / "snapshot", {
        "payments.csv": BASE["payments.csv"] + extra}))
    assert result.outcome == "rejected", result.message
    assert [str(p) for p in result.report.errors] == [
        "payments.csv, line 2506, column payment_id: 'Z7' appears twice (also on line 13)"]
    assert dump(url) == before


def test_of_two_invoices_with_one_number_in_one_chunk_the_first_keeps_it(tmp_path):
    """Its lines and payments are checked against the first of the two (whose net they
    add up to): the repeat is the one problem said."""
    from tests.conftest import SECRET
    from zaao_hx.imports.validate import SnapshotValidator

    first = "M1,10-1,statement,2026-10-02,2026-10-31,2026-09-01,2026-09-30,15.60,3.28,18.88\n"
    folder = write_snapshot(tmp_path / "snapshot", replace_in(
        "invoices.csv", first, first + first.replace("15.60,3.28,18.88", "99.00,20.79,119.79")))
    with language("en"):
        report = SnapshotValidator(folder, SECRET).run()
        assert messages(report) == [
            "invoices.csv, line 3, column invoice_no: 'M1' appears twice (also on line 2)"]
