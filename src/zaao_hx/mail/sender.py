"""Sending what the outbox holds: to the SMTP server, or as `.eml` files when there is none.

Each message is claimed before it is sent: one UPDATE that only succeeds while the row is
still due, so of several workers (or passes) exactly one sends it.  The claim is a lease:
a worker that dies mid-send frees the message when the lease runs out, and the claim
counts as an attempt, so a message that kills its worker cannot loop forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

import aiosmtplib

from zaao_hx.mail.tables import OutboxMessage as Outbox
from zaao_hx.settings import Settings
from zaao_hx.web.i18n import gettext

log = logging.getLogger("zaao_hx.mail")

# Longer than any one send (SMTP_TIMEOUT per command), so a live worker keeps its claim.
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 30.0
MAX_ATTEMPTS = 10
# Wait after the n-th failed attempt; the last value repeats. 10 attempts span ~2.5 days.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720))


@dataclass
class DeliveryReport:
    picked: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    taken: int = 0  # claimed by another worker between our SELECT and our UPDATE

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def __str__(self) -> str:
        return gettext(
            "pasts: nosūtītas %(sent)s, vēlāk mēģinās vēlreiz %(retrying)s, neizdevās "
            "%(failed)s (bija jāsūta %(picked)s, cits process paņēma %(taken)s)",
            sent=self.sent, retrying=self.retrying, failed=self.failed, picked=self.picked,
            taken=self.taken)


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _due(now: datetime):
    return ((Outbox.status == "queued") & (Outbox.next_attempt_at <= now)) | (
        (Outbox.status == "sending") & (Outbox.lease_until < now)
    )


async def deliver_due(
    settings: Settings, *, now: datetime | None = None, batch: int = 50
) -> DeliveryReport:
    """Send up to `batch` due messages; a message's failure is recorded, never raised."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    due = (
        await Outbox.select(Outbox.id)
        .where(_due(now))
        .order_by(Outbox.next_attempt_at)
        .limit(batch)
    )
    report.picked = len(due)
    for row in due:
        # The WHERE is checked under a write lock, so only one claim can match: SQLite
        # takes its database write lock before the UPDATE reads; PostgreSQL re-checks
        # the row after waiting for a concurrent UPDATE of it.
        claimed = (
            await Outbox.update(
                {
                    Outbox.status: "sending",
                    Outbox.lease_until: now + LEASE,
                    Outbox.attempts: Outbox.attempts + 1,
                }
            )
            .where((Outbox.id == row["id"]) & _due(now))
            .returning(Outbox.attempts)
        )
        if not claimed:
            report.taken += 1
            continue
        message = await Outbox.objects().where(Outbox.id == row["id"]).first()
        try:
            await send(settings, message)
        except Exception as exc:  # noqa: BLE001 - any failure: keep the mail, try later
            attempts = claimed[0]["attempts"]
            final = attempts >= MAX_ATTEMPTS or _permanent(exc)
            log.warning(
                "mail %s to %s failed (attempt %d%s): %s",
                message.id,
                message.to_addr,
                attempts,
                ", giving up" if final else "",
                exc,
            )
            await Outbox.update(
                {
                    Outbox.status: "failed" if final else "queued",
                    Outbox.lease_until: None,
                    Outbox.next_attempt_at: now + backoff(attempts),
                    Outbox.last_error: f"{type(exc).__name__}: {exc}"[:2000],
                }
            ).where(Outbox.id == message.id)
            if final:
                report.failed += 1
            else:
                report.retrying += 1
        else:
            await Outbox.update(
                {Outbox.status: "sent", Outbox.sent_at: now, Outbox.lease_until: None}
            ).where(Outbox.id == message.id)
            report.sent += 1
    return report


def _permanent(exc: Exception) -> bool:
    """The server refused the recipient for good (5xx): retrying cannot help."""
    return isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and all(
        r.code >= 500 for r in exc.recipients
    )


async def send(settings: Settings, message: Outbox) -> None:
    mail = await asyncio.to_thread(build_message, settings, message)
    if settings.smtp_host:
        # Flattened here, not by aiosmtplib: it would re-fold with its own policy.
        await aiosmtplib.send(
            mail.as_bytes(policy=MAIL_POLICY),
            sender=parseaddr(settings.mail_from)[1],
            recipients=[message.to_addr],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",  # never silently: "none" means none
            timeout=SMTP_TIMEOUT,
        )
    else:
        await asyncio.to_thread(write_eml, settings, message, mail)


# Folding a long Latvian Subject at 78 columns loses the space at the fold between two
# encoded words (CPython gh-144156); 998, RFC 5322's hard limit, leaves subjects unfolded.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def build_message(settings: Settings, message: Outbox) -> EmailMessage:
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = settings.mail_from
    mail["To"] = message.to_addr
    mail["Subject"] = message.subject
    # When it was written, not when a retry got through: every attempt is the same mail.
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message.message_id
    # Quoted-printable keeps the Latvian letters intact through 7-bit-only servers.
    mail.set_content(message.body_text, cte="quoted-printable")
    if message.body_html:
        mail.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    attachments = message.attachments
    for item in json.loads(attachments) if isinstance(attachments, str) else attachments:
        maintype, _, subtype = (item.get("mime") or "application/octet-stream").partition("/")
        mail.add_attachment(
            _data_file(settings, item["path"]).read_bytes(),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
        )
    # Last: set_content() drops Content-* headers set before it, and add_attachment()
    # moves them into the first part.
    mail["Content-Language"] = message.language
    return mail


def _data_file(settings: Settings, relative: str) -> Path:
    root = settings.data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"attachment outside the data dir: {relative}")
    return path


def write_eml(settings: Settings, message: Outbox, mail: EmailMessage) -> Path:
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id}-{_slug(message.subject)}.eml"
    # Whoever reads the folder never sees half a file.
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    tmp.write_bytes(mail.as_bytes(policy=MAIL_POLICY))
    os.replace(tmp, path)
    return path


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:50].rstrip("-") or "mail"
