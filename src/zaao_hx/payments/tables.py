"""Payment attempts: what the portal saw of a payment before the billing system confirms it."""

from piccolo.columns import JSON, BigInt, Serial, Timestamptz, Varchar
from piccolo.table import Table


class PaymentAttempt(Table, tablename="payment_attempt"):
    id = Serial(primary_key=True)
    stamp = Varchar(length=40, unique=True)  # our VK_STAMP: the bank's answers are keyed by it
    contract_no = Varchar(length=40, index=True)
    invoice_no = Varchar(length=40, null=True, default=None)
    provider = Varchar(length=20)
    amount_cents = BigInt()
    reference = Varchar(length=100, default="")
    status = Varchar(length=12, default="started")  # started / pending / cancelled / confirmed
    created_at = Timestamptz()
    updated_at = Timestamptz()
    bank_answer = JSON(default="{}")


TABLES = [PaymentAttempt]
