"""Lighthouse (mobile profile) against the real app: performance, accessibility, best practices.

    .venv/bin/python bench/lighthouse.py [--json results.json] [--pages / /panelis ...]
                                         [--runs 1] [--no-retry] [--keep-reports DIR]
                                         [--strict]

1. Lighthouse is installed locally in bench/node_modules by `npm ci` (pinned by
   bench/package.json + package-lock.json) if it is missing; never globally and never with a
   browser download: Debian's /usr/bin/chromium is used (CHROME_PATH).
2. A temporary data dir and SQLite database (migrated, demo data loaded), ZAAO_ENV=production,
   ZAAO_DEMO=1 and a fixed secret key; the real app runs under uvicorn on a free port of
   127.0.0.1 (the same `Server` as bench/start_page.py).
3. Lighthouse runs once per page (`--runs`), one at a time, with the default (mobile) form
   factor and simulated throttling; a page whose performance misses the bar is run again
   and the median of 3 runs counts (performance is the noisy score). The signed-in pages get
   the demo login's session cookie through `--extra-headers` (signed in with httpx first).
4. A table of the three category scores against the bars of QUALITY.md; for every score below
   its bar, the audits that pulled it down.

Exit status: 0 unless Lighthouse (or the app) failed to run; with `--strict` also 1 on FAIL.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from start_page import HOST, SRC, Server, prepare  # noqa: E402

NODE_MODULES = BENCH_DIR / "node_modules"
LIGHTHOUSE_BIN = NODE_MODULES / ".bin" / "lighthouse"
CHROME_PATH = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run --disable-quic"
)
CATEGORIES = ("performance", "accessibility", "best-practices")
BARS = {"performance": 0.98, "accessibility": 1.00, "best-practices": 0.95}
DEFAULT_PAGES = ("/", "/registracija", "/noteikumi", "/panelis")
SIGNED_IN_PREFIXES = ("/panelis",)  # audited with the demo login's session cookie
DEMO_EMAIL = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the published demo login
RUN_TIMEOUT = 120  # seconds per Lighthouse run
RETRY_RUNS = 3  # runs of a page whose performance fails the bar at first
SCORED = ("binary", "numeric", "metricSavings")


# --------------------------------------------------------------------------- install


def ensure_lighthouse() -> None:
    """`npm ci` in bench/ if node_modules is missing (`npm install` if there is no lock yet)."""
    if LIGHTHOUSE_BIN.exists():
        return
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm not found: Node.js (>= 18.16) is needed to run Lighthouse")
    lock = BENCH_DIR / "package-lock.json"
    verb = "ci" if lock.exists() else "install"
    env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", PUPPETEER_SKIP_CHROMIUM_DOWNLOAD="1")
    print(f"installing lighthouse: npm {verb} in {BENCH_DIR}", flush=True)
    # --ignore-scripts: no package gets to run an install script (no browser download).
    subprocess.run(
        [npm, verb, "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=BENCH_DIR,
        env=env,
        check=True,
        timeout=600,
    )
    if not LIGHTHOUSE_BIN.exists():
        raise RuntimeError(f"npm {verb} finished but {LIGHTHOUSE_BIN} is missing")


def lighthouse_version() -> str:
    try:
        pkg = json.loads((NODE_MODULES / "lighthouse" / "package.json").read_text())
        return pkg.get("version", "?")
    except OSError:
        return "?"


# --------------------------------------------------------------------------- app


def load_demo_data(env: dict[str, str]) -> None:
    """The demo data set into the (already migrated) database of `env`."""
    from zaao_hx.db import bind, engine_from_url
    from zaao_hx.demo import load_demo
    from zaao_hx.settings import Settings

    settings = Settings.from_env(env)
    bind(engine_from_url(settings.database_url))
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter):
            asyncio.run(load_demo(settings))
    except BaseException:
        print(chatter.getvalue(), file=sys.stderr)
        raise


def sign_in(port: int) -> str:
    """Sign in as the demo email login; return the value of the `zaao_session` cookie."""
    import httpx

    base = f"http://{HOST}:{port}"
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        first = client.get("/")
        first.raise_for_status()
        token = client.cookies.get("csrftoken")
        if not token:
            raise RuntimeError("GET / set no csrftoken cookie")
        response = client.post(
            "/ienakt",
            data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf_token": token},
            headers={"X-CSRFToken": token},
        )
        session = response.cookies.get("zaao_session") or client.cookies.get("zaao_session")
        if response.status_code not in (302, 303) or not session:
            raise RuntimeError(
                f"sign-in failed: POST /ienakt answered {response.status_code}, "
                f"cookies {sorted(response.cookies.keys())}"
            )
        # The signed-in page must answer 200 with this cookie alone.
        check = httpx.get(f"{base}/panelis", cookies={"zaao_session": session}, timeout=30)
        if check.status_code != 200:
            raise RuntimeError(f"GET /panelis with the session answered {check.status_code}")
        return session


# --------------------------------------------------------------------------- lighthouse


def run_lighthouse(url: str, out: Path, headers_file: Path | None) -> dict:
    command = [
        str(LIGHTHOUSE_BIN), url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--disable-full-page-screenshot",  # ~1 s a run; no audit scores it
    ]  # fmt: skip
    if headers_file is not None:
        command.append(f"--extra-headers={headers_file}")
    env = dict(os.environ, CHROME_PATH=CHROME_PATH)
    started = time.monotonic()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"lighthouse failed on {url} (exit {done.returncode}):\n"
            f"{(done.stderr or done.stdout)[-4000:]}"
        )
    lhr = json.loads(out.read_text())
    if lhr.get("runtimeError"):
        raise RuntimeError(f"lighthouse runtime error on {url}: {lhr['runtimeError']}")
    lhr["_elapsed"] = elapsed
    return lhr


def run_lighthouse_retrying(url: str, out: Path, headers_file: Path | None) -> dict:
    """One more try after a failed run: Lighthouse sometimes loses its trace (NO_NAVSTART,
    NO_FCP) on a busy machine."""
    try:
        return run_lighthouse(url, out, headers_file)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        first = str(exc).splitlines()
        print(f" [run failed: {first[1] if len(first) > 1 else first[0]}; retrying]", end="")
        out.unlink(missing_ok=True)
        return run_lighthouse(url, out, headers_file)


def _short(value, limit: int = 110) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _detail_items(audit: dict, limit: int = 5) -> list[str]:
    """A few items of an audit's details, as one-line strings (url, node, source, ...)."""
    details = audit.get("details") or {}
    lines = []
    for item in (details.get("items") or [])[:limit]:
        if not isinstance(item, dict) or item.get("type") == "list-section":
            continue  # list sections are advice text (e.g. about preconnect), not findings
        parts = []
        node = item.get("node")
        if isinstance(node, dict):
            parts.append(node.get("selector") or node.get("snippet") or "")
            if node.get("explanation"):
                parts.append(node["explanation"])
        source = item.get("source")
        if isinstance(source, dict) and source.get("url"):
            parts.append(f"{source['url']}:{source.get('line', '')}")
        for key in ("url", "description", "directive", "value", "failureReason", "issueType"):
            value = item.get(key)
            if isinstance(value, str | int | float) and value != "":
                parts.append(f"{key}={value}")
            elif isinstance(value, dict) and value.get("value"):
                parts.append(f"{key}={value['value']}")
        if item.get("wastedMs"):
            parts.append(f"wastedMs={item['wastedMs']:.0f}")
        if item.get("wastedBytes"):
            parts.append(f"wastedBytes={item['wastedBytes']:.0f}")
        line = "; ".join(p for p in parts if p)
        if line:
            lines.append(_short(line, 160))
    return lines


