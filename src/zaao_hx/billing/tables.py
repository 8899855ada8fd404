"""The read model imported from the billing system's snapshot.

The billing system is the source of truth: every row here is replaced by the next
snapshot.  Keys are the billing system's own (`contract_no`, `invoice_no`…); rows refer
to each other by those keys, checked by the import, so that a snapshot can be swapped in
one transaction — but for invoice lines, which refer to their invoice by its `seq` (a number
the read model gives it).  Money is integer cents; personal codes are kept only as keyed
hashes.
"""

from piccolo.columns import JSON, BigInt, Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class Snapshot(Table, tablename="snapshot"):
    """One import of the billing snapshot: its manifest and how the import went."""

    id = Serial(primary_key=True)
    as_of = Timestamptz()
    next_refresh = Date()
    source = Varchar(length=200, default="")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    # running / imported / unchanged / rejected / failed / interrupted (asked to stop)
    outcome = Varchar(length=20, default="running")
    counts = JSON(default="{}")
    report = Text(default="")
    content_hash = Varchar(length=64, default="", index=True)


class Customer(Table, tablename="customer"):
    customer_id = Varchar(length=40, primary_key=True)
    kind = Varchar(length=10)  # private / legal
    name = Varchar(length=300)
    personal_code_hash = Varchar(length=64, null=True, default=None, index=True)
    personal_code_masked = Varchar(length=20, default="")
    reg_no = Varchar(length=20, null=True, default=None, index=True)
    vat_no = Varchar(length=20, null=True, default=None)
    phone = Varchar(length=40, default="")
    email = Varchar(length=200, default="")
    address = Varchar(length=300, default="")


class Contract(Table, tablename="contract"):
    contract_no = Varchar(length=40, primary_key=True)
    customer_id = Varchar(length=40, index=True)
    start_date = Date()
    end_date = Date(null=True, default=None)
    delivery = Varchar(length=10)  # paper / email / einvoice
    cycle = Varchar(length=10)  # monthly / quarterly / annual


class Site(Table, tablename="site"):
    site_id = Varchar(length=40, primary_key=True)
    contract_no = Varchar(length=40, index=True)
    address = Varchar(length=300)
    municipality = Varchar(length=100)


class Container(Table, tablename="container"):
    container_id = Varchar(length=40, primary_key=True)
    site_id = Varchar(length=40, index=True)
    waste_type = Varchar(length=10)  # mixed / sorted / bio / glass / pko_bag / bulky
    volume_l = Integer()
    count = Integer(default=1)
    rrule = Varchar(length=300)
    dtstart = Date()
    until = Date(null=True, default=None)


class CollectionException(Table, tablename="collection_exception"):
    id = Serial(primary_key=True)
    date = Date(index=True)
    moved_to = Date(null=True, default=None)
    waste_type = Varchar(length=10, null=True, default=None)
    municipality = Varchar(length=100, null=True, default=None)
    reason = Varchar(length=300, default="")


class Invoice(Table, tablename="invoice"):
    invoice_no = Varchar(length=40, primary_key=True)
    contract_no = Varchar(length=40, index=True)
    # The invoice's number within the read model: its lines' key (InvoiceLine.invoice_seq).
    # An import numbers the invoices in the file's order, from 1; one added later gets the
    # next number (PostgreSQL: its sequence; SQLite: a trigger, after the insert).  It
    # changes with each import: nothing the portal keeps refers to it, pages go from the
    # invoice's number to its row, and from the row to its lines.
    seq = Serial()
    kind = Varchar(length=10)  # invoice / statement
    issue_date = Date()
    due_date = Date()
    period_start = Date()
    period_end = Date()
    net_cents = BigInt()
    vat_cents = BigInt()
    total_cents = BigInt()


class InvoiceLine(Table, tablename="invoice_line"):
    id = Serial(primary_key=True)
    # An invoice's lines are read by its `seq`: the key (invoice_seq, line_no) is made by
    # the migrations (Piccolo knows one primary key column): on PostgreSQL the primary
    # key, on SQLite the order of a WITHOUT ROWID table.  An integer key, in the order the
    # lines come in, is built in a third of the time of one on the invoice's number (text,
    # month first in a statement's `M<MMYYYY>-<contract>`: not the files' order).
    invoice_seq = Integer()
    line_no = Integer()
    description = Varchar(length=300)
    quantity = Varchar(length=20)  # a decimal string, exact as exported
    unit = Varchar(length=20)
    unit_price_cents = BigInt()
    vat_rate = Varchar(length=8)  # percent as a decimal string, e.g. "21"
    net_cents = BigInt()
    # `id` is a plain column numbering the lines in the file's order, with no index (one
    # more for an import to build); a line added later gets the next number (PostgreSQL:
    # its sequence; SQLite: a trigger, after the insert, so that Piccolo's insert on
    # SQLite hands back id None: read a line back by its key).


class Payment(Table, tablename="payment"):
    payment_id = Varchar(length=40, primary_key=True)
    contract_no = Varchar(length=40, index=True)
    # no index of its own: an invoice's payments are looked up within its contract (the
    # portal shows a contract's invoices), and each index on 1 M payments costs the import
    invoice_no = Varchar(length=40, null=True, default=None)
    paid_on = Date()
    amount_cents = BigInt()
    channel = Varchar(length=40)
    reference = Varchar(length=100, null=True, default=None)


READ_MODEL = [
    Customer,
    Contract,
    Site,
    Container,
    CollectionException,
    Invoice,
    InvoiceLine,
    Payment,
]
TABLES = [Snapshot, *READ_MODEL]
