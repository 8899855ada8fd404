"""The schema: migrations match the tables, apply twice without harm, on both databases."""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from collections.abc import Iterator

import asyncpg
import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from tests.conftest import POSTGRES_URL, TEST_DATABASE, migrate_to, postgres_admin
from zaao_hx.db import ALL_TABLES, engine_from_url, migrate
from zaao_hx.piccolo_app import APP_CONFIG


def test_migrations_describe_exactly_the_tables():
    statements = asyncio.run(AutoMigrationManager().get_alter_statements(APP_CONFIG))
    pending = [s for group in statements for s in group.statements]
    assert pending == [], "run: piccolo migrations new zaao --auto (against PostgreSQL)"


def test_migrate_is_idempotent_and_creates_every_table(migrated):
    engine = engine_from_url(migrated.database_url)
    asyncio.run(migrate(engine))  # a second time: nothing to do, no error
    for table in ALL_TABLES:
        assert asyncio.run(table.table_exists().run()), table._meta.tablename


def test_money_columns_are_integers():
    from piccolo.columns import BigInt, Integer

    for table in ALL_TABLES:
        for column in table._meta.columns:
            name = column._meta.name
            if name.endswith("_cents"):
                assert isinstance(column, (Integer, BigInt)), f"{table.__name__}.{name}"


def test_no_plain_personal_code_column():
    from zaao_hx.billing.tables import Customer

    names = {c._meta.name for c in Customer._meta.columns}
    assert "personal_code" not in names and "personal_code_hash" in names


def test_a_new_sqlite_file_gets_the_bulk_page_size_and_an_old_one_keeps_its_own(tmp_path):
    import sqlite3

    from zaao_hx.db import SQLITE_PAGE_SIZE, _prepare_sqlite

    def pragmas(path):
        conn = sqlite3.connect(path)
        try:
            return (conn.execute("PRAGMA page_size").fetchone()[0],
                    conn.execute("PRAGMA journal_mode").fetchone()[0])
        finally:
            conn.close()

    new = tmp_path / "new.sqlite3"
    _prepare_sqlite(str(new))
    assert pragmas(new) == (SQLITE_PAGE_SIZE, "wal")
    assert SQLITE_PAGE_SIZE != 4096  # (else the test below tells nothing)

    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    _prepare_sqlite(str(old))
    assert pragmas(old) == (4096, "wal")
    conn = sqlite3.connect(old)
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    conn.close()



def test_zaao_hx_migrate_makes_a_new_sqlite_file_with_the_bulk_page_size(tmp_path):
    import os
    import sqlite3
    import subprocess
    import sys

    from zaao_hx.db import SQLITE_PAGE_SIZE

    db = tmp_path / "fresh.sqlite3"
    # (a process of its own: migrate binds Piccolo's tables to its database)
    subprocess.run([sys.executable, "-m", "zaao_hx.cli", "migrate"], check=True,
                   capture_output=True, timeout=120, env={
                       **os.environ, "ZAAO_DATABASE_URL": f"sqlite:///{db}",
                       "ZAAO_DATA_DIR": str(tmp_path), "ZAAO_SECRET_KEY": "k" * 40})
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE
        assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 0
    finally:
        conn.close()


def test_sqlite_invoice_lines_become_keyed_without_rowid_keeping_every_line(tmp_path):
    import sqlite3

    db = tmp_path / "lines.sqlite3"

    def run(upto: str) -> None:
        migrate_to(f"sqlite:///{db}", upto)

    def sql(statement: str) -> list[tuple]:
        conn = sqlite3.connect(db)
        try:
            with conn:
                return conn.execute(statement).fetchall()
        finally:
            conn.close()

    columns = "invoice_no, line_no, description, quantity, unit, unit_price_cents, vat_rate, " \
              "net_cents"
    lines = [(1, "A-1", 1, "a", "1", "gab.", 100, "21", 100),
             (2, "A-1", 2, "b", "2", "gab.", 50, "21", 100),
             (7, "B-1", 1, "c", "1", "gab.", 5, "21", 5)]
    run("2026-12-04T04:30:00:000000")  # the migration before
    for line in lines:
        sql(f"INSERT INTO invoice_line (id, {columns}) VALUES {line}")
    table = "SELECT sql FROM sqlite_master WHERE name = 'invoice_line'"
    assert "WITHOUT ROWID" not in sql(table)[0][0]

    run("2026-12-04T13:00:00:000000")
    assert sql(table)[0][0].endswith('PRIMARY KEY ("invoice_no", "line_no")) WITHOUT ROWID')
    assert sql(f"SELECT id, {columns} FROM invoice_line ORDER BY id") == lines
    # the key's order is the table's: an invoice's lines are read from it alone
    plan = sql("EXPLAIN QUERY PLAN SELECT * FROM invoice_line WHERE invoice_no = 'A-1' "
               "ORDER BY line_no")
    assert [row[-1] for row in plan] == ["SEARCH invoice_line USING PRIMARY KEY (invoice_no=?)"]
    # a line added with its id left to the database (as Piccolo adds one) gets the next
    sql(f"INSERT INTO invoice_line (id, {columns}) VALUES (NULL, 'B-1', 2, 'd', '1', 'gab.', "
        "1, '21', 1)")
    assert sql("SELECT id FROM invoice_line WHERE invoice_no = 'B-1' AND line_no = 2") == [(8,)]
    assert sql("SELECT id FROM invoice_line_next_id") == [(9,)]
    try:
        sql(f"INSERT INTO invoice_line (id, {columns}) VALUES (9, 'A-1', 2, 'x', '1', 'gab.', "
            "1, '21', 1)")
    except sqlite3.IntegrityError as exc:
        assert "UNIQUE" in str(exc)
    else:
        raise AssertionError("a line's key twice was let in")

    run("back")
    assert "WITHOUT ROWID" not in sql(table)[0][0]
    assert sql(f"SELECT id, {columns} FROM invoice_line ORDER BY id")[:3] == lines
    assert sql("SELECT name FROM sqlite_master WHERE tbl_name = 'invoice_line' AND "
               "type = 'index'") == [("invoice_line_invoice_no_line_no",)]


