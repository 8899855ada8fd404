"""Shared by the session and rate-limit tests: a clock the test moves, Redis on DB 15, and a
portal (`create_app(settings, clock=...)`) on either store — the database or Redis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest
import redis
from litestar.testing import TestClient

from tests.conftest import PageClient, make_settings
from zaao_hx.accounts.sessions import COOKIE
from zaao_hx.accounts.tables import RateCounter
from zaao_hx.app import create_app
from zaao_hx.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/15"
STORES = ["database", "redis"]


class FakeClock:
    """`clock()` answers `now`; tests move it with `advance`."""

    def __init__(self, now: datetime | None = None) -> None:
        # Near the real time, so that Redis TTLs computed from it stay sensible.
        self.now = now or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def flush_redis() -> None:
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        conn.flushdb()
    finally:
        conn.close()


def redis_keys(pattern: str = "*") -> list[str]:
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        return sorted(k.decode() for k in conn.keys(pattern))
    finally:
        conn.close()


def delete_redis_keys(pattern: str) -> None:
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        for key in conn.scan_iter(pattern):
            conn.delete(key)
    finally:
        conn.close()


def set_cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    """The value and the lower-cased attributes of one Set-Cookie header."""
    first, *rest = [part.strip() for part in header.split(";")]
    value = first.split("=", 1)[1]
    attributes = {}
    for part in rest:
        key, _, val = part.partition("=")
        attributes[key.lower()] = val
    return value, attributes


def session_cookie(response) -> str | None:
    headers = set_cookie_headers(response, COOKIE)
    if not headers:
        return None
    jar = SimpleCookie()
    jar.load(headers[-1])
    return jar[COOKIE].value


async def _clear_database_counters() -> None:
    await RateCounter.delete(force=True)


@dataclass
class Portal:
    client: PageClient
    clock: FakeClock
    store: str
    settings: Settings

    def run(self, fn, *args):
        """Run an async function on the app's event loop (where its pool lives)."""
        return self.client.raw.blocking_portal.call(fn, *args)

    def form(self, url: str, data: dict, **kwargs):
        return self.client.post(url, data={**data, "_csrf_token": self.client.csrf_token()},
                                follow_redirects=False, **kwargs)

    def sign_in(self, email: str = "demo", password: str = "demo"):
        return self.form("/ienakt", {"email": email, "password": password})

    def panel(self):
        return self.client.get("/panelis", follow_redirects=False)


def open_portal(settings: Settings, clock: FakeClock,
                base_url: str = "http://testserver.local") -> TestClient:
    app = create_app(settings, clock=clock)
    return TestClient(app, base_url=base_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def portal_settings(demo_data: Settings, tmp_path, store: str, **extra: str) -> Settings:
    if store == "redis":
        extra["ZAAO_REDIS_URL"] = REDIS_URL
    return make_settings(demo_data.database_url, tmp_path, **extra)


@pytest.fixture(params=STORES)
def portal(request, demo_data, tmp_path, clock) -> Iterator[Portal]:
    """A visitor on a portal whose time the test moves, on the database store or Redis.

    Rate-limit counters start empty and are removed afterwards, so the demo account (and
    the test client's address, "testclient") can still sign in in every other test."""
    store = request.param
    flush_redis()
    settings = portal_settings(demo_data, tmp_path, store)
    with open_portal(settings, clock) as raw:
        portal = Portal(PageClient(raw), clock, store, settings)
        portal.run(_clear_database_counters)
        try:
            yield portal
        finally:
            portal.run(_clear_database_counters)
    flush_redis()


@pytest.fixture
def mailing(demo_data, tmp_path, smtp_server):
    """A client of an app that mails through the test SMTP server, with clean rate limits."""
    from tests.accounts.helpers import mailing_client
    from tests.conftest import _clear_rate_limits

    with mailing_client(demo_data.database_url, tmp_path, smtp_server) as client:
        client.run(_clear_rate_limits)
        yield client
        client.run(_clear_rate_limits)
