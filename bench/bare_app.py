"""The baseline: a bare Litestar handler returning fixed bytes as text/html.

uvicorn loads it with `--factory bare_app:create`; the bytes come from the file named by
ZAAO_BENCH_BODY_FILE (the real page, fetched once by the benchmark).
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, Response, get


def create() -> Litestar:
    body = Path(os.environ["ZAAO_BENCH_BODY_FILE"]).read_bytes()

    @get("/", sync_to_thread=False)
    def page() -> Response[bytes]:
        return Response(body, media_type="text/html")

    return Litestar([page])
