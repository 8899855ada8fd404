"""SQLite: invoice lines are kept in the order of their key (invoice_no, line_no), WITHOUT
ROWID, as PostgreSQL has that key as the primary key since 2026-12-04T04:30.

A line was a row numbered by its rowid (`id`) and, beside it, an entry of the unique
(invoice_no, line_no) index: two B-trees of 3 M entries for a 100,000-customer snapshot,
each kept up to date as the import writes.  Now the table is that key's B-tree: the
lines of an invoice, which is how they are read, lie together, and an import writes one
B-tree instead of two (100,000 customers: ~3 % less time; a new file 640 MB instead of
696 MB, an existing one keeps the old table's pages free for the next import's use).

`id` stays a column numbering the lines: the import numbers them in the file's order
(as on PostgreSQL); a line added one at a time (the demo's, through Piccolo, which leaves
`id` to the database) gets the next number from `invoice_line_next_id` by a trigger — a
WITHOUT ROWID table numbers nothing itself.  PostgreSQL is left as it is."""

from piccolo.engine.sqlite import SQLiteEngine

from zaao_hx.db import sql_migration

ID = "2026-12-04T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invoice_line WITHOUT ROWID, keyed by (invoice_no, line_no) (SQLite)"

COLUMNS = (
    '"invoice_no" VARCHAR(40) NOT NULL DEFAULT \'\', "line_no" INTEGER NOT NULL DEFAULT 0, '
    '"description" VARCHAR(300) NOT NULL DEFAULT \'\', '
    '"quantity" VARCHAR(20) NOT NULL DEFAULT \'\', "unit" VARCHAR(20) NOT NULL DEFAULT \'\', '
    '"unit_price_cents" INTEGER NOT NULL DEFAULT 0, '
    '"vat_rate" VARCHAR(8) NOT NULL DEFAULT \'\', "net_cents" INTEGER NOT NULL DEFAULT 0'
)
NAMES = ("id, invoice_no, line_no, description, quantity, unit, unit_price_cents, vat_rate, "
         "net_cents")

FORWARDS = (
    # (`id` may be NULL for the moment between a line's insert and the trigger below)
    f'CREATE TABLE "invoice_line__keyed" ("id" INTEGER, {COLUMNS}, '
    'PRIMARY KEY ("invoice_no", "line_no")) WITHOUT ROWID',
    f"INSERT INTO invoice_line__keyed ({NAMES}) SELECT {NAMES} FROM invoice_line",  # noqa: S608
    "DROP TABLE invoice_line",  # (and its unique index: the key now)
    "ALTER TABLE invoice_line__keyed RENAME TO invoice_line",
    'CREATE TABLE "invoice_line_next_id" ("id" INTEGER NOT NULL)',
    "INSERT INTO invoice_line_next_id SELECT coalesce(max(id), 0) + 1 FROM invoice_line",
    "CREATE TRIGGER invoice_line_numbered AFTER INSERT ON invoice_line "
    "WHEN NEW.id IS NULL BEGIN "
    "UPDATE invoice_line SET id = (SELECT id FROM invoice_line_next_id) "
    "WHERE invoice_no = NEW.invoice_no AND line_no = NEW.line_no; "
    "UPDATE invoice_line_next_id SET id = id + 1; "
    "END",
)
BACKWARDS = (
    "DROP TRIGGER invoice_line_numbered",
    "DROP TABLE invoice_line_next_id",
    f'CREATE TABLE "invoice_line__rowid" ("id" INTEGER PRIMARY KEY NOT NULL, {COLUMNS})',
    f"INSERT INTO invoice_line__rowid ({NAMES}) SELECT {NAMES} FROM invoice_line",  # noqa: S608
    "DROP TABLE invoice_line",
    "ALTER TABLE invoice_line__rowid RENAME TO invoice_line",
    "CREATE UNIQUE INDEX invoice_line_invoice_no_line_no ON invoice_line (invoice_no, line_no)",
)


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQLiteEngine, FORWARDS, BACKWARDS)
