"""Two real app processes (`zaao-hx serve`) sharing one Redis and one database: a session
made on one is recognised on the other, ended on either, and a lockout made on one holds on
the other."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.accounts.conftest import REDIS_URL, delete_redis_keys, flush_redis, redis_keys
from tests.conftest import SECRET
from zaao_hx.accounts.sessions import COOKIE
from zaao_hx.accounts.tables import SessionRecord
from zaao_hx.db import bind, engine_from_url

ZAAO_HX = Path(sys.executable).with_name("zaao-hx")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer /healthz:\n{log.read_text()}")


@pytest.fixture(scope="module")
def servers(demo_data, tmp_path_factory) -> Iterator[tuple[str, str]]:
    flush_redis()
    data_dir = tmp_path_factory.mktemp("two-processes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZAAO_")}
    env.update(
        ZAAO_DATABASE_URL=demo_data.database_url, ZAAO_DATA_DIR=str(data_dir),
        ZAAO_SECRET_KEY=SECRET, ZAAO_REDIS_URL=REDIS_URL, ZAAO_DEMO="1",
    )
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = data_dir / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(ZAAO_HX), "serve", "--port", str(port)], env=env, stdout=out,
                    stderr=subprocess.STDOUT,
                )
            processes.append((process, log))
            urls.append(f"http://127.0.0.1:{port}")
        for url, (process, log) in zip(urls, processes, strict=True):
            wait_until_healthy(url, process, log)
        yield urls[0], urls[1]
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        flush_redis()


@pytest.fixture
def two(servers) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    a_url, b_url = servers
    with httpx.Client(base_url=a_url) as a, httpx.Client(base_url=b_url) as b:
        yield a, b
    delete_redis_keys("zaao:rate:*")  # no lockout outlives its test


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    if "csrftoken" not in client.cookies:
        assert client.get("/").status_code == 200
    return client.post("/ienakt", data={"email": email, "password": password,
                                        "_csrf_token": client.cookies["csrftoken"]})


def session_in_database(sid: str, database_url: str) -> bool:
    async def find():
        bind(engine_from_url(database_url))
        return await SessionRecord.count().where(
            SessionRecord.key == hashlib.sha256(sid.encode()).hexdigest()) > 0

    return asyncio.run(find())


def test_signed_in_on_one_recognised_on_the_other(two, demo_data):
    a, b = two
    response = sign_in(a, "demo", "demo")
    assert response.status_code == 303 and response.headers["location"] == "/panelis"
    sid = a.cookies[COOKIE]
    digest = hashlib.sha256(sid.encode()).hexdigest()
    assert redis_keys(f"*session:{digest}") == [f"zaao:session:{digest}"]
    assert not any(sid in key for key in redis_keys())
    assert not session_in_database(sid, demo_data.database_url)  # Redis holds it, not the DB

    cookies = {COOKIE: sid, "csrftoken": a.cookies["csrftoken"]}
    b.cookies.update(cookies)
    home = b.get("/panelis")
    assert home.status_code == 200
    assert "Sveiki, Demo juridiska persona" in home.text

    signed_out = b.post("/iziet", data={"_csrf_token": cookies["csrftoken"]})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/?zinojums=izgajat"
    assert redis_keys(f"*session:{digest}") == []
    a.cookies.set(COOKIE, sid)  # A's visitor still holds the old cookie
    gone = a.get("/panelis")
    assert gone.status_code == 303 and gone.headers["location"] == "/?zinojums=ienakt"


def test_a_lockout_made_on_one_is_enforced_on_the_other(two):
    a, b = two
    email = "two-processes@example.lv"
    statuses = [sign_in(a, email, "wrong-password").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    refused = sign_in(b, email, "wrong-password")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "Pārāk daudz mēģinājumu" in refused.text
    # another email from B is still let through to the password check
    assert sign_in(b, "someone-else@example.lv", "wrong-password").status_code == 422
