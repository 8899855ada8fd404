"""What an operator sees while `zaao-hx import` runs, and after.

A bar on stderr when stderr is a terminal (redrawn with `\\r`, at most ten times a
second); nothing when it is not (cron, logs), unless `--progress lines` asks for one line
per step — which is also how a test knows how far an import got.
"""

from __future__ import annotations

import datetime
import sys
import time
from typing import TextIO
from zoneinfo import ZoneInfo

from zaao_hx.imports.service import ImportResult, Progress

RIGA = ZoneInfo("Europe/Riga")
STAGES = {
    "hash": "comparing with the last snapshot",
    "checked": "all rows read",
    "swap": "swapping in the new tables",
    "commit": "committing",
    "done": "done",
}


class Bar(Progress):
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.drawn = 0.0
        self.text = ""

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.drawn < 0.1:
            return
        self.drawn = now
        padded = text.ljust(len(self.text))
        self.text = text
        self.stream.write("\r" + padded)
        self.stream.flush()

    def update(self, done: int, total: int, file: str) -> None:
        share = done / total if total else 1.0
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self._draw(f"[{bar}] {share:4.0%}  {file}  {elapsed:5.1f} s")

    def stage(self, name: str) -> None:
        elapsed = time.monotonic() - self.started
        bar = "#" * self.width
        self._draw(f"[{bar}] 100%  {STAGES.get(name, name)}  {elapsed:5.1f} s", force=True)

    def done(self) -> None:
        if self.text:
            self.stream.write("\r" + " " * len(self.text) + "\r")
            self.stream.flush()
            self.text = ""


class Lines(Progress):
    """One line per file and per stage (and per tenth of the way)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.file = ""
        self.tenth = -1

    def _say(self, text: str) -> None:
        self.stream.write(f"import: {text}\n")
        self.stream.flush()

    def update(self, done: int, total: int, file: str) -> None:
        tenth = done * 10 // total if total else 10
        if file != self.file or tenth != self.tenth:
            self.file, self.tenth = file, tenth
            self._say(f"reading {file} ({done * 100 // (total or 1)}%)")

    def stage(self, name: str) -> None:
        self._say(STAGES.get(name, name))


def progress_for(mode: str, stream: TextIO = sys.stderr) -> Progress:
    if mode == "auto":
        mode = "bar" if stream.isatty() else "none"
    if mode == "bar":
        return Bar(stream)
    if mode == "lines":
        return Lines(stream)
    return Progress()


def summary(result: ImportResult, directory: str) -> str:
    """What the operator reads at the end: the outcome, counts per file, warnings, time."""
    report = result.report
    head = {
        "imported": f"Imported {directory} in {result.seconds:.1f} s.",
        "unchanged": f"{directory} is the snapshot imported last time: nothing to do "
        f"({result.seconds:.1f} s).",
        "rejected": f"Refused {directory}: {report.error_count} error"
        f"{'s' if report.error_count != 1 else ''}; the database is unchanged.",
        "failed": f"The import of {directory} failed; the database is unchanged.",
    }[result.outcome]
    lines = [head]
    if report.counts:
        width = max(len(name) for name in report.counts)
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in report.counts.items()]
    if result.outcome == "imported":
        lines.append(f"  warnings: {report.warning_count}")
    if result.message:
        lines.append(result.message)
    listing = report.listing()
    if listing:
        lines.append(listing)
    if result.snapshot_id is not None:
        lines.append(f"History: import #{result.snapshot_id} (`zaao-hx imports`).")
    return "\n".join(lines)


def history_table(rows: list[dict], running_now: bool) -> str:
    """`zaao-hx imports`: newest first."""
    if not rows:
        return "No imports yet."
    out = [
        f"{'#':>5}  {'started (Riga)':<16}  {'outcome':<11}  {'took':>7}  {'as of':<16}  "
        f"{'customers':>9}  {'invoices':>9}  {'payments':>9}  {'warn':>5}  source"
    ]
    for row in rows:
        started = _moment(row["started_at"])
        finished = _moment(row["finished_at"]) if row["finished_at"] else None
        took = f"{(finished - started).total_seconds():.1f} s" if finished else "—"
        outcome = row["outcome"]
        if outcome == "running" and not running_now:
            outcome = "interrupted"
        counts = row["counts"]
        if isinstance(counts, str):
            import json

            counts = json.loads(counts or "{}")
        warnings = _warning_count(row["report"]) if outcome == "imported" else ""
        out.append(
            f"{row['id']:>5}  {started.astimezone(RIGA):%Y-%m-%d %H:%M}  {outcome:<11}  "
            f"{took:>7}  {_moment(row['as_of']).astimezone(RIGA):%Y-%m-%d %H:%M}  "
            f"{_count(counts, 'customers'):>9}  {_count(counts, 'invoices'):>9}  "
            f"{_count(counts, 'payments'):>9}  {warnings!s:>5}  {row['source']}"
        )
    return "\n".join(out)


def _count(counts: dict, name: str) -> str:
    return f"{counts[name]:,}" if name in counts else ""


def _warning_count(report: str) -> int:
    for line in report.splitlines():
        if line.endswith(("warning:", "warnings:")):
            return int(line.split()[0])
    return 0


def _moment(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
