"""`zaao-hx import DIR`: check a billing snapshot and make it the portal's read model.

1. Take the import lock; an earlier import left `running` (its process died) is marked
   failed — it changed nothing, its transaction died with it.
2. A snapshot identical to the last one imported (same content hash: files, importer
   version, personal-code key) is not loaded again: it is recorded as `unchanged` and
   nothing else happens, so nothing downstream ever sees a second copy.
3. Otherwise a `running` history row is written, the checking process is started and what
   it hands over is written in one transaction: committed when every row was right
   (`imported`, with the warnings), rolled back at the first sign of an error
   (`rejected`, with the report) or of a failure (`failed`).  The history row is the only
   thing a refused import leaves; the read model is as it was.
4. Asked to stop (`Stop`: the command's Ctrl+C or SIGTERM), it stops at its next chunk of
   rows, or just before the commit, and rolls back (`interrupted`); once the commit has
   begun, it finishes.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zaao_hx.imports.report import Report
from zaao_hx.imports.store import Store, store_for
from zaao_hx.imports.validate import content_hash, hash_files
from zaao_hx.imports.worker import END, Checked, Keyed, Worker, WorkerFailed
from zaao_hx.web.i18n import DEFAULT_LANGUAGE, N_, gettext, language

HISTORY_REPORT_LIMIT = 60_000  # characters of report kept in the history row

YIELD_NICE = 8  # the importing process's niceness beside the checking one (nice 0)

LOCK_POLL = 0.25  # seconds between tries while another import holds the lock


class Progress:
    """Told how far the import is; the CLI draws a bar (see imports.progress)."""

    def update(self, done: int, total: int, file: str) -> None: ...
    def stage(self, name: str) -> None: ...
    def done(self) -> None: ...


class Stop:
    """Asks a running import to stop (the command's Ctrl+C or SIGTERM; `request` only
    sets a field, so a signal handler may call it anywhere).  The import stops where
    stopping leaves nothing half-done — while it waits for another import, between two
    chunks of rows, or just before the commit — rolls back, and says so; once the commit
    has begun, it finishes."""

    def __init__(self) -> None:
        self.reason: str | None = None  # what asked: "Ctrl+C", "SIGTERM"

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason


class Stopped(Exception):  # noqa: N818 - what happened, not an error
    """Raised at the next safe point after a Stop was requested."""


STOPPED = N_("pārtraukts (%(reason)s); nekas netika mainīts")


@dataclass
class ImportResult:
    outcome: str  # imported / unchanged / rejected / failed / interrupted (asked to stop)
    report: Report
    seconds: float
    snapshot_id: int | None = None
    content_hash: str = ""
    message: str = ""  # for `failed`: what went wrong; for `interrupted`: what asked
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in {"imported", "unchanged"}


def counts_of(report: Report) -> dict[str, int]:
    """Rows per file, keyed like the demo's counts (customers, invoice_lines…), and the
    warnings."""
    counts = {name.removesuffix(".csv"): n for name, n in report.counts.items()}
    counts["warnings"] = report.warning_count
    return counts


def _manifest_matches(latest: dict, directory: Path) -> bool:
    """Cheap first test of "same snapshot as last time": the same manifest values."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8-sig"))
        as_of = datetime.datetime.fromisoformat(manifest["as_of"])
        next_refresh = datetime.date.fromisoformat(manifest["next_refresh"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    stored_as_of = latest["as_of"]
    if isinstance(stored_as_of, str):
        stored_as_of = datetime.datetime.fromisoformat(stored_as_of)
        if stored_as_of.tzinfo is None:
            stored_as_of = stored_as_of.replace(tzinfo=datetime.UTC)
    stored_refresh = latest["next_refresh"]
    if isinstance(stored_refresh, str):
        stored_refresh = datetime.date.fromisoformat(stored_refresh)
    return as_of == stored_as_of and next_refresh == stored_refresh


async def run_import(
    database_url: str,
    secret_key: str,
    directory: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    yield_to_checker: bool = False,
    stop: Stop | None = None,
) -> ImportResult:
    """Import the snapshot in `directory`.  `yield_to_checker`: a process of its own (the
    command) lowers its priority once the checking process is started (see `_load`).
    `stop`: asks it to stop (see Stop)."""
    progress = progress or Progress()
    stop = stop or Stop()
    directory = Path(directory)
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    stages: dict[str, float] = {}
    store = store_for(database_url)
    await store.open()
    try:
        if not await store.try_lock():  # another import (cron's, say): wait for its end
            progress.stage("waiting")
            while not await store.try_lock():
                if stop.reason:
                    return _stopped_before_start(stop, clock, progress)
                await asyncio.sleep(LOCK_POLL)
        await store.mark_interrupted()
        latest = await store.latest_imported()
        same = False
        if not force and latest and latest["content_hash"] and _manifest_matches(
            latest, directory
        ):
            progress.stage("hash")
            same = content_hash(hash_files(directory), secret_key) == latest["content_hash"]
        if stop.reason:  # (nothing written yet)
            return _stopped_before_start(stop, clock, progress)
        if same:
            report = Report()
            with language(DEFAULT_LANGUAGE):  # the history's language (see _history_row)
                note = gettext("tas pats momentuzņēmums, kas importā Nr. %(id)s: vēlreiz "
                               "netiek ielādēts", id=latest["id"])
            snapshot_id = await store.insert_snapshot(
                {
                    "as_of": _as_datetime(latest["as_of"]),
                    "next_refresh": _as_date(latest["next_refresh"]),
                    "source": latest["source"],
                    "started_at": started,
                    "finished_at": datetime.datetime.now(datetime.UTC),
                    "outcome": "unchanged",
                    "counts": _as_counts(latest["counts"]),
                    "report": note,
                    "content_hash": latest["content_hash"],
                }
            )
            progress.done()
            return ImportResult(
                "unchanged", report, time.perf_counter() - clock, snapshot_id,
                latest["content_hash"],
            )
        snapshot_id = await store.insert_snapshot(
            {
                "as_of": started,
                "next_refresh": started.date(),
                "source": str(directory),
                "started_at": started,
                "outcome": "running",
            }
        )
        result = await _load(store, directory, secret_key, snapshot_id, progress, stages,
                             latest, stop, yield_to_checker)
        result.seconds = time.perf_counter() - clock
        result.stages = stages
        return result
    finally:
        await store.close()


def _as_datetime(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _as_counts(value) -> dict:
    return json.loads(value or "{}") if isinstance(value, str) else dict(value or {})


def _as_date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _stopped_before_start(stop: Stop, clock: float, progress: Progress) -> ImportResult:
    """Asked to stop before anything was written (not even a history row)."""
    progress.stage("stopping")
    progress.done()
    return ImportResult("interrupted", Report(), time.perf_counter() - clock,
                        message=stop.reason or "")


async def _load(
    store: Store,
    directory: Path,
    secret_key: str,
    snapshot_id: int,
    progress: Progress,
    stages: dict[str, float],
    latest: dict | None,
    stop: Stop,
    yield_to_checker: bool = False,
) -> ImportResult:
    started = time.perf_counter()
    # PostgreSQL's rows of invoices and lines come keyed: the importer makes each rest's
    # binary COPY fields once (SQLite binds values, so it takes whole rows; keyed, it
    # would make them again a row at a time: no faster, bench/README.md)
    worker = Worker(directory, secret_key, keyed_tails=store.target == "postgres")
    if yield_to_checker and store.target == "postgres":
        # Three busy processes on PostgreSQL (checking, importing, the server's) share the
        # cores, and the checking one is the slower side: the importing process, which
        # its pipe lets run behind, gives way to it (100,000 customers, alternating runs:
        # 11.42 s against 12.05 s on average of 6).  SQLite's two are one a core: no gain.
        os.nice(YIELD_NICE)

    def payload(message: tuple) -> tuple | None:
        if message[0] == "rows":
            return message[1], message[2]
        if message[0] == "keyed":
            return message[1], Keyed(message[2], message[3])
        if message[0] == "end":
            return message[1], END
        progress.update(*message[1:])
        return None

    async def rows() -> AsyncIterator[tuple]:
        # PostgreSQL: read ahead in a thread while the server builds a table's indexes.
        # SQLite: read here, between executemany calls (a thread would fight them for the
        # GIL, which the sqlite3 module takes back for every row).
        messages = worker.prefetch() if store.target == "postgres" else _async(
            worker.messages())
        try:
            async for message in messages:
                if (rows_ := payload(message)) is not None:
                    yield rows_
                if stop.reason:  # a chunk is written: a safe point to stop at
                    raise Stopped
        except WorkerFailed:
            if stop.reason:  # (the signal that asked to stop ended the checking, too)
                raise Stopped from None
            raise

    def stage(name: str) -> None:
        now = time.perf_counter()
        stages[stage.current] = now - stage.since
        stage.current, stage.since = name, now
        progress.stage(name)

    stage.current, stage.since = "load", started
    try:
        await store.begin()
        messages = rows()
        try:
            await store.load(messages)
        except (WorkerFailed, Stopped):
            raise
        except Exception:
            # The database refused a row (a key twice, say): read on to the end, so that a
            # bad snapshot is reported as such, line by line, rather than as a failure.
            async for _ in messages:
                pass
            if worker.result is None or worker.result.report.ok:
                raise
        stage("checked")
        result = worker.result
        assert result is not None
        if latest and result.as_of and result.as_of < _as_datetime(latest["as_of"]):
            result.report.warning(
                "manifest.json", 0, "as_of",
                N_("%(value)s ir agrāks par pašreizējā momentuzņēmuma datumu (%(current)s, "
                   "imports Nr. %(id)s)"),
                {"value": result.as_of.isoformat(),
                 "current": _as_datetime(latest["as_of"]).isoformat(), "id": latest["id"]},
            )
        row = _history_row(result)
        if not result.report.ok:
            await store.rollback()
            row["outcome"] = "rejected"
            row["finished_at"] = datetime.datetime.now(datetime.UTC)
            await store.update_snapshot(snapshot_id, row)
            progress.done()
            return ImportResult("rejected", result.report, 0, snapshot_id, result.content_hash)
        if stop.reason:  # the last chance: from here on the import finishes
            raise Stopped
        row["outcome"] = "imported"
        row["finished_at"] = datetime.datetime.now(datetime.UTC)
        await store.finish(snapshot_id, row, stage)
        stage("done")
        progress.done()
        return ImportResult("imported", result.report, 0, snapshot_id, result.content_hash)
    except Stopped:
        progress.stage("stopping")
        await store.rollback()
        with language(DEFAULT_LANGUAGE):  # the history's language (see _history_row)
            note = gettext(STOPPED, reason=stop.reason)
        await store.update_snapshot(snapshot_id, {
            "outcome": "interrupted", "finished_at": datetime.datetime.now(datetime.UTC),
            "report": note})
        progress.done()
        return ImportResult("interrupted", Report(), 0, snapshot_id, message=stop.reason)
    except (WorkerFailed, Exception) as exc:
        await store.rollback()
        message = str(exc) if isinstance(exc, WorkerFailed) else f"{type(exc).__name__}: {exc}"
        await store.update_snapshot(
            snapshot_id,
            {
                "outcome": "failed",
                "finished_at": datetime.datetime.now(datetime.UTC),
                "report": message[:HISTORY_REPORT_LIMIT],
            },
        )
        progress.done()
        return ImportResult("failed", Report(), 0, snapshot_id, message=message)
    finally:
        worker.stop()


async def _async(messages: Iterator[tuple]) -> AsyncIterator[tuple]:
    for message in messages:
        yield message


def _history_row(checked: Checked) -> dict:
    # The history is kept in Latvian, whatever language the operator reads the command's
    # output in: one language in the table (and the warnings are counted in `counts`)
    with language(DEFAULT_LANGUAGE):
        listing = checked.report.listing()
    row: dict = {
        "counts": counts_of(checked.report),
        "report": listing[:HISTORY_REPORT_LIMIT],
        "content_hash": checked.content_hash,
    }
    if checked.as_of is not None:
        row["as_of"] = checked.as_of
    if checked.next_refresh is not None:
        row["next_refresh"] = checked.next_refresh
    if checked.source:
        row["source"] = checked.source[:200]
    return row
