"""axe-core scans for Playwright pages, with JavaScript on *and* off.

    from tests.browser.axe import assert_no_violations
    assert_no_violations(page)          # the whole document, WCAG 2.0/2.1/2.2 A and AA

The axe-core used is the `axe.min.js` shipped inside the axe_playwright_python package
(no download).  It is injected with `page.evaluate`, which a page's Content-Security-Policy
does not govern (it is CDP's `Runtime.evaluate`), so pages are scanned under their real
CSP — no `bypass_csp` needed — and axe itself causes no CSP violation.

What `page.evaluate` does in a context with `java_script_enabled=False` (tried with
Playwright 1.65 and Chromium 156):
  - it *works* for synchronous code: DOM reads and writes, `getComputedStyle`, layout
    (`scrollWidth`, `getBoundingClientRect`), `matchMedia` — and microtasks run, so an
    already-resolved promise settles;
  - but timers (`setTimeout`) and `requestAnimationFrame` never fire, so anything that
    waits on them never settles: `axe.run()` schedules its work with `setTimeout` and the
    evaluate hangs for good;
  - `<script>` elements added to the page never run (`add_script_tag` does nothing);
  - `matchMedia('(scripting: none)')` is true, which is how this module tells the modes
    apart.
So a JavaScript-off page is scanned through a mirror: its final DOM (serialised by a
synchronous evaluate, with `<script>` elements removed so htmx cannot run and enhance it,
`<noscript>` unwrapped because a scripting browser would otherwise treat its content as
text, and current form values written into attributes) is served at the same URL —
with the original response's status and headers, CSP included — to a JavaScript-on
context (one per browser, reused) at the same viewport, whose other requests (CSS,
icons) go to the live server as usual.  The scan therefore sees what a no-JS visitor gets.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urldefrag, urlsplit
from weakref import WeakKeyDictionary

from playwright.sync_api import Browser, BrowserContext, Page, Response, Route

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]

# Headers of each page's current document (the mirror re-serves them, CSP included).
_documents: WeakKeyDictionary[Page, tuple[int, dict[str, str]]] = WeakKeyDictionary()
_DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "set-cookie"}

_SNAPSHOT = """() => {
  const live = document.documentElement;
  const copy = live.cloneNode(true);
  const liveFields = live.querySelectorAll('input, textarea, option');
  const copyFields = copy.querySelectorAll('input, textarea, option');
  liveFields.forEach((el, i) => {
    const twin = copyFields[i];
    if (el.tagName === 'OPTION') { el.selected ? twin.setAttribute('selected', '')
                                               : twin.removeAttribute('selected'); }
    else if (el.tagName === 'TEXTAREA') { twin.textContent = el.value; }
    else if (el.type === 'checkbox' || el.type === 'radio') {
      el.checked ? twin.setAttribute('checked', '') : twin.removeAttribute('checked'); }
    else if (el.type !== 'file') { twin.setAttribute('value', el.value); }
  });
  copy.querySelectorAll('script').forEach((s) => s.remove());
  copy.querySelectorAll('noscript').forEach((n) => n.replaceWith(...n.childNodes));
  const doctype = document.doctype ? `<!DOCTYPE ${document.doctype.name}>` : '';
  return doctype + copy.outerHTML;
}"""


@cache
def axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def track_documents(context: BrowserContext) -> None:
    """Remember each page's current document status and headers (for the JS-off mirror)."""

    def on_response(response: Response) -> None:
        frame = response.frame
        if response.request.is_navigation_request() and frame.parent_frame is None:
            _documents[frame.page] = (response.status, response.headers)

    context.on("response", on_response)


def javascript_enabled(page: Page) -> bool:
    return not page.evaluate("matchMedia('(scripting: none)').matches")


def _run_axe(page: Page, tags: list[str], context: Any) -> list[dict]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    return page.evaluate(
        "([context, options]) => axe.run(context ?? document, options)"
        ".then((r) => r.violations)",
        [context, options],
    )


class _Mirror:
    """One JavaScript-on context per browser that serves page snapshots at their URLs."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(java_script_enabled=True, service_workers="block")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.url = ""
        self.response: tuple[int, dict[str, str], str] = (200, {}, "")
        self.foreign: list[str] = []

    def _route(self, route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and urldefrag(request.url).url == self.url:
            status, headers, html = self.response
            route.fulfill(status=status, headers=headers, body=html)
        elif urlsplit(request.url).netloc == urlsplit(self.url).netloc:
            route.fallback()
        else:
            self.foreign.append(request.url)
            route.abort("blockedbyclient")

    def show(self, url: str, status: int, headers: dict[str, str], html: str, viewport) -> Page:
        self.url, self.response, self.foreign = url, (status, headers, html), []
        if viewport:
            self.page.set_viewport_size(viewport)
        self.page.goto(url)
        assert not self.foreign, f"the mirror of {url} asked for other hosts: {self.foreign}"
        return self.page


_mirrors: WeakKeyDictionary[Browser, _Mirror] = WeakKeyDictionary()


def _mirror_and_run(page: Page, tags: list[str], context: Any) -> list[dict]:
    html = page.evaluate(_SNAPSHOT)
    url = urldefrag(page.url).url
    status, headers = _documents.get(page, (200, {"content-type": "text/html; charset=utf-8"}))
    headers = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    browser = page.context.browser
    assert browser is not None
    mirror = _mirrors.get(browser)
    if mirror is None or mirror.page.is_closed():
        mirror = _mirrors[browser] = _Mirror(browser)
    twin = mirror.show(url, status, headers, html, page.viewport_size)
    return _run_axe(twin, tags, context)


def violations(page: Page, *, tags: list[str] | None = None, context: Any = None) -> list[dict]:
    """axe's violations for the page as its visitor sees it (JavaScript on or off).

    `context` is axe's context argument (a selector, or {include, exclude}); default the
    whole document."""
    tags = tags or WCAG_TAGS
    if javascript_enabled(page):
        return _run_axe(page, tags, context)
    return _mirror_and_run(page, tags, context)


def format_violations(found: list[dict], where: str = "") -> str:
    lines = [f"axe: {len(found)} violation(s){' on ' + where if where else ''}"]
    for v in found:
        lines.append(f"- {v['id']} [{v.get('impact')}] {v['help']}  ({v.get('helpUrl', '')})")
        for node in v["nodes"]:
            target = " ".join(t if isinstance(t, str) else json.dumps(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n         ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_no_violations(
    page: Page, *, tags: list[str] | None = None, context: Any = None
) -> None:
    found = violations(page, tags=tags, context=context)
    mode = "JavaScript on" if javascript_enabled(page) else "JavaScript off"
    assert not found, format_violations(found, f"{page.url} ({mode})")
