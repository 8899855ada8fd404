"""Who is signed in: the session middleware loads it once per request; the guard demands it."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler

from zaao_hx.accounts.sessions import COOKIE, Session
from zaao_hx.web.cookies import cookie_from_scope

SCOPE_KEY = "zaao_session"
# Static files and probes never show who is signed in: no session lookup for them.
SESSIONLESS = ("/static/", "/healthz", "/readyz")


class SignInRequired(NotAuthorizedException):
    """A private page asked for without a (live) session."""


class SessionMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(SESSIONLESS):
            sid = cookie_from_scope(scope, COOKIE)
            store = scope["litestar_app"].state.sessions
            scope[SCOPE_KEY] = await store.load(sid) if sid else None
        await self.app(scope, receive, send)


def current_session(connection: ASGIConnection) -> Session | None:
    return connection.scope.get(SCOPE_KEY)


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if current_session(connection) is None:
        raise SignInRequired()
