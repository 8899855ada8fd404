"""The database: an engine from ZAAO_DATABASE_URL, the tables of every area, migrations.

Piccolo finds its engine through a `piccolo_conf` module and each table's `_meta.db`;
`bind()` points both at one engine, so one process talks to one database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from zaao_hx.accounts import tables as accounts_tables
from zaao_hx.billing import tables as billing_tables
from zaao_hx.collections import tables as collections_tables
from zaao_hx.mail import tables as mail_tables
from zaao_hx.payments import tables as payments_tables

PICCOLO_CONF = "zaao_hx.piccolo_conf"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# SQLite's page size for a new database file.  The read model is written in bulk, millions
# of rows at a time: with 32 KB pages an import makes an eighth of the B-tree pages,
# write-ahead log frames and checkpoint copies of SQLite's default 4 KB (100,000
# customers: ~15 % less time, bench/README.md); a key look-up still reads 3-4 pages.
SQLITE_PAGE_SIZE = 32768

ALL_TABLES: list[type[Table]] = [
    *billing_tables.TABLES,
    *accounts_tables.TABLES,
    *mail_tables.TABLES,
    *payments_tables.TABLES,
    *collections_tables.TABLES,
]


class DatabaseUrlError(ValueError):
    pass


def engine_from_url(url: str) -> Engine:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = Path(url[len("sqlite:///") :])
        if not str(path) or str(path) == ".":
            raise DatabaseUrlError(f"no file in database URL {url!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # A busy writer makes others wait instead of failing at once.
        return SQLiteEngine(path=str(path), timeout=30)
    if parts.scheme in {"postgresql", "postgres"}:
        return PostgresEngine(config={"dsn": url}, extensions=())
    raise DatabaseUrlError(f"unsupported database URL {url!r} (sqlite:/// or postgresql://)")


def bind(engine: Engine) -> None:
    """Point every table, Piccolo's own migration table and `piccolo_conf` at `engine`."""
    from zaao_hx import piccolo_conf

    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    piccolo_conf.DB = engine
    for table in [*ALL_TABLES, Migration]:
        table._meta.db = engine


class MigrationFailed(RuntimeError):
    """A migration failed on a database that could be reached."""


async def migrate(engine: Engine, starting: Callable[[int], None] | None = None
                  ) -> tuple[int, int]:
    """Apply every migration in `migrations/` that has not run yet (idempotent); the
    number of migrations applied before and after.  `starting`: told how many are about
    to be applied, when some are."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    bind(engine)
    if isinstance(engine, SQLiteEngine):
        _prepare_sqlite(engine.path)
    before = await _migrations_applied()
    pending = len(list(MIGRATIONS_DIR.glob("zaao_*.py"))) - before
    if pending > 0 and starting is not None:
        starting(pending)
    try:
        result = await run_forwards(app_name="zaao", migration_id="all")
    except Exception as exc:
        raise MigrationFailed(f"{type(exc).__name__}: {exc}") from exc
    if not result.success:
        raise MigrationFailed(result.message)
    return before, await _migrations_applied()


def _prepare_sqlite(path: str) -> None:
    """A new file gets SQLITE_PAGE_SIZE (an existing one keeps its own: changing it takes a
    VACUUM outside WAL mode), and WAL, which lets readers go on while the import or the
    worker writes (kept by the file).  One connection: the page size is fixed by the first
    write, which `journal_mode` is."""
    conn = sqlite3.connect(path, timeout=30)  # (as the engine waits for a lock)
    try:
        conn.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def sql_migration(migration_id: str, description: str, engine: type[Engine],
                  forwards: Sequence[str], backwards: Sequence[str]):
    """A migration of SQL statements that only one kind of database needs (`engine`:
    SQLiteEngine or PostgresEngine); the other is left as it is."""
    return schema_migration(migration_id, description, {engine: (forwards, backwards)})


def schema_migration(migration_id: str, description: str,
                     statements: dict[type[Engine], tuple[Sequence[str], Sequence[str]]],
                     declare: Callable | None = None):
    """A migration of SQL statements, each kind of database its own (`statements`: engine
    class → (forwards, backwards); one not named is left as it is).  `declare(manager)`
    tells Piccolo what changed in the tables' columns (`add_column`, `drop_column`…), for
    its picture of the schema that `piccolo migrations new --auto` compares the tables
    with; those are made by the SQL, not by Piccolo (whose order — its own changes after
    the SQL — would not let a column be filled from one that goes)."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    class Declared(MigrationManager):
        async def _run_add_columns(self, backwards: bool = False) -> None:
            pass

        async def _run_drop_columns(self, backwards: bool = False) -> None:
            pass

    async def run(direction: int) -> None:
        db = Migration._meta.db
        for engine, sql in statements.items():
            if isinstance(db, engine):
                for statement in sql[direction]:
                    await db.run_ddl(statement)

    async def forward() -> None:
        await run(0)

    async def back() -> None:
        await run(1)

    manager = Declared(migration_id=migration_id, app_name="zaao", description=description)
    if declare is not None:
        declare(manager)
    manager.add_raw(forward)
    manager.add_raw_backwards(back)
    return manager


async def _migrations_applied() -> int:
    if not await Migration.table_exists():
        return 0
    return await Migration.count().where(Migration.app_name == "zaao")


def write_transaction(engine: Engine | None = None):
    """A transaction for read-then-write: on SQLite it takes the write lock at BEGIN
    (IMMEDIATE), so two writers cannot both read the old value.

    By default on the engine the tables are bound to now: queries run on a table's own
    engine, so a transaction on any other engine object would not be theirs."""
    engine = engine or Migration._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def ping(engine: Engine) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True
