"""Server-side sessions on both stores (database, Redis): stored by hash, idle 30 min,
absolute 12 h, destroyed on sign-out and per account; and the same through HTTP: the
cookie's attributes, rotation at sign-in, the redirect to sign-in once a session is gone."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from tests.accounts.conftest import (
    REDIS_URL,
    STORES,
    FakeClock,
    cookie_attributes,
    flush_redis,
    open_portal,
    portal_settings,
    redis_keys,
    session_cookie,
    set_cookie_headers,
)
from tests.conftest import PageClient
from zaao_hx.accounts.sessions import (
    ABSOLUTE,
    COOKIE,
    IDLE,
    DatabaseSessionStore,
    RedisSessionStore,
)
from zaao_hx.accounts.tables import SessionRecord
from zaao_hx.db import bind, engine_from_url

SIGN_IN_AGAIN = "/?zinojums=ienakt"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- the stores themselves ------------------------------------------------------------


@pytest.fixture(params=STORES)
def with_store(request, migrated):
    """`with_store(body)` runs `async body(store, clock)` on a fresh store of one kind."""
    kind = request.param
    prefix = f"zaao-test-{secrets.token_hex(4)}:"
    if kind == "redis":
        flush_redis()

    def run(body, clock: FakeClock | None = None):
        clock = clock or FakeClock()

        async def main():
            if kind == "database":
                bind(engine_from_url(migrated.database_url))
                await body(DatabaseSessionStore(clock), clock)
                return
            conn = Redis.from_url(REDIS_URL)
            try:
                await body(RedisSessionStore(conn, clock, prefix=prefix), clock)
            finally:
                await conn.aclose()

        asyncio.run(main())

    run.kind = kind
    run.prefix = prefix
    yield run
    if kind == "redis":
        flush_redis()


async def create(store, account_id: int | None = None, contract: str = "10-204518"):
    return await store.create(contract_nos=[contract], active_contract=contract,
                              account_id=account_id, demo=False)


def test_create_and_load_round_trip(with_store):
    async def body(store, clock):
        made = await store.create(contract_nos=["10-1", "10-2"], active_contract="10-2",
                                  account_id=4711, demo=True)
        assert len(made.id) >= 40  # 32 random bytes, URL-safe
        loaded = await store.load(made.id)
        assert loaded is not None
        assert loaded.id == made.id
        assert loaded.contract_nos == ["10-1", "10-2"] and loaded.active_contract == "10-2"
        assert loaded.account_id == 4711 and loaded.demo is True
        assert loaded.created_at == clock.now
        assert await store.load(secrets.token_urlsafe(32)) is None
        assert await store.load(made.id + "x") is None

        loaded.active_contract = "10-1"
        await store.save(loaded)
        assert (await store.load(made.id)).active_contract == "10-1"

    with_store(body)


def test_the_cookie_id_is_never_what_is_stored(with_store):
    async def body(store, clock):
        session = await create(store, account_id=4712)
        if with_store.kind == "database":
            rows = await SessionRecord.select().where(SessionRecord.key == sha256(session.id))
            assert len(rows) == 1
            assert rows[0]["account_id"] == 4712
            assert session.id not in json.dumps(rows[0], default=str)
            assert await SessionRecord.count().where(SessionRecord.key == session.id) == 0
        else:
            conn = store.redis
            keys = [k.decode() for k in await conn.keys("*")]
            assert f"{with_store.prefix}session:{sha256(session.id)}" in keys
            for key in keys:
                assert session.id not in key
                kind = (await conn.type(key)).decode()
                value = (await conn.get(key) if kind == "string"
                         else b" ".join(await conn.smembers(key)))
                assert session.id.encode() not in value

    with_store(body)


def test_idle_expiry_after_30_minutes_without_a_load(with_store):
    async def body(store, clock):
        idle = await create(store)
        control = await create(store)
        clock.advance(seconds=IDLE.total_seconds() - 1)
        assert await store.load(control.id) is not None  # 29:59 is still in time
        clock.advance(seconds=1)
        assert await store.load(idle.id) is None  # 30:00 without a load is not
        clock.advance(minutes=1)
        assert await store.load(idle.id) is None

    with_store(body)


def test_a_load_within_30_minutes_extends_the_session(with_store):
    async def body(store, clock):
        session = await create(store)
        clock.advance(minutes=20)
        assert await store.load(session.id) is not None  # idle now ends at 50 min
        clock.advance(minutes=29)  # 49 min after sign-in, 29 after the last load
        assert await store.load(session.id) is not None  # …and now at 79 min
        clock.advance(minutes=30)
        assert await store.load(session.id) is None

    with_store(body)


def test_loads_keep_it_alive_up_to_but_never_past_12_hours(with_store):
    async def body(store, clock):
        start = clock.now
        session = await create(store)
        while clock.now - start < ABSOLUTE - timedelta(minutes=20):
            clock.advance(minutes=20)
            assert await store.load(session.id) is not None, clock.now - start
        clock.advance(seconds=(ABSOLUTE - (clock.now - start)).total_seconds() - 1)
        assert clock.now - start == ABSOLUTE - timedelta(seconds=1)
        assert await store.load(session.id) is not None
        if with_store.kind == "database":
            row = await SessionRecord.select().where(
                SessionRecord.key == sha256(session.id)).first()
            assert row["idle_expires_at"] == start + ABSOLUTE  # capped, not now + 30 min
        else:
            ttl = await store.redis.ttl(f"{with_store.prefix}session:{sha256(session.id)}")
            assert 0 < ttl <= 60
        clock.advance(seconds=1)
        assert await store.load(session.id) is None
        clock.advance(minutes=5)
        assert await store.load(session.id) is None

    with_store(body)


def test_destroy_ends_one_session(with_store):
    async def body(store, clock):
        first = await create(store, account_id=4713)
        second = await create(store, account_id=4713)
        await store.destroy(first.id)
        assert await store.load(first.id) is None
        assert await store.load(second.id) is not None
        await store.destroy(first.id)  # twice is harmless
        await store.destroy(secrets.token_urlsafe(32))

    with_store(body)


def test_destroy_account_ends_all_its_sessions_and_no_others(with_store):
    base = secrets.randbelow(10**8) + 10**8

    async def body(store, clock):
        mine = [await create(store, account_id=base) for _ in range(3)]
        theirs = await create(store, account_id=base + 1)
        anonymous = await create(store, account_id=None, contract="demo")
        await store.destroy_account(base)
        for session in mine:
            assert await store.load(session.id) is None
        assert await store.load(theirs.id) is not None
        assert await store.load(anonymous.id) is not None
        if with_store.kind == "database":
            assert await SessionRecord.count().where(SessionRecord.account_id == base) == 0
        # a session made after the reset is not ended by it
        later = await create(store, account_id=base)
        assert await store.load(later.id) is not None

    with_store(body)


# --- through HTTP ----------------------------------------------------------------------


def test_signing_in_sets_an_http_only_lax_browser_session_cookie(portal):
    response = portal.sign_in()
    assert response.status_code == 303 and response.headers["location"] == "/panelis"
    headers = set_cookie_headers(response, COOKIE)
    assert len(headers) == 1
    value, attributes = cookie_attributes(headers[0])
    assert value and value == session_cookie(response)
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "lax"
    assert "max-age" not in attributes and "expires" not in attributes
    assert "secure" not in attributes  # plain HTTP here; see the HTTPS test
    assert attributes.get("path", "/") == "/"
    home = portal.panel()
    assert home.status_code == 200 and "Sveiki, Demo juridiska persona" in home.text


def test_the_session_lives_in_the_configured_store(portal):
    sid = session_cookie(portal.sign_in())
    keys = redis_keys("*session:*")
    if portal.store == "redis":
        assert f"zaao:session:{sha256(sid)}" in keys

        async def rows():
            return await SessionRecord.count().where(SessionRecord.key == sha256(sid))

        assert portal.run(rows) == 0
    else:
        assert keys == []

        async def row():
            return await SessionRecord.select().where(SessionRecord.key == sha256(sid)).first()

        assert portal.run(row) is not None


@pytest.mark.parametrize("second", ["email", "contract"])
def test_the_id_is_rotated_at_sign_in(portal, second):
    first = session_cookie(portal.sign_in())
    assert first and portal.panel().status_code == 200
    if second == "email":
        response = portal.sign_in()
    else:
        response = portal.form("/ienakt/ligums", {"contract_no": "demo", "personal_code": "demo"})
    assert response.status_code == 303
    rotated = session_cookie(response)
    assert rotated and rotated != first
    assert portal.panel().status_code == 200
    # the old id, replayed, opens nothing
    portal.client.raw.cookies.set(COOKIE, first)
    replay = portal.panel()
    assert replay.status_code == 303 and replay.headers["location"] == SIGN_IN_AGAIN


def test_a_planted_cookie_is_not_adopted_at_sign_in(portal):
    planted = secrets.token_urlsafe(32)
    portal.client.raw.cookies.set(COOKIE, planted)
    issued = session_cookie(portal.sign_in())
    assert issued and issued != planted


def test_the_signed_in_home_without_a_session_sends_to_sign_in(portal):
    response = portal.panel()
    assert response.status_code == 303 and response.headers["location"] == SIGN_IN_AGAIN
    portal.client.raw.cookies.set(COOKIE, secrets.token_urlsafe(32))
    response = portal.panel()
    assert response.status_code == 303 and response.headers["location"] == SIGN_IN_AGAIN
    htmx = portal.client.get("/panelis", headers={"HX-Request": "true"},
                             follow_redirects=False)
    assert htmx.headers.get("hx-redirect") == SIGN_IN_AGAIN


def test_31_idle_minutes_end_the_session(portal):
    portal.sign_in()
    portal.clock.advance(minutes=29)
    assert portal.panel().status_code == 200  # activity: 30 more minutes from here
    portal.clock.advance(minutes=29)
    assert portal.panel().status_code == 200
    portal.clock.advance(minutes=31)
    response = portal.panel()
    assert response.status_code == 303 and response.headers["location"] == SIGN_IN_AGAIN


def test_12_hours_end_the_session_even_with_activity(portal):
    portal.sign_in()
    for _ in range(int(ABSOLUTE / timedelta(minutes=20)) - 1):  # up to 11 h 40 min
        portal.clock.advance(minutes=20)
        assert portal.panel().status_code == 200
    portal.clock.advance(minutes=20)  # 12 h
    response = portal.panel()
    assert response.status_code == 303 and response.headers["location"] == SIGN_IN_AGAIN


def test_sign_out_destroys_the_session(portal):
    sid = session_cookie(portal.sign_in())
    response = portal.form("/iziet", {})
    assert response.status_code == 303 and response.headers["location"] == "/?zinojums=izgajat"
    deleted = set_cookie_headers(response, COOKIE)
    assert deleted and cookie_attributes(deleted[0])[0] in ("", '""')
    assert portal.panel().status_code == 303
    portal.client.raw.cookies.set(COOKIE, sid)
    replay = portal.panel()
    assert replay.status_code == 303 and replay.headers["location"] == SIGN_IN_AGAIN
    if portal.store == "redis":
        assert redis_keys(f"zaao:session:{sha256(sid)}") == []
    # signing out again without a session is refused like any private action
    again = portal.form("/iziet", {})
    assert again.status_code == 303 and again.headers["location"] == SIGN_IN_AGAIN


@pytest.mark.parametrize("store", STORES)
def test_the_cookie_is_secure_behind_https(demo_data, tmp_path, store):
    flush_redis()
    settings = portal_settings(demo_data, tmp_path, store, ZAAO_HTTPS="1",
                               ZAAO_BASE_URL="https://testserver.local")
    try:
        with open_portal(settings, FakeClock(), "https://testserver.local") as raw:
            client = PageClient(raw)
            response = client.post(
                "/ienakt",
                data={"email": "demo", "password": "demo", "_csrf_token": client.csrf_token()},
                follow_redirects=False,
            )
            assert response.status_code == 303
            headers = set_cookie_headers(response, COOKIE)
            assert len(headers) == 1
            _, attributes = cookie_attributes(headers[0])
            assert "secure" in attributes and "httponly" in attributes
            assert attributes.get("samesite", "").lower() == "lax"
            assert "max-age" not in attributes and "expires" not in attributes
            assert client.get("/panelis", follow_redirects=False).status_code == 200
    finally:
        flush_redis()
