"""`zaao-hx imports`: the import history (the `snapshot` table), newest first."""

from __future__ import annotations

from zaao_hx.billing.tables import Snapshot
from zaao_hx.db import bind, engine_from_url
from zaao_hx.imports.progress import history_table
from zaao_hx.imports.store import import_running


async def recent(limit: int = 20) -> list[dict]:
    return await Snapshot.select().order_by(Snapshot.id, ascending=False).limit(limit)


async def history(database_url: str, limit: int = 20) -> str:
    bind(engine_from_url(database_url))
    rows = await recent(limit)
    return history_table(rows, running_now=await import_running(database_url))
