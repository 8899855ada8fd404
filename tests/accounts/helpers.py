"""Shared steps of the account tests: an app that mails through the test SMTP server,
reading the link out of a real message."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from litestar.testing import TestClient

from tests.conftest import PageClient, make_settings
from zaao_hx.app import create_app
from zaao_hx.mail.worker import deliver_all_due

LEGAL = {"contract_no": "20-118733", "code": "40103271696"}
PRIVATE = {"contract_no": "10-204518", "code": "140378-12342"}
PASSWORD = "Zaļš-konteiners-42"  # noqa: S105 - a test password


def fresh_email() -> str:
    return f"grāmatvede-{secrets.token_hex(4)}@example.lv".replace("ā", "a")


@contextmanager
def mailing_client(database_url: str, data_dir, smtp_server, **env) -> Iterator[PageClient]:
    settings = make_settings(database_url, data_dir, ZAAO_SMTP_HOST="127.0.0.1",
                             ZAAO_SMTP_PORT=str(smtp_server.port), **env)
    with TestClient(create_app(settings), base_url="http://testserver.local") as raw:
        client = PageClient(raw)
        client.settings = settings
        yield client


def deliver(client: PageClient) -> None:
    """Run the mail worker's pass on the app's loop (the outbox rows go out over SMTP)."""
    client.run(deliver_all_due, client.settings)


def mails_to(smtp_server, address: str):
    return smtp_server.handler.to(address)


def link_in(mail, path_prefix: str) -> str:
    """The path of the first link to `path_prefix` in the plain-text part."""
    text = mail.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", text)
    assert match, f"no {path_prefix} link in:\n{text}"
    return match.group(1)


def register(client: PageClient, email: str, customer=LEGAL, **overrides):
    data = {**customer, "password": PASSWORD, "password2": PASSWORD, "email": email,
            "terms": "1"}
    data.update(overrides)
    return client.form("/registracija", data)
