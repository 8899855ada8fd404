"""Brute force: counters with growing lockouts on both limiters (database, Redis), and what
an attacker meets through HTTP — 422, then 429 with Retry-After, even for the right password."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from tests.accounts.conftest import REDIS_URL, STORES, FakeClock, flush_redis, session_cookie
from tests.pagecheck import check_html, text_of
from zaao_hx.accounts.ratelimit import (
    REGISTER_CLIENT,
    RESET_CLIENT,
    RESET_ID,
    SIGNIN_CLIENT,
    SIGNIN_ID,
    DatabaseRateLimiter,
    RedisRateLimiter,
)
from zaao_hx.accounts.tables import AuditEvent, RateCounter
from zaao_hx.db import bind, engine_from_url

TOO_MANY = "Pārāk daudz mēģinājumu. Mēģiniet vēlreiz pēc"
GENERIC = "Nepareizi ievadīti dati. Pārbaudiet tos un mēģiniet vēlreiz."


# --- the limiters themselves -----------------------------------------------------------


@pytest.fixture(params=STORES)
def with_limiter(request, migrated):
    """`with_limiter(body)` runs `async body(limiter, clock, key)` on a fresh limiter; `key`
    is unique to the test, and the database's counters for it are removed afterwards."""
    kind = request.param
    key = f"test-{secrets.token_hex(6)}"
    if kind == "redis":
        flush_redis()

    def run(body):
        clock = FakeClock()

        async def main():
            if kind == "database":
                bind(engine_from_url(migrated.database_url))
                try:
                    await body(DatabaseRateLimiter(clock), clock, key)
                finally:
                    await RateCounter.delete().where(RateCounter.key.like(f"%{key}%"))
                return
            conn = Redis.from_url(REDIS_URL)
            try:
                await body(RedisRateLimiter(conn, clock, prefix=f"zaao-test-{key}:"),
                           clock, key)
            finally:
                await conn.aclose()

        asyncio.run(main())

    yield run
    if kind == "redis":
        flush_redis()


async def fail(limiter, policy, key, times: int) -> list[int | None]:
    return [await limiter.hit(policy, key) for _ in range(times)]


def test_five_failures_in_15_minutes_lock_the_identifier_for_a_minute(with_limiter):
    async def body(limiter, clock, key):
        assert await limiter.retry_after(SIGNIN_ID, key) is None
        for _ in range(4):
            assert await limiter.hit(SIGNIN_ID, key) is None
            clock.advance(minutes=3)  # 4 failures spread over 12 minutes
        assert await limiter.retry_after(SIGNIN_ID, key) is None
        assert await limiter.hit(SIGNIN_ID, key) == 60
        assert await limiter.retry_after(SIGNIN_ID, key) == 60
        clock.advance(seconds=20)
        assert await limiter.retry_after(SIGNIN_ID, key) == 40
        clock.advance(seconds=39.5)
        assert await limiter.retry_after(SIGNIN_ID, key) == 1  # rounded up, never 0
        clock.advance(seconds=0.5)
        assert await limiter.retry_after(SIGNIN_ID, key) is None

    with_limiter(body)


def test_lockouts_double_up_to_an_hour(with_limiter):
    async def body(limiter, clock, key):
        seen = []
        for _ in range(9):
            results = await fail(limiter, SIGNIN_ID, key, 5)
            assert results[:4] == [None] * 4
            seen.append(results[4])
            assert await limiter.retry_after(SIGNIN_ID, key) == results[4]
            clock.advance(seconds=results[4] + 1)
            assert await limiter.retry_after(SIGNIN_ID, key) is None
        assert seen == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]

    with_limiter(body)


def test_a_long_history_of_lockouts_stays_capped_at_an_hour(with_limiter):
    """A key locked out 60 times before (a patient attacker) still locks for an hour; the
    doubling must not overflow into an error that skips the lockout."""

    async def body(limiter, clock, key):
        await fail(limiter, SIGNIN_ID, key, 5)
        if isinstance(limiter, DatabaseRateLimiter):
            await RateCounter.update({RateCounter.lockouts: 60}).where(
                RateCounter.key == f"{SIGNIN_ID.name}:{key}")
        else:
            await limiter.redis.hset(limiter._name(SIGNIN_ID, key), "lockouts", 60)
        clock.advance(seconds=61)
        assert await fail(limiter, SIGNIN_ID, key, 5) == [None] * 4 + [3600]
        assert await limiter.retry_after(SIGNIN_ID, key) == 3600

    with_limiter(body)


