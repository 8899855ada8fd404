"""Start page benchmark: the real `GET /` against a bare Litestar handler, in one run.

    .venv/bin/python bench/start_page.py [--seconds 5] [--connections 16] [--rounds 3]
                                         [--json results.json] [--strict]

1. A temporary data dir and SQLite database (migrated), a fixed secret key, ZAAO_ENV=production.
2. The real app and a bare `Litestar([get("/")])` serving the very bytes of the real page run
   under uvicorn with identical options, each in its own subprocess, one at a time, in
   alternating rounds (real, bare, real, bare, ...); the median of each side is compared.
3. The load comes from bench/loadgen.py in a separate process (asyncio, raw sockets,
   keep-alive, no cookies, no Accept-Encoding). One extra real-app run with
   `Accept-Encoding: br` is reported for information.
4. Page weight of the start page, its stylesheet and htmx as served (raw, gzip, brotli),
   checked against the budgets of QUALITY.md, plus the year-long caching of the assets.

Exit status: 0, or 1 if any request failed (non-200 or a broken connection), or — with
`--strict` — if the ratio or a budget fails. See bench/README.md for reading the output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import http.client
import importlib.util
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SRC = ROOT / "src"
HOST = "127.0.0.1"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef0123456789"
RATIO_BAR = 0.50
HTML_CSS_BUDGET = 14 * 1024
HTMX_BUDGET = 17 * 1024
YEAR = 31_536_000


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def resolved_impl(loop: str, http: str) -> tuple[str, str]:
    """What uvicorn's `auto` will pick in this interpreter (for the report)."""
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


