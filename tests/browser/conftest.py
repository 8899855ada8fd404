"""The browser harness: the real app behind uvicorn, driven by Debian's Chromium.

Fixtures
--------
`live_server`   the app from `create_app(migrated settings)` served by uvicorn in a thread
                on 127.0.0.1 (a free port); `.url`, `.app`, `.settings`, `.run(coro)` (runs
                a coroutine on the server's own event loop, where its database pool lives).
`demo_server`   the same server after the demo data set is loaded.
`browser`       one headless Chromium (`/usr/bin/chromium`, never a downloaded one).
`new_context`   factory: `new_context(js=True, **playwright_options)` -> a guarded
                `BrowserContext` with `base_url` set to the live server; closed after the
                test.  `guard_of(context)` gives its `Guard`.
`page`          parametrised over "js" and "nojs": one test function runs with JavaScript
                on and with JavaScript off.  `js_page` / `nojs_page` for one mode only.

Every context is guarded, and a test fails (after its body ran) when any of its contexts
  - asked for a host other than the live server (the request is aborted, never sent);
  - logged a console error or an uncaught page error (with JavaScript on), including
    every Content-Security-Policy violation, which Chromium logs as a console error in
    both modes; with JavaScript on, `securitypolicyviolation` events are collected too;
  - got a 5xx response, or a 4xx for a sub-resource (a 4xx *page* is a legitimate answer:
    the 404 page, a form with errors; a 4xx to htmx is judged by the test).
A test that provokes one of these on purpose inspects `guard.problems()` and calls
`guard.clear()`.

Contexts run with the page's real CSP (no `bypass_csp`): axe is injected with
`page.evaluate` (CDP `Runtime.evaluate`), which a page's CSP does not govern, and axe-core
needs no `eval` — so the CSP check above holds for every page an axe scan visits too.

Two traps this file works around
--------------------------------
- While Playwright's sync API is running, its event loop counts as running in the main
  thread, so `asyncio.run()` there fails ("cannot be called from a running event loop").
  Playwright and the browser are therefore *package*-scoped: they stop after the last
  test under tests/browser, before any other directory's tests (which use `asyncio.run`)
  run.  Inside browser tests use `live_server.run(coro)` or `in_thread(fn)`, and
  `demo_data` is overridden below to load in a worker thread.
- `create_app()` and the demo loader re-point Piccolo's tables at a fresh engine
  (`zaao_hx.db.bind`), a global.  `live_server` re-binds the server's own engine before
  each test, so the server never uses an engine whose pool lives on another loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import pytest
import uvicorn

from tests.browser import axe as axe_helper
from zaao_hx.app import create_app
from zaao_hx.db import bind, engine_from_url
from zaao_hx.settings import Settings

# Playwright must never fetch a browser of its own.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import (  # noqa: E402 - after the environment is set
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    WebError,
    sync_playwright,
)

CHROMIUM = os.environ.get("ZAAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
MODES = ["js", "nojs"]


def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` in a fresh thread and return its result (or raise its exception).

    For `asyncio.run(...)` while Playwright's sync API holds the main thread's loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="zaao-in-thread")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


# --- the live server ------------------------------------------------------------------


class _ThreadedServer(uvicorn.Server):
    """uvicorn that says when it listens (or failed to start) and keeps its loop."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None

    async def startup(self, sockets=None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    def run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # noqa: BLE001 - SystemExit on a failed start-up
            self.error = exc
        finally:
            self.ready.set()


@dataclass
class LiveServer:
    url: str
    app: Any
    settings: Settings
    server: _ThreadedServer = field(repr=False)

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def bind(self) -> None:
        """Point Piccolo's tables at this server's engine (its pool, its loop)."""
        bind(self.app.state.engine)

    def run(self, coro, timeout: float = 60) -> Any:
        """Run a coroutine on the server's event loop and return its result."""
        assert self.server.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.server.loop).result(timeout)


@pytest.fixture(scope="session")
def _live_server(migrated) -> Iterator[LiveServer]:
    app = create_app(migrated)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = _ThreadedServer(config)
    thread = threading.Thread(target=server.run_in_thread, name="zaao-live-server", daemon=True)
    thread.start()
    if not server.ready.wait(timeout=30) or not server.started:
        server.should_exit = True
        thread.join(timeout=10)
        pytest.fail(f"the live server did not start: {server.error!r}", pytrace=False)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    live = LiveServer(url=f"http://{host}:{port}", app=app, settings=migrated, server=server)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def live_server(_live_server) -> LiveServer:
    _live_server.bind()
    return _live_server


@pytest.fixture(scope="session")
def demo_data(migrated) -> Settings:
    """tests/conftest.py's `demo_data`, loaded in a worker thread (see the module doc)."""
    from zaao_hx.demo import load_demo

    def load() -> None:
        bind(engine_from_url(migrated.database_url))
        asyncio.run(load_demo(migrated))

    in_thread(load)
    return migrated