def test_the_window_resets_after_15_quiet_minutes(with_limiter):
    async def body(limiter, clock, key):
        assert await fail(limiter, SIGNIN_ID, key, 4) == [None] * 4
        clock.advance(minutes=15, seconds=1)
        assert await fail(limiter, SIGNIN_ID, key, 4) == [None] * 4  # counted from 1 again
        assert await limiter.retry_after(SIGNIN_ID, key) is None
        assert await limiter.hit(SIGNIN_ID, key) == 60

    with_limiter(body)


def test_a_failure_just_inside_the_window_still_counts(with_limiter):
    async def body(limiter, clock, key):
        assert await fail(limiter, SIGNIN_ID, key, 4) == [None] * 4
        clock.advance(minutes=14, seconds=59)
        assert await limiter.hit(SIGNIN_ID, key) == 60

    with_limiter(body)


def test_clear_resets_counter_and_lockout(with_limiter):
    async def body(limiter, clock, key):
        await fail(limiter, SIGNIN_ID, key, 4)
        await limiter.clear(SIGNIN_ID, key)
        assert await fail(limiter, SIGNIN_ID, key, 4) == [None] * 4
        assert await limiter.hit(SIGNIN_ID, key) == 60
        clock.advance(seconds=61)
        assert await fail(limiter, SIGNIN_ID, key, 5) == [None] * 4 + [120]
        await limiter.clear(SIGNIN_ID, key)  # during a lockout: it ends, and so does its growth
        assert await limiter.retry_after(SIGNIN_ID, key) is None
        assert await fail(limiter, SIGNIN_ID, key, 5) == [None] * 4 + [60]

    with_limiter(body)


def test_per_client_policy_allows_20_and_locks_for_5_minutes(with_limiter):
    async def body(limiter, clock, key):
        assert await fail(limiter, SIGNIN_CLIENT, key, 19) == [None] * 19
        assert await limiter.hit(SIGNIN_CLIENT, key) == 300
        assert await limiter.retry_after(SIGNIN_CLIENT, key) == 300
        clock.advance(seconds=301)
        assert await fail(limiter, SIGNIN_CLIENT, key, 20) == [None] * 19 + [600]

    with_limiter(body)


def test_keys_and_policies_count_apart(with_limiter):
    async def body(limiter, clock, key):
        assert await fail(limiter, SIGNIN_ID, key, 5) == [None] * 4 + [60]
        assert await limiter.retry_after(SIGNIN_ID, key + "-other") is None
        assert await limiter.retry_after(SIGNIN_CLIENT, key) is None
        assert await limiter.retry_after(RESET_ID, key) is None
        assert await fail(limiter, RESET_ID, key, 3) == [None, None, 900]
        assert await fail(limiter, REGISTER_CLIENT, key, 10) == [None] * 9 + [600]
        assert await fail(limiter, RESET_CLIENT, key, 10) == [None] * 9 + [900]

    with_limiter(body)


def test_the_documented_numbers():
    table = [
        (SIGNIN_ID, 5, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1)),
        (SIGNIN_CLIENT, 20, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1)),
        (REGISTER_CLIENT, 10, timedelta(hours=1), timedelta(minutes=10), timedelta(hours=6)),
        (RESET_ID, 3, timedelta(hours=1), timedelta(minutes=15), timedelta(hours=6)),
        (RESET_CLIENT, 10, timedelta(hours=1), timedelta(minutes=15), timedelta(hours=6)),
    ]
    for policy, allowed, window, first, longest in table:
        assert (policy.allowed, policy.window, policy.first_lockout, policy.longest_lockout) == (
            allowed, window, first, longest), policy.name
        assert policy.lockout(1) == first and policy.lockout(2) == 2 * first
        assert policy.lockout(50) == longest


# --- through HTTP ----------------------------------------------------------------------


def error_text(response, box: str) -> str:
    return text_of(check_html(response.text).find(f".//div[@id='{box}-errors']"))


