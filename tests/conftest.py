"""The test harness every area uses.

One database per test run: SQLite by default, PostgreSQL with ZAAO_TEST_DATABASE=postgres
(a fresh database is created on the server in ZAAO_TEST_POSTGRES_URL and dropped after).
`client` is Litestar's test client behind a page checker: every HTML response it returns
has been parsed strictly (see pagecheck.py).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import TestClient

from tests.pagecheck import check_html
from zaao_hx.app import create_app
from zaao_hx.db import engine_from_url, migrate
from zaao_hx.settings import Settings

TEST_DATABASE = os.environ.get("ZAAO_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "ZAAO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET = "test-secret-" + "x" * 40

# Tests send Ctrl+C (SIGINT) to the commands they start.  A shell's background job starts
# with SIGINT ignored, and a command keeps what it starts ignoring: with a handler here,
# the commands start with SIGINT at its default, however the tests themselves were started.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# the migrations up to `upto` ("all", or an ID), or with "back" the last one undone; in a
# process of its own, as they bind Piccolo's tables to their database
_MIGRATE_TO = """
import asyncio, sys
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards
from zaao_hx.db import bind, engine_from_url
bind(engine_from_url(sys.argv[1]))
if sys.argv[2] == "back":
    result = asyncio.run(run_backwards(app_name="zaao", migration_id="1", auto_agree=True))
else:
    result = asyncio.run(run_forwards(app_name="zaao", migration_id=sys.argv[2]))
assert result.success, result.message
"""


def migrate_to(url: str, upto: str) -> None:
    done = subprocess.run([sys.executable, "-c", _MIGRATE_TO, url, upto], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def pytest_report_header(config) -> str:
    return f"zaao_hx database: {TEST_DATABASE}"


async def postgres_admin(sql: str) -> None:
    """Run `sql` (CREATE / DROP DATABASE) over a connection to POSTGRES_URL."""
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if TEST_DATABASE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    if TEST_DATABASE != "postgres":
        raise pytest.UsageError("ZAAO_TEST_DATABASE must be sqlite or postgres")
    name = f"zaao_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, data_dir: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "ZAAO_DATABASE_URL": database_url,
            "ZAAO_DATA_DIR": str(data_dir),
            "ZAAO_SECRET_KEY": SECRET,
            "ZAAO_DEMO": "1",
            # tests deliver mail when they choose to (sender.deliver_due), not in the background
            "ZAAO_INPROCESS_WORKER": "0",
            **extra,
        }
    )


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def migrated(settings) -> Settings:
    asyncio.run(migrate(engine_from_url(settings.database_url)))
    return settings


@pytest.fixture(scope="session")
def demo_data(migrated) -> Settings:
    from zaao_hx.db import bind
    from zaao_hx.demo import load_demo

    bind(engine_from_url(migrated.database_url))
    asyncio.run(load_demo(migrated))
    return migrated


class PageClient:
    """Litestar's TestClient, checking each HTML response it hands back."""

    def __init__(self, client: TestClient) -> None:
        self.raw = client

    def request(self, method: str, url: str, **kwargs):
        response = self.raw.request(method, url, **kwargs)
        if response.headers.get("content-type", "").startswith("text/html"):
            headers = kwargs.get("headers") or {}
            fragment = headers.get("HX-Request") == "true" and not headers.get(
                "HX-History-Restore-Request"
            )
            check_html(response.text, fragment=fragment, where=f"{method} {url}")
        return response

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.request("POST", url, **kwargs)

    def csrf_token(self) -> str:
        """The CSRF token, after a GET has set its cookie."""
        if "csrftoken" not in self.raw.cookies:
            self.get("/")
        return self.raw.cookies["csrftoken"]

    def run(self, fn, *args):
        """Run an async function on the app's own event loop (its database pool lives there)."""
        return self.raw.blocking_portal.call(fn, *args)

    def form(self, url: str, data: dict, **kwargs):
        """POST a form with the CSRF token, not following the redirect."""
        return self.post(url, data={**data, "_csrf_token": self.csrf_token()},
                         follow_redirects=False, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


@pytest.fixture
def app(migrated):
    return create_app(migrated)


async def _clear_rate_limits() -> None:
    from zaao_hx.accounts.tables import RateCounter

    await RateCounter.delete(force=True)


@pytest.fixture
def client(app) -> Iterator[PageClient]:
    """A fresh visitor; rate-limit counters are cleared so tests never lock each other out."""
    with TestClient(app, base_url="http://testserver.local") as raw:
        page_client = PageClient(raw)
        page_client.run(_clear_rate_limits)
        yield page_client
        page_client.run(_clear_rate_limits)


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) for the whole run; `smtp_server.handler.to(addr)`."""
    from tests.smtp import SMTPServer

    with SMTPServer() as server:
        yield server
