"""The audit trail: who did what to an account, when, and from where."""

from __future__ import annotations

import json

from zaao_hx.accounts.sessions import utcnow
from zaao_hx.accounts.tables import AuditEvent

SIGNIN = "signin"
SIGNIN_FAILED = "signin_failed"
LOCKOUT = "lockout"
SIGNOUT = "signout"
REGISTERED = "registered"
CONFIRMED = "confirmed"
RESET_REQUESTED = "reset_requested"
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name


async def record(
    kind: str,
    client_addr: str,
    *,
    account_id: int | None = None,
    contract_no: str | None = None,
    **detail: object,
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            at=utcnow(), kind=kind, account_id=account_id, contract_no=contract_no,
            client_addr=client_addr[:64], detail=json.dumps(detail, default=str),
        )
    )
