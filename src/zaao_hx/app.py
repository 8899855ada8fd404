"""`create_app(settings)`: the one place that wires routes, templates, stores and middleware."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from piccolo.engine.postgres import PostgresEngine
from redis.asyncio import Redis

from zaao_hx.accounts.guards import SessionMiddleware, SignInRequired
from zaao_hx.accounts.ratelimit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter
from zaao_hx.accounts.routes import AccountController
from zaao_hx.accounts.service import Accounts
from zaao_hx.accounts.sessions import (
    Clock,
    DatabaseSessionStore,
    RedisSessionStore,
    SessionStore,
    utcnow,
)
from zaao_hx.dashboard.routes import DashboardController
from zaao_hx.db import bind, engine_from_url
from zaao_hx.mail.worker import delivery_loop
from zaao_hx.public.routes import PublicController
from zaao_hx.settings import Settings
from zaao_hx.web import i18n
from zaao_hx.web.assets import AssetManifest
from zaao_hx.web.errors import (
    handle_http_exception,
    handle_server_error,
    handle_sign_in_required,
)
from zaao_hx.web.render import Templates
from zaao_hx.web.routes import ROUTES as WEB_ROUTES
from zaao_hx.web.security import make_before_send

log = logging.getLogger("zaao_hx")


def create_app(settings: Settings, *, clock: Clock = utcnow) -> Litestar:
    """The portal for `settings`; `clock` lets tests move time for sessions and lockouts."""
    engine = engine_from_url(settings.database_url)
    bind(engine)
    assets = AssetManifest()
    i18n.load_catalogues()
    templates = Templates(assets, {"settings": settings}, auto_reload=not settings.production)
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        sessions: SessionStore = RedisSessionStore(redis, clock)
        limiter: RateLimiter = RedisRateLimiter(redis, clock)
    else:
        redis = None
        sessions = DatabaseSessionStore(clock)
        limiter = DatabaseRateLimiter(clock)
    accounts = Accounts(settings, sessions, limiter, clock)

    @asynccontextmanager
    async def database_pool(app: Litestar):
        if isinstance(engine, PostgresEngine):
            try:
                await engine.start_connection_pool()
            except (OSError, asyncpg.PostgresError) as exc:
                # Serve anyway: /readyz says 503 and queries connect one by one until the
                # database is back, instead of the process dying in a restart loop.
                log.warning("database unreachable at start-up, no pool: %s", exc)
        stop = asyncio.Event()
        mail = (
            asyncio.create_task(delivery_loop(settings, stop))
            if settings.inprocess_worker else None
        )
        try:
            yield
        finally:
            if mail is not None:
                stop.set()
                await mail
            if isinstance(engine, PostgresEngine) and engine.pool:
                await engine.close_connection_pool()
            if redis is not None:
                await redis.aclose()

    return Litestar(
        route_handlers=[PublicController, AccountController, DashboardController, *WEB_ROUTES],
        plugins=[HTMXPlugin()],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.https,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=["/healthz", "/readyz"],
        ),
        compression_config=CompressionConfig(
            backend="brotli", brotli_gzip_fallback=True, minimum_size=500, exclude="/static/"
        ),
        middleware=[i18n.LanguageMiddleware, SessionMiddleware],
        before_send=[make_before_send(settings)],
        exception_handlers={
            SignInRequired: handle_sign_in_required,
            HTTPException: handle_http_exception,
            Exception: handle_server_error,
        },
        lifespan=[database_pool],
        state=State(
            {"settings": settings, "engine": engine, "assets": assets, "templates": templates,
             "sessions": sessions,
             "limiter": limiter, "accounts": accounts}
        ),
        openapi_config=None,
        debug=False,
    )


def app_from_env() -> Litestar:
    """Factory for uvicorn (`zaao-hx serve`), one per worker process."""
    return create_app(Settings.from_env())
