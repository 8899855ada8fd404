"""Snapshot import benchmark: `zaao-hx import` beside the databases' own bulk loaders.

    .venv/bin/python bench/import_snapshot.py [--customers 100000] [--rounds 1]
                                              [--skip-postgres] [--json out.json] [--keep]

1. `zaao-hx generate` writes a snapshot of N customers into a temporary folder (timed).
2. Each round, one after the other, on the same files:
   a. the sqlite3 command line's `.import --csv --skip 1` of every file into a fresh SQLite
      file, into tables with the CSV's columns (TEXT, INTEGER for whole numbers);
   b. `zaao-hx import` into a fresh migrated SQLite database;
   c. `psql` `\\copy … (FORMAT csv, HEADER)` of every file into a fresh PostgreSQL database,
      into tables with the CSV's columns (text, integer, date, numeric(14,2));
   d. `zaao-hx import` into a fresh migrated PostgreSQL database.
   The baselines only load text into bare tables: no checks, no keys, no indexes.  Ours
   checks every row and builds the read model with its keys and indexes.  Each is timed
   from process start to exit; for ours the peak memory is the import process tree's.
3. With the last round's data loaded, the portal's two read paths — sign-in by contract
   no. + personal code, and the signed-in home's `contracts_with_customers` — are timed
   there and on the demo data set, with their query plans.

Bars (QUALITY.md, issue 4): ours / baseline ≤ 2.0; peak memory < 500 MB.  Exit status 0
(or 1 with --strict when a bar fails).  See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT / "src"))

from zaao_hx.imports.format import FILES  # noqa: E402

SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef0123456789"
RATIO_BAR = 2.0
MEMORY_BAR_MB = 500
POSTGRES_URL = os.environ.get("ZAAO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# --------------------------------------------------------------------------- helpers


def env_for(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ZAAO_DATABASE_URL": database_url,
        "ZAAO_SECRET_KEY": SECRET_KEY,
        "ZAAO_DATA_DIR": str(data_dir),
        "ZAAO_ENV": "development",
    }


def zaao(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zaao_hx.cli", *args], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    )


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _host_cpu_seconds() -> float:
    """CPU time the host has been busy since boot, all cores (/proc/stat: user, nice,
    system, irq, softirq; not idle, iowait or the time the hypervisor gave to others):
    around a load it counts the database server's work too, which the load's own process
    tree does not."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq = map(
                int, f.readline().split()[1:8])
    except (OSError, ValueError):
        return 0.0
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class Timed:
    """A command run and timed from start to exit, with the peak memory of its tree."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None,
                 stdin: Path | None = None) -> None:
        self.command = command
        self.env = env
        self.stdin = stdin
        self.seconds = 0.0
        self.max_rss_mb = 0.0  # the largest process of the tree (wait4)
        self.sum_rss_mb = 0.0  # the tree's processes together, sampled every 20 ms
        self.cpu_seconds = 0.0  # the host's busy CPU time meanwhile (database server too)
        self.own_cpu_seconds = 0.0  # the command's own and its children's (wait4)
        self.output = ""

    def run(self) -> Timed:
        stdin = open(self.stdin, "rb") if self.stdin else subprocess.DEVNULL  # noqa: SIM115
        busy = _host_cpu_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        done = threading.Event()
        peak = [0]

        def sample() -> None:
            while not done.wait(0.02):
                pids = [proc.pid, *_children(proc.pid)]
                peak[0] = max(peak[0], sum(_rss_kb(p) for p in pids))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        self.seconds = time.perf_counter() - started
        self.cpu_seconds = _host_cpu_seconds() - busy
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if self.stdin:
            stdin.close()
        self.output = output.decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(self.command)} failed:\n{self.output[-3000:]}")
        self.max_rss_mb = usage.ru_maxrss / 1024
        self.own_cpu_seconds = usage.ru_utime + usage.ru_stime
        self.sum_rss_mb = peak[0] / 1024
        return self


async def _pg(sql: str, url: str = POSTGRES_URL) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_postgres(name: str) -> str:
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    return f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"


def drop_postgres(name: str) -> None:
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def baseline_tables(types: dict[str, str]) -> str:
    """Tables with the files' columns and nothing else (no keys, no indexes)."""
    statements = []
    for spec in FILES:
        columns = ", ".join(f'"{c.name}" {types.get(c.kind, types["text"])}' for c in spec.columns)
        statements.append(f'CREATE TABLE "{spec.table}" ({columns});')
    return "\n".join(statements) + "\n"


