"""`zaao-hx`: the operator's commands (CONTRACTS.md names them)."""

from __future__ import annotations

import argparse
import asyncio
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
    return parser


def main(argv: list[str] | None = None) -> int:
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
    if args.command == "worker":
        from zaao_hx.mail.worker import run

        return run(settings, once=args.once)
    raise AssertionError(args.command)  # argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
