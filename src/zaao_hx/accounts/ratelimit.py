"""Failed-attempt counters with growing lockouts, per client address and per identifier.

The numbers (also in the README):

| policy | counts | allowed in window | lockout, growing ×2 up to |
| --- | --- | --- | --- |
| signin-id | failed sign-ins for one email / contract no. | 5 in 15 min | 1 min → 1 h |
| signin-client | failed sign-ins from one address | 20 in 15 min | 5 min → 1 h |
| register-client | registration attempts from one address | 10 in 1 h | 10 min → 6 h |
| reset-id | reset requests for one email | 3 in 1 h | 15 min → 6 h |
| reset-client | reset requests from one address | 10 in 1 h | 15 min → 6 h |

While a key is locked, every attempt is refused before the password is even checked, so
the right password during a lockout is refused too.  A successful sign-in clears the
identifier's counter (not the client's: one address may try many accounts).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from zaao_hx.accounts.sessions import Clock, utcnow
from zaao_hx.accounts.tables import RateCounter
from zaao_hx.db import write_transaction


@dataclass(frozen=True)
class Policy:
    name: str
    allowed: int
    window: timedelta
    first_lockout: timedelta
    longest_lockout: timedelta

    def lockout(self, nth: int) -> timedelta:
        return min(self.first_lockout * 2 ** min(nth - 1, 20), self.longest_lockout)


SIGNIN_ID = Policy("signin-id", 5, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1))
SIGNIN_CLIENT = Policy(
    "signin-client", 20, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1)
)
REGISTER_CLIENT = Policy(
    "register-client", 10, timedelta(hours=1), timedelta(minutes=10), timedelta(hours=6)
)
RESET_ID = Policy("reset-id", 3, timedelta(hours=1), timedelta(minutes=15), timedelta(hours=6))
RESET_CLIENT = Policy(
    "reset-client", 10, timedelta(hours=1), timedelta(minutes=15), timedelta(hours=6)
)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


QUIET = timedelta(days=1)  # a key left alone this long starts again from the first lockout


@dataclass(frozen=True)
class Decision:
    """What `attempt` decided: `refused` (seconds to wait: not even looked at), or go on —
    `locked_now` when this very attempt used up the allowance (so it is the last one)."""

    refused: int | None = None
    locked_now: int | None = None


class RateLimiter(Protocol):
    async def retry_after(self, policy: Policy, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may now."""

    async def attempt(self, policy: Policy, key: str) -> Decision:
        """In one atomic step: refuse while locked, else count this attempt (locking when it
        reaches the allowance). Counting before the password is checked is what stops a
        burst of parallel guesses from all being checked."""

    async def hit(self, policy: Policy, key: str) -> int | None:
        """Count one attempt whatever the lock; the lockout in seconds if one is on."""

    async def forgive(self, policy: Policy, key: str) -> None:
        """Take back one counted attempt (it succeeded)."""

    async def clear(self, policy: Policy, key: str) -> None: ...


def _count(policy: Policy, row: dict, now: datetime, refuse_when_locked: bool):
    """The counter after one more attempt: (row, refused seconds, seconds if it locked)."""
    failures, start = row["failures"], row["window_start"]
    lockouts, locked_until = row["lockouts"], row["locked_until"]
    if locked_until and locked_until > now and refuse_when_locked:
        return row, _seconds(locked_until - now), None
    if lockouts and now - max(start, locked_until or start) > QUIET:
        lockouts = 0
    if now - start > policy.window:
        failures, start = 0, now
    failures += 1
    locked_now = None
    if failures >= policy.allowed:
        lockouts += 1
        locked_until = now + policy.lockout(lockouts)
        failures, start = 0, now
        locked_now = _seconds(locked_until - now)
    new = {"failures": failures, "window_start": start, "lockouts": lockouts,
           "locked_until": locked_until}
    return new, None, locked_now


class _Stepping(ABC):
    """`attempt` and `hit` of RateLimiter, both one `_step` of the counter (see _count)."""

    @abstractmethod
    async def _step(self, policy: Policy, key: str, refuse_when_locked: bool) -> Decision:
        """One step of the key's counter, in one atomic operation of the store."""

    async def attempt(self, policy: Policy, key: str) -> Decision:
        return await self._step(policy, key, refuse_when_locked=True)

    async def hit(self, policy: Policy, key: str) -> int | None:
        decision = await self._step(policy, key, refuse_when_locked=False)
        return decision.locked_now or decision.refused