# --------------------------------------------------------------------------- the loads


def sqlite_baseline(folder: Path, tmp: Path) -> Timed:
    db = tmp / "baseline.sqlite3"
    db.unlink(missing_ok=True)
    subprocess.run(["sqlite3", str(db)], input=baseline_tables(
        {"text": "TEXT", "int": "INTEGER"}).encode(), check=True)
    script = tmp / "baseline-import.sql"
    script.write_text("".join(
        f".import --csv --skip 1 {folder / spec.name} {spec.table}\n" for spec in FILES))
    timed = Timed(["sqlite3", str(db)], stdin=script).run()
    db.unlink()
    return timed


def ours(database_url: str, folder: Path, data_dir: Path) -> Timed:
    env = env_for(database_url, data_dir)
    zaao(["migrate"], env)
    return Timed([sys.executable, "-m", "zaao_hx.cli", "import", str(folder),
                  "--progress", "none"], env=env).run()


def sqlite_ours(folder: Path, tmp: Path) -> Timed:
    db = tmp / "ours.sqlite3"
    for path in tmp.glob("ours.sqlite3*"):
        path.unlink()
    return ours(f"sqlite:///{db}", folder, tmp)


def postgres_baseline(folder: Path, tmp: Path, name: str) -> Timed:
    url = fresh_postgres(name)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=baseline_tables(
        {"text": "text", "int": "integer", "date": "date", "money": "numeric(14,2)"}
    ).encode(), check=True)
    script = tmp / "baseline-copy.sql"
    script.write_text("".join(
        f"\\copy \"{spec.table}\" FROM '{folder / spec.name}' WITH (FORMAT csv, HEADER true)\n"
        for spec in FILES))
    timed = Timed(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), url]).run()
    drop_postgres(name)
    return timed


def postgres_ours(folder: Path, tmp: Path, name: str) -> Timed:
    return ours(fresh_postgres(name), folder, tmp)


# --------------------------------------------------------------------------- read paths


def sample_sign_ins(folder: Path, n: int = 200) -> list[tuple[str, str]]:
    """(contract no., personal code) of private customers, from the snapshot's files."""
    with open(folder / "customers.csv", encoding="utf-8", newline="") as f:
        codes = {r["customer_id"]: r["personal_code"] for r in csv.DictReader(f)
                 if r["personal_code"]}
    with open(folder / "contracts.csv", encoding="utf-8", newline="") as f:
        pairs = [(r["contract_no"], codes[r["customer_id"]]) for r in csv.DictReader(f)
                 if r["customer_id"] in codes]
    return random.Random(1).sample(pairs, min(n, len(pairs)))


async def _read_paths(database_url: str, pairs: list[tuple[str, str]], repeat: int) -> dict:
    from piccolo.engine.postgres import PostgresEngine

    from zaao_hx.billing.identity import codes_match
    from zaao_hx.billing.queries import contracts_with_customers
    from zaao_hx.billing.tables import Contract, Customer
    from zaao_hx.db import bind, engine_from_url

    engine = engine_from_url(database_url)
    bind(engine)
    pool = isinstance(engine, PostgresEngine)  # as the app runs it: a pool, started once
    if pool:
        await engine.start_connection_pool(min_size=1, max_size=2)
    try:
        async def sign_in(contract_no: str, code: str) -> bool:
            # AccountService._customer_for + _proves: contract by its number, its customer,
            # the keyed hash of the code compared in constant time
            contract = await Contract.select().where(Contract.contract_no == contract_no).first()
            customer = await Customer.select().where(
                Customer.customer_id == contract["customer_id"]).first()
            return codes_match(SECRET_KEY, code, customer["personal_code_hash"])

        async def home(contract_no: str, _code: str) -> bool:
            return bool(await contracts_with_customers([contract_no]))

        results = {}
        for label, fn in (("sign-in", sign_in), ("home", home)):
            for contract_no, code in pairs[:5]:  # warm up
                assert await fn(contract_no, code), (label, contract_no)
            times = []
            for i in range(repeat):
                contract_no, code = pairs[i % len(pairs)]
                started = time.perf_counter()
                ok = await fn(contract_no, code)
                times.append((time.perf_counter() - started) * 1000)
                assert ok
            times.sort()
            results[label] = {
                "median_ms": statistics.median(times),
                "p99_ms": times[int(len(times) * 0.99) - 1],
            }
        contract_no = pairs[0][0]
        customer_id = (await Contract.select(Contract.customer_id).where(
            Contract.contract_no == contract_no).first())["customer_id"]
        queries = {
            "sign-in: contract": Contract.select().where(Contract.contract_no == contract_no
                                                         ).first(),
            "sign-in: customer": Customer.select().where(Customer.customer_id == customer_id
                                                         ).first(),
            "home: contracts": Contract.select(Contract.contract_no, Contract.customer_id
                                               ).where(Contract.contract_no.is_in([contract_no])),
            "home: customers": Customer.select(
                Customer.customer_id, Customer.name, Customer.kind, Customer.phone,
                Customer.email).where(Customer.customer_id.is_in([customer_id])),
        }
        plans = {}
        for label, query in queries.items():
            sql = str(query)
            explain = "EXPLAIN QUERY PLAN " if database_url.startswith("sqlite") else "EXPLAIN "
            rows = await engine.run_ddl(explain + sql)
            plans[label] = [
                r.get("detail") or r.get("QUERY PLAN") or str(r) for r in rows
            ]
        results["plans"] = plans
        return results
    finally:
        if pool:
            await engine.close_connection_pool()


