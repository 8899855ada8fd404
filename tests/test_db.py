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