class Server:
    """One uvicorn subprocess; the same options for the real app and the bare one."""

    def __init__(self, label: str, app: str, app_dir: Path, env: dict, tmp: Path, opts) -> None:
        cpus = opts.server_cpus
        self.label = label
        self.port = free_port()
        self.log_path = tmp / f"{label}-{self.port}.log"
        command = [
            sys.executable, "-m", "uvicorn", app,
            "--factory",
            "--app-dir", str(app_dir),
            "--host", HOST,
            "--port", str(self.port),
            "--workers", "1",
            "--log-level", "warning",
            "--no-access-log",
            "--no-server-header",
            "--loop", opts.loop,
            "--http", opts.http,
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} server exited early:\n{self.log()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(
            f"{self.label} server not listening after {timeout:.0f} s:\n{self.log()}"
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def fetch(port: int, path: str, headers: dict[str, str] | None = None):
    """One GET with http.client, which never decompresses: the body as sent on the wire."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": "zaao-bench", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def load(port: int, opts, server_pid: int, headers: list[str] | None = None) -> dict:
    """Run bench/loadgen.py in its own process against one server."""
    command = [
        sys.executable, str(BENCH_DIR / "loadgen.py"),
        "--port", str(port),
        "--path", "/",
        "--seconds", str(opts.seconds),
        "--warmup", str(opts.warmup),
        "--connections", str(opts.connections),
        "--server-pid", str(server_pid),
    ]  # fmt: skip
    for header in headers or []:
        command += ["--header", header]
    cpus = opts.client_cpus
    done = subprocess.run(
        command,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        capture_output=True,
        text=True,
        timeout=opts.warmup + opts.seconds + 30,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def prepare(tmp: Path) -> dict[str, str]:
    """Data dir, migrated SQLite database and the environment of the real app."""
    sys.path.insert(0, str(SRC))
    from zaao_hx.db import engine_from_url, migrate

    data_dir = tmp / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'zaao.sqlite3'}"  # absolute path: sqlite:////tmp/...
    chatter = io.StringIO()  # Piccolo prints its progress; shown only if it fails
    try:
        with contextlib.redirect_stdout(chatter):
            asyncio.run(migrate(engine_from_url(url)))
    except BaseException:
        print(chatter.getvalue(), file=sys.stderr)
        raise
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZAAO_", "PICCOLO_"))}
    env.update(
        ZAAO_ENV="production",
        ZAAO_DEMO="0",
        ZAAO_SECRET_KEY=SECRET_KEY,
        ZAAO_DATABASE_URL=url,
        ZAAO_DATA_DIR=str(data_dir),
        ZAAO_BASE_URL="http://127.0.0.1:8000",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


# --------------------------------------------------------------------------- page weight


def _asset_href(html: str, pattern: str) -> str | None:
    match = re.search(pattern, html)
    return match.group(1) if match else None


def _max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match.group(1)) if match else 0


def page_weight(port: int, page: bytes) -> dict:
    html = page.decode("utf-8", errors="replace")
    css = _asset_href(html, r'<link\s+rel="?stylesheet"?\s+href="([^"]+)"')
    js = _asset_href(html, r'<script\s+src="([^"]*htmx[^"]*)"')
    if not css or not js:
        raise RuntimeError(f"stylesheet or htmx script not found in the page (css={css}, js={js})")
    items = {}
    for name, path in (("html", "/"), ("css", css), ("htmx", js)):
        row: dict = {"path": path}
        for encoding in ("identity", "gzip", "br"):
            headers = {} if encoding == "identity" else {"Accept-Encoding": encoding}
            status, response_headers, body = fetch(port, path, headers)
            if status != 200:
                raise RuntimeError(f"GET {path} ({encoding}) answered {status}")
            served = response_headers.get("content-encoding", "identity")
            row[encoding] = len(body)
            row[f"{encoding}_served_as"] = served
            if encoding == "identity":
                row["cache_control"] = response_headers.get("cache-control", "")
                row["sha256"] = hashlib.sha256(body).hexdigest()
        if name != "html":
            filename = path.rsplit("/", 1)[-1]
            parts = filename.split(".")
            row["content_hashed"] = any(
                len(p) >= 8 and re.fullmatch(r"[0-9a-f]+", p) and row["sha256"].startswith(p)
                for p in parts
            )
            row["max_age"] = _max_age(row["cache_control"])
        items[name] = row
    checks = []
    for enc in ("br", "gzip"):
        total = items["html"][enc] + items["css"][enc]
        checks.append((f"HTML + CSS {enc} <= {HTML_CSS_BUDGET} B", total, total <= HTML_CSS_BUDGET))
    for enc in ("br", "gzip"):
        size = items["htmx"][enc]
        checks.append((f"htmx {enc} <= {HTMX_BUDGET} B", size, size <= HTMX_BUDGET))
    for name in ("css", "htmx"):
        row = items[name]
        ok = row["content_hashed"] and row["max_age"] >= YEAR
        checks.append((f"{name} content-hashed name + max-age >= {YEAR}", row["max_age"], bool(ok)))
    # Each compressed size must really be compressed, or the budget check means nothing.
    for name, row in items.items():
        for enc in ("gzip", "br"):
            if row[f"{enc}_served_as"] != enc:
                checks.append((f"{name} served with Content-Encoding {enc}", 0, False))
    return {
        "items": items,
        "checks": [{"check": c, "value": v, "pass": ok} for c, v, ok in checks],
    }


# --------------------------------------------------------------------------- report


def fmt_row(side: str, r: dict) -> str:
    srv = r.get("server_cpu_share")
    srv_s = f"{srv * 100:5.0f}%" if srv is not None else "    ?"
    return (
        f"{side:<22} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
        f"{r['errors']:>6} {r['mean_body_bytes']:>9.0f} {r['client_cpu_share'] * 100:>6.0f}% "
        f"{srv_s}"
    )


HEADER = (
    f"{'side':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
    f"{'body B':>9} {'client':>7} {'server':>6}"
)


def median_run(runs: list[dict]) -> dict:
    """The run with the median req/s (its own p50/p99 go with it); errors are summed."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    mid = dict(ordered[(len(ordered) - 1) // 2])
    mid["rps"] = statistics.median(r["rps"] for r in runs)
    mid["errors"] = sum(r["errors"] for r in runs)
    mid["error_samples"] = [s for r in runs for s in r["error_samples"]][:5]
    return mid


def cpu_ratio(real_runs: list[dict], bare_runs: list[dict]) -> float | None:
    """Real/bare requests per CPU-second of the server: the cost ratio, saturated or not."""

    def per_cpu_second(runs: list[dict]) -> float | None:
        values = [r["rps"] / r["server_cpu_share"] for r in runs if r.get("server_cpu_share")]
        return statistics.median(values) if values else None

    real, bare = per_cpu_second(real_runs), per_cpu_second(bare_runs)
    return real / bare if real and bare else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start page throughput vs a bare Litestar handler, and page weight."
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="real/bare rounds (median taken)")
    parser.add_argument("--loop", default="auto", help="uvicorn --loop for both servers")
    parser.add_argument("--http", default="auto", help="uvicorn --http for both servers")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="don't pin the server and the load generator to separate CPUs",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--strict", action="store_true", help="exit 1 on FAIL as well")
    opts = parser.parse_args(argv)
    if opts.seconds <= 0 or opts.warmup < 0 or opts.connections < 1 or opts.rounds < 1:
        parser.error("--seconds > 0, --warmup >= 0, --connections >= 1, --rounds >= 1")

    started = time.monotonic()
    loop_impl, http_impl = resolved_impl(opts.loop, opts.http)
    # Server and client each on a CPU of their own: otherwise the scheduler moves them about
    # and, on a VM, cross-CPU wake-ups leave a light server idle part of the time.
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) >= 2 and not opts.no_pin:
        opts.server_cpus, opts.client_cpus = {available[0]}, {available[1]}
        pinning = f"server on CPU {available[0]}, client on CPU {available[1]}"
    else:
        opts.server_cpus = opts.client_cpus = None
        pinning = "not pinned"
    print(
        f"start page benchmark: {opts.rounds} rounds x (real, bare), {opts.seconds:g} s "
        f"(+{opts.warmup:g} s warm-up) each, {opts.connections} connections, "
        f"uvicorn 1 worker, loop={loop_impl} http={http_impl}, {os.cpu_count()} CPUs "
        f"({pinning}), Python {platform.python_version()}",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="zaao-bench-"))
    servers: list[Server] = []

    def server(label: str, app: str, app_dir: Path, env: dict) -> Server:
        s = Server(label, app, app_dir, env, tmp, opts)
        servers.append(s)
        return s

    try:
        env = prepare(tmp)
        bare_env = {k: v for k, v in env.items() if not k.startswith("ZAAO_")}
        body_file = tmp / "start_page.html"
        bare_env["ZAAO_BENCH_BODY_FILE"] = str(body_file)
        real_app = ("zaao_hx.app:app_from_env", SRC, env)
        bare_app = ("bare_app:create", BENCH_DIR, bare_env)

        real_runs: list[dict] = []
        bare_runs: list[dict] = []
        br_run: dict | None = None
        weight: dict | None = None
        for round_no in range(opts.rounds):
            with server("real", *real_app) as s:
                if round_no == 0:
                    status, headers, page = fetch(s.port, "/")
                    if status != 200 or "content-encoding" in headers:
                        raise RuntimeError(f"GET / answered {status} {headers}")
                    body_file.write_bytes(page)
                    weight = page_weight(s.port, page)
                real_runs.append(load(s.port, opts, s.pid))
                print(f"  round {round_no + 1} real: {real_runs[-1]['rps']:.0f} req/s", flush=True)
                if round_no == opts.rounds - 1:
                    br_run = load(s.port, opts, s.pid, ["Accept-Encoding: br"])
            with server("bare", *bare_app) as s:
                status, _, bare_page = fetch(s.port, "/")
                if status != 200 or len(bare_page) != len(page):
                    raise RuntimeError(f"bare app answered {status}, {len(bare_page)} bytes")
                bare_runs.append(load(s.port, opts, s.pid))
                print(f"  round {round_no + 1} bare: {bare_runs[-1]['rps']:.0f} req/s", flush=True)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    real = median_run(real_runs)
    bare = median_run(bare_runs)
    ratio = real["rps"] / bare["rps"] if bare["rps"] else 0.0
    ratio_ok = ratio >= RATIO_BAR
    errors = real["errors"] + bare["errors"] + (br_run["errors"] if br_run else 0)

    print()
    print("Throughput (median of rounds; p50/p99 of the median run; CPU = share of one core)")
    print(HEADER)
    print(fmt_row("real  GET /", real))
    print(fmt_row("bare  same bytes", bare))
    if br_run:
        print(fmt_row("real  GET / (br, info)", br_run))
    print(
        "rounds req/s: real "
        + " ".join(f"{r['rps']:.0f}" for r in real_runs)
        + " | bare "
        + " ".join(f"{r['rps']:.0f}" for r in bare_runs)
    )
    verdict = "PASS" if ratio_ok else "FAIL"
    print(f"ratio real/bare = {ratio:.2f}  (bar >= {RATIO_BAR:.2f}: {verdict})")
    efficiency = cpu_ratio(real_runs, bare_runs)
    if efficiency is not None:
        print(f"info: requests per server CPU-second, real/bare = {efficiency:.2f}")
    busiest_client = max(r["client_cpu_share"] for r in [*real_runs, *bare_runs])
    if busiest_client > 0.9:
        print(
            f"WARNING: the load generator used {busiest_client * 100:.0f}% of a core: "
            "it may be the bottleneck"
        )
    idle = bare.get("server_cpu_share")  # of the median bare run
    if idle is not None and idle < 0.9:
        print(
            f"WARNING: the bare server used only {idle * 100:.0f}% of a core: it was not "
            "saturated, so the ratio flatters the real app (try more --connections)"
        )

    assert weight is not None
    print()
    print("Page weight (bytes as served)")
    print(f"{'resource':<10} {'raw':>8} {'gzip':>8} {'br':>8}  cache-control / path")
    for name, row in weight["items"].items():
        extra = row["path"] if name == "html" else f"{row['cache_control']}  {row['path']}"
        print(f"{name:<10} {row['identity']:>8} {row['gzip']:>8} {row['br']:>8}  {extra}")
    for check in weight["checks"]:
        print(f"  {'PASS' if check['pass'] else 'FAIL'}  {check['check']}  ({check['value']})")
    budgets_ok = all(c["pass"] for c in weight["checks"])

    if errors:
        samples = [s for r in (real, bare, br_run or {}) for s in r.get("error_samples", [])]
        print(f"\nERROR: {errors} failed requests, e.g. {samples[:5]}")
    elapsed = time.monotonic() - started
    print(f"\ntotal time {elapsed:.1f} s")

    if opts.json:
        result = {
            "benchmark": "start_page",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "options": {
                "seconds": opts.seconds,
                "warmup": opts.warmup,
                "connections": opts.connections,
                "rounds": opts.rounds,
                "loop": loop_impl,
                "http": http_impl,
            },
            "real": real,
            "bare": bare,
            "real_br": br_run,
            "real_runs": real_runs,
            "bare_runs": bare_runs,
            "ratio": ratio,
            "ratio_bar": RATIO_BAR,
            "ratio_pass": ratio_ok,
            "cpu_ratio": efficiency,
            "page_weight": weight,
            "errors": errors,
        }
        opts.json.write_text(json.dumps(result, indent=2) + "\n")
    if errors:
        return 1
    if opts.strict and not (ratio_ok and budgets_ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