class DatabaseRateLimiter(_Stepping):
    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock

    async def retry_after(self, policy: Policy, key: str) -> int | None:
        row = await RateCounter.select(RateCounter.locked_until).where(
            RateCounter.key == f"{policy.name}:{key}"
        ).first()
        now = self.clock()
        if row and row["locked_until"] and row["locked_until"] > now:
            return _seconds(row["locked_until"] - now)
        return None

    async def _locked_row(self, name: str, now: datetime) -> dict:
        """The counter row, created if need be and locked for this transaction: SQLite's
        IMMEDIATE transaction already excludes other writers, PostgreSQL locks the row."""
        await RateCounter.insert(RateCounter(key=name, window_start=now)).on_conflict(
            action="DO NOTHING"
        )
        query = RateCounter.select().where(RateCounter.key == name)
        if RateCounter._meta.db.engine_type == "postgres":
            query = query.lock_rows()
        return await query.first()

    async def _step(self, policy: Policy, key: str, refuse_when_locked: bool) -> Decision:
        name, now = f"{policy.name}:{key}", self.clock()
        async with write_transaction():
            row = await self._locked_row(name, now)
            new, refused, locked_now = _count(policy, row, now, refuse_when_locked)
            if refused is None:
                await RateCounter.update(
                    {RateCounter.failures: new["failures"],
                     RateCounter.window_start: new["window_start"],
                     RateCounter.lockouts: new["lockouts"],
                     RateCounter.locked_until: new["locked_until"]}
                ).where(RateCounter.key == name)
        if refused is None and not locked_now and new["locked_until"] and \
                new["locked_until"] > now:
            refused = _seconds(new["locked_until"] - now)  # hit() during a lockout
        return Decision(refused=refused, locked_now=locked_now)

    async def forgive(self, policy: Policy, key: str) -> None:
        name = f"{policy.name}:{key}"
        async with write_transaction():
            row = await self._locked_row(name, self.clock())
            if row["failures"] > 0:
                await RateCounter.update({RateCounter.failures: row["failures"] - 1}).where(
                    RateCounter.key == name)

    async def clear(self, policy: Policy, key: str) -> None:
        await RateCounter.delete().where(RateCounter.key == f"{policy.name}:{key}")


# KEYS[1] counter hash; ARGV: now, window, allowed, first lockout, longest lockout (seconds),
# refuse when locked (1/0). Returns {refused seconds or 0, locked_until, locked now 1/0}.
_STEP = """
local now = tonumber(ARGV[1])
local c = redis.call('HMGET', KEYS[1], 'failures', 'start', 'lockouts', 'locked_until')
local failures = tonumber(c[1]) or 0
local start = tonumber(c[2]) or now
local lockouts = tonumber(c[3]) or 0
local locked_until = tonumber(c[4]) or 0
if ARGV[6] == '1' and locked_until > now then
  return {tostring(locked_until - now), tostring(locked_until), '0'}
end
if lockouts > 0 and now - math.max(start, locked_until) > 86400 then lockouts = 0 end
if now - start > tonumber(ARGV[2]) then failures = 0; start = now end
failures = failures + 1
local locked_now = '0'
if failures >= tonumber(ARGV[3]) then
  lockouts = lockouts + 1
  locked_until = now + math.min(tonumber(ARGV[4]) * 2 ^ math.min(lockouts - 1, 20),
                                tonumber(ARGV[5]))
  failures = 0; start = now; locked_now = '1'
end
redis.call('HSET', KEYS[1], 'failures', failures, 'start', start, 'lockouts', lockouts,
           'locked_until', locked_until)
redis.call('EXPIRE', KEYS[1], 86400)
return {'0', tostring(locked_until), locked_now}
"""

_FORGIVE = """
if tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'failures', -1)
end
return 1
"""


class RedisRateLimiter(_Stepping):
    """The same counters in Redis hashes, changed only by Lua scripts, so that app instances
    racing on one key still count every attempt; a key expires after a quiet day."""

    def __init__(self, redis, clock: Clock = utcnow, prefix: str = "zaao:") -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self._script = redis.register_script(_STEP)
        self._forgive = redis.register_script(_FORGIVE)

    def _name(self, policy: Policy, key: str) -> str:
        return f"{self.prefix}rate:{policy.name}:{key}"

    async def retry_after(self, policy: Policy, key: str) -> int | None:
        value = await self.redis.hget(self._name(policy, key), "locked_until")
        remaining = float(value or 0) - self.clock().timestamp()
        return math.ceil(remaining) if remaining > 0 else None

    async def _step(self, policy: Policy, key: str, refuse_when_locked: bool) -> Decision:
        now = self.clock().timestamp()
        refused, locked_until, locked_now = await self._script(
            keys=[self._name(policy, key)],
            args=[now, policy.window.total_seconds(), policy.allowed,
                  policy.first_lockout.total_seconds(), policy.longest_lockout.total_seconds(),
                  "1" if refuse_when_locked else "0"],
        )
        remaining = float(locked_until) - now
        if float(refused) > 0:
            return Decision(refused=math.ceil(float(refused)))
        if int(locked_now):
            return Decision(locked_now=math.ceil(remaining))
        return Decision(refused=math.ceil(remaining) if remaining > 0 else None)

    async def forgive(self, policy: Policy, key: str) -> None:
        await self._forgive(keys=[self._name(policy, key)])

    async def clear(self, policy: Policy, key: str) -> None:
        await self.redis.delete(self._name(policy, key))
