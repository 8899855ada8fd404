"""`zaao-hx`: the operator's commands (CONTRACTS.md names them)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from zaao_hx.settings import Settings, SettingsError


def _migrate(settings: Settings) -> int:
    from zaao_hx.db import engine_from_url, migrate

    asyncio.run(migrate(engine_from_url(settings.database_url)))
    return 0


def _demo(settings: Settings) -> int:
    from zaao_hx.db import bind, engine_from_url
    from zaao_hx.demo import load_demo

    engine = engine_from_url(settings.database_url)
    bind(engine)
    summary = asyncio.run(load_demo(settings))
    print(summary)
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    uvicorn.run(
        "zaao_hx.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.https,
        server_header=False,
        log_level="info",
    )
    return 0


def _import(settings: Settings, directory: str, force: bool, progress: str) -> int:
    from pathlib import Path

    from zaao_hx.imports.progress import progress_for, summary
    from zaao_hx.imports.service import run_import
    from zaao_hx.web.i18n import gettext

    folder = Path(directory)
    if not folder.is_dir():
        print("zaao-hx import: " + gettext("%(folder)s nav mape", folder=directory),
              file=sys.stderr)
        return 1
    try:
        result = asyncio.run(
            run_import(
                settings.database_url,
                settings.secret_key,
                folder,
                force=force,
                progress=progress_for(progress),
                yield_to_checker=True,
            )
        )
    except Exception as exc:  # noqa: BLE001 - no database to write to: say so, no traceback
        detail = f"{type(exc).__name__}: {exc}"
        print("zaao-hx import: " + gettext(
            "datubāzi nevar izmantot (%(detail)s); vai ZAAO_DATABASE_URL ir pareizs un vai "
            "`zaao-hx migrate` ir palaists?", detail=detail), file=sys.stderr)
        return 1
    print(summary(result, directory), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _imports(settings: Settings, limit: int) -> int:
    from zaao_hx.imports.history import history

    print(asyncio.run(history(settings.database_url, limit)))
    return 0


def _generate(directory: str, customers: int, seed: int, as_of: str | None) -> int:
    import datetime
    import time
    from pathlib import Path

    from zaao_hx.imports.generate import DEFAULT_AS_OF, generate

    day = datetime.date.fromisoformat(as_of) if as_of else DEFAULT_AS_OF
    started = time.perf_counter()
    counts = generate(Path(directory), customers, seed=seed, as_of=day)
    took = time.perf_counter() - started
    print(f"Wrote a snapshot of {customers:,} customers (seed {seed}, as of {day}) to "
          f"{directory} in {took:.1f} s:")
    for name, count in counts.items():
        print(f"  {name:<26} {count:>12,}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zaao-hx", description="ZAAO Klientiem portal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply all database migrations (idempotent)")
    sub.add_parser("demo", help="load the demo data set (idempotent)")
    serve = sub.add_parser("serve", help="serve the portal over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = sub.add_parser("worker", help="send queued mail in the background")
    worker.add_argument("--once", action="store_true", help="run one pass and exit")
    imp = sub.add_parser(
        "import",
        help="import a billing snapshot folder (exit 1 with a report when any row is wrong)",
    )
    imp.add_argument("directory", help="folder with manifest.json and the CSV files")
    imp.add_argument(
        "--force", action="store_true",
        help="load it even when it is the snapshot imported last time",
    )
    imp.add_argument(
        "--progress", choices=["auto", "bar", "lines", "none"], default="auto",
        help="progress on stderr: a bar when it is a terminal (auto), one line per step, "
        "or none",
    )
    imports = sub.add_parser("imports", help="list the import history, newest first")
    imports.add_argument("--limit", type=int, default=20)
    for staff in (imp, imports):  # what company staff read: Latvian unless asked
        staff.add_argument("--lang", choices=["lv", "en"], default="lv",
                           help="the language of the report and the history (default lv)")
    gen = sub.add_parser("generate", help="write a synthetic billing snapshot")
    gen.add_argument("directory")
    gen.add_argument("--customers", type=int, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--as-of", help="the snapshot's date, YYYY-MM-DD (default 2026-11-28)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # what reads the output went away (`zaao-hx imports | head`): no traceback, and
        # nothing more to flush at exit (Python's documented way)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"zaao-hx: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "demo":
        return _demo(settings)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command in ("import", "imports"):
        from zaao_hx.web.i18n import language

        with language(args.lang):
            if args.command == "import":
                return _import(settings, args.directory, args.force, args.progress)
            return _imports(settings, args.limit)
    if args.command == "generate":
        return _generate(args.directory, args.customers, args.seed, args.as_of)
    if args.command == "worker":
        from zaao_hx.mail.worker import run

        return run(settings, once=args.once)
    raise AssertionError(args.command)  # argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
