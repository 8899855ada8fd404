"""The import's checking process, and the pipe between it and the importing process.

Checking a 100,000-customer snapshot is ~10 s of Python; writing it is as much database
work.  The importing process (which owns the one transaction) starts this module as a
child, `python -m zaao_hx.imports.worker`, and writes what it hands over while it goes on
reading: the two run on two cores.  The child never touches the database: if the
importing process dies, the child's next write fails (broken pipe) and it exits.

Frames on the child's stdout: 4-byte little-endian length, then a `marshal`led tuple
(marshal, not pickle: several times faster for tuples of str/int/None, and the child is
our own code):
    ("rows", table, rows)         rows: a list of tuples of str / int / None
    ("keyed", table, new, keys)   when asked for (PostgreSQL): rows of invoices and invoice
                                  lines as their key columns and, last, each row's rest's
                                  number; new: [(number, rest's values)] first seen here
                                  (a negative number: a rest used by one row only)
    ("end", table)                after a table's last rows (its file may still be checked:
                                  payment ids once, at the very end)
    ("progress", done, total, file)
    ("done", report, manifest, content_hash)
    ("crash", traceback text)
The secret key comes on stdin (a command line is visible to every user of the machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import fcntl
import gc
import json
import marshal
import signal
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from zaao_hx.imports.report import Report
from zaao_hx.web.i18n import gettext

FRAME = struct.Struct("<I")
F_SETPIPE_SZ = 1031  # Linux: a 1 MB pipe instead of 64 KB means fewer hand-overs


# -- the child -------------------------------------------------------------------------


def _child(directory: str) -> int:
    from zaao_hx.imports.validate import SnapshotValidator, TupleSink

    # A service manager's SIGTERM may reach every process of the service (a terminal's
    # Ctrl+C does not: this one has a process group of its own): the importing process
    # decides what to do (it stops at a safe point and kills this one), so this one does
    # not die under it first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Millions of short-lived containers and nothing cyclic: the collector would only
    # rescan the key sets, again and again.
    gc.disable()
    options = json.loads(sys.stdin.readline())
    out = sys.stdout.buffer
    write = out.write
    pack = FRAME.pack
    dumps = marshal.dumps

    def send(message: tuple) -> None:
        data = dumps(message)
        write(pack(len(data)))
        write(data)

    def rows(table: str, payload: Any) -> None:
        send(("rows", table, payload))

    def keyed(table: str, new: list, keys: list) -> None:
        send(("keyed", table, new, keys))

    def end(table: str) -> None:
        send(("end", table))

    sink = TupleSink(rows, emit_keyed=keyed if options.get("keyed_tails") else None,
                     emit_end=end)
    last = [-1]

    def progress(done: int, total: int, file: str) -> None:
        step = total // 200 or 1
        if done // step != last[0]:
            last[0] = done // step
            send(("progress", done, total, file))

    sink.progress = progress  # type: ignore[method-assign]
    try:
        validator = SnapshotValidator(Path(directory), options["secret_key"], sink)
        report = validator.run()
        manifest = {
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in validator.manifest.items()
        }
        send(("done", report.to_dict(), manifest, validator.content_hash()))
    except BrokenPipeError:
        return 1  # the importing process is gone
    except BaseException:  # noqa: BLE001 - handed to the importing process, which decides
        with contextlib.suppress(BrokenPipeError):
            send(("crash", traceback.format_exc()))
        return 1
    finally:
        with contextlib.suppress(BrokenPipeError):
            out.flush()
    return 0


# -- the importing process's side ------------------------------------------------------


class WorkerFailed(RuntimeError):
    """The checking process crashed or vanished."""


class Keyed:
    """The rows of a ("keyed", …) message: `keys`, the key columns and then each row's
    rest's number; `new`, (number, the rest's values) for the rests first seen in them."""

    __slots__ = ("keys", "new")

    def __init__(self, new: list[tuple[int, tuple]], keys: list[list]) -> None:
        self.new = new
        self.keys = keys


class End:
    """In place of rows: the end of a table's rows (an ("end", table) message)."""

    def __repr__(self) -> str:
        return "END"


