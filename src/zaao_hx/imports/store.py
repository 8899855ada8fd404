"""Where an import writes: the snapshot history and the read model, on SQLite or PostgreSQL.

Both drivers are used directly (the stdlib `sqlite3` module, `asyncpg`), not through
Piccolo: a snapshot is millions of rows, and bulk paths (executemany of prepared tuples,
COPY) are what makes it fast.  What they write is what Piccolo writes and reads back: ISO
dates, timestamps as Piccolo stores them, JSON as text.

The read model is replaced in one transaction:
- SQLite: BEGIN IMMEDIATE; set the read model's triggers aside; DELETE every row (SQLite
  truncates a table deleted without WHERE); insert with executemany, chunk by chunk, as
  the checking process hands them over, the indexes kept up to date as the rows go in;
  record the snapshot, make the triggers again; COMMIT.  Readers (WAL) see the previous
  snapshot until the commit.
- PostgreSQL: the rows are COPYed into fresh tables made `LIKE` the read model's (as
  COPY text; invoices and their lines as binary COPY, copy_binary.py), each table's keys
  and indexes are built once its rows are in (while the next file is being read; the
  last table's while the checking process does its last check), then the old tables are
  dropped and the new ones take their names — all in one transaction, so readers see the
  previous snapshot, and are held up only for the moment of the swap at the end (not
  while millions of rows are written).

Only one import runs at a time: a lock held for the whole import (a file lock next to the
SQLite database, an advisory lock on PostgreSQL), both released if the process dies.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from zaao_hx.imports.copy_binary import HEADER, TRAILER, BinaryCopy
from zaao_hx.imports.format import BY_NAME
from zaao_hx.imports.validate import (
    FIRST_SERIAL,
    SERIAL_TABLES,
    TABLE_COLUMNS,
    TAIL_KEYS,
    copy_text,
    copy_text_keyed,
    numbered,
    tail_copy_text,
)
from zaao_hx.imports.worker import END, Keyed
from zaao_hx.web.i18n import DEFAULT_LANGUAGE, N_, gettext, language

READ_MODEL_TABLES = list(TABLE_COLUMNS)  # in the order the files are read
# tables whose rows come keyed (their rests' values repeat): sent as binary COPY, each
# rest's bytes made once (copy_binary.py)
BINARY_TABLES = {BY_NAME[name].table for name in TAIL_KEYS}
SNAPSHOT_COLUMNS = (
    "id", "as_of", "next_refresh", "source", "started_at", "finished_at", "outcome",
    "counts", "report", "content_hash",
)
LOCK_KEY = 0x7A61616F  # "zaao": the advisory lock of imports on PostgreSQL


def utc_text(moment: datetime.datetime) -> str:
    """A timestamp as Piccolo stores a Timestamptz on SQLite (UTC, `str()` of it)."""
    return str(moment.astimezone(datetime.UTC))


class Store(ABC):
    """The operations an import needs, each driver's own; see SqliteStore and PostgresStore."""

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def try_lock(self) -> bool:
        """Take the import lock if no other import holds it (held until `close`)."""

    @abstractmethod
    async def latest_imported(self) -> dict | None: ...

    @abstractmethod
    async def mark_interrupted(self) -> int: ...

    @abstractmethod
    async def insert_snapshot(self, row: dict) -> int: ...

    @abstractmethod
    async def update_snapshot(self, snapshot_id: int, row: dict) -> None: ...

    @abstractmethod
    async def begin(self) -> None: ...

    @abstractmethod
    async def load(self, rows: AsyncIterator[tuple[str, Any]]) -> None: ...

    @abstractmethod
    async def finish(self, snapshot_id: int, row: dict, stage) -> None: ...

    @abstractmethod
    async def rollback(self) -> None: ...

    target = ""

    # the snapshot history row: the same statements on both, but for the placeholders
    @staticmethod
    @abstractmethod
    def _mark(i: int) -> str:
        """The driver's placeholder for the i-th value (from 1)."""

    def _values(self, row: dict) -> dict:
        out = dict(row)
        if "counts" in out:
            out["counts"] = json.dumps(out["counts"])
        return out

    def _insert_sql(self, values: dict) -> str:
        names = ", ".join(f'"{k}"' for k in values)
        marks = ", ".join(self._mark(i) for i in range(1, len(values) + 1))
        return f"INSERT INTO snapshot ({names}) VALUES ({marks})"  # noqa: S608 - our names

    def _update_sql(self, values: dict) -> str:
        sets = ", ".join(f'"{k}" = {self._mark(i)}' for i, k in enumerate(values, start=1))
        return f"UPDATE snapshot SET {sets} WHERE id = {self._mark(len(values) + 1)}"  # noqa: S608


