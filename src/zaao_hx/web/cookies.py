"""Reading one cookie straight from an ASGI scope (for middleware that runs before Litestar
builds a Request)."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie


def cookie_from_scope(scope, name: str) -> str | None:
    header = next((v for k, v in scope["headers"] if k == b"cookie"), b"")
    jar = SimpleCookie()
    try:
        jar.load(header.decode("latin-1"))
    except CookieError:  # a malformed header: as if there were no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
