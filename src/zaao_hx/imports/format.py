"""The billing snapshot's files and columns, as CONTRACTS.md fixes them.

One place that names them: the reader checks headers against it, the generator writes it,
the benchmark builds its baseline tables from it.  Files are listed in the order they are
read: each refers only to files before it (payments to invoices, lines to invoices…).
"""

from __future__ import annotations

from dataclasses import dataclass

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, int, date, money, enum, rrule
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileSpec:
    name: str  # the file, e.g. "customers.csv"
    table: str  # the read-model table it fills
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, kind: str = "text", required: bool = True, choices: str = "") -> Column:
    return Column(name, kind, required, tuple(choices.split()) if choices else ())


KINDS = "private legal"
DELIVERIES = "paper email einvoice"
CYCLES = "monthly quarterly annual"
WASTE_TYPES = "mixed sorted bio glass pko_bag bulky"
INVOICE_KINDS = "invoice statement"
# the billing system's wording of a collection service on an invoice line, by waste type
# (the demo data and generated snapshots write lines like "Stikla izvešana, 240 l")
WASTE_LINE_TEXT = {
    "mixed": "Sadzīves atkritumu izvešana",
    "sorted": "Šķiroto atkritumu izvešana",
    "bio": "Bioloģisko atkritumu izvešana",
    "glass": "Stikla izvešana",
    "pko_bag": "PKO somu izvešana",
    "bulky": "Lielgabarīta atkritumu izvešana",
}


def choices(text: str) -> tuple[str, ...]:
    return tuple(text.split())

FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "customers.csv",
        "customer",
        (
            _c("customer_id"),
            _c("kind", "enum", choices=KINDS),
            _c("name"),
            _c("personal_code", required=False),
            _c("reg_no", required=False),
            _c("vat_no", required=False),
            _c("phone", required=False),
            _c("email", required=False),
            _c("address", required=False),
        ),
    ),
    FileSpec(
        "contracts.csv",
        "contract",
        (
            _c("contract_no"),
            _c("customer_id"),
            _c("start_date", "date"),
            _c("end_date", "date", required=False),
            _c("delivery", "enum", choices=DELIVERIES),
            _c("cycle", "enum", choices=CYCLES),
        ),
    ),
    FileSpec(
        "sites.csv",
        "site",
        (_c("site_id"), _c("contract_no"), _c("address"), _c("municipality")),
    ),
    FileSpec(
        "containers.csv",
        "container",
        (
            _c("container_id"),
            _c("site_id"),
            _c("waste_type", "enum", choices=WASTE_TYPES),
            _c("volume_l", "int"),
            _c("count", "int"),
            _c("rrule", "rrule"),
            _c("dtstart", "date"),
            _c("until", "date", required=False),
        ),
    ),
    FileSpec(
        "collection_exceptions.csv",
        "collection_exception",
        (
            _c("date", "date"),
            _c("moved_to", "date", required=False),
            _c("waste_type", "enum", required=False, choices=WASTE_TYPES),
            _c("municipality", required=False),
            _c("reason"),
        ),
    ),
    FileSpec(
        "invoices.csv",
        "invoice",
        (
            _c("invoice_no"),
            _c("contract_no"),
            _c("kind", "enum", choices=INVOICE_KINDS),
            _c("issue_date", "date"),
            _c("due_date", "date"),
            _c("period_start", "date"),
            _c("period_end", "date"),
            _c("net", "money"),
            _c("vat", "money"),
            _c("total", "money"),
        ),
    ),
    FileSpec(
        "invoice_lines.csv",
        "invoice_line",
        (
            _c("invoice_no"),
            _c("line_no", "int"),
            _c("description"),
            _c("quantity", "decimal"),
            _c("unit"),
            _c("unit_price", "money"),
            _c("vat_rate", "decimal"),
            _c("net", "money"),
        ),
    ),
    FileSpec(
        "payments.csv",
        "payment",
        (
            _c("payment_id"),
            _c("contract_no"),
            _c("invoice_no", required=False),
            _c("paid_on", "date"),
            _c("amount", "money"),
            _c("channel"),
            _c("reference", required=False),
        ),
    ),
)

BY_NAME = {spec.name: spec for spec in FILES}
