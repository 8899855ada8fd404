"""How long SQLite itself takes to store a snapshot, beside the sqlite3 command line's `.import`.

    .venv/bin/python bench/import_floor.py --folder SNAPSHOT [--rounds 2]

`zaao-hx import` on SQLite is two processes: one checks the files, the other writes what it
is handed.  This times the writing side alone: every row is checked and collected in memory
first (needs ~4 GB for 100,000 customers), then `SqliteStore` — the import's own code:
BEGIN IMMEDIATE, DELETE, executemany with the indexes kept up to date, COMMIT,
checkpoint — writes them into a fresh migrated database, timed from BEGIN to the
end of the checkpoint.  The sqlite3 command line's `.import` of the same files (the
baseline of bench/import_snapshot.py) is timed in the same rounds.

The ratio writer / baseline is a floor under the import's ratio: however fast the checking
side, the import cannot beat the time its writer needs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))
sys.path.insert(0, str(BENCH_DIR))

from import_snapshot import SECRET_KEY, env_for, sqlite_baseline  # noqa: E402
from zaao_hx.imports.store import SqliteStore  # noqa: E402
from zaao_hx.imports.validate import SnapshotValidator, TupleSink  # noqa: E402


def collect(folder: Path) -> list[tuple[str, list[tuple]]]:
    """Every row of the snapshot, checked, as the checking process hands them over."""
    messages: list[tuple[str, list[tuple]]] = []
    report = SnapshotValidator(folder, SECRET_KEY, TupleSink(
        lambda table, rows: messages.append((table, rows)))).run()
    if not report.ok:
        raise SystemExit(f"{folder} is not a valid snapshot:\n{report.listing()[:2000]}")
    return messages


async def write(db: Path, messages: list[tuple[str, list[tuple]]]) -> float:
    store = SqliteStore(db)
    await store.open()

    async def rows():
        for message in messages:
            yield message

    try:
        started = time.perf_counter()
        await store.begin()
        await store.load(rows())
        await store.finish(await store.insert_snapshot({"outcome": "running"}),
                           {"outcome": "imported"}, lambda _name: None)
        return time.perf_counter() - started
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    gc.disable()  # millions of tuples, nothing cyclic
    print(f"checking and collecting {opts.folder} …", flush=True)
    messages = collect(opts.folder)
    baseline, writer = [], []
    with tempfile.TemporaryDirectory(prefix="zaao-floor-") as tmp_name:
        tmp = Path(tmp_name)
        fresh = tmp / "fresh.sqlite3"
        subprocess.run([sys.executable, "-m", "zaao_hx.cli", "migrate"], check=True,
                       env=env_for(f"sqlite:///{fresh}", tmp), capture_output=True)
        for i in range(opts.rounds):
            baseline.append(sqlite_baseline(opts.folder, tmp).seconds)
            db = tmp / "ours.sqlite3"
            for path in tmp.glob("ours.sqlite3*"):
                path.unlink()
            db.write_bytes(fresh.read_bytes())
            writer.append(asyncio.run(write(db, messages)))
            print(f"round {i + 1}: sqlite3 .import {baseline[-1]:.2f} s, "
                  f"SqliteStore alone {writer[-1]:.2f} s", flush=True)
            os.sync()
    b, w = statistics.median(baseline), statistics.median(writer)
    print(f"median: baseline {b:.2f} s, writer alone {w:.2f} s, ratio {w / b:.2f} "
          "(a floor under zaao-hx import's ratio on SQLite)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