def _audit_entry(ref: dict, audit: dict) -> dict:
    """What the report shows of one audit of a category."""
    return {
        "id": ref["id"],
        "title": audit.get("title", ""),
        "score": audit.get("score"),
        "weight": ref.get("weight", 0),
        "displayValue": audit.get("displayValue", ""),
        "items": _detail_items(audit),
    }


def failing_audits(lhr: dict, category: str) -> list[dict]:
    """Audits of a category that cost points: weighted ones below 1, then (for performance)
    the opportunities and diagnostics Lighthouse marks as failing (score < 0.9)."""
    out = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"].get(ref["id"], {})
        score = audit.get("score")
        mode = audit.get("scoreDisplayMode")
        if score is None or mode in ("notApplicable", "manual", "informative"):
            continue
        weighted = ref.get("weight", 0) > 0
        if (weighted and score < 1) or (not weighted and score < 0.9):
            out.append(_audit_entry(ref, audit))
    out.sort(key=lambda a: (-a["weight"], a["score"]))
    return out


def median_run(runs: list[tuple[dict, Path]]) -> tuple[dict, Path]:
    """The run with the median performance score (the lower middle for an even count)."""
    ordered = sorted(runs, key=lambda run: run[0]["categories"]["performance"]["score"] or 0)
    return ordered[(len(ordered) - 1) // 2]


def summarize(path: str, lhr: dict) -> dict:
    scores = {c: lhr["categories"][c]["score"] for c in CATEGORIES}
    passes = {c: scores[c] is not None and scores[c] >= BARS[c] - 1e-9 for c in CATEGORIES}
    failing = {c: failing_audits(lhr, c) for c in CATEGORIES if not passes[c]}
    # Metrics, for context on the performance score.
    metrics = {}
    for metric in (
        "first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
        "cumulative-layout-shift", "speed-index",
    ):  # fmt: skip
        audit = lhr["audits"].get(metric, {})
        metrics[metric] = {
            "score": audit.get("score"),
            "numericValue": audit.get("numericValue"),
            "displayValue": audit.get("displayValue"),
        }
    # Everything else Lighthouse flags in these categories, whether or not it costs points.
    flagged = []
    for category in CATEGORIES:
        for ref in lhr["categories"][category]["auditRefs"]:
            audit = lhr["audits"].get(ref["id"], {})
            score = audit.get("score")
            if score is None or score >= 1 or audit.get("scoreDisplayMode") not in SCORED:
                continue
            flagged.append({"category": category, **_audit_entry(ref, audit)})
    return {
        "path": path,
        "final_url": lhr.get("finalDisplayedUrl") or lhr.get("finalUrl"),
        "scores": scores,
        "pass": passes,
        "failing": failing,
        "metrics": metrics,
        "flagged": flagged,
        "run_warnings": lhr.get("runWarnings", []),
        "benchmark_index": (lhr.get("environment") or {}).get("benchmarkIndex"),
        "lighthouse_seconds": round(lhr["_elapsed"], 1),
    }


# --------------------------------------------------------------------------- report


def _fmt_score(score) -> str:
    return "  n/a" if score is None else f"{score:5.2f}"


def print_report(results: list[dict]) -> None:
    print()
    print(
        f"{'page':<16} {'perf':>5} {'a11y':>5} {'b-p':>5}  "
        f"verdict (bars: perf >= {BARS['performance']:.2f}, a11y >= "
        f"{BARS['accessibility']:.2f}, best practices >= {BARS['best-practices']:.2f})"
    )
    for r in results:
        s = r["scores"]
        fails = [c for c in CATEGORIES if not r["pass"][c]]
        verdict = "PASS" if not fails else "FAIL (" + ", ".join(fails) + ")"
        runs = r.get("performance_runs") or []
        spread = (
            "  (performance runs: " + " ".join(_fmt_score(x).strip() for x in runs) + ")"
            if len(runs) > 1
            else ""
        )
        print(
            f"{r['path']:<16} {_fmt_score(s['performance'])} {_fmt_score(s['accessibility'])} "
            f"{_fmt_score(s['best-practices'])}  {verdict}{spread}"
        )
    indexes = [r["benchmark_index"] for r in results if r.get("benchmark_index")]
    if indexes:
        print(
            f"Lighthouse CPU benchmark index {min(indexes):.0f}-{max(indexes):.0f} "
            "(the simulated mobile CPU is this machine slowed 4x; higher = faster host)"
        )
    print("\nflagged by Lighthouse (score < 1; w0 = costs no points):")
    for r in results:
        flagged = ", ".join(
            f"{a['id']} {a['score']:.2f} w{a['weight']:g}"
            + (f" [{a['displayValue']}]" if a["displayValue"] else "")
            for a in r["flagged"]
        )
        print(f"  {r['path']:<14} {flagged or '-'}")
    for r in results:
        if r["run_warnings"]:
            print(f"\n{r['path']}: Lighthouse warnings:")
            for warning in r["run_warnings"]:
                print(f"  ! {_short(warning, 200)}")
        for category, audits in r["failing"].items():
            score = r["scores"][category]
            print(
                f"\n{r['path']}  {category} {_fmt_score(score).strip()} < "
                f"{BARS[category]:.2f}: audits that cost points"
            )
            if category == "performance":
                m = r["metrics"]
                print(
                    "  metrics: "
                    + ", ".join(
                        f"{k.replace('-', ' ')} {v['displayValue']} "
                        f"({_fmt_score(v['score']).strip()})"
                        for k, v in m.items()
                    )
                )
            if not audits:
                print("  (no single audit below its threshold)")
            for a in audits:
                weight = f"w{a['weight']:g}" if a["weight"] else "info"
                shown = f"  [{a['displayValue']}]" if a["displayValue"] else ""
                print(f"  {a['score']:.2f} {weight:>5}  {a['id']}: {a['title']}{shown}")
                for item in a["items"]:
                    print(f"               - {item}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Lighthouse (mobile) scores of the real app against the QUALITY.md bars."
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        default=list(DEFAULT_PAGES),
        help="paths to audit (default: / /registracija /noteikumi /panelis); paths under "
        "/panelis are audited signed in",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument(
        "--keep-reports",
        type=Path,
        default=None,
        help="copy the Lighthouse JSON reports (each run) into this directory",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="Lighthouse runs per page; the run with the median performance score is reported",
    )
    parser.add_argument(
        "--no-retry",
        dest="retry",
        action="store_false",
        help=f"don't re-run a page whose performance is below the bar (median of {RETRY_RUNS})",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 on FAIL as well")
    opts = parser.parse_args(argv)
    if opts.runs < 1:
        parser.error("--runs >= 1")

    started = time.monotonic()
    if not Path(CHROME_PATH).exists():
        print(f"error: {CHROME_PATH} not found", file=sys.stderr)
        return 1
    try:
        ensure_lighthouse()
    except (RuntimeError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"lighthouse {lighthouse_version()} (mobile, simulated throttling), {CHROME_PATH}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )

    tmp = Path(tempfile.mkdtemp(prefix="zaao-lighthouse-"))
    results: list[dict] = []
    server: Server | None = None
    try:
        env = prepare(tmp)
        env["ZAAO_DEMO"] = "1"
        load_demo_data(env)
        server_opts = SimpleNamespace(server_cpus=None, loop="auto", http="auto")
        server = Server("real", "zaao_hx.app:app_from_env", SRC, env, tmp, server_opts)
        server.wait_ready()
        headers_file = None
        if any(p.startswith(SIGNED_IN_PREFIXES) for p in opts.pages):
            session = sign_in(server.port)
            headers_file = tmp / "signed-in-headers.json"
            headers_file.write_text(json.dumps({"Cookie": f"zaao_session={session}"}))
        for n, path in enumerate(opts.pages):
            url = f"http://{HOST}:{server.port}{path}"
            signed_in = path.startswith(SIGNED_IN_PREFIXES)
            print(f"  {path}{' (signed in)' if signed_in else ''} ...", end="", flush=True)
            runs: list[tuple[dict, Path]] = []
            wanted = opts.runs
            while len(runs) < wanted:
                out = tmp / f"lhr-{n}-{len(runs)}.json"
                lhr = run_lighthouse_retrying(url, out, headers_file if signed_in else None)
                runs.append((lhr, out))
                perf = lhr["categories"]["performance"]["score"]
                print(f" {perf:.2f} ({lhr['_elapsed']:.0f} s)", end="", flush=True)
                # Performance is the noisy score: if the first runs fail the bar, take
                # the median of RETRY_RUNS before calling it a FAIL.
                if (
                    len(runs) == wanted
                    and opts.retry
                    and wanted < RETRY_RUNS
                    and median_run(runs)[0]["categories"]["performance"]["score"]
                    < BARS["performance"]
                ):
                    wanted = RETRY_RUNS
                    print(" below the bar, re-running:", end="", flush=True)
            print(flush=True)
            lhr, out = median_run(runs)
            if opts.keep_reports:  # the median run as NAME.json, every run as NAME-I.json
                opts.keep_reports.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "_") or "start"
                shutil.copy(out, opts.keep_reports / f"{name}.json")
                for i, (_, run_out) in enumerate(runs):
                    shutil.copy(run_out, opts.keep_reports / f"{name}-{i + 1}.json")
            result = summarize(path, lhr)
            result["performance_runs"] = [r["categories"]["performance"]["score"] for r, _ in runs]
            results.append(result)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        if server is not None and server.proc.poll() is not None:
            print(server.log(), file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print_report(results)
    all_pass = all(all(r["pass"].values()) for r in results)
    elapsed = time.monotonic() - started
    print(f"\n{'all pages PASS' if all_pass else 'FAIL'}; total time {elapsed:.1f} s")

    if opts.json:
        opts.json.write_text(
            json.dumps(
                {
                    "benchmark": "lighthouse",
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "lighthouse": lighthouse_version(),
                    "form_factor": "mobile",
                    "chrome": CHROME_PATH,
                    "chrome_flags": CHROME_FLAGS,
                    "bars": BARS,
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "platform": platform.platform(),
                    },
                    "pages": results,
                    "pass": all_pass,
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if opts.strict and not all_pass else 0


if __name__ == "__main__":
    sys.exit(main())
