"""PostgreSQL: an invoice line's primary key is (invoice_no, line_no), its `id` a column.

Lines are only ever looked up by their invoice, through the unique (invoice_no, line_no)
index; the primary key on `id` was a second index of 3 M entries that nothing reads, and
an import of 100,000 customers built it anew each time (~1.3 s of the server's time at
the end of the import). The unique index becomes the primary key; `id` keeps numbering
the lines in the file's order. On SQLite `id` was the rowid (no index of its own), so it was
left as it is (until the migration of 2026-12-04T13:00 keyed SQLite's lines too)."""

from piccolo.engine.postgres import PostgresEngine

from zaao_hx.db import sql_migration

ID = "2026-12-04T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invoice_line: primary key (invoice_no, line_no) on PostgreSQL"

FORWARDS = (
    "ALTER TABLE invoice_line DROP CONSTRAINT invoice_line_pkey",
    "ALTER TABLE invoice_line ADD CONSTRAINT invoice_line_pkey PRIMARY KEY "
    "USING INDEX invoice_line_invoice_no_line_no",
)
BACKWARDS = (
    "ALTER TABLE invoice_line DROP CONSTRAINT invoice_line_pkey",
    "ALTER TABLE invoice_line ADD CONSTRAINT invoice_line_pkey PRIMARY KEY (id)",
    "CREATE UNIQUE INDEX invoice_line_invoice_no_line_no ON invoice_line (invoice_no, line_no)",
)


async def forwards():
    return sql_migration(ID, DESCRIPTION, PostgresEngine, FORWARDS, BACKWARDS)
