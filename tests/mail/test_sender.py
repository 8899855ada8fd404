"""Delivery through a real SMTP server: once, and again after the server was down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

from tests.conftest import make_settings
from tests.mail.conftest import queue, reload
from tests.smtp import SMTPServer, free_port
from zaao_hx.mail.sender import LEASE, MAX_ATTEMPTS, deliver_due
from zaao_hx.mail.tables import OutboxMessage

PDF = bytes(range(256)) * 40  # binary, every byte value


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def test_delivers_once_with_headers_both_parts_and_attachment(smtp_settings, smtp_server, tag):
    docs = smtp_settings.data_dir / "docs"
    docs.mkdir(parents=True)
    (docs / "rekins.pdf").write_bytes(PDF)
    attachment = {
        "filename": "rēķins 1-012026.pdf",
        "mime": "application/pdf",
        "path": "docs/rekins.pdf",
    }

    async def scenario():
        row = await queue(smtp_settings, tag, attachments=[attachment])
        await deliver_due(smtp_settings, now=soon())
        await deliver_due(smtp_settings, now=soon() + timedelta(hours=1))
        return row, await reload(row)

    row, stored = asyncio.run(scenario())
    [mail] = smtp_server.handler.to(row.to_addr)
    assert stored.status == "sent" and stored.attempts == 1 and stored.sent_at is not None
    assert mail["From"] == "ZAAO Klientiem <klientiem@zaao.lv>"
    assert mail["To"] == row.to_addr and mail["Subject"] == "Pārbaudes vēstule"
    assert mail["Message-ID"] == row.message_id and mail["Date"].datetime is not None
    assert mail.get_body(("plain",)).get_content().splitlines() == ["Sveiki, Jānis Bērziņš!"]
    assert "Sveiki, Jānis Bērziņš!" in mail.get_body(("html",)).get_content()
    [part] = mail.iter_attachments()
    assert part.get_filename() == "rēķins 1-012026.pdf"
    assert part.get_content_type() == "application/pdf" and part.get_content() == PDF


def test_server_down_delays_the_mail_then_sends_it_once(bound, tag, tmp_path):
    port = free_port()  # nothing listens here yet
    settings = make_settings(
        bound.database_url, tmp_path, ZAAO_SMTP_HOST="127.0.0.1", ZAAO_SMTP_PORT=str(port)
    )
    t0 = soon()

    async def attempt(now):
        await deliver_due(settings, now=now)

    row = asyncio.run(queue(settings, tag))
    asyncio.run(attempt(t0))
    stored = asyncio.run(reload(row))
    assert stored.status == "queued" and stored.attempts == 1
    assert stored.next_attempt_at >= t0 + timedelta(minutes=1)
    assert "Connect" in stored.last_error or "connect" in stored.last_error.lower()

    with SMTPServer(port) as server:
        asyncio.run(attempt(t0 + timedelta(seconds=30)))  # still backing off
        assert server.handler.to(row.to_addr) == []
        asyncio.run(attempt(t0 + timedelta(minutes=1, seconds=1)))
        asyncio.run(attempt(t0 + timedelta(minutes=10)))
        assert len(server.handler.to(row.to_addr)) == 1
    stored = asyncio.run(reload(row))
    assert stored.status == "sent" and stored.attempts == 2


def test_concurrent_passes_send_each_message_once(smtp_settings, smtp_server, tag):
    async def scenario():
        rows = [await queue(smtp_settings, tag, n) for n in range(6)]
        now = soon()
        reports = await asyncio.gather(*(deliver_due(smtp_settings, now=now) for _ in range(3)))
        return rows, reports

    rows, reports = asyncio.run(scenario())
    assert sum(r.taken for r in reports) > 0, "the passes never competed for a message"
    assert [len(smtp_server.handler.to(r.to_addr)) for r in rows] == [1] * 6
    stored = [asyncio.run(reload(r)) for r in rows]
    assert {(s.status, s.attempts) for s in stored} == {("sent", 1)}


def test_a_stale_lease_is_taken_over_and_a_live_one_is_not(smtp_settings, smtp_server, tag):
    now = soon()

    async def scenario():
        stale, live = await queue(smtp_settings, tag, 1), await queue(smtp_settings, tag, 2)
        for row, lease in ((stale, now - timedelta(seconds=1)), (live, now + LEASE)):
            await OutboxMessage.update(
                {
                    OutboxMessage.status: "sending",
                    OutboxMessage.lease_until: lease,
                    OutboxMessage.attempts: 1,
                }
            ).where(OutboxMessage.id == row.id)
        await deliver_due(smtp_settings, now=now)
        return await reload(stale), await reload(live)

    stale, live = asyncio.run(scenario())
    assert stale.status == "sent" and stale.attempts == 2
    assert len(smtp_server.handler.to(stale.to_addr)) == 1
    assert live.status == "sending" and smtp_server.handler.to(live.to_addr) == []


def test_a_refused_recipient_fails_at_once(smtp_settings, smtp_server, tag):
    async def scenario():
        row = await queue(smtp_settings, tag, to_addr=f"refuse-{tag}@example.lv")
        report = await deliver_due(smtp_settings, now=soon())
        return report, await reload(row)

    report, stored = asyncio.run(scenario())
    assert report.failed >= 1
    assert stored.status == "failed" and stored.attempts == 1 and "550" in stored.last_error


def test_gives_up_after_the_last_attempt(bound, tag, tmp_path):
    settings = make_settings(
        bound.database_url, tmp_path, ZAAO_SMTP_HOST="127.0.0.1", ZAAO_SMTP_PORT=str(free_port())
    )

    async def scenario():
        row = await queue(settings, tag)
        await OutboxMessage.update({OutboxMessage.attempts: MAX_ATTEMPTS - 1}).where(
            OutboxMessage.id == row.id
        )
        await deliver_due(settings, now=soon())
        return await reload(row)

    stored = asyncio.run(scenario())
    assert stored.status == "failed" and stored.attempts == MAX_ATTEMPTS


def test_an_attachment_outside_the_data_dir_is_an_error_not_a_crash(smtp_settings, tag):
    async def scenario():
        row = await queue(
            smtp_settings,
            tag,
            attachments=[
                {"filename": "passwd", "mime": "text/plain", "path": "../../../../etc/passwd"}
            ],
        )
        await deliver_due(smtp_settings, now=soon())
        return await reload(row)

    stored = asyncio.run(scenario())
    assert stored.status == "queued" and "outside the data dir" in stored.last_error


def test_without_smtp_host_writes_a_parseable_eml_file(eml_settings, tag):
    async def scenario():
        row = await queue(eml_settings, tag)
        await deliver_due(eml_settings, now=soon())
        return row, await reload(row)

    row, stored = asyncio.run(scenario())
    assert stored.status == "sent"
    path = eml_settings.outbox_dir / f"{row.id}-parbaudes-vestule.eml"
    assert sorted(p.name for p in eml_settings.outbox_dir.iterdir()) == [path.name]
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert mail["To"] == row.to_addr and mail["Subject"] == "Pārbaudes vēstule"
    assert mail["Message-ID"] == row.message_id
    assert mail.get_body(("plain",)).get_content().splitlines() == ["Sveiki, Jānis Bērziņš!"]
