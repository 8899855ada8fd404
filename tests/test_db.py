"""The schema: migrations match the tables, apply twice without harm, on both databases."""

from __future__ import annotations

import asyncio

from piccolo.apps.migrations.commands.new import AutoMigrationManager

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
