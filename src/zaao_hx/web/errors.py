"""Every error as a page in the site's layout (or a fragment for htmx), never a traceback."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from zaao_hx.web.render import render

log = logging.getLogger("zaao_hx")


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code},
        fragment="errors/_error.html",
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )  # type: ignore[return-value]


def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(
        request,
        "errors/error.html",
        {"status": HTTP_500_INTERNAL_SERVER_ERROR},
        fragment="errors/_error.html",
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )  # type: ignore[return-value]
