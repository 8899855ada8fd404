"""The import's tests run against a database of their own (a SQLite file, or a PostgreSQL
database created and dropped here), so that replacing the read model never disturbs the
rest of the suite, which expects the demo data in the session database.

Helpers read and write that database with the drivers directly, never through Piccolo's
tables: those are bound, process-wide, to the session database.

The report and the history speak Latvian unless asked otherwise; these tests read them in
English (`english`, and `cli(…, lang="en")`), test_language.py in both.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import POSTGRES_URL, SECRET, TEST_DATABASE, postgres_admin
from zaao_hx.billing.tables import READ_MODEL
from zaao_hx.imports.generate import generate
from zaao_hx.imports.report import Report
from zaao_hx.imports.service import ImportResult, run_import
from zaao_hx.imports.store import store_for
from zaao_hx.web.i18n import language

ROOT = Path(__file__).resolve().parents[2]
READ_MODEL_TABLES = [t._meta.tablename for t in READ_MODEL]
PORTAL_TABLES = ["account", "account_contract", "preference", "feed_token", "payment_attempt",
                 "audit_event", "outbox_message", "session_record", "collection_request"]

# A hand-made snapshot: three customers, every file, every kind of value (a one-decimal
# amount, a negative one, quoted text with commas, an ended contract, an empty optional).
MANIFEST = '{"as_of": "2026-11-28T23:00:00+02:00", "next_refresh": "2026-11-29", "source": "t"}'
BASE = {
    "manifest.json": MANIFEST,
    "customers.csv": '''customer_id,kind,name,personal_code,reg_no,vat_no,phone,email,address
C1,private,Anna Bērziņa,140378-12342,,,+371 20000001,anna@example.com,"Rīgas iela 1, Valmiera"
C2,legal,"SIA ""Koks""",,40103271696,LV40103271696,,koks@example.com,"Dārza iela 2, Cēsis"
C3,private,Jānis Kalniņš,161175-19997,,,,,
''',
    "contracts.csv": '''contract_no,customer_id,start_date,end_date,delivery,cycle
10-1,C1,2015-03-01,,paper,monthly
20-2,C2,2018-01-01,,email,monthly
10-3,C3,2020-06-01,2027-06-30,email,quarterly
''',
    "sites.csv": '''site_id,contract_no,address,municipality
S1,10-1,"Rīgas iela 1, Valmiera",Valmieras novads
S2,20-2,"Dārza iela 2, Cēsis",Cēsu novads
S3,10-3,"Meža iela 3, Smiltene",Smiltenes novads
''',
    "containers.csv": '''container_id,site_id,waste_type,volume_l,count,rrule,dtstart,until
K1,S1,mixed,240,1,FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,2024-01-02,
K2,S2,sorted,1100,2,FREQ=WEEKLY;BYDAY=MO,2024-01-01,2026-12-31
K3,S3,bio,140,1,FREQ=MONTHLY;BYDAY=2WE,2024-01-10,
''',
    "collection_exceptions.csv": '''date,moved_to,waste_type,municipality,reason
2026-06-24,2026-06-25,,,Jāņu diena
2026-11-18,,pko_bag,Valmieras novads,Latvijas Republikas Proklamēšanas diena
''',
    "invoices.csv": '''\
invoice_no,contract_no,kind,issue_date,due_date,period_start,period_end,net,vat,total
M1,10-1,statement,2026-10-02,2026-10-31,2026-09-01,2026-09-30,15.60,3.28,18.88
M2,10-1,statement,2026-11-03,2026-11-30,2026-10-01,2026-10-31,23.40,4.91,28.31
I1,20-2,invoice,2026-11-03,2026-11-17,2026-10-01,2026-10-31,101.20,21.25,122.45
Q1,10-3,statement,2026-10-01,2026-10-31,2026-07-01,2026-09-30,0.1,0.02,0.12
''',
    "invoice_lines.csv": '''invoice_no,line_no,description,quantity,unit,unit_price,vat_rate,net
M1,1,"Sadzīves atkritumu izvešana, 240 l",2,reizes,7.80,21,15.60
M2,1,"Sadzīves atkritumu izvešana, 240 l",3,reizes,7.80,21,23.40
I1,1,"Šķiroto atkritumu izvešana, 1100 l × 2",8,reizes,11.50,21,92.00
I1,2,Konteinera noma,1,mēn.,9.20,21,9.20
Q1,1,"Bioloģisko atkritumu izvešana, 140 l",1,reizes,0.10,21,0.10
''',
    "payments.csv": '''payment_id,contract_no,invoice_no,paid_on,amount,channel,reference
