"""Across imports: the same snapshot twice changes nothing; a snapshot is complete (what
it lacks is gone, what only the portal owns stays); a killed import leaves the previous
snapshot; the history tells it all."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import asyncpg
import pytest

from tests.conftest import SECRET, TEST_DATABASE, migrate_to
from tests.imports.conftest import (
    BASE,
    PORTAL_TABLES,
    READ_MODEL_TABLES,
    ROOT,
    cli,
    cli_env,
    counts,
    do_import,
    dump,
    execute,
    latest_snapshot,
    query,
    replace_in,
    write_snapshot,
)
from zaao_hx.imports.service import YIELD_NICE, Progress, Stop, run_import
from zaao_hx.imports.store import LOCK_KEY, store_for
from zaao_hx.imports.worker import Worker


@contextlib.contextmanager
def _importing(url: str, folder, data_dir, session: bool = False
               ) -> Iterator[subprocess.Popen]:
    """`zaao-hx import FOLDER --progress lines` running (in English; `session`: in a
    session of its own, as a terminal runs it); killed if still running after the block,
    its pipes closed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "zaao_hx.cli", "import", str(folder), "--progress", "lines",
         "--lang", "en"],
        env=cli_env(url, data_dir), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=session,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _reading_lines(proc: subprocess.Popen) -> None:
    """Wait until the import reads invoice_lines.csv: it has then written every invoice
    in its transaction."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "reading invoice_lines.csv" in line:
            break
    assert proc.poll() is None, "".join(seen) + proc.stderr.read()


def test_the_same_snapshot_twice_changes_nothing(base_loaded, base_dir, tmp_path):
    url = base_loaded
    before = dump(url)
    again = do_import(url, base_dir)
    assert again.outcome == "unchanged"
    assert dump(url) == before
    assert latest_snapshot(url)["outcome"] == "unchanged"
    # a copy elsewhere is the same snapshot: the content decides, not the path
    copy = write_snapshot(tmp_path / "copy")
    assert do_import(url, copy).outcome == "unchanged"
    # loaded again on purpose, it yields the very same rows (serial ids included)
    forced = do_import(url, copy, force=True)
    assert forced.outcome == "imported"
    assert dump(url) == before


def test_a_snapshot_is_complete_and_portal_rows_stay(base_loaded, tmp_path):
    url = base_loaded
    # an account of the portal's, holding contract 10-3 of customer C3
    execute(
        url,
        "INSERT INTO account (email, password_hash, created_at, password_changed_at) "
        "VALUES ('c3@example.com', 'x', '2026-01-01 00:00:00+00:00', "
        "'2026-01-01 00:00:00+00:00')",
    )
    account_id = query(url, "SELECT id FROM account WHERE email = 'c3@example.com'")[0][0]
    execute(
        url,
        "INSERT INTO account_contract (account, contract_no, added_at) "
        f"VALUES ({account_id}, '10-3', '2026-01-01 00:00:00+00:00')",
        "INSERT INTO preference (contract_no, einvoice_opt_in, reminder_opt_in, "
        "reminder_email) VALUES ('10-3', true, false, '')",
    )
    portal = dump(url, PORTAL_TABLES)
    try:
        # the next snapshot has no C3: no customer, contract, site, container, invoice…
        def without(name: str, *keys: str) -> str:
            return "".join(line + "\n" for line in BASE[name].splitlines()
                           if not any(line.startswith(k + ",") for k in keys))

        folder = write_snapshot(tmp_path / "next", {
            "customers.csv": without("customers.csv", "C3"),
            "contracts.csv": without("contracts.csv", "10-3"),
            "sites.csv": without("sites.csv", "S3"),
            "containers.csv": without("containers.csv", "K3"),
            "invoices.csv": without("invoices.csv", "Q1"),
            "invoice_lines.csv": without("invoice_lines.csv", "Q1"),
            "payments.csv": without("payments.csv", "P4"),
        })
        result = do_import(url, folder)
        assert result.outcome == "imported", result.report.listing()
        assert query(url, "SELECT count(*) FROM customer WHERE customer_id = 'C3'") == [(0,)]
        assert query(url, "SELECT count(*) FROM contract WHERE contract_no = '10-3'") == [(0,)]
        assert counts(url)["invoice"] == 3
        assert dump(url, PORTAL_TABLES) == portal  # the account and its link stay
    finally:
        execute(url, "DELETE FROM preference", "DELETE FROM account_contract",
                "DELETE FROM account")


def test_a_killed_import_leaves_the_previous_snapshot(base_loaded, big, tmp_path):
    url = base_loaded
    before = dump(url)
    with _importing(url, big, tmp_path) as proc:
        _reading_lines(proc)
        assert counts(url)["invoice"] == 4  # (uncommitted rows are invisible)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert dump(url) == before
    assert counts(url)["customer"] == 3
    if TEST_DATABASE == "sqlite":
        assert query(url, "PRAGMA integrity_check") == [("ok",)]
    assert latest_snapshot(url)["outcome"] == "running"
    # the history says so, and the next import marks it failed and goes ahead (the lock
    # died with the process; the checking process ends when its pipe breaks)
    deadline = time.monotonic() + 20
    listing = cli(url, tmp_path, "imports").stdout
    while "interrupted" not in listing and time.monotonic() < deadline:
        time.sleep(0.2)
        listing = cli(url, tmp_path, "imports").stdout
    assert "interrupted" in listing
    result = do_import(url, write_snapshot(tmp_path / "after", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"after the crash"')}))
    assert result.outcome == "imported"
    outcomes = query(url, "SELECT outcome, report FROM snapshot ORDER BY id DESC LIMIT 2")
    assert outcomes[1][0] == "interrupted" and outcomes[1][1].startswith("pārtraukts: ")


def test_the_history_lists_every_import(base_loaded, base_dir, tmp_path):
    url = base_loaded
    do_import(url, base_dir)  # unchanged
    do_import(url, write_snapshot(tmp_path / "bad", {"payments.csv": None}))  # rejected
    done = cli(url, tmp_path, "imports", "--limit", "5")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["#", "started", "(Riga)"]
    assert "rejected" in lines[1] and "unchanged" in lines[2]
    assert any("imported" in line and "3" in line for line in lines[1:])


def test_the_command_prints_a_summary(import_db, tmp_path):
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"summary test"')})
    done = cli(import_db, tmp_path, "import", str(folder))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Imported {folder} in ")
    assert "invoice_lines.csv" in done.stdout and "warnings: 0" in done.stdout
    assert done.stderr == ""  # not a terminal: no progress bar
    again = cli(import_db, tmp_path, "import", str(folder))
    assert again.returncode == 0
    assert "nothing to do" in again.stdout


def test_readers_keep_the_old_snapshot_until_the_commit(base_loaded, big, tmp_path):
    """While an import runs, the portal reads the previous snapshot, never a mix."""
    url = base_loaded
    old = counts(url)
    with _importing(url, big, tmp_path) as proc:
        for line in proc.stderr:
            if "reading payments.csv" in line:
                assert counts(url) == old
                break
        assert proc.wait(timeout=120) == 0
    assert counts(url)["customer"] == 4000


def test_an_older_snapshot_is_imported_with_a_warning(base_loaded, tmp_path):
    url = base_loaded
    older = write_snapshot(tmp_path / "older", {"manifest.json": BASE["manifest.json"].replace(
        "2026-11-28T23:00:00+02:00", "2026-11-20T23:00:00+02:00")})
    result = do_import(url, older)
    assert result.outcome == "imported"
    assert [str(w).split(", import #")[0] for w in result.report.warnings] == [
        "manifest.json, column as_of: 2026-11-20T23:00:00+02:00 is older than the current "
        "snapshot's (2026-11-28T21:00:00+00:00"]


def test_an_unchanged_import_is_listed_with_the_counts(base_loaded, base_dir):
    url = base_loaded
    assert do_import(url, base_dir).outcome == "unchanged"
    row = query(url, "SELECT outcome, counts FROM snapshot ORDER BY id DESC LIMIT 1")[0]
    assert row[0] == "unchanged" and '"customers": 3' in row[1]


def test_no_database_no_traceback(tmp_path):
    done = cli(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}", tmp_path, "import",
               str(write_snapshot(tmp_path / "s")))
    assert done.returncode == 1
    assert "the database cannot be used" in done.stderr and "Traceback" not in done.stderr


def _indexes(url: str) -> set[tuple[str, str]]:
    """The read model's indexes (table, definition) as the migrations made them; on
    PostgreSQL also its byte-order key columns (table, "C: column")."""
    tables = "', '".join(READ_MODEL_TABLES)
    if TEST_DATABASE == "sqlite":
        # (and the triggers: the import leaves them out of its load, see SqliteStore)
        rows = query(url, "SELECT tbl_name, sql FROM sqlite_master WHERE type IN "
                     f"('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN ('{tables}')")
        # and each table's primary key (a WITHOUT ROWID table's is the table itself)
        for table in READ_MODEL_TABLES:
            rows += [(table, f"key: {columns}") for (columns,) in query(
                url, "SELECT group_concat(i.name, ', ') FROM pragma_index_list(?) AS l, "
                "pragma_index_info(l.name) AS i WHERE l.origin = 'pk'", table) if columns]
    else:
        rows = query(url, "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = "
                     f"'public' AND tablename IN ('{tables}')")
        # and the columns that compare byte by byte (the keys: COLLATE "C")
        rows += query(url, "SELECT attrelid::regclass::text, 'C: ' || attname FROM "
                      "pg_attribute WHERE attcollation = 'pg_catalog.\"C\"'::regcollation "
                      f"AND attrelid::regclass::text IN ('{tables}')")
    return set(rows)


def test_the_indexes_are_there_after_an_import_or_a_refusal(base_loaded, base_dir, tmp_path):
    # the import keeps them up to date (SQLite) or builds them on fresh tables made like
    # the old ones (PostgreSQL): either way the read paths find what the migrations made
    url = base_loaded
    before = _indexes(url)
    assert {t for t, _ in before} >= {"invoice", "invoice_line", "payment", "contract"}
    if TEST_DATABASE == "sqlite":
        # a line's key is its invoice's seq and its number: the table's own order, no
        # index beside; triggers number a line and an invoice added later
        assert {d.split(" ON ")[0] for t, d in before if t == "invoice_line"} == {
            "key: invoice_seq, line_no", "CREATE TRIGGER invoice_line_numbered AFTER INSERT"}
        assert "CREATE TRIGGER invoice_numbered AFTER INSERT" in {
            d.split(" ON ")[0] for t, d in before if t == "invoice"}
    if TEST_DATABASE == "postgres":
        assert {("invoice", "C: invoice_no"), ("payment", "C: contract_no")} <= before
        # a line's key is its invoice's seq and its number: one index, none on `id`
        assert {d for t, d in before if t == "invoice_line"} == {
            "CREATE UNIQUE INDEX invoice_line_pkey ON public.invoice_line USING btree "
            "(invoice_seq, line_no)",
        }
    assert do_import(url, base_dir, force=True).outcome == "imported"
    assert _indexes(url) == before
    bad = write_snapshot(tmp_path / "bad", replace_in("invoices.csv", "2026-10-02", "2026-13-02"))
    assert do_import(url, bad).outcome == "rejected"
    assert _indexes(url) == before


@contextlib.contextmanager
def _import_lock_held(url: str) -> Iterator[None]:
    """Hold the lock an import takes, as another import would."""
    if url.startswith("sqlite"):
        with open(url.removeprefix("sqlite:///") + ".import-lock", "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield
        return
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(url))
    try:
        loop.run_until_complete(conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY))
        yield
    finally:
        loop.run_until_complete(conn.close())  # (the lock goes with its session)
        loop.close()


def test_an_import_waits_for_the_one_running_and_says_so(base_loaded, tmp_path):
    url = base_loaded
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"after the other"')})
    with contextlib.ExitStack() as other:
        other.enter_context(_import_lock_held(url))  # (held before the command starts)
        with _importing(url, folder, tmp_path) as proc:
            watchdog = threading.Timer(60, proc.kill)  # (a test that fails, not one that hangs)
            watchdog.start()
            try:
                first = proc.stderr.readline()
                assert first == "import: waiting for another import to finish\n"
                time.sleep(0.5)
                assert proc.poll() is None  # still waiting: nothing read, nothing written
                assert latest_snapshot(url)["source"] != "after the other"
                other.close()  # the other import ends
                assert proc.wait(timeout=60) == 0, proc.stderr.read()
                assert proc.stdout.read().startswith(f"Imported {folder} in ")
                assert "import: reading customers.csv" in proc.stderr.read()
            finally:
                watchdog.cancel()
    history = latest_snapshot(url)
    assert (history["outcome"], history["source"]) == ("imported", "after the other")


def test_on_postgresql_the_importing_process_gives_way_to_the_checking_one(
        base_loaded, big, tmp_path):
    """Three busy processes there (checking, importing, the server's): the checking one,
    the slower side, keeps its priority and the command's own process lowers its own."""
    url = base_loaded
    with _importing(url, big, tmp_path) as proc:
        for line in proc.stderr:
            if "reading invoices.csv" in line:
                break
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            (child,) = map(int, f.read().split())
        given_way = os.getpriority(os.PRIO_PROCESS, proc.pid) - os.getpriority(
            os.PRIO_PROCESS, child)
        assert given_way == (YIELD_NICE if TEST_DATABASE == "postgres" else 0)
        assert proc.wait(timeout=120) == 0


def test_output_cut_short_by_its_reader_is_no_traceback(base_loaded, tmp_path):
    """`zaao-hx import … | head -1`, the reader going away before the output comes (as
    `true` does, at once)."""
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"cut short"')})
    done = subprocess.run(
        f"{sys.executable} -m zaao_hx.cli import {folder} --lang en | true",
        shell=True, env=cli_env(base_loaded, tmp_path), cwd=ROOT, capture_output=True,
        text=True, timeout=120,
    )
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert latest_snapshot(base_loaded)["outcome"] == "imported"


def _checking_processes(folder) -> list[str]:
    """Running checking processes of an import of `folder` (their /proc cmdline)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    line = f.read().replace(b"\0", b" ").decode(errors="replace")
                if "zaao_hx.imports.worker" in line and str(folder) in line:
                    found.append(line)
    return found


@pytest.mark.parametrize(("signum", "said"), [(signal.SIGINT, "Ctrl+C"),
                                              (signal.SIGTERM, "SIGTERM")])
def test_ctrl_c_or_sigterm_stops_an_import_which_rolls_back_and_says_so(
        base_loaded, big, tmp_path, signum, said):
    """As a terminal's Ctrl+C does, the signal goes to the whole process group: the
    checking process leaves it to the importing one, which stops at its next chunk, rolls
    back and says so (not a traceback, not an import finished regardless)."""
    url = base_loaded
    before = dump(url)
    with _importing(url, big, tmp_path, session=True) as proc:
        _reading_lines(proc)
        os.killpg(proc.pid, signum)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "import: stopping (the database will not be changed; Ctrl+C again: at once)" in err
    assert f"The import of {big} was stopped ({said}); the database is unchanged." in err
    assert "Traceback" not in err and out == ""
    assert dump(url) == before
    snapshot = latest_snapshot(url)
    assert snapshot["outcome"] == "interrupted"
    assert snapshot["report"] == f"pārtraukts ({said}); nekas netika mainīts"
    assert "interrupted" in cli(url, tmp_path, "imports").stdout.splitlines()[1]
    assert _checking_processes(big) == []
    if TEST_DATABASE == "sqlite":
        assert query(url, "PRAGMA integrity_check") == [("ok",)]


class _StopAt(Progress):
    """Asks the import to stop when it reaches a stage."""

    def __init__(self, stage: str, stop: Stop) -> None:
        self.at, self.stop = stage, stop

    def stage(self, name: str) -> None:
        if name == self.at:
            self.stop.request("test")


def test_a_stop_asked_for_before_the_commit_is_heeded_and_after_it_is_not(base_loaded,
                                                                           tmp_path):
    url = base_loaded
    before = dump(url)
    folder = write_snapshot(tmp_path / "next", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"stopped"')})
    stop = Stop()
    # all rows read and checked, not yet committed: stopped, nothing changed
    result = asyncio.run(run_import(url, SECRET, folder, progress=_StopAt("checked", stop),
                                    stop=stop))
    assert (result.outcome, result.message) == ("interrupted", "test")
    assert dump(url) == before
    assert latest_snapshot(url)["outcome"] == "interrupted"
    # once the tables are being swapped (PostgreSQL) or committed (SQLite), it finishes
    for stage in ("swap", "commit"):
        stop = Stop()
        result = asyncio.run(run_import(url, SECRET, folder, force=True,
                                        progress=_StopAt(stage, stop), stop=stop))
        assert result.outcome == "imported", stage
        assert stop.reason == "test" or stage == "swap" and TEST_DATABASE == "sqlite"
        assert latest_snapshot(url)["outcome"] == "imported"
    assert query(url, "SELECT source FROM snapshot ORDER BY id DESC LIMIT 1") == [("stopped",)]


def test_the_checking_process_leaves_ctrl_c_and_sigterm_to_the_importing_one(big):
    worker = Worker(big, SECRET)
    try:
        messages = worker.messages()
        next(messages)  # under way (past its start)
        os.kill(worker.proc.pid, signal.SIGINT)
        os.kill(worker.proc.pid, signal.SIGTERM)
        for _ in messages:
            pass
        assert worker.result is not None and worker.result.report.ok
        assert worker.proc.returncode == 0
    finally:
        worker.stop()


def test_a_stop_while_waiting_for_another_import_ends_the_wait(base_loaded, tmp_path):
    url = base_loaded
    before = latest_snapshot(url)
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"never"')})
    with _import_lock_held(url), _importing(url, folder, tmp_path) as proc:
        assert proc.stderr.readline() == "import: waiting for another import to finish\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 128 + signal.SIGINT  # (the other still runs)
        err = proc.stderr.read()
    assert "import: stopping (the database will not be changed; Ctrl+C again: at once)" in err
    assert f"The import of {folder} was stopped (Ctrl+C); the database is unchanged." in err
    assert latest_snapshot(url) == before  # not begun: not even a history row


def test_a_stop_too_late_to_heed_is_said_so(base_loaded, tmp_path, monkeypatch, capsys):
    """The signal comes once the import is committing (here: just after it returned)."""
    from zaao_hx import cli as cli_module
    from zaao_hx.imports import service

    async def then_a_signal(*args, **kwargs):
        result = await service_run_import(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # handled by the command, not pytest
        return result

    service_run_import = service.run_import
    monkeypatch.setattr(service, "run_import", then_a_signal)
    for name, value in cli_env(base_loaded, tmp_path).items():
        monkeypatch.setenv(name, value)
    folder = write_snapshot(tmp_path / "snapshot", {
        "manifest.json": BASE["manifest.json"].replace('"t"', '"too late"')})
    assert cli_module.main(["import", str(folder), "--progress", "none", "--lang", "en"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Imported {folder} in ")
    assert err == ("zaao-hx import: the stop (Ctrl+C) came too late: the import had already "
                   "been completed\n")
    assert latest_snapshot(base_loaded)["outcome"] == "imported"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    # a refused snapshot was never going to change anything: nothing more to say
    folder = write_snapshot(tmp_path / "bad", replace_in(
        "payments.csv", "18.88,Swedbank", "18.885,Swedbank"))
    assert cli_module.main(["import", str(folder), "--progress", "none", "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Refused {folder}: 1 error; the database is unchanged.")
    assert "too late" not in err


def test_asked_twice_an_import_ends_at_once_and_a_signal_ignored_stays_ignored(tmp_path):
    """The second time by the kernel: even inside a long SQLite call, where no Python
    handler could run."""
    script = (
        "import os, signal, time\n"
        "from zaao_hx.cli import _asking_to_stop\n"
        "from zaao_hx.imports.service import Stop\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "stop, asked = Stop(), []\n"
        "with _asking_to_stop(stop, asked):\n"
        "    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # ignored, as it was\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.1)\n"
        "    print(stop.reason, asked == [signal.SIGINT], flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(10)\n"
        "print('not reached')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == -signal.SIGINT, done.stderr
    assert (done.stdout, done.stderr) == ("Ctrl+C True\n", "")


def test_the_checking_process_is_not_in_the_terminals_process_group(big):
    """A terminal's Ctrl+C goes to its foreground process group: the importing process."""
    worker = Worker(big, SECRET)
    try:
        assert os.getpgid(worker.proc.pid) == worker.proc.pid != os.getpgid(0)
    finally:
        worker.stop()


def test_a_dead_commands_import_lock_goes_soon(import_db):
    """SQLite: the file lock goes with its holder.  PostgreSQL: the server looks every
    second whether the command's connection is still there, so a command that died in a
    long statement (killed, or a second Ctrl+C) does not keep the lock until it ends."""

    async def check() -> None:
        first, second = store_for(import_db), store_for(import_db)
        await first.open()
        await second.open()
        try:
            assert await first.try_lock()
            assert not await second.try_lock()
            if TEST_DATABASE == "postgres":
                assert await first.conn.fetchval(
                    "SHOW client_connection_check_interval") == "1s"
            await first.close()
            assert await second.try_lock()
        finally:
            await second.close()

    asyncio.run(check())


def test_a_sqlite_file_not_migrated_since_is_told_so_before_the_load(tmp_path, base_dir):
    # (invoice lines are numbered by the import from the migration of 2026-12-04T13:00 on)
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    migrate_to(url, "2026-12-04T04:30:00:000000")
    done = cli(url, tmp_path, "import", str(base_dir))
    assert done.returncode == 1
    assert "the database lacks some migrations (run `zaao-hx migrate`)" in done.stderr
    assert "Traceback" not in done.stderr
    assert counts(url)["customer"] == 0
    migrate_to(url, "all")
    assert cli(url, tmp_path, "import", str(base_dir)).returncode == 0
    assert counts(url)["invoice_line"] == 5