@pytest.fixture
def demo_server(demo_data, live_server) -> LiveServer:
    live_server.bind()
    return live_server


# --- the browser ----------------------------------------------------------------------


@pytest.fixture(scope="package")
def _playwright() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        playwright.stop()


@pytest.fixture(scope="package")
def browser(_playwright) -> Iterator[Browser]:
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


# --- guarded contexts -----------------------------------------------------------------


@dataclass
class Guard:
    """What one context did that no page of ours should do (see the module doc)."""

    allowed_netloc: str
    js: bool
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    # Chromium's line for any 4xx/5xx; the responses themselves are judged in on_response.
    IGNORED_CONSOLE = "Failed to load resource: the server responded with a status of"

    def install(self, context: BrowserContext) -> None:
        context.route("**/*", self.on_route)
        context.on("console", self.on_console)
        context.on("weberror", self.on_web_error)
        context.on("response", self.on_response)
        if self.js:
            context.expose_binding(
                "__zaaoCspViolation", lambda _source, text: self.csp_violations.append(text)
            )
            context.add_init_script(
                """document.addEventListener('securitypolicyviolation', (e) => {
                  try { window.__zaaoCspViolation(
                    `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}` +
                    ` at ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ''}`);
                  } catch (_) {}
                }, true);"""
            )

    def on_route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != self.allowed_netloc:
            self.foreign_requests.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")
            return
        route.fallback()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(self.IGNORED_CONSOLE):
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})")

    def on_web_error(self, error: WebError) -> None:
        self.page_errors.append(str(error.error))

    def on_response(self, response: Response) -> None:
        status = response.status
        if status < 400:
            return
        request: Request = response.request
        if status >= 500 or (
            not request.is_navigation_request() and request.resource_type not in {"xhr", "fetch"}
        ):
            self.bad_responses.append(f"{status} {request.method} {response.url}")

    def problems(self) -> list[str]:
        return [
            *(f"request to another host: {r}" for r in self.foreign_requests),
            *(f"CSP violation: {v}" for v in self.csp_violations),
            *(f"console error: {e}" for e in self.console_errors),
            *(f"page error: {e}" for e in self.page_errors),
            *(f"bad response: {r}" for r in self.bad_responses),
        ]

    def clear(self) -> None:
        for name in (
            "foreign_requests",
            "console_errors",
            "page_errors",
            "csp_violations",
            "bad_responses",
        ):
            getattr(self, name).clear()


_GUARDS: WeakKeyDictionary[BrowserContext, Guard] = WeakKeyDictionary()
GUARDS_KEY = pytest.StashKey[list[tuple[BrowserContext, Guard]]]()


def guard_of(context_or_page: BrowserContext | Page) -> Guard:
    context = getattr(context_or_page, "context", context_or_page)
    return _GUARDS[context]


def flush_events(context: BrowserContext, js: bool) -> None:
    """Let queued console messages and CSP events reach Python."""
    for page in context.pages:
        if page.is_closed():
            continue
        try:
            # A task turn lets `securitypolicyviolation` events fire; without JavaScript
            # timers never run, but a round trip still delivers the console messages.
            page.evaluate("() => new Promise((r) => setTimeout(r, 0))" if js else "0")
        except Exception:  # noqa: BLE001 - a page mid-navigation has nothing to flush
            pass


@pytest.fixture
def new_context(request, browser, live_server) -> Iterator[Callable[..., BrowserContext]]:
    made: list[tuple[BrowserContext, Guard]] = []
    request.node.stash[GUARDS_KEY] = made

    def make(js: bool = True, **options: Any) -> BrowserContext:
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", VIEWPORT)
        options.setdefault("service_workers", "block")
        context = browser.new_context(java_script_enabled=js, **options)
        context.set_default_timeout(TIMEOUT_MS)
        guard = Guard(allowed_netloc=live_server.netloc, js=js)
        guard.install(context)
        axe_helper.track_documents(context)
        _GUARDS[context] = guard
        made.append((context, guard))
        return context

    yield make
    for context, _guard in made:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After a browser test's body: fail it if any of its contexts misbehaved."""
    result = yield
    made = item.stash.get(GUARDS_KEY, [])
    problems: list[str] = []
    for context, guard in made:
        flush_events(context, guard.js)
        mode = "js" if guard.js else "nojs"
        problems += [f"[{mode}] {p}" for p in guard.problems()]
    if problems:
        pytest.fail("the browser saw:\n  " + "\n  ".join(problems), pytrace=False)
    return result


@pytest.fixture(params=MODES)
def js_mode(request) -> str:
    return request.param


@pytest.fixture
def page(new_context, js_mode) -> Page:
    return new_context(js=js_mode == "js").new_page()


@pytest.fixture
def js_page(new_context) -> Page:
    return new_context(js=True).new_page()


@pytest.fixture
def nojs_page(new_context) -> Page:
    return new_context(js=False).new_page()
