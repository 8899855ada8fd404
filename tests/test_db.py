"""The schema: migrations match the tables, apply twice without harm, on both databases."""

from __future__ import annotations

import asyncio

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from tests.conftest import migrate_to
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

    run("all")
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
