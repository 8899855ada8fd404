"""A small HTTP/1.1 keep-alive load generator: asyncio, raw sockets, one process.

Run it in its own process, never in the server's:

    python bench/loadgen.py --port 8123 --path / --seconds 5 --connections 16

It opens C connections to 127.0.0.1 (and nowhere else), sends GET requests one at a time per
connection for a warm-up (not counted) and then a fixed measured window, reads each
response in full by its Content-Length, and prints one JSON object on stdout:
requests, errors, statuses, req/s, latency percentiles, body bytes, and the CPU time this
process used during the window (to tell whether the client was the bottleneck). With
`--server-pid` it also reads the server's CPU time from /proc for the same window.

Without cookies and, unless `--header` adds one, without Accept-Encoding. It stops by itself:
every connection checks the clock and the whole run has a hard deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

HOST = "127.0.0.1"  # traffic only to this machine


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[int, int] = {}
        self.body_bytes = 0
        self.error_samples: list[str] = []

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


def _content_length(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server will close the connection."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = -1
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            raise ValueError(f"unsupported Transfer-Encoding: {value.strip()!r}")
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length < 0:
        raise ValueError("response without Content-Length")
    return status, length, close


async def _connection(
    port: int,
    request: bytes,
    start_at: float,
    stop_at: float,
    stats: Stats,
) -> None:
    reader = writer = None
    try:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            t0 = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status, length, close = _content_length(head)
                body = await reader.readexactly(length) if length else b""
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                if t0 >= start_at:
                    stats.error(f"{type(exc).__name__}: {exc}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
                continue
            t1 = time.perf_counter()
            if t0 >= start_at and t1 <= stop_at:
                stats.latencies.append(t1 - t0)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                stats.body_bytes += len(body)
                if status != 200:
                    stats.error(f"HTTP {status}")
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_pid(pid: int | None) -> float | None:
    """User + system CPU seconds of another process, from /proc (Linux); None elsewhere."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(
    port: int,
    path: str = "/",
    seconds: float = 5.0,
    warmup: float = 1.0,
    connections: int = 16,
    headers: list[str] | None = None,
    server_pid: int | None = None,
) -> dict:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: zaao-bench"]
    lines += headers or []
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    stats = Stats()
    begin = time.perf_counter()
    start_at = begin + warmup
    stop_at = start_at + seconds
    tasks = [
        asyncio.create_task(_connection(port, request, start_at, stop_at, stats))
        for _ in range(connections)
    ]

    # Sample both processes' CPU time at the edges of the measured window.
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    cpu0, srv0, wall0 = _cpu_self(), _cpu_pid(server_pid), time.perf_counter()
    await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
    cpu1, srv1, wall1 = _cpu_self(), _cpu_pid(server_pid), time.perf_counter()

    # A request in flight at stop_at may take a moment; a stuck one is cut off here.
    done, pending = await asyncio.wait(tasks, timeout=5.0)
    for task in pending:
        task.cancel()
        stats.error("connection still waiting 5 s after the end")
    for task in done:
        if task.exception() is not None:
            stats.error(f"{type(task.exception()).__name__}: {task.exception()}")

    wall = wall1 - wall0
    lat = sorted(stats.latencies)
    n = len(lat)
    return {
        "port": port,
        "path": path,
        "headers": headers or [],
        "connections": connections,
        "seconds": round(wall, 3),
        "requests": n,
        "errors": stats.errors,
        "error_samples": stats.error_samples,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "rps": n / wall if wall > 0 else 0.0,
        "p50_ms": percentile(lat, 50) * 1000,
        "p90_ms": percentile(lat, 90) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": (lat[-1] * 1000) if lat else float("nan"),
        "mean_body_bytes": stats.body_bytes / n if n else 0,
        "client_cpu_share": (cpu1 - cpu0) / wall if wall > 0 else float("nan"),
        "server_cpu_share": (
            (srv1 - srv0) / wall if srv0 is not None and srv1 is not None and wall > 0 else None
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--header", action="append", default=[], help="extra request header, 'Name: value'"
    )
    parser.add_argument("--server-pid", type=int, default=None)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.connections < 1:
        parser.error("--seconds > 0, --warmup >= 0, --connections >= 1")
    result = asyncio.run(
        asyncio.wait_for(
            run(
                args.port,
                args.path,
                args.seconds,
                args.warmup,
                args.connections,
                args.header,
                args.server_pid,
            ),
            timeout=args.warmup + args.seconds + 15,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
