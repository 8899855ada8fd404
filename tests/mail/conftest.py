"""A real SMTP server (aiosmtpd) and outbox rows that are cleaned up after each test.

The test database is shared with other areas, whose tests may leave mail queued; so every
test here tags its rows and recipients and asserts only about those.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import make_settings
from zaao_hx.db import bind, engine_from_url
from zaao_hx.mail import outbox
from zaao_hx.mail.tables import OutboxMessage


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message; refuses recipients named refuse-*."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse-"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.received.append((list(envelope.rcpt_tos), mail))
        return "250 OK"

    def to(self, addr: str) -> list[EmailMessage]:
        return [mail for rcpts, mail in self.received if addr in rcpts]


class SMTPServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Collector()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture(scope="session")
def smtp_server():
    with SMTPServer() as server:
        yield server


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
