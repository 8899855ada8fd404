from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-29T09:48:58:824886"
VERSION = "1.38.0"
DESCRIPTION = "invoice_line: drop the index on invoice_no alone (the unique (invoice_no, line_no) one covers it)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="zaao", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="InvoiceLine",
        tablename="invoice_line",
        column_name="invoice_no",
        db_column_name="invoice_no",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