def read_paths(database_url: str, pairs: list[tuple[str, str]], repeat: int) -> dict:
    return asyncio.run(_read_paths(database_url, pairs, repeat))


def demo_database(database_url: str, data_dir: Path) -> str:
    env = env_for(database_url, data_dir)
    zaao(["migrate"], env)
    zaao(["demo"], env)
    return database_url


DEMO_PAIRS = [("demo", "demo"), ("10-204518", "140378-12342")]


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of a-d (median taken)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=500, help="read-path calls timed")
    parser.add_argument("--folder", type=Path, help="use this snapshot instead of generating")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar fails")
    opts = parser.parse_args(argv)
    for tool in ["sqlite3"] + ([] if opts.skip_postgres else ["psql"]):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (or use --skip-postgres)")

    tmp = Path(tempfile.mkdtemp(prefix="zaao-import-bench-"))
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    pg_names = [f"zaao_bench_{tag}_{k}" for k in ("base", "ours", "demo")]
    results: dict = {"customers": opts.customers, "rounds": [], "cpus": os.cpu_count()}
    try:
        folder = opts.folder
        if folder is None:
            folder = tmp / "snapshot"
            generated = Timed([sys.executable, "-m", "zaao_hx.cli", "generate", str(folder),
                               "--customers", str(opts.customers), "--seed", str(opts.seed)],
                              env=env_for("sqlite:///unused", tmp)).run()
            print(generated.output.rstrip())
            results["generate_seconds"] = generated.seconds
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"snapshot: {folder} ({size / 1e6:.0f} MB)\n")

        for round_no in range(1, opts.rounds + 1):
            row = {"sqlite_baseline": sqlite_baseline(folder, tmp),
                   "sqlite_ours": sqlite_ours(folder, tmp)}
            if not opts.skip_postgres:
                row["postgres_baseline"] = postgres_baseline(folder, tmp, pg_names[0])
                row["postgres_ours"] = postgres_ours(folder, tmp, pg_names[1])
            results["rounds"].append({
                k: {"seconds": t.seconds, "max_rss_mb": t.max_rss_mb, "sum_rss_mb": t.sum_rss_mb,
                    "cpu_seconds": t.cpu_seconds, "own_cpu_seconds": t.own_cpu_seconds}
                for k, t in row.items()})
            print(f"round {round_no}: " + ", ".join(
                f"{k} {t.seconds:.2f} s" for k, t in row.items()))

        def median(key: str, field: str = "seconds") -> float:
            return statistics.median(r[key][field] for r in results["rounds"])

        print()
        print(f"{'load':<44} {'seconds':>8} {'ratio':>6}  {'peak MB':>8}  {'CPU s':>6}  bar")
        verdicts = []
        for db in ["sqlite"] + ([] if opts.skip_postgres else ["postgres"]):
            base, mine = median(f"{db}_baseline"), median(f"{db}_ours")
            ratio = mine / base
            largest = median(f"{db}_ours", "max_rss_mb")
            together = median(f"{db}_ours", "sum_rss_mb")
            name = "sqlite3 .import --csv" if db == "sqlite" else "psql \\copy (FORMAT csv)"
            base_cpu, mine_cpu = median(f"{db}_baseline", "cpu_seconds"), median(
                f"{db}_ours", "cpu_seconds")
            print(f"{db + ' baseline: ' + name:<44} {base:8.2f} {'':6}  {'':8}  {base_cpu:6.1f}")
            ratio_ok = ratio <= RATIO_BAR
            memory_ok = together < MEMORY_BAR_MB
            verdicts += [ratio_ok, memory_ok]
            print(f"{db + ' ours: zaao-hx import':<44} {mine:8.2f} {ratio:6.2f}  "
                  f"{together:8.0f}  {mine_cpu:6.1f}  "
                  f"ratio ≤ {RATIO_BAR}: {'PASS' if ratio_ok else 'FAIL'}, "
                  f"memory < {MEMORY_BAR_MB} MB: {'PASS' if memory_ok else 'FAIL'}")
            own = median(f"{db}_ours", "own_cpu_seconds")
            print(f"{'':<44} (CPU s: {own:.1f} the import's two processes, "
                  f"{mine_cpu - own:.1f} the rest: the database server, the host)")
            # each round's own ratio: its two runs are a minute apart, so on a host whose
            # speed drifts they tell how far apart the medians' ratio may be from the truth
            paired = [r[f"{db}_ours"]["seconds"] / r[f"{db}_baseline"]["seconds"]
                      for r in results["rounds"]]
            print(f"{'':<44} (each round: {' '.join(f'{x:.2f}' for x in paired)}; "
                  f"median {statistics.median(paired):.2f})")
            results[db] = {"baseline": base, "ours": mine, "ratio": ratio,
                           "baseline_cpu_seconds": base_cpu, "ours_cpu_seconds": mine_cpu,
                           "ours_own_cpu_seconds": own,
                           "ratio_per_round": paired,
                           "largest_process_mb": largest, "processes_together_mb": together}
        print(f"(CPU s: the host's busy CPU time during the load, all {os.cpu_count()} cores, "
              "the database server's included)")
        print("(peak MB: the import process and its checking process together; "
              "largest alone: " + ", ".join(
                  f"{db} {results[db]['largest_process_mb']:.0f} MB"
                  for db in ("sqlite", "postgres") if db in results) + ")")

        # read paths: the last round's data against the demo data
        pairs = sample_sign_ins(folder)
        print(f"\n{'read path':<30} {'data':<12} {'median ms':>10} {'p99 ms':>8}")
        targets = [("sqlite", f"sqlite:///{tmp / 'ours.sqlite3'}",
                    f"sqlite:///{tmp / 'demo.sqlite3'}")]
        if not opts.skip_postgres:
            targets.append(("postgres", f"{POSTGRES_URL.rsplit('/', 1)[0]}/{pg_names[1]}",
                            fresh_postgres(pg_names[2])))
        results["read_paths"] = {}
        for db, loaded_url, demo_url in targets:
            demo_database(demo_url, tmp)
            measured = {
                f"{opts.customers:,} customers": read_paths(loaded_url, pairs, opts.repeat),
                "demo": read_paths(demo_url, DEMO_PAIRS, opts.repeat),
            }
            results["read_paths"][db] = measured
            for path in ("sign-in", "home"):
                for data, figures in measured.items():
                    print(f"{db + ' ' + path:<30} {data[:12]:<12} "
                          f"{figures[path]['median_ms']:10.3f} {figures[path]['p99_ms']:8.3f}")
            print(f"  {db} query plans with {opts.customers:,} customers:")
            for label, plan in measured[f"{opts.customers:,} customers"]["plans"].items():
                print(f"    {label}: " + " | ".join(_short_plan(p) for p in plan))
        if opts.json:
            opts.json.write_text(json.dumps(results, indent=2, default=str))
        failed = not all(verdicts)
        return 1 if failed and opts.strict else 0
    finally:
        if not opts.skip_postgres:
            for name in pg_names:
                drop_postgres(name)
        if opts.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _short_plan(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


if __name__ == "__main__":
    sys.exit(main())
