"""Cross-cutting routes: static files, health, readiness, language choice, app manifest."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from zaao_hx.db import ping
from zaao_hx.web import i18n
from zaao_hx.web.assets import YEAR


@get("/static/{name:str}", sync_to_thread=False, include_in_schema=False)
def static_file(request: Request, name: FromPath[str]) -> Response[bytes]:
    try:
        asset, body, encoding = request.app.state.assets.pick(
            name, request.headers.get("accept-encoding", "")
        )
    except KeyError:
        raise NotFoundException() from None
    headers = {"Cache-Control": f"public, max-age={YEAR}, immutable", "Vary": "Accept-Encoding"}
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, media_type=asset.media_type, headers=headers)


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> Response[str]:
    return Response("ok", media_type="text/plain", headers={"Cache-Control": "no-store"})


@get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response[str]:
    ready = await ping(request.app.state.engine)
    return Response(
        "ok" if ready else "database unreachable",
        media_type="text/plain",
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//evil`, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@post("/valoda", status_code=HTTP_303_SEE_OTHER)
async def choose_language(
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    request: Request,
) -> Redirect:
    lang = data.get("lang", "")
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT_LANGUAGE
    response = Redirect(safe_next(data.get("next")), status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(
        i18n.LANG_COOKIE,
        lang,
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
    )
    return response


@get("/manifest.webmanifest", sync_to_thread=False, include_in_schema=False)
def web_manifest(request: Request) -> Response[dict]:
    assets = request.app.state.assets
    return Response(
        {
            "name": "ZAAO Klientiem",
            "short_name": "ZAAO",
            "lang": "lv",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#00653a",
            "icons": [
                {"src": assets.url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


ROUTES = [static_file, healthz, readyz, choose_language, web_manifest]
