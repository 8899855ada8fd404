"""Composite keys as unique indexes: SQLite cannot add a table constraint later, so the
auto-migration's `add_constraint` is replaced by plain SQL that both databases accept."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration

ID = "2026-11-29T08:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique composite keys"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS invoice_line_invoice_no_line_no "
    "ON invoice_line (invoice_no, line_no)",
    "CREATE UNIQUE INDEX IF NOT EXISTS account_contract_account_contract_no "
    "ON account_contract (account, contract_no)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="zaao", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await Migration._meta.db.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
