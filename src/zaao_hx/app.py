"""`create_app(settings)`: the one place that wires routes, templates, stores and middleware."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import asyncpg

from litestar import Litestar
from litestar.datastructures import State
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from piccolo.engine.postgres import PostgresEngine

from zaao_hx.db import bind, engine_from_url
from zaao_hx.public.routes import PublicController
from zaao_hx.settings import Settings
from zaao_hx.web import i18n
from zaao_hx.web.assets import AssetManifest
from zaao_hx.web.errors import handle_http_exception, handle_server_error
from zaao_hx.web.render import make_environment
from zaao_hx.web.routes import ROUTES as WEB_ROUTES
from zaao_hx.web.security import make_before_send

log = logging.getLogger("zaao_hx")


def create_app(settings: Settings) -> Litestar:
    engine = engine_from_url(settings.database_url)
    bind(engine)
    assets = AssetManifest()
    i18n.load_catalogues()
    environment = make_environment(assets, {"settings": settings})

    @asynccontextmanager
    async def database_pool(app: Litestar):
        if isinstance(engine, PostgresEngine):
            try:
                await engine.start_connection_pool()
            except (OSError, asyncpg.PostgresError) as exc:
                # Serve anyway: /readyz says 503 and queries connect one by one until the
                # database is back, instead of the process dying in a restart loop.
                log.warning("database unreachable at start-up, no pool: %s", exc)
        try:
            yield
        finally:
            if isinstance(engine, PostgresEngine) and engine.pool:
                await engine.close_connection_pool()

    return Litestar(
        route_handlers=[PublicController, *WEB_ROUTES],
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(environment)
        ),
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
        middleware=[i18n.LanguageMiddleware],
        before_send=[make_before_send(settings)],
        exception_handlers={
            HTTPException: handle_http_exception,
            Exception: handle_server_error,
        },
        lifespan=[database_pool],
        state=State({"settings": settings, "engine": engine, "assets": assets}),
        openapi_config=None,
        debug=False,
    )


def app_from_env() -> Litestar:
    """Factory for uvicorn (`zaao-hx serve`), one per worker process."""
    return create_app(Settings.from_env())
