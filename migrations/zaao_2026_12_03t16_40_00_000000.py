from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-03T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment: drop the index on invoice_no (an invoice's payments are looked up within its contract, by the contract_no index)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="zaao", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Payment",
        tablename="payment",
        column_name="invoice_no",
        db_column_name="invoice_no",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