@pytest.fixture
def scratch_url(tmp_path) -> Iterator[str]:
    """A new, empty database of the kind the suite runs on (dropped afterwards)."""
    if TEST_DATABASE == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"zaao_scratch_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_invoice_lines_become_keyed_by_their_invoices_seq_and_back(scratch_url):
    from tests.imports.conftest import execute, query

    url = scratch_url
    invoice = ("contract_no, kind, issue_date, due_date, period_start, period_end, net_cents, "
               "vat_cents, total_cents")
    rest = "line_no, description, quantity, unit, unit_price_cents, vat_rate, net_cents"
    lines = [(1, "A-1", 1, "a", "1", "gab.", 100, "21", 100),
             (2, "A-1", 2, "b", "2", "gab.", 50, "21", 100),
             (7, "B-1", 1, "c", "1", "gab.", 5, "21", 5)]
    migrate_to(url, "2026-12-04T13:00:00:000000")  # the migration before
    execute(url, *[
        f"INSERT INTO invoice (invoice_no, {invoice}) VALUES ('{no}', '10-1', 'invoice', "
        "'2026-11-03', '2026-11-17', '2026-10-01', '2026-10-31', 1, 0, 1)"
        for no in ("B-1", "A-1")
    ], *[f"INSERT INTO invoice_line (id, invoice_no, {rest}) VALUES {line}" for line in lines],
        # a line of no invoice (an import never leaves one): it cannot be keyed
        f"INSERT INTO invoice_line (id, invoice_no, {rest}) VALUES "
        "(9, 'GONE', 1, 'd', '1', 'gab.', 1, '21', 1)")

    migrate_to(url, "all")
    seqs = dict(query(url, "SELECT invoice_no, seq FROM invoice"))
    assert sorted(seqs.values()) == [1, 2]
    assert query(url, f"SELECT l.id, i.invoice_no, l.{rest.replace(', ', ', l.')} FROM "
                      "invoice_line l JOIN invoice i ON i.seq = l.invoice_seq ORDER BY l.id"
                 ) == lines
    assert query(url, "SELECT count(*) FROM invoice_line") == [(3,)]
    if TEST_DATABASE == "sqlite":
        table = query(url, "SELECT sql FROM sqlite_master WHERE name = 'invoice_line'")[0][0]
        assert table.endswith('PRIMARY KEY ("invoice_seq", "line_no")) WITHOUT ROWID')
        plan = query(url, "EXPLAIN QUERY PLAN SELECT * FROM invoice_line WHERE invoice_seq = 1 "
                          "ORDER BY line_no")
        assert [row[-1] for row in plan] == [
            "SEARCH invoice_line USING PRIMARY KEY (invoice_seq=?)"]
    else:
        assert query(url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'invoice_line'") \
            == [("CREATE UNIQUE INDEX invoice_line_pkey ON public.invoice_line USING btree "
                 "(invoice_seq, line_no)",)]
    # an invoice and a line added with their numbers left to the database get the next
    leave_it = "NULL" if TEST_DATABASE == "sqlite" else "DEFAULT"
    execute(url, f"INSERT INTO invoice (invoice_no, seq, {invoice}) VALUES ('C-1', {leave_it}, "
            "'10-1', 'invoice', '2026-11-03', '2026-11-17', '2026-10-01', '2026-10-31', 1, 0, 1)",
            f"INSERT INTO invoice_line (id, invoice_seq, {rest}) VALUES ({leave_it}, 3, 1, 'e', "
            "'1', 'gab.', 1, '21', 1)")
    assert query(url, "SELECT seq FROM invoice WHERE invoice_no = 'C-1'") == [(3,)]
    # (its id from the lines' own counter, which rows written with ids do not move)
    assert query(url, "SELECT id IS NOT NULL FROM invoice_line WHERE invoice_seq = 3") == [
        (True,)]
    try:  # a line's key twice
        execute(url, f"INSERT INTO invoice_line (id, invoice_seq, {rest}) VALUES (11, 3, 1, 'f', "
                "'1', 'gab.', 1, '21', 1)")
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
        pass
    else:
        raise AssertionError("a line's key twice was let in")

    migrate_to(url, "back")
    assert query(url, f"SELECT invoice_no, {rest} FROM invoice_line ORDER BY invoice_no, "
                      "line_no") == [line[1:] for line in lines] + [
        ("C-1", 1, "e", "1", "gab.", 1, "21", 1)]
    assert query(url, "SELECT id FROM invoice_line WHERE invoice_no != 'C-1' ORDER BY id") == [
        (line[0],) for line in lines]
    columns = {name for (name,) in query(
        url, "SELECT name FROM pragma_table_info('invoice')" if TEST_DATABASE == "sqlite" else
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'invoice'")}
    assert "seq" not in columns and "invoice_no" in columns
