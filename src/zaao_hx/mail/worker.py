"""`zaao-hx worker`: deliver the outbox, once (cron, tests) or every few seconds.

`delivery_loop` is the same loop for the web app to run in its lifespan when no separate
worker process is started.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from piccolo.engine.postgres import PostgresEngine

from zaao_hx.db import bind, engine_from_url
from zaao_hx.mail.sender import DeliveryReport, deliver_due
from zaao_hx.settings import Settings

log = logging.getLogger("zaao_hx.mail")

INTERVAL = 5.0
BATCH = 50


async def delivery_loop(settings: Settings, stop_event: asyncio.Event) -> None:
    """Deliver due mail until `stop_event` is set; the engine must already be bound."""
    while not stop_event.is_set():
        full = False
        try:
            report = await deliver_due(settings, batch=BATCH)
        except Exception:  # the database is away: the mail waits in it, try again later
            log.exception("mail delivery pass failed")
        else:
            if report.picked:
                log.info("%s", report)
            full = report.picked == BATCH  # a backlog: go on without waiting
        if full:
            continue
        try:
            await asyncio.wait_for(stop_event.wait(), INTERVAL)
        except TimeoutError:
            pass


async def deliver_all_due(settings: Settings) -> DeliveryReport:
    """Batches until nothing is due: each batch leaves its messages sent or not yet due."""
    total = DeliveryReport()
    while True:
        report = await deliver_due(settings, batch=BATCH)
        total += report
        if report.picked < BATCH:
            return total


def run(settings: Settings, once: bool) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(_run(settings, once))


async def _run(settings: Settings, once: bool) -> int:
    engine = engine_from_url(settings.database_url)
    bind(engine)
    pooled = isinstance(engine, PostgresEngine)
    if pooled:
        await engine.start_connection_pool()
    try:
        if once:
            print(await deliver_all_due(settings))
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Finish the message in hand instead of dying mid-send.
            loop.add_signal_handler(sig, stop.set)
        log.info("worker started, delivering mail every %.0f s", INTERVAL)
        await delivery_loop(settings, stop)
        log.info("worker stopped")
        return 0
    finally:
        if pooled:
            await engine.close_connection_pool()