P1,10-1,M1,2026-10-20,18.88,Swedbank,M1
P2,20-2,I1,2026-11-10,100.00,SEB,I1
P3,20-2,I1,2026-11-15,22.45,SEB,
P4,10-3,,2026-11-01,-5.00,bank transfer,refund
''',
}
# invoice lines with their invoice (a line holds its invoice's `seq`, not its number)
LINES = "invoice_line l JOIN invoice i ON i.seq = l.invoice_seq"
PLAIN_CODES = ["140378-12342", "161175-19997"]


def write_snapshot(directory: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """BASE with some files replaced (None: left out); CRLF line ends, as RFC 4180 has."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {**BASE, **(changes or {})}
    for name, content in files.items():
        if content is None:
            continue
        if isinstance(content, str):
            if name.endswith(".csv"):
                content = content.replace("\n", "\r\n")
            content = content.encode("utf-8")
        (directory / name).write_bytes(content)
    return directory


def replace_in(name: str, old: str, new: str) -> dict[str, str]:
    assert old in BASE[name], (name, old)
    return {name: BASE[name].replace(old, new, 1)}


# -- the database ------------------------------------------------------------------------


def _migrated_database(kind: str, tmp_path_factory) -> Iterator[str]:
    """A new migrated database of `kind` ("sqlite" or "postgres"), dropped afterwards."""
    from piccolo.apps.migrations.tables import Migration

    from zaao_hx.db import ALL_TABLES, bind, engine_from_url, migrate

    if kind == "postgres":
        name = f"zaao_imports_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
        url = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('imports') / 'imports.sqlite3'}"
    previous = Migration._meta._db  # not `.db`, which would bind it to piccolo_conf's
    try:
        asyncio.run(migrate(engine_from_url(url)))
    finally:
        # the session's tables stay bound to the session database (or to none yet)
        if previous is not None:
            bind(previous)
        else:
            for table in [*ALL_TABLES, Migration]:
                table._meta._db = None
    yield url
    if kind == "postgres":
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def import_db(tmp_path_factory) -> Iterator[str]:
    """A migrated database for these tests alone, of the suite's kind."""
    yield from _migrated_database(TEST_DATABASE, tmp_path_factory)


@pytest.fixture(scope="session")
def postgres_import_db(tmp_path_factory) -> Iterator[str]:
    """A migrated PostgreSQL database for these tests alone, whatever the suite's kind
    (for what only the PostgreSQL import does)."""
    yield from _migrated_database("postgres", tmp_path_factory)


def query(url: str, sql: str, *args) -> list[tuple]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):], timeout=30)
        try:
            return [tuple(r) for r in conn.execute(sql.replace("$1", "?"), args).fetchall()]
        finally:
            conn.close()

    async def run() -> list[tuple]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


def load_and_look(url: str, frames, look):
    """Begin an import's transaction, load `frames` (an async iterator of (table, rows)),
    return what `look(store)` (a coroutine function) finds, and roll back."""

    async def run():
        store = store_for(url)
        await store.open()
        try:
            await store.begin()
            await store.load(frames())
            found = await look(store)
            await store.rollback()
            return found
        finally:
            await store.close()

    return asyncio.run(run())


def execute(url: str, *statements: str) -> None:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):], timeout=30, isolation_level=None)
        try:
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()
        return

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def dump(url: str, tables: list[str] | None = None) -> dict[str, list[tuple]]:
    """Every row of the tables, in key order: what a customer (or the portal) can see."""
    out = {}
    for table in tables or READ_MODEL_TABLES:
        out[table] = query(url, f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
    return out


def counts(url: str) -> dict[str, int]:
    return {t: query(url, f'SELECT count(*) FROM "{t}"')[0][0] for t in READ_MODEL_TABLES}  # noqa: S608


def latest_snapshot(url: str) -> dict:
    rows = query(url, "SELECT id, outcome, report, content_hash, source, counts FROM snapshot "
                      "ORDER BY id DESC LIMIT 1")
    keys = ("id", "outcome", "report", "content_hash", "source", "counts")
    return dict(zip(keys, rows[0], strict=True)) if rows else {}


def do_import(url: str, directory: Path, force: bool = False) -> ImportResult:
    return asyncio.run(run_import(url, SECRET, directory, force=force))


def cli_env(url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "ZAAO_DATABASE_URL": url, "ZAAO_SECRET_KEY": SECRET,
            "ZAAO_DATA_DIR": str(data_dir), "ZAAO_ENV": "development"}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """What these tests run in-process puts its report into English words."""
    with language("en"):
        yield


def cli(url: str, data_dir: Path, *args: str, lang: str | None = "en",
        **kwargs) -> subprocess.CompletedProcess:
    """`zaao-hx *args`, said in `lang` (None: the command's default, Latvian)."""
    if lang is not None:
        args = (*args, "--lang", lang)
    return subprocess.run(
        [sys.executable, "-m", "zaao_hx.cli", *args],
        env=cli_env(url, data_dir), capture_output=True, text=True, timeout=120,
        cwd=ROOT, **kwargs,
    )


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory) -> Path:
    return write_snapshot(tmp_path_factory.mktemp("base") / "snapshot")


@pytest.fixture
def base_loaded(import_db, base_dir) -> str:
    """The database holding exactly the BASE snapshot (loaded again if a test changed it)."""
    result = do_import(import_db, base_dir)
    assert result.ok, result.report.listing() or result.message
    if result.outcome == "unchanged" and counts(import_db)["customer"] != 3:
        result = do_import(import_db, base_dir, force=True)
        assert result.outcome == "imported"
    return import_db


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A synthetic snapshot of 300 customers."""
    directory = tmp_path_factory.mktemp("generated") / "snapshot"
    generate(directory, 300, seed=7)
    return directory


@pytest.fixture(scope="session")
def big(tmp_path_factory) -> Path:
    """A synthetic snapshot big enough (~4,000 customers) to be stopped halfway."""
    directory = tmp_path_factory.mktemp("big") / "snapshot"
    generate(directory, 4000, seed=3)
    return directory


def copy_snapshot(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def messages(report: Report) -> list[str]:
    return [str(p) for p in [*report.errors, *report.warnings]]
