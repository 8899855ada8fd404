"""The one Piccolo app: every area's tables, migrations in the top-level `migrations/`."""

from piccolo.conf.apps import AppConfig

from zaao_hx.db import ALL_TABLES, MIGRATIONS_DIR

APP_CONFIG = AppConfig(
    app_name="zaao",
    migrations_folder_path=str(MIGRATIONS_DIR),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