def assert_too_many(response, longest: int, box: str | None = None) -> int:
    assert response.status_code == 429, response.status_code
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    seconds = int(retry_after)
    assert 0 < seconds <= longest
    text = error_text(response, box) if box else text_of(check_html(response.text))
    minutes = -(-seconds // 60)
    assert f"{TOO_MANY} {minutes} minūt" in text, text
    assert GENERIC not in text
    return seconds


def lockout_events(portal) -> list[dict]:
    async def events():
        return await AuditEvent.select().where(
            (AuditEvent.kind == "lockout") & (AuditEvent.client_addr == "testclient")
        ).order_by(AuditEvent.id)

    rows = portal.run(events)
    for row in rows:
        if isinstance(row["detail"], str):
            row["detail"] = json.loads(row["detail"])
    return rows


def test_rapid_wrong_passwords_get_429_and_the_right_one_is_refused_too(portal):
    audit_before = len(lockout_events(portal))
    for _ in range(4):
        response = portal.sign_in("demo", "wrong-password")
        assert response.status_code == 422 and GENERIC in error_text(response, "signin-email")
        assert "retry-after" not in response.headers
    fifth = portal.sign_in("demo", "wrong-password")
    assert assert_too_many(fifth, 60, "signin-email") == 60
    assert "Mēģiniet vēlreiz pēc 1 minūtes." in error_text(fifth, "signin-email")

    events = lockout_events(portal)
    assert len(events) == audit_before + 1
    assert events[-1]["detail"]["seconds"] == 60 and events[-1]["detail"]["via"] == "email"

    portal.clock.advance(seconds=30)
    right = portal.sign_in("demo", "demo")  # the right password, during the lockout
    assert assert_too_many(right, 30, "signin-email") == 30
    assert session_cookie(right) is None
    assert portal.panel().status_code == 303
    portal.clock.advance(seconds=31)
    after = portal.sign_in("demo", "demo")
    assert after.status_code == 303 and after.headers["location"] == "/panelis"
    assert "Sveiki, Demo juridiska persona" in portal.panel().text
    assert len(lockout_events(portal)) == audit_before + 1  # refusals are not new lockouts


def test_lockouts_grow_through_http(portal):
    wrong = {"contract_no": "97-000001", "personal_code": "010101-10006"}
    for expected in (60, 120):
        for _ in range(4):
            assert portal.form("/ienakt/ligums", wrong).status_code == 422
        response = portal.form("/ienakt/ligums", wrong)
        assert assert_too_many(response, expected, "signin-contract") == expected
        portal.clock.advance(seconds=expected - 1)
        assert_too_many(portal.form("/ienakt/ligums", wrong), 1, "signin-contract")
        portal.clock.advance(seconds=1)


@pytest.mark.parametrize("portal", ["database"], indirect=True)  # the key, not the store
def test_the_email_is_one_key_whatever_its_case(portal):
    for email in ("Case@Example.lv", "case@example.lv", "CASE@EXAMPLE.LV", "case@example.LV"):
        assert portal.sign_in(email, "wrong-password").status_code == 422
    assert portal.sign_in("cAsE@example.lv", "wrong-password").status_code == 429


def test_20_failures_from_one_client_lock_even_a_fresh_email(portal):
    for n in range(19):
        assert portal.sign_in(f"victim{n}@example.lv", "wrong-password").status_code == 422
    twentieth = portal.sign_in("victim19@example.lv", "wrong-password")
    assert assert_too_many(twentieth, 300, "signin-email") == 300
    fresh = portal.sign_in("fresh@example.lv", "wrong-password")
    assert_too_many(fresh, 300, "signin-email")
    assert_too_many(portal.sign_in("demo", "demo"), 300, "signin-email")
    # the client lock covers the other sign-in too
    contract = portal.form("/ienakt/ligums", {"contract_no": "demo", "personal_code": "demo"})
    assert_too_many(contract, 300, "signin-contract")
    portal.clock.advance(minutes=5, seconds=1)
    assert portal.sign_in("demo", "demo").status_code == 303


def test_contract_sign_in_locks_per_contract_and_refuses_the_right_code(portal):
    audit_before = len(lockout_events(portal))
    wrong = {"contract_no": "demo", "personal_code": "010101-10006"}
    for _ in range(4):
        response = portal.form("/ienakt/ligums", wrong)
        assert response.status_code == 422
        assert GENERIC in error_text(response, "signin-contract")
    assert assert_too_many(portal.form("/ienakt/ligums", wrong), 60, "signin-contract") == 60
    events = lockout_events(portal)
    assert len(events) == audit_before + 1 and events[-1]["detail"]["via"] == "contract"

    right = {"contract_no": "demo", "personal_code": "demo"}
    refused = portal.form("/ienakt/ligums", right)
    assert_too_many(refused, 60, "signin-contract")
    assert session_cookie(refused) is None
    # the contract number is one key whatever its case
    assert_too_many(portal.form("/ienakt/ligums", {**right, "contract_no": "DEMO"}), 60,
                    "signin-contract")
    portal.clock.advance(seconds=61)
    response = portal.form("/ienakt/ligums", right)
    assert response.status_code == 303
    assert "Sveiki, Demo fiziska persona" in portal.panel().text


def test_20_contract_failures_from_one_client_lock_a_fresh_contract(portal):
    for n in range(19):
        response = portal.form("/ienakt/ligums",
                               {"contract_no": f"99-{n:06d}", "personal_code": "010101-10006"})
        assert response.status_code == 422
    twentieth = portal.form("/ienakt/ligums",
                            {"contract_no": "99-000019", "personal_code": "010101-10006"})
    assert assert_too_many(twentieth, 300, "signin-contract") == 300
    fresh = portal.form("/ienakt/ligums", {"contract_no": "demo", "personal_code": "demo"})
    assert_too_many(fresh, 300, "signin-contract")
    events = lockout_events(portal)
    assert events and events[-1]["detail"]["seconds"] == 300


def register_data(n: int) -> dict:
    return {
        "contract_no": f"98-{n:06d}", "code": "010101-10006", "email": f"reg{n}@example.lv",
        "password": "long-enough-password", "password2": "long-enough-password", "terms": "1",
    }


def test_registration_is_limited_per_client(portal):
    for n in range(10):
        response = portal.form("/registracija", register_data(n))
        assert response.status_code == 422, n  # no such contract: counted all the same
        assert "retry-after" not in response.headers
    eleventh = portal.form("/registracija", register_data(10))
    seconds = assert_too_many(eleventh, 600)
    assert seconds == 600
    portal.clock.advance(seconds=601)
    assert portal.form("/registracija", register_data(11)).status_code == 422


def test_reset_requests_are_limited_per_email(portal):
    for _ in range(3):
        response = portal.form("/aizmirsu-paroli", {"email": "nobody-reset@example.lv"})
        assert response.status_code == 303
        assert response.headers["location"] == "/aizmirsu-paroli/nosutits"
    fourth = portal.form("/aizmirsu-paroli", {"email": "Nobody-Reset@example.lv"})
    assert assert_too_many(fourth, 900) == 900
    # another email from the same client is not locked yet
    assert portal.form("/aizmirsu-paroli", {"email": "other@example.lv"}).status_code == 303


def test_reset_requests_are_limited_per_client(portal):
    for n in range(10):
        response = portal.form("/aizmirsu-paroli", {"email": f"reset{n}@example.lv"})
        assert response.status_code == 303, n
    eleventh = portal.form("/aizmirsu-paroli", {"email": "reset-fresh@example.lv"})
    assert assert_too_many(eleventh, 900) == 900
    portal.clock.advance(minutes=15, seconds=1)
    assert portal.form("/aizmirsu-paroli", {"email": "reset-fresh@example.lv"}).status_code == 303



def test_a_burst_of_parallel_attempts_gets_only_the_allowance_checked(with_limiter):
    async def body(limiter, clock, key):
        decisions = await asyncio.gather(*(limiter.attempt(SIGNIN_ID, key) for _ in range(30)))
        allowed = [d for d in decisions if d.refused is None]
        assert len(allowed) == SIGNIN_ID.allowed
        assert sum(1 for d in allowed if d.locked_now) == 1  # the last one allowed locks
        assert all(d.refused == 60 for d in decisions if d.refused is not None)

    with_limiter(body)


def test_a_success_forgives_its_attempt_for_the_client(with_limiter):
    async def body(limiter, clock, key):
        for _ in range(SIGNIN_CLIENT.allowed * 2):  # an office behind one address
            assert (await limiter.attempt(SIGNIN_CLIENT, key)).refused is None
            await limiter.forgive(SIGNIN_CLIENT, key)
        assert await limiter.retry_after(SIGNIN_CLIENT, key) is None

    with_limiter(body)


def test_lockouts_stop_growing_after_a_quiet_day(with_limiter):
    async def body(limiter, clock, key):
        for expected in (60, 120):
            await fail(limiter, SIGNIN_ID, key, 4)
            assert await limiter.hit(SIGNIN_ID, key) == expected
            clock.advance(minutes=5)
        clock.advance(days=2)
        await fail(limiter, SIGNIN_ID, key, 4)
        assert await limiter.hit(SIGNIN_ID, key) == 60

    with_limiter(body)
