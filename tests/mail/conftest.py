"""A real SMTP server (aiosmtpd) and outbox rows that are cleaned up after each test.

The test database is shared with other areas, whose tests may leave mail queued; so every
test here tags its rows and recipients and asserts only about those.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.conftest import make_settings
from zaao_hx.db import bind, engine_from_url
from zaao_hx.mail import outbox
from zaao_hx.mail.tables import OutboxMessage


@pytest.fixture(scope="session")
def bound(migrated):
    bind(engine_from_url(migrated.database_url))
    return migrated


@pytest.fixture
def tag(bound):
    """A prefix for this test's dedupe keys and recipients; its rows go afterwards."""
    value = f"t{secrets.token_hex(4)}"
    yield value
    asyncio.run(OutboxMessage.delete().where(OutboxMessage.dedupe_key.like(f"{value}%")).run())


@pytest.fixture
def smtp_settings(bound, smtp_server, tmp_path):
    return make_settings(
        bound.database_url,
        tmp_path,
        ZAAO_SMTP_HOST="127.0.0.1",
        ZAAO_SMTP_PORT=str(smtp_server.port),
    )


@pytest.fixture
def eml_settings(bound, tmp_path):
    return make_settings(bound.database_url, tmp_path)


async def queue(settings, tag: str, n: int = 0, **kwargs) -> OutboxMessage:
    """A test mail to <tag>-<n>@example.lv, keyed <tag>:<n>."""
    fields = {
        "dedupe_key": f"{tag}:{n}",
        "to_addr": f"{tag}-{n}@example.lv",
        "subject": "Pārbaudes vēstule",
        "body_text": "Sveiki, Jānis Bērziņš!\n",
        "body_html": "<p>Sveiki, Jānis Bērziņš!</p>",
        **kwargs,
    }
    row = await outbox.enqueue(settings=settings, **fields)
    assert row is not None
    return row


async def reload(row: OutboxMessage) -> OutboxMessage:
    return await OutboxMessage.objects().where(OutboxMessage.id == row.id).first()
