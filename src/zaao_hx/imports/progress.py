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

from zaao_hx.imports.report import warning_count_of
from zaao_hx.imports.service import ImportResult, Progress
from zaao_hx.web.i18n import N_, gettext, ngettext, number

RIGA = ZoneInfo("Europe/Riga")
STAGES = {
    "waiting": N_("gaida, kamēr beigsies cits imports"),
    "stopping": N_("pārtrauc (datubāze netiks mainīta; vēlreiz Ctrl+C — uzreiz)"),
    "hash": N_("salīdzina ar pēdējo momentuzņēmumu"),
    "checked": N_("visas rindas nolasītas"),
    "swap": N_("aizstāj tabulas ar jaunajām"),
    "commit": N_("apstiprina transakciju"),
    "done": N_("pabeigts"),
}
OUTCOMES = {
    "imported": N_("importēts"),
    "unchanged": N_("nemainīts"),
    "rejected": N_("noraidīts"),
    "failed": N_("neizdevies"),
    "running": N_("notiek"),
    "interrupted": N_("pārtraukts"),
}


def _stage(name: str) -> str:
    return gettext(STAGES[name]) if name in STAGES else name


class Bar(Progress):
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.drawn = 0.0
        self.text = ""
        self.stopping = False  # asked to stop: the bar no longer moves

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
        if self.stopping:
            return
        share = done / total if total else 1.0
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self._draw(f"[{bar}] {share:4.0%}  {file}  {number(elapsed, 1):>5} s")

    def stage(self, name: str) -> None:
        elapsed = time.monotonic() - self.started
        if name in ("waiting", "stopping"):  # not begun, or not going on: no bar
            self.stopping = name == "stopping"
            self._draw(f"{_stage(name)}  {number(elapsed, 1):>5} s", force=True)
            return
        bar = "#" * self.width
        self._draw(f"[{bar}] 100%  {_stage(name)}  {number(elapsed, 1):>5} s", force=True)

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
            self._say(gettext("lasa %(file)s (%(percent)s%%)", file=file,
                              percent=done * 100 // (total or 1)))

    def stage(self, name: str) -> None:
        self._say(_stage(name))


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
    seconds = number(result.seconds, 1)
    if result.outcome == "imported":
        head = gettext("Momentuzņēmums %(folder)s importēts (%(seconds)s s).",
                       folder=directory, seconds=seconds)
    elif result.outcome == "unchanged":
        head = gettext("%(folder)s ir tas pats momentuzņēmums, kas importēts pēdējoreiz: "
                       "nekas nav jādara (%(seconds)s s).", folder=directory, seconds=seconds)
    elif result.outcome == "rejected":
        head = ngettext(
            "Momentuzņēmums %(folder)s noraidīts: %(num)s kļūda; datubāze nav mainīta.",
            "Momentuzņēmums %(folder)s noraidīts: %(num)s kļūdas; datubāze nav mainīta.",
            report.error_count, folder=directory)
    elif result.outcome == "interrupted":
        head = gettext("%(folder)s importēšana pārtraukta (%(reason)s); datubāze nav "
                       "mainīta.", folder=directory, reason=result.message)
    else:
        head = gettext("%(folder)s importēšana neizdevās; datubāze nav mainīta.",
                       folder=directory)
    lines = [head]
    if report.counts:
        width = max(len(name) for name in report.counts)
        lines += [f"  {name:<{width}}  {number(n):>12}" for name, n in report.counts.items()]
    if result.outcome == "imported":
        lines.append("  " + gettext("brīdinājumi: %(num)s", num=report.warning_count))
    if result.message and result.outcome != "interrupted":
        lines.append(result.message)
    listing = report.listing()
    if listing:
        lines.append(listing)
    if result.snapshot_id is not None:
        lines.append(gettext("Vēsture: imports Nr. %(id)s (`zaao-hx imports`).",
                             id=result.snapshot_id))
    return "\n".join(lines)


def history_table(rows: list[dict], running_now: bool) -> str:
    """`zaao-hx imports`: newest first."""
    if not rows:
        return gettext("Importu vēl nav.")
    # (the translated headings and outcomes set the widths: they differ by language)
    heads = [gettext(h) for h in (N_("sākts (Rīga)"), N_("iznākums"), N_("ilgums"),
                                   N_("dati uz"), N_("klienti"), N_("rēķini"),
                                   N_("maksājumi"), N_("brīd."), N_("avots"))]
    outcomes = {key: gettext(text) for key, text in OUTCOMES.items()}
    wide = max(11, *map(len, outcomes.values()), len(heads[1]))
    num = max(9, *map(len, heads[4:7]))
    out = [
        f"{'#':>5}  {heads[0]:<16}  {heads[1]:<{wide}}  {heads[2]:>7}  {heads[3]:<16}  "
        f"{heads[4]:>{num}}  {heads[5]:>{num}}  {heads[6]:>{num}}  {heads[7]:>5}  {heads[8]}"
    ]
    for row in rows:
        started = _moment(row["started_at"])
        finished = _moment(row["finished_at"]) if row["finished_at"] else None
        took = f"{number((finished - started).total_seconds(), 1)} s" if finished else "—"
        outcome = row["outcome"]
        if outcome == "running" and not running_now:
            outcome = "interrupted"
        counts = row["counts"]
        if isinstance(counts, str):
            import json

            counts = json.loads(counts or "{}")
        # (counted in `counts` since 2026-12-04; before, only in the listing)
        warnings = (counts.get("warnings", warning_count_of(row["report"]))
                    if outcome == "imported" else "")
        out.append(
            f"{row['id']:>5}  {started.astimezone(RIGA):%Y-%m-%d %H:%M}  "
            f"{outcomes.get(outcome, outcome):<{wide}}  "
            f"{took:>7}  {_moment(row['as_of']).astimezone(RIGA):%Y-%m-%d %H:%M}  "
            f"{_count(counts, 'customers'):>{num}}  {_count(counts, 'invoices'):>{num}}  "
            f"{_count(counts, 'payments'):>{num}}  {warnings!s:>5}  {row['source']}"
        )
    return "\n".join(out)


def _count(counts: dict, name: str) -> str:
    return number(counts[name]) if name in counts else ""


def _moment(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
