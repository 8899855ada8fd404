"""Putting a mail in the outbox: one row, sent later by `sender.deliver_due`.

`enqueue` runs inside the caller's transaction when there is one (Piccolo picks it up by
itself), so a mail is queued exactly when the change that causes it is committed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parseaddr

from zaao_hx.mail.tables import OutboxMessage
from zaao_hx.settings import Settings


def make_message_id(mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "zaao.lv"
    return f"<{secrets.token_hex(16)}@{domain}>"


async def enqueue(
    *,
    dedupe_key: str,
    to_addr: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    language: str = "lv",
    attachments: Iterable[Mapping[str, str]] = (),
    settings: Settings,
) -> OutboxMessage | None:
    """Queue a mail; the new row, or None when `dedupe_key` is already queued or sent.

    None means "nothing inserted": the mail that key names is already on its way, so a
    caller that repeats itself (a retried request, a second worker pass) sends it once.
    ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a
    failed statement would abort the caller's transaction.

    `attachments`: {"filename", "mime", "path"} with `path` relative to the data dir.
    """
    now = datetime.now(UTC)
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        message_id=make_message_id(settings.mail_from),
        to_addr=to_addr,
        subject=" ".join(subject.split()),  # a header: no line breaks
        body_text=body_text,
        body_html=body_html,
        language=language,
        attachments=json.dumps([dict(a) for a in attachments], ensure_ascii=False),
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    inserted = (
        await OutboxMessage.insert(row)
        .on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")
        .returning(OutboxMessage.id)
    )
    if not inserted:
        return None
    row.id = inserted[0]["id"]
    row._exists_in_db = True
    return row