END = End()


class Checked:
    """What the child found: the report, the manifest's values and the content hash."""

    def __init__(self, report: dict, manifest: dict, content_hash: str) -> None:
        self.report = Report.from_dict(report)
        self.as_of = (
            datetime.datetime.fromisoformat(manifest["as_of"]) if "as_of" in manifest else None
        )
        self.next_refresh = (
            datetime.date.fromisoformat(manifest["next_refresh"])
            if "next_refresh" in manifest
            else None
        )
        self.source = manifest.get("source", "")
        self.content_hash = content_hash


class Worker:
    """The child process.  `messages()` yields its ("rows", …) and ("progress", …) until
    it is done; then `result` holds what it found.  `prefetch()` is the same for asyncio
    code, read ahead by a thread so that the child never waits while the database does
    something else (PostgreSQL building a table's indexes)."""

    def __init__(self, directory: Path, secret_key: str, keyed_tails: bool = False) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "zaao_hx.imports.worker", str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # a process group of its own: a terminal's Ctrl+C is for the importing
            # process, which stops at a safe point and then kills this one
            process_group=0,
        )
        with contextlib.suppress(OSError):
            fcntl.fcntl(self.proc.stdout.fileno(), F_SETPIPE_SZ, 1 << 20)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(
            {"secret_key": secret_key, "keyed_tails": keyed_tails}).encode() + b"\n")
        self.proc.stdin.close()
        self.result: Checked | None = None
        self.stopped = False
        self.room = threading.Condition()

    def _read(self, n: int) -> bytes:
        assert self.proc.stdout is not None
        data = self.proc.stdout.read(n)
        if len(data) != n:
            self.proc.wait()
            raise WorkerFailed(gettext("pārbaudes process apstājās (izejas statuss "
                                         "%(status)s)", status=self.proc.returncode))
        return data

    def frame(self) -> bytes:
        (size,) = FRAME.unpack(self._read(FRAME.size))
        return self._read(size)

    def _open(self, frame: bytes) -> tuple | None:
        """The message in a frame; None once the child is done."""
        message = marshal.loads(frame)  # noqa: S302 - our own child
        kind = message[0]
        if kind == "done":
            self.result = Checked(*message[1:])
            self.proc.wait()
            return None
        if kind == "crash":
            self.proc.wait()
            raise WorkerFailed(gettext("pārbaudes process neizdevās:\n%(detail)s",
                                         detail=message[1]))
        return message

    def messages(self) -> Iterator[tuple]:
        while (message := self._open(self.frame())) is not None:
            yield message

    async def prefetch(self, ahead: int = 64 << 20) -> AsyncIterator[tuple]:
        """`messages()`, with up to `ahead` bytes read ahead by a thread."""
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue = asyncio.Queue()
        room = self.room
        buffered = [0]

        def read() -> None:
            try:
                while True:
                    frame = self.frame()
                    with room:
                        while buffered[0] > ahead and not self.stopped:
                            room.wait()
                        if self.stopped:
                            return
                        buffered[0] += len(frame)
                    loop.call_soon_threadsafe(frames.put_nowait, frame)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                if not self.stopped and not loop.is_closed():
                    loop.call_soon_threadsafe(frames.put_nowait, exc)

        # (in the caller's context: a failure is put into words in the caller's language)
        threading.Thread(target=contextvars.copy_context().run, args=(read,),
                         name="import-prefetch", daemon=True).start()
        while True:
            frame = await frames.get()
            if isinstance(frame, BaseException):
                raise frame
            with room:
                buffered[0] -= len(frame)
                room.notify()
            message = self._open(frame)
            if message is None:
                return
            yield message

    def stop(self) -> None:
        with self.room:
            self.stopped = True
            self.room.notify_all()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
