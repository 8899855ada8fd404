"""`zaao-hx worker` as the operator runs it, and the loop the web app can run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SECRET
from tests.mail.conftest import queue, reload
from zaao_hx.mail.worker import delivery_loop

ZAAO_HX = str(Path(sys.executable).parent / "zaao-hx")


def worker_env(settings, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZAAO_")}
    env.update(
        ZAAO_DATABASE_URL=settings.database_url,
        ZAAO_DATA_DIR=str(settings.data_dir),
        ZAAO_SECRET_KEY=SECRET,
        ZAAO_SMTP_HOST="127.0.0.1",
        ZAAO_SMTP_PORT=str(port),
    )
    return env


def test_worker_once_delivers_and_exits_0(smtp_settings, smtp_server, tag):
    row = asyncio.run(queue(smtp_settings, tag))
    result = subprocess.run(
        [ZAAO_HX, "worker", "--once"],
        env=worker_env(smtp_settings, smtp_server.port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pasts: nosūtītas 1,") and len(result.stdout.splitlines()) == 1
    assert len(smtp_server.handler.to(row.to_addr)) == 1
    assert asyncio.run(reload(row)).status == "sent"


def test_worker_loop_delivers_and_stops_on_sigterm(smtp_settings, smtp_server, tag):
    row = asyncio.run(queue(smtp_settings, tag))
    proc = subprocess.Popen(
        [ZAAO_HX, "worker"],
        env=worker_env(smtp_settings, smtp_server.port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not smtp_server.handler.to(row.to_addr) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(smtp_server.handler.to(row.to_addr)) == 1
    assert proc.returncode == 0, stderr
    assert "worker stopped" in stderr


def test_delivery_loop_runs_until_stopped(smtp_settings, smtp_server, tag):
    async def scenario():
        row = await queue(smtp_settings, tag)
        stop = asyncio.Event()
        task = asyncio.create_task(delivery_loop(smtp_settings, stop))
        for _ in range(200):
            if smtp_server.handler.to(row.to_addr):
                break
            await asyncio.sleep(0.025)
        stop.set()
        await asyncio.wait_for(task, 5)
        return row

    row = asyncio.run(scenario())
    assert len(smtp_server.handler.to(row.to_addr)) == 1
