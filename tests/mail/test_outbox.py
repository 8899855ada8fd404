"""Enqueueing: one row per dedupe key, inside the caller's transaction."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest

from tests.conftest import make_settings
from tests.mail.conftest import queue
from zaao_hx.mail import outbox
from zaao_hx.mail.tables import OutboxMessage


def test_enqueue_inserts_a_queued_row_with_a_message_id(eml_settings, tag):
    async def scenario():
        row = await queue(
            eml_settings,
            tag,
            attachments=[{"filename": "a.pdf", "mime": "application/pdf", "path": "docs/a.pdf"}],
        )
        return row, await OutboxMessage.objects().where(OutboxMessage.id == row.id).first()

    row, stored = asyncio.run(scenario())
    assert stored.status == "queued" and stored.attempts == 0
    assert stored.message_id == row.message_id
    assert re.fullmatch(r"<[0-9a-f]{32}@zaao\.lv>", stored.message_id)
    assert abs(stored.next_attempt_at - datetime.now(UTC)).total_seconds() < 60
    assert '"docs/a.pdf"' in stored.attachments


def test_message_id_takes_the_domain_of_mail_from(bound, tmp_path, tag):
    settings = make_settings(bound.database_url, tmp_path, ZAAO_MAIL_FROM="Rēķini <r@piemers.lv>")
    row = asyncio.run(queue(settings, tag))
    assert row.message_id.endswith("@piemers.lv>")


def test_a_second_enqueue_with_the_same_key_inserts_nothing(eml_settings, tag):
    async def scenario():
        first = await queue(eml_settings, tag)
        again = await outbox.enqueue(
            settings=eml_settings,
            dedupe_key=f"{tag}:0",
            to_addr="cits@example.lv",
            subject="Cits",
            body_text="cits",
        )
        rows = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"{tag}:0")
        return first, again, rows

    first, again, rows = asyncio.run(scenario())
    assert again is None
    assert len(rows) == 1 and rows[0]["id"] == first.id and rows[0]["to_addr"] == first.to_addr


def test_enqueue_joins_the_callers_transaction(eml_settings, tag):
    class Abort(Exception):
        pass

    async def scenario():
        db = OutboxMessage._meta.db
        with pytest.raises(Abort):
            async with db.transaction():
                await queue(eml_settings, tag, 1)
                raise Abort
        async with db.transaction():
            await queue(eml_settings, tag, 2)
            # A duplicate must not break the transaction (on PostgreSQL an error would).
            assert (
                await outbox.enqueue(
                    settings=eml_settings,
                    dedupe_key=f"{tag}:2",
                    to_addr="x@example.lv",
                    subject="x",
                    body_text="x",
                )
                is None
            )
            await queue(eml_settings, tag, 3)
        rows = await OutboxMessage.select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like(f"{tag}%")
        )
        return sorted(r["dedupe_key"] for r in rows)

    assert asyncio.run(scenario()) == [f"{tag}:2", f"{tag}:3"]
