"""PostgreSQL: the read model's key columns compare byte by byte (COLLATE "C").

They hold codes (customer, contract, site, container, invoice and payment numbers, keyed
hashes), never words, so a language's collation gives them nothing: equality is the same,
and "C" lets PostgreSQL sort them with memcmp on abbreviated keys instead of strcoll.
Building the indexes of a 100,000-customer snapshot's import takes ~25-35 % less time.
SQLite compares text byte by byte already (BINARY), so it is left as it is."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = 'read model key columns COLLATE "C" (PostgreSQL)'

KEY_COLUMNS = {
    "customer": ("customer_id", "personal_code_hash", "reg_no"),
    "contract": ("contract_no", "customer_id"),
    "site": ("site_id", "contract_no"),
    "container": ("container_id", "site_id"),
    "invoice": ("invoice_no", "contract_no"),
    "invoice_line": ("invoice_no",),
    "payment": ("payment_id", "contract_no", "invoice_no"),
}


async def _collate(collation: str) -> None:
    db = Migration._meta.db
    if not isinstance(db, PostgresEngine):
        return
    for table, columns in KEY_COLUMNS.items():
        rows = await db.run_ddl(
            "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute "  # noqa: S608
            f"WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        types = {r["attname"]: r["type"] for r in rows}
        changes = ", ".join(
            f'ALTER COLUMN "{column}" TYPE {types[column]} COLLATE {collation}'
            for column in columns
        )
        await db.run_ddl(f'ALTER TABLE "{table}" {changes}')


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="zaao", description=DESCRIPTION)

    async def to_c():
        await _collate('"C"')

    async def back():
        await _collate('"default"')

    manager.add_raw(to_c)
    manager.add_raw_backwards(back)
    return manager
