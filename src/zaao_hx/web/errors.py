"""Every error as a page in the site's layout (or a fragment for htmx), never a traceback."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR

from zaao_hx.web import i18n
from zaao_hx.web.render import render

log = logging.getLogger("zaao_hx")


def _language(request: Request) -> None:
    # Litestar runs middleware per route: a path with no route never passed through
    # LanguageMiddleware, so the error handler reads the choice itself.
    i18n.set_language(request.cookies.get(i18n.LANG_COOKIE, i18n.DEFAULT_LANGUAGE))


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    _language(request)
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code},
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )  # type: ignore[return-value]


def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    _language(request)
    return render(
        request,
        "errors/error.html",
        {"status": HTTP_500_INTERNAL_SERVER_ERROR},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )  # type: ignore[return-value]


def handle_sign_in_required(request: Request, exc: HTTPException) -> Response:
    """A private page without a session: back to the sign-in boxes, saying why."""
    target = "/?zinojums=ienakt"
    if request.headers.get("HX-Request") == "true":
        return Response(b"", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)  # type: ignore[return-value]