# -- SQLite ----------------------------------------------------------------------------


# Tables whose serial column SQLite does not number itself (a WITHOUT ROWID table; a
# column beside the rowid): the import numbers their rows (in the file's order, as on
# PostgreSQL), and `<table>_next_id` holds the number a row added later gets, which a
# trigger gives it (the migrations of 2026-12-04T13:00 and 17:00)
SQLITE_NUMBERED = {table: SERIAL_TABLES[table] for table in ("invoice", "invoice_line")}


def _next_id_table(table: str) -> str:
    """The one-row table holding the number a row of `table` (SQLITE_NUMBERED) added later
    gets in its serial column."""
    return f"{table}_next_id"


class SqliteStore(Store):
    target = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None
        self.lock_file = None
        self.last_ids: dict[str, int] = {}  # SQLITE_NUMBERED: the last id written
        self.triggers: list[tuple[str, str]] = []  # the read model's, left out of the load

    async def open(self) -> None:
        if not self.path.exists():
            raise FileNotFoundError(gettext(
                "datubāzes %(path)s nav (palaidiet `zaao-hx migrate`)", path=str(self.path)))
        # autocommit mode: transactions are the explicit BEGIN / COMMIT below
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=60)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.lock_file is not None:
            self.lock_file.close()  # releases the lock

    async def try_lock(self) -> bool:
        if self.lock_file is None:
            self.lock_file = open(f"{self.path}.import-lock", "a+b")  # noqa: SIM115
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _one(self, sql: str, *args) -> dict | None:
        cur = self.conn.execute(sql, args)
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    async def latest_imported(self) -> dict | None:
        return self._one(
            "SELECT id, as_of, next_refresh, source, content_hash, counts FROM snapshot "
            "WHERE outcome = 'imported' ORDER BY id DESC LIMIT 1"
        )

    async def mark_interrupted(self) -> int:
        cur = self.conn.execute(
            "UPDATE snapshot SET outcome = 'interrupted', report = ? WHERE outcome = 'running'",
            (_interrupted(),),
        )
        return cur.rowcount

    @staticmethod
    def _mark(i: int) -> str:
        return "?"

    def _values(self, row: dict) -> dict:
        out = super()._values(row)
        for key in ("as_of", "started_at", "finished_at"):
            if isinstance(out.get(key), datetime.datetime):
                out[key] = utc_text(out[key])
        if isinstance(out.get("next_refresh"), datetime.date):
            out["next_refresh"] = out["next_refresh"].isoformat()
        return out

    async def insert_snapshot(self, row: dict) -> int:
        values = self._values(row)
        return self.conn.execute(self._insert_sql(values), tuple(values.values())).lastrowid

    def _update(self, snapshot_id: int, row: dict) -> None:
        values = self._values(row)
        self.conn.execute(self._update_sql(values), (*values.values(), snapshot_id))

    async def update_snapshot(self, snapshot_id: int, row: dict) -> None:
        self._update(snapshot_id, row)

    async def begin(self) -> None:
        conn = self.conn
        # A bigger page cache for the load: the default 2 MB thrashes on the indexes.
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB
        for table in SQLITE_NUMBERED:  # (a file not migrated since: said before the load)
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                (_next_id_table(table),)).fetchone():
                raise RuntimeError(gettext(
                    "datubāzei nav piemērotas visas migrācijas (palaidiet `zaao-hx migrate`)"))
        conn.execute("BEGIN IMMEDIATE")
        # The read model's triggers (they number an invoice or a line added later) are left
        # out of the load, in which the rows come numbered: a trigger is a program SQLite
        # runs for each row, even one whose WHEN is false (+5 s for 3 M invoice lines).
        # They are made again before the commit, and a rollback brings them back.
        names = "', '".join(READ_MODEL_TABLES)
        self.triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608 - ours
            f"AND tbl_name IN ('{names}') ORDER BY name").fetchall()
        for name, _ in self.triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        for table in READ_MODEL_TABLES:
            conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our table names
        # The indexes stay and are kept up to date row by row.  Dropping them and building
        # each once its table is full costs less CPU, but the build is time in which the
        # writer takes no rows: the checking process, the slower side, stops once the
        # pipe is full, and the last table's build is a wait at the end.  The files come
        # in (nearly) key order, so keeping the indexes is mostly appending to them
        # (100,000 customers, alternating runs: 17.3-18.5 s against 20.2-21.1 s).

    async def load(self, rows: AsyncIterator[tuple[str, Any]]) -> None:
        conn = self.conn
        statements = {}
        for table, columns in TABLE_COLUMNS.items():
            names = [SQLITE_NUMBERED[table], *columns] if table in SQLITE_NUMBERED \
                else columns
            statements[table] = (
                f'INSERT INTO "{table}" ({", ".join(names)}) '  # noqa: S608 - ours
                f'VALUES ({", ".join("?" for _ in names)})'
            )
        self.last_ids = dict.fromkeys(SQLITE_NUMBERED, FIRST_SERIAL - 1)
        async for table, payload in rows:
            if payload is END:
                continue
            if table in SQLITE_NUMBERED:  # ids: the rows' places, from 1
                last = self.last_ids[table]
                self.last_ids[table] = last + len(payload)
                payload = numbered(payload, last + 1)
            conn.executemany(statements[table], payload)

    async def finish(self, snapshot_id: int, row: dict, stage) -> None:
        self._update(snapshot_id, row)
        for table, last in self.last_ids.items():  # a line added later goes on from these
            # (its one row, made anew: without it the trigger would number a line NULL)
            counter = _next_id_table(table)
            self.conn.execute(f'DELETE FROM "{counter}"')  # noqa: S608 - ours
            self.conn.execute(f'INSERT INTO "{counter}" VALUES (?)', (last + 1,))  # noqa: S608
        for _, sql in self.triggers:
            self.conn.execute(sql)
        stage("commit")
        # The commit writes the snapshot into the database file (SQLite's automatic
        # checkpoint); then the write-ahead log, as big as the snapshot, is cut back.
        self.conn.execute("COMMIT")
        # (a reader of the portal's holding it up: the next checkpoint does it, rather
        # than the command waiting out the 60 s busy timeout once all is done)
        self.conn.execute("PRAGMA busy_timeout = 1000")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


