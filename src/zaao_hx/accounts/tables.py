"""What only the portal knows about people: accounts, their contracts, sessions, audit.

Contracts are referred to by `contract_no` without a foreign key: the read model is
replaced by each snapshot, and nothing here may be deleted along with it.
"""

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Account(Table, tablename="account"):
    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True)  # stored lower-cased
    password_hash = Varchar(length=200)
    language = Varchar(length=5, default="lv")
    phone = Varchar(length=40, default="")
    pending_email = Varchar(length=254, null=True, default=None)
    created_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    password_changed_at = Timestamptz()
    terms_version = Varchar(length=20, default="")
    terms_accepted_at = Timestamptz(null=True, default=None)
    is_staff = Boolean(default=False)
    is_demo = Boolean(default=False)


class AccountContract(Table, tablename="account_contract"):
    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, index=True)
    contract_no = Varchar(length=40, index=True)
    added_at = Timestamptz()
    # (account, contract_no) is unique: an index made by the migration.


class SessionRecord(Table, tablename="session_record"):
    """Server-side sessions when no Redis is configured; the key is a hash of the cookie."""

    key = Varchar(length=64, primary_key=True)
    account_id = Integer(null=True, default=None, index=True)
    data = JSON(default="{}")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    idle_expires_at = Timestamptz(index=True)
    absolute_expires_at = Timestamptz()


class RateCounter(Table, tablename="rate_counter"):
    """Failed-attempt counters and lockouts when no Redis is configured."""

    key = Varchar(length=200, primary_key=True)
    failures = Integer(default=0)
    window_start = Timestamptz()
    locked_until = Timestamptz(null=True, default=None)
    lockouts = Integer(default=0)  # each lockout lasts twice as long as the one before


class AuditEvent(Table, tablename="audit_event"):
    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    kind = Varchar(length=40, index=True)  # signin, signin_failed, lockout, registered…
    account_id = Integer(null=True, default=None, index=True)
    contract_no = Varchar(length=40, null=True, default=None)
    client_addr = Varchar(length=64, default="")
    detail = JSON(default="{}")


class Preference(Table, tablename="preference"):
    """Per-contract choices the billing system does not hold."""

    id = Serial(primary_key=True)
    contract_no = Varchar(length=40, unique=True)
    einvoice_opt_in = Boolean(default=False)
    einvoice_opted_at = Timestamptz(null=True, default=None)
    einvoice_opted_by = Integer(null=True, default=None)  # account id
    reminder_opt_in = Boolean(default=False)
    reminder_email = Varchar(length=254, default="")


TABLES = [Account, AccountContract, SessionRecord, RateCounter, AuditEvent, Preference]
