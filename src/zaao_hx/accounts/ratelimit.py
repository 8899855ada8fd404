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
from dataclasses import dataclass
from datetime import timedelta
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


class RateLimiter(Protocol):
    async def retry_after(self, policy: Policy, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may now."""

    async def hit(self, policy: Policy, key: str) -> int | None:
        """Count one attempt; the lockout in seconds when this one crossed the line."""

    async def clear(self, policy: Policy, key: str) -> None: ...


class DatabaseRateLimiter:
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

    async def hit(self, policy: Policy, key: str) -> int | None:
        name, now = f"{policy.name}:{key}", self.clock()
        async with write_transaction():
            row = await RateCounter.select().where(RateCounter.key == name).first()
            if row is None:
                row = {"failures": 0, "window_start": now, "lockouts": 0, "locked_until": None}
                await RateCounter.insert(RateCounter(key=name, window_start=now))
            failures, start = row["failures"], row["window_start"]
            if now - start > policy.window:
                failures, start = 0, now
            failures += 1
            lockouts, locked_until = row["lockouts"], row["locked_until"]
            if failures >= policy.allowed:
                lockouts += 1
                locked_until = now + policy.lockout(lockouts)
                failures, start = 0, now
            await RateCounter.update(
                {RateCounter.failures: failures, RateCounter.window_start: start,
                 RateCounter.lockouts: lockouts, RateCounter.locked_until: locked_until}
            ).where(RateCounter.key == name)
        if locked_until and locked_until > now:
            return _seconds(locked_until - now)
        return None

    async def clear(self, policy: Policy, key: str) -> None:
        await RateCounter.delete().where(RateCounter.key == f"{policy.name}:{key}")


# KEYS[1] counter hash; ARGV: now, window, allowed, first lockout, longest lockout (seconds).
_HIT = """
local now = tonumber(ARGV[1])
local c = redis.call('HMGET', KEYS[1], 'failures', 'start', 'lockouts', 'locked_until')
local failures = tonumber(c[1]) or 0
local start = tonumber(c[2]) or now
local lockouts = tonumber(c[3]) or 0
local locked_until = tonumber(c[4]) or 0
if now - start > tonumber(ARGV[2]) then failures = 0; start = now end
failures = failures + 1
if failures >= tonumber(ARGV[3]) then
  lockouts = lockouts + 1
  locked_until = now + math.min(tonumber(ARGV[4]) * 2 ^ (lockouts - 1), tonumber(ARGV[5]))
  failures = 0; start = now
end
redis.call('HSET', KEYS[1], 'failures', failures, 'start', start, 'lockouts', lockouts,
           'locked_until', locked_until)
redis.call('EXPIRE', KEYS[1], 86400)
return tostring(locked_until)
"""


class RedisRateLimiter:
    """The same counters in Redis hashes, updated by one Lua script so that app instances
    racing on one key still count every attempt."""

    def __init__(self, redis, clock: Clock = utcnow, prefix: str = "zaao:") -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self._hit = redis.register_script(_HIT)

    def _name(self, policy: Policy, key: str) -> str:
        return f"{self.prefix}rate:{policy.name}:{key}"

    async def retry_after(self, policy: Policy, key: str) -> int | None:
        value = await self.redis.hget(self._name(policy, key), "locked_until")
        remaining = float(value or 0) - self.clock().timestamp()
        return math.ceil(remaining) if remaining > 0 else None

    async def hit(self, policy: Policy, key: str) -> int | None:
        now = self.clock().timestamp()
        locked_until = float(
            await self._hit(
                keys=[self._name(policy, key)],
                args=[now, policy.window.total_seconds(), policy.allowed,
                      policy.first_lockout.total_seconds(),
                      policy.longest_lockout.total_seconds()],
            )
        )
        return math.ceil(locked_until - now) if locked_until > now else None

    async def clear(self, policy: Policy, key: str) -> None:
        await self.redis.delete(self._name(policy, key))