INTERRUPTED = N_("pārtraukts: importa process apstājās pirms beigām (nekas netika mainīts)")


def _interrupted() -> str:
    with language(DEFAULT_LANGUAGE):  # the history's language (see service._history_row)
        return gettext(INTERRUPTED)


# -- PostgreSQL ------------------------------------------------------------------------

NEW = "__import"  # suffix of the tables a snapshot is loaded into


class PostgresStore(Store):
    target = "postgres"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn = None
        self.tx = None
        self.renames: list[str] = []
        self.last_ids: dict[str, int] = {}  # serial tables: the last id copied

    async def open(self) -> None:
        import asyncpg

        self.conn = await asyncpg.connect(self.dsn)
        if self.conn.get_server_version().major >= 14:
            # a command that died (killed, or a second Ctrl+C) in the middle of a long
            # statement lets go of its locks within a second, not when the statement ends
            # (where the server can tell: some platforms allow only 0)
            with contextlib.suppress(asyncpg.PostgresError):
                await self.conn.execute("SET client_connection_check_interval = '1s'")

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()  # also releases the advisory lock

    async def try_lock(self) -> bool:
        return await self.conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)

    async def latest_imported(self) -> dict | None:
        row = await self.conn.fetchrow(
            "SELECT id, as_of, next_refresh, source, content_hash, counts FROM snapshot "
            "WHERE outcome = 'imported' ORDER BY id DESC LIMIT 1"
        )
        return dict(row) if row else None

    async def mark_interrupted(self) -> int:
        status = await self.conn.execute(
            "UPDATE snapshot SET outcome = 'interrupted', report = $1 WHERE outcome = 'running'",
            _interrupted(),
        )
        return int(status.split()[-1])

    @staticmethod
    def _mark(i: int) -> str:
        return f"${i}"

    async def insert_snapshot(self, row: dict) -> int:
        values = self._values(row)
        return await self.conn.fetchval(
            self._insert_sql(values) + " RETURNING id", *values.values()
        )

    async def update_snapshot(self, snapshot_id: int, row: dict) -> None:
        values = self._values(row)
        await self.conn.execute(self._update_sql(values), *values.values(), snapshot_id)

    async def begin(self) -> None:
        self.tx = self.conn.transaction()
        await self.tx.start()
        # The index builds keep the server's maintenance_work_mem (64 MB by default): a
        # bigger one sorts in memory, which is slower here than merging the default's runs
        # (bench/README.md, maintenance_work_mem).
        # ANALYZE reads 300 rows per unit of the statistics target: the default (100)
        # samples 30,000 rows of each table, ~1 s of the server's work for a snapshot.
        # The read paths are key lookups, whose plans a sample of 3,000 settles as well
        # (after so many new rows, autovacuum's next ANALYZE takes the default again).
        await self.conn.execute("SET LOCAL default_statistics_target = 10")
        # A table's keys and indexes are built while the checking process goes on with the
        # next file: on one core, not with the server's parallel workers, which would take
        # the checking process's (the slower side) for the build's length.  The last
        # table's, which the import waits for, get the workers (`load`).  (100,000
        # customers, alternating: wall time / checking CPU 1.162 against 1.181 on
        # average of five pairs; the checking process done ~0.6 s earlier.)
        await self.conn.execute("SET LOCAL max_parallel_maintenance_workers = 0")
        self.renames = []
        self.last_ids = {}
        for table in READ_MODEL_TABLES:
            # the columns, types, NOT NULLs and defaults; keys and indexes after the rows
            await self.conn.execute(
                f'CREATE TABLE "{table}{NEW}" (LIKE "{table}" INCLUDING DEFAULTS '
                "INCLUDING CONSTRAINTS INCLUDING STORAGE)"
            )

    async def load(self, rows: AsyncIterator[tuple[str, Any]]) -> None:
        """One COPY per table, fed by the checking process's chunks as they come, to the
        table's END; then the table's keys and indexes (while the next file is read
        ahead)."""
        stream = rows.__aiter__()
        done: set[str] = set()
        async for table, first in stream:
            if first is END:  # (of a table without rows)
                continue
            await self._copy(table, first, stream)
            if table == READ_MODEL_TABLES[-1]:  # nothing runs beside its build but what
                # is left of the checking
                await self.conn.execute("SET LOCAL max_parallel_maintenance_workers TO DEFAULT")
            await self._build(table)
            done.add(table)
        for table in READ_MODEL_TABLES:  # tables without a row
            if table not in done:
                await self._build(table)

    async def _copy(self, table: str, first: Any, stream: AsyncIterator[tuple[str, Any]]
                    ) -> None:
        """COPY the rows of one table: `first`, then the messages up to its END (or the
        stream's end: the checking process found a problem and hands on no more)."""
        serial = table in SERIAL_TABLES  # ids: the rows' places, from FIRST_SERIAL
        next_id = FIRST_SERIAL
        columns = ([SERIAL_TABLES[table]] if serial else []) + list(TABLE_COLUMNS[table])
        binary = await self._binary_copy(table, columns) if table in BINARY_TABLES else None
        # keyed rows: their rests as written (binary fields, or COPY text), by number
        rests: dict[int, bytes | str] = {}
        written = binary.tail if binary else tail_copy_text

        def rows_of(message) -> bytes:
            first_id = next_id if serial else None
            if isinstance(message, Keyed):
                rests.update((tid, written(rest)) for tid, rest in message.new)
                *keys, tids = message.keys
                data = (binary.keyed(keys, tids, rests, first_id) if binary else
                        copy_text_keyed(keys, tids, rests, first_id))
                for tid, _ in message.new:
                    if tid < 0:  # a rest for one row (not cached by the checking side)
                        del rests[tid]
                return data
            if binary:
                return binary.rows(message, first_id)
            return copy_text(table, message, first_id)

        async def chunks():
            nonlocal next_id
            rows_ = first
            if binary:
                yield HEADER
            while True:
                yield rows_of(rows_)
                next_id += len(rows_.keys[-1] if isinstance(rows_, Keyed) else rows_)
                try:
                    other, rows_ = await stream.__anext__()
                except StopAsyncIteration:
                    break
                if other != table:
                    raise RuntimeError(f"rows of {other} before the end of {table}'s")
                if rows_ is END:  # its last rows: the build need not wait for the checking
                    break         # process's end
            if binary:
                yield TRAILER

        await self.conn.copy_to_table(
            f"{table}{NEW}", source=chunks(), columns=columns,
            format="binary" if binary else "text", freeze=True,
        )
        if serial:
            self.last_ids[table] = next_id - 1

    async def _binary_copy(self, table: str, columns: list[str]) -> BinaryCopy | None:
        """The new table's binary COPY, by its columns' types (None: a type it does not
        know, COPY text then)."""
        types = dict(await self.conn.fetch(
            "SELECT a.attname, t.typname FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped", f"{table}{NEW}",
        ))
        try:
            return BinaryCopy([types[column] for column in columns])
        except ValueError:
            return None

    async def _build(self, table: str) -> None:
        """The new table's keys, indexes and statistics, as the old table has them."""
        conn = self.conn
        new = f"{table}{NEW}"
        constraints = await conn.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
            "WHERE conrelid = $1::regclass AND contype IN ('p', 'u')", table,
        )
        for c in constraints:
            temp = f"{c['conname'][:50]}{NEW}"
            await conn.execute(f'ALTER TABLE "{new}" ADD CONSTRAINT "{temp}" {c["def"]}')
            self.renames.append(
                f'ALTER TABLE "{table}" RENAME CONSTRAINT "{temp}" TO "{c["conname"]}"'
            )
        indexes = await conn.fetch(
            "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = $1::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            table,
        )
        for index in indexes:
            temp = f"{index['name'][:50]}{NEW}"
            await conn.execute(_index_on(index["def"], temp, new))
            self.renames.append(f'ALTER INDEX "{temp}" RENAME TO "{index["name"]}"')
        await conn.execute(f'ANALYZE "{new}"')

    async def finish(self, snapshot_id: int, row: dict, stage) -> None:
        conn = self.conn
        stage("swap")
        # the moment readers wait for: the old tables go, the new ones take their names
        await conn.execute("SET LOCAL lock_timeout = '60s'")
        for table in READ_MODEL_TABLES:
            new = f"{table}{NEW}"
            # serial columns: the sequence goes with the new table, on from its rows
            sequences = await conn.fetch(
                "SELECT s.oid::regclass::text AS seq, a.attname AS col FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a' "
                "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
                "WHERE s.relkind = 'S' AND d.refobjid = $1::regclass", table,
            )
            for s in sequences:
                if SERIAL_TABLES.get(table) != s["col"]:
                    raise RuntimeError(f"{table}.{s['col']}: a serial column the import "
                                       "does not number (see SERIAL_TABLES)")
                await conn.execute(f'ALTER SEQUENCE {s["seq"]} OWNED BY "{new}"."{s["col"]}"')
                # on from the ids the rows were given (counted: a MAX would read the
                # whole table, invoice_line's id has no index)
                await conn.execute(
                    f"SELECT setval('{s['seq']}', {self.last_ids.get(table, 0) + 1}, false)"
                )
            await conn.execute(f'DROP TABLE "{table}"')
            await conn.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')
        for statement in self.renames:
            await conn.execute(statement)
        await self.update_snapshot(snapshot_id, row)
        stage("commit")
        await self.tx.commit()
        self.tx = None

    async def rollback(self) -> None:
        if self.tx is not None:
            await self.tx.rollback()
            self.tx = None


_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (USING .*)$")


def _index_on(definition: str, name: str, table: str) -> str:
    """`pg_get_indexdef` of an index, made for another name and table."""
    match = _INDEX_DEF.match(definition)
    if not match:
        raise RuntimeError(f"unexpected index definition: {definition}")
    unique, _, _, rest = match.groups()
    return f'CREATE {unique or ""}INDEX "{name}" ON "{table}" {rest}'


def store_for(database_url: str) -> Store:
    if database_url.startswith("sqlite:///"):
        return SqliteStore(Path(database_url[len("sqlite:///"):]))
    return PostgresStore(database_url)


async def import_running(database_url: str) -> bool:
    """Whether some process holds the import lock now (a `running` row without one was
    interrupted)."""
    store = store_for(database_url)
    if isinstance(store, SqliteStore):
        path = Path(f"{store.path}.import-lock")
        if not path.exists():
            return False
        with open(path, "a+b") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    await store.open()
    try:
        free = await store.conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
        if free:
            await store.conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        return not free
    finally:
        await store.close()
