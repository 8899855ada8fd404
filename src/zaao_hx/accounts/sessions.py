"""Server-side sessions: in the database by default, in Redis with ZAAO_REDIS_URL.

The cookie carries a random id; stores keep only its SHA-256, so a leaked table or
Redis dump holds no usable cookie.  A session dies after 30 idle minutes or 12 hours,
whichever comes first; signing in always makes a new one (the id is rotated).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from zaao_hx.accounts.tables import SessionRecord

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
COOKIE = "zaao_session"
# Writing last-seen on every request would make each page view a write; once a minute
# keeps the idle timeout within a minute of exact.
TOUCH_EVERY = timedelta(minutes=1)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Session:
    """What a signed-in visitor may see: their contracts, and whether they are the demo."""

    id: str
    contract_nos: list[str]
    active_contract: str
    account_id: int | None = None
    demo: bool = False
    created_at: datetime = field(default_factory=utcnow)

    def data(self) -> dict[str, Any]:
        return {
            "contract_nos": self.contract_nos,
            "active_contract": self.active_contract,
            "demo": self.demo,
        }

    @classmethod
    def from_data(
        cls, sid: str, data: dict, account_id: int | None, created_at: datetime
    ) -> Session:
        return cls(
            id=sid,
            contract_nos=list(data["contract_nos"]),
            active_contract=data["active_contract"],
            account_id=account_id,
            demo=bool(data.get("demo")),
            created_at=created_at,
        )


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore(Protocol):
    async def create(
        self, *, contract_nos: list[str], active_contract: str, account_id: int | None,
        demo: bool,
    ) -> Session: ...

    async def load(self, sid: str) -> Session | None: ...

    async def save(self, session: Session) -> None: ...

    async def destroy(self, sid: str) -> None: ...

    async def destroy_account(self, account_id: int) -> None: ...


class DatabaseSessionStore:
    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock

    async def create(self, *, contract_nos, active_contract, account_id, demo) -> Session:
        now = self.clock()
        await SessionRecord.delete().where(
            (SessionRecord.idle_expires_at < now) | (SessionRecord.absolute_expires_at < now)
        )
        session = Session(
            id=secrets.token_urlsafe(32), contract_nos=contract_nos,
            active_contract=active_contract, account_id=account_id, demo=demo, created_at=now,
        )
        await SessionRecord.insert(
            SessionRecord(
                key=_key(session.id), account_id=account_id, data=json.dumps(session.data()),
                created_at=now, last_seen_at=now, idle_expires_at=now + IDLE,
                absolute_expires_at=now + ABSOLUTE,
            )
        )
        return session

    async def load(self, sid: str) -> Session | None:
        now = self.clock()
        row = await SessionRecord.select().where(SessionRecord.key == _key(sid)).first()
        if row is None or row["idle_expires_at"] <= now or row["absolute_expires_at"] <= now:
            return None
        if now - row["last_seen_at"] >= TOUCH_EVERY:
            await SessionRecord.update(
                {SessionRecord.last_seen_at: now,
                 SessionRecord.idle_expires_at: min(now + IDLE, row["absolute_expires_at"])}
            ).where(SessionRecord.key == row["key"])
        data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
        return Session.from_data(sid, data, row["account_id"], row["created_at"])

    async def save(self, session: Session) -> None:
        await SessionRecord.update({SessionRecord.data: json.dumps(session.data())}).where(
            SessionRecord.key == _key(session.id)
        )

    async def destroy(self, sid: str) -> None:
        await SessionRecord.delete().where(SessionRecord.key == _key(sid))

    async def destroy_account(self, account_id: int) -> None:
        await SessionRecord.delete().where(SessionRecord.account_id == account_id)


class RedisSessionStore:
    """One key per session with a TTL of the idle timeout (capped by the absolute one),
    and a set per account so that a password reset can end all of its sessions."""

    def __init__(self, redis, clock: Clock = utcnow, prefix: str = "zaao:") -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix

    def _skey(self, sid: str) -> str:
        return f"{self.prefix}session:{_key(sid)}"

    def _akey(self, account_id: int) -> str:
        return f"{self.prefix}account-sessions:{account_id}"

    def _ttl(self, now: datetime, absolute: datetime) -> int:
        return max(1, int(min(IDLE, absolute - now).total_seconds()))

    async def create(self, *, contract_nos, active_contract, account_id, demo) -> Session:
        now = self.clock()
        session = Session(
            id=secrets.token_urlsafe(32), contract_nos=contract_nos,
            active_contract=active_contract, account_id=account_id, demo=demo, created_at=now,
        )
        await self._write(session, now)
        if account_id is not None:
            await self.redis.sadd(self._akey(account_id), _key(session.id))
            await self.redis.expire(self._akey(account_id), int(ABSOLUTE.total_seconds()))
        return session

    async def _write(self, session: Session, now: datetime, last_seen: datetime | None = None):
        absolute = session.created_at + ABSOLUTE
        record = {
            "data": session.data(), "account_id": session.account_id,
            "created_at": session.created_at.isoformat(),
            "last_seen_at": (last_seen or now).isoformat(),
            "idle_expires_at": min(now + IDLE, absolute).isoformat(),
        }
        ttl = self._ttl(now, absolute)
        await self.redis.set(self._skey(session.id), json.dumps(record), ex=ttl)

    async def load(self, sid: str) -> Session | None:
        now = self.clock()
        raw = await self.redis.get(self._skey(sid))
        if raw is None:
            return None
        record = json.loads(raw)
        created = datetime.fromisoformat(record["created_at"])
        # The TTL does the real work; these checks keep a test clock honest too.
        if datetime.fromisoformat(record["idle_expires_at"]) <= now or created + ABSOLUTE <= now:
            return None
        session = Session.from_data(sid, record["data"], record["account_id"], created)
        if now - datetime.fromisoformat(record["last_seen_at"]) >= TOUCH_EVERY:
            await self._write(session, now)
        return session

    async def save(self, session: Session) -> None:
        raw = await self.redis.get(self._skey(session.id))
        if raw is not None:
            last_seen = datetime.fromisoformat(json.loads(raw)["last_seen_at"])
            await self._write(session, last_seen, last_seen)

    async def destroy(self, sid: str) -> None:
        await self.redis.delete(self._skey(sid))

    async def destroy_account(self, account_id: int) -> None:
        keys = await self.redis.smembers(self._akey(account_id))
        names = [f"{self.prefix}session:{k.decode() if isinstance(k, bytes) else k}" for k in keys]
        if names:
            await self.redis.delete(*names)
        await self.redis.delete(self._akey(account_id))
