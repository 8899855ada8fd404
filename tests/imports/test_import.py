"""A valid snapshot becomes the read model: every row, money in exact cents, personal codes
only as keyed hashes and masked forms."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import SECRET
from tests.imports.conftest import (
    BASE,
    LINES,
    PLAIN_CODES,
    READ_MODEL_TABLES,
    TEST_DATABASE,
    counts,
    do_import,
    execute,
    latest_snapshot,
    load_and_look,
    messages,
    query,
    replace_in,
    write_snapshot,
)
from zaao_hx.billing import identity
from zaao_hx.imports.store import PostgresStore
from zaao_hx.imports.worker import END


def test_the_snapshot_becomes_the_read_model(base_loaded):
    url = base_loaded
    assert counts(url) == {
        "customer": 3, "contract": 3, "site": 3, "container": 3, "collection_exception": 2,
        "invoice": 4, "invoice_line": 5, "payment": 4,
    }
    snapshot = latest_snapshot(url)
    assert snapshot["outcome"] in {"imported", "unchanged"}
    imported = query(url, "SELECT counts, source, as_of, next_refresh FROM snapshot "
                          "WHERE outcome = 'imported' ORDER BY id DESC LIMIT 1")[0]
    assert json.loads(imported[0])["invoice_lines"] == 5
    assert imported[1] == "t"


def test_serial_ids_number_the_rows_and_go_on_from_there(base_loaded):
    url = base_loaded
    for table, column, rows in (("invoice_line", "id", 5), ("collection_exception", "id", 2),
                                ("invoice", "seq", 4)):
        assert [r[0] for r in query(url, f"SELECT {column} FROM {table} ORDER BY {column}")] \
            == list(range(1, rows + 1))
        if TEST_DATABASE == "postgres":  # a row added later gets the next number
            assert query(url, f"SELECT last_value, is_called FROM {table}_{column}_seq") == \
                [(rows + 1, False)]
    # in the file's order
    assert query(url, "SELECT invoice_no FROM invoice ORDER BY seq") == [
        ("M1",), ("M2",), ("I1",), ("Q1",)]


def test_each_line_keeps_its_invoice_past_rows_set_aside(import_db, base_dir, tmp_path):
    # an invoice's seq is its place among the rows written: an empty line (a warning)
    # before the others must not move the lines onto the invoice before theirs
    url = import_db
    gap = write_snapshot(tmp_path / "gap", replace_in(
        "invoices.csv", "\nM2,", "\n\nM2,"))
    try:
        result = do_import(url, gap)
        assert result.outcome == "imported", result.report.listing() or result.message
        assert result.report.warning_count == 1
        assert query(url, f"SELECT i.invoice_no, l.line_no, l.net_cents FROM {LINES} "
                          "ORDER BY l.id") == [
            ("M1", 1, 1560), ("M2", 1, 2340), ("I1", 1, 9200), ("I1", 2, 920), ("Q1", 1, 10)]
    finally:  # (the BASE snapshot again, for the tests after this one)
        assert do_import(url, base_dir, force=True).outcome == "imported"


def test_a_line_added_later_gets_the_next_number_and_an_import_numbers_afresh(
        base_loaded, base_dir):
    url = base_loaded
    if TEST_DATABASE == "sqlite":  # (numbered by the import, then by a trigger)
        # (their rows lost: an import remakes them)
        execute(url, "DELETE FROM invoice_line_next_id", "DELETE FROM invoice_next_id")
        assert do_import(url, base_dir, force=True).outcome == "imported"
        assert query(url, "SELECT id FROM invoice_line_next_id") == [(6,)]
        assert query(url, "SELECT id FROM invoice_next_id") == [(5,)]
    # an invoice and a line added as Piccolo adds them, id and seq left to the database
    leave_it = "NULL" if TEST_DATABASE == "sqlite" else "DEFAULT"
    try:
        execute(url, "INSERT INTO invoice (invoice_no, contract_no, seq, kind, issue_date, "
                "due_date, period_start, period_end, net_cents, vat_cents, total_cents) VALUES "
                f"('N1', '10-1', {leave_it}, 'invoice', '2026-11-03', '2026-11-17', "
                "'2026-10-01', '2026-10-31', 1, 0, 1)")
        execute(url, "INSERT INTO invoice_line (id, invoice_seq, line_no, description, "
                "quantity, unit, unit_price_cents, vat_rate, net_cents) VALUES "
                f"({leave_it}, (SELECT seq FROM invoice WHERE invoice_no = 'M1'), 9, 'x', '1', "
                "'gab.', 1, '21', 1)")
        added = query(url, f"SELECT l.id FROM {LINES} WHERE i.invoice_no = 'M1' AND "
                           "l.line_no = 9")
        new_invoice = query(url, "SELECT seq FROM invoice WHERE invoice_no = 'N1'")
    finally:  # (the BASE snapshot again, for the tests after this one)
        again = do_import(url, base_dir, force=True)
    assert added == [(6,)]
    assert new_invoice == [(5,)]
    assert again.outcome == "imported"
    assert [r[0] for r in query(url, "SELECT id FROM invoice_line ORDER BY id")] == [1, 2, 3, 4, 5]
    assert [r[0] for r in query(url, "SELECT seq FROM invoice ORDER BY seq")] == [1, 2, 3, 4]
    ordered = query(url, f"SELECT i.invoice_no, l.line_no FROM {LINES} ORDER BY l.id")
    in_file = [tuple(line.split(",")[:2]) for line in BASE["invoice_lines.csv"].splitlines()[1:]]
    assert [(no, str(line)) for no, line in ordered] == in_file


def test_money_is_exact_integer_cents(base_loaded):
    url = base_loaded
    invoices = {r[0]: r[1:] for r in query(
        url, "SELECT invoice_no, net_cents, vat_cents, total_cents FROM invoice")}
    assert invoices["M1"] == (1560, 328, 1888)
    assert invoices["Q1"] == (10, 2, 12)  # "0.1" is 10 cents
    assert invoices["I1"] == (10120, 2125, 12245)
    assert query(url, "SELECT amount_cents FROM payment WHERE payment_id = 'P4'") == [(-500,)]
    # every amount of every file, against Decimal arithmetic on the CSV text
    for line in BASE["invoice_lines.csv"].splitlines()[1:]:
        invoice_no, line_no, *_rest = line.split(",")
        net = line.rsplit(",", 1)[1]
        stored = query(url, f"SELECT l.net_cents FROM {LINES} WHERE i.invoice_no = $1 AND "
                            f"l.line_no = {int(line_no)}", invoice_no)
        assert stored == [(int(Decimal(net) * 100),)]
    types = query(url, "SELECT net_cents, total_cents FROM invoice")
    assert all(isinstance(v, int) for row in types for v in row)


def test_rows_keep_their_values(base_loaded):
    url = base_loaded
    assert query(url, "SELECT name, kind, reg_no, vat_no, phone, email, address FROM customer "
                      "WHERE customer_id = 'C2'") == [
        ('SIA "Koks"', "legal", "40103271696", "LV40103271696", "", "koks@example.com",
         "Dārza iela 2, Cēsis"),
    ]
    # empty optional values: NULL where the column may be NULL, "" where it may not
    assert query(url, "SELECT reg_no, vat_no, phone, email, address FROM customer "
                      "WHERE customer_id = 'C3'") == [(None, None, "", "", "")]
    end_dates = dict(query(url, "SELECT contract_no, end_date FROM contract"))
    assert end_dates["10-1"] is None and str(end_dates["10-3"]) == "2027-06-30"
    assert query(url, "SELECT invoice_no, reference FROM payment WHERE payment_id = 'P4'") == [
        (None, "refund")]
    assert query(url, "SELECT rrule, volume_l, count FROM container WHERE container_id = 'K2'"
                 ) == [("FREQ=WEEKLY;BYDAY=MO", 1100, 2)]
    exceptions = query(url, "SELECT date, moved_to, waste_type, municipality, reason "
                            "FROM collection_exception ORDER BY date")
    assert [tuple(str(v) if v is not None else None for v in r) for r in exceptions] == [
        ("2026-06-24", "2026-06-25", None, None, "Jāņu diena"),
        ("2026-11-18", None, "pko_bag", "Valmieras novads",
         "Latvijas Republikas Proklamēšanas diena"),
    ]
    lines = query(url, "SELECT l.description, l.quantity, l.unit, l.unit_price_cents, "
                       f"l.vat_rate FROM {LINES} WHERE i.invoice_no = 'I1' ORDER BY l.line_no")
    assert lines == [("Šķiroto atkritumu izvešana, 1100 l × 2", "8", "reizes", 1150, "21"),
                     ("Konteinera noma", "1", "mēn.", 920, "21")]


def test_personal_codes_are_only_hashed_and_masked(base_loaded):
    url = base_loaded
    stored = dict(query(url, "SELECT customer_id, personal_code_hash FROM customer"))
    assert stored["C1"] == identity.hash_code(SECRET, "140378-12342")
    assert stored["C3"] == identity.hash_code(SECRET, "16117519997")
    assert stored["C2"] is None
    masked = dict(query(url, "SELECT customer_id, personal_code_masked FROM customer"))
    assert masked == {"C1": "******-***42", "C2": "", "C3": "******-***97"}
    # the plain code is nowhere: no text column of any table holds it, in either spelling
    needles = {c for code in PLAIN_CODES for c in (code, identity.normalize_code(code))}
    for table in [*READ_MODEL_TABLES, "snapshot"]:
        for row in query(url, f'SELECT * FROM "{table}"'):  # noqa: S608
            for value in row:
                if isinstance(value, str):
                    assert not any(n in value for n in needles), (table, value)


def test_a_bad_check_digit_is_only_a_warning(import_db, tmp_path):
    changes = {
        **replace_in("customers.csv", "140378-12342", "140378-12343"),
    }
    changes["customers.csv"] = changes["customers.csv"].replace("40103271696,LV", "40103271697,LV")
    result = do_import(import_db, write_snapshot(tmp_path / "s", changes))
    assert result.outcome == "imported", result.report.listing()
    assert result.report.error_count == 0
    assert result.report.warning_count == 2
    text = "\n".join(messages(result.report))
    assert ("customers.csv, line 2, column personal_code: ******-***43: its check digit is "
            "wrong") in text
    assert "customers.csv, line 3, column reg_no: '40103271697': its check digit is wrong" in text
    assert "140378-12343" not in text  # the report is stored: never the plain code
    assert query(import_db, "SELECT personal_code_masked FROM customer WHERE customer_id = 'C1'"
                 ) == [("******-***43",)]
    assert "nepareizs kontrolcipars" in latest_snapshot(import_db)["report"]  # (in Latvian)


def test_an_impossible_birth_date_is_a_warning_too(import_db, tmp_path):
    result = do_import(import_db, write_snapshot(
        tmp_path / "s", replace_in("customers.csv", "161175-19997", "311375-19997")))
    assert result.outcome == "imported"
    assert any("birth date" in m for m in messages(result.report))


def test_a_snapshot_with_a_byte_order_mark_and_other_column_order(import_db, tmp_path):
    header, *rows = BASE["sites.csv"].strip().split("\n")
    reordered = "\ufeffmunicipality,address,site_id,contract_no\n" + "\n".join(
        ",".join([r.rsplit(",", 1)[1], r.split(",", 2)[2].rsplit(",", 1)[0], *r.split(",")[:2]])
        for r in rows
    ) + "\n"
    result = do_import(import_db, write_snapshot(tmp_path / "s", {"sites.csv": reordered}))
    assert result.outcome == "imported", result.report.listing()
    assert query(import_db, "SELECT address, municipality FROM site WHERE site_id = 'S2'") == [
        ("Dārza iela 2, Cēsis", "Cēsu novads")]


def test_a_generated_snapshot_imports_whole(import_db, generated):
    result = do_import(import_db, generated)
    assert result.outcome == "imported", result.report.listing()
    assert result.report.error_count == result.report.warning_count == 0
    got = counts(import_db)
    for name, n in result.report.counts.items():
        table = name.removesuffix(".csv").removesuffix("s")  # invoice_lines.csv: invoice_line
        assert got[table] == n
        expected = sum(1 for _ in open(generated / name, encoding="utf-8")) - 1
        assert n == expected


def test_each_tables_rows_end_with_an_end_before_the_next_tables_rows(tmp_path):
    # what lets the importing process build a table as soon as its rows are in, the last
    # one's while the checking process still checks (payment ids, once, at the end)
    from zaao_hx.imports.format import FILES
    from zaao_hx.imports.worker import Worker

    worker = Worker(write_snapshot(tmp_path / "snapshot", {}), SECRET, keyed_tails=True)
    try:
        seen = [(m[0], m[1]) for m in worker.messages() if m[0] != "progress"]
    finally:
        worker.stop()
    assert worker.result is not None and worker.result.report.ok
    ends = [table for kind, table in seen if kind == "end"]
    assert ends == [spec.table for spec in FILES]  # (each file's, those without rows too)
    for i, (kind, table) in enumerate(seen):
        if kind != "end":  # a table's rows come before its end, none after
            assert ("end", table) in seen[i + 1:]
            assert ("end", table) not in seen[:i]


def test_on_postgresql_the_last_table_is_built_when_its_rows_end_not_when_the_checking_does(
        postgres_import_db, monkeypatch):
    events: list[str] = []
    original = PostgresStore._build

    async def recording(self, table: str) -> None:
        workers = await self.conn.fetchval("SHOW max_parallel_maintenance_workers")
        events.append(f"build {table} {workers}")
        await original(self, table)

    monkeypatch.setattr(PostgresStore, "_build", recording)

    async def frames():
        yield "contract", [("10-1", "C1", "2015-03-01", None, "paper", "monthly")]
        yield "contract", END
        yield "payment", [("P1", "10-1", None, "2026-10-20", 1888, "SEB", None)]
        yield "payment", END
        events.append("the checking process's end")  # (asked for after the END only)

    async def nothing(store) -> None:
        return None

    load_and_look(postgres_import_db, frames, nothing)
    default = [e for e in events if e.startswith("build payment")][0].split()[-1]
    assert default != "0"
    assert events[:3] == ["build contract 0", f"build payment {default}",
                          "the checking process's end"]


def test_on_postgresql_only_the_last_tables_build_has_parallel_workers(postgres_import_db,
                                                                      monkeypatch):
    # the builds before run beside the checking process (one core each); the last one is
    # what the import waits for, with the server's workers
    seen: list[tuple[str, str]] = []
    original = PostgresStore._build

    async def recording(self, table: str) -> None:
        seen.append((table, await self.conn.fetchval("SHOW max_parallel_maintenance_workers")))
        await original(self, table)

    monkeypatch.setattr(PostgresStore, "_build", recording)

    async def frames():  # (each table's rows and its END, as the checking process sends)
        yield "contract", [("10-1", "C1", "2015-03-01", None, "paper", "monthly")]
        yield "contract", END
        yield "invoice", [("M1", "10-1", "statement", "2026-10-02", "2026-10-31",
                           "2026-09-01", "2026-09-30", 1560, 328, 1888)]
        yield "invoice", END
        yield "payment", [("P1", "10-1", "M1", "2026-10-20", 1888, "SEB", None)]
        yield "payment", END

    async def server_setting(store) -> str:  # (what the session has outside SET LOCAL)
        return await store.conn.fetchval(
            "SELECT reset_val FROM pg_settings WHERE name = 'max_parallel_maintenance_workers'")

    default = load_and_look(postgres_import_db, frames, server_setting)
    assert default != "0"  # (else the test tells nothing)
    assert seen[:3] == [("contract", "0"), ("invoice", "0"), ("payment", default)]
    assert {table for table, _ in seen} == set(READ_MODEL_TABLES)  # (the empty ones too)


def test_on_postgresql_the_new_tables_come_with_planner_statistics(postgres_import_db,
                                                                   generated):
    # ANALYZE in the import's transaction: the planner knows each new table's rows and
    # columns from the first query on; sampled at statistics target 10, not the default
    # 100 (~1 s less for 100,000 customers), which keeps a histogram to 11 bounds
    url = postgres_import_db
    result = do_import(url, generated, force=True)
    assert result.outcome == "imported", result.report.listing()
    got = counts(url)
    analyzed = dict(query(url, "SELECT relname, reltuples::bigint FROM pg_class "
                               "WHERE relname = ANY($1) AND relkind = 'r'", READ_MODEL_TABLES))
    assert analyzed == got  # (-1 for a table never analyzed)
    described = {t for (t,) in query(url, "SELECT DISTINCT tablename::text FROM pg_stats "
                                          "WHERE tablename = ANY($1)", READ_MODEL_TABLES)}
    assert described == {t for t, n in got.items() if n}
    widest = dict(query(url, "SELECT attname::text, array_length(histogram_bounds, 1) "
                             "FROM pg_stats WHERE tablename = 'invoice' AND histogram_bounds "
                             "IS NOT NULL"))
    assert got["invoice"] > 3000 and widest["contract_no"] == 11, widest
