"""The public pages in real Chromium: both languages, JavaScript on and off.

Every test here also fails if its browser asked another host, logged a console error or
met a CSP violation (see conftest.py's Guard).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser import axe
from tests.browser.conftest import flush_events, guard_of

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/noteikumi", "/instrukcija", "/pieejamiba", "/gramatzimes"]
LANGUAGES = ["lv", "en"]
LANGUAGE_BUTTON = {"lv": "Latviski", "en": "English"}
SIGN_IN_LABELS = {
    "lv": ["E-pasts:", "Parole:", "Līguma nr.:", "Personas kods:"],
    "en": ["Email:", "Password:", "Contract no.:", "Personal code:"],
}
MAX_TAB_STOPS = 60

# The element focus is on, as the checks below need it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    index: Array.prototype.indexOf.call(document.getElementsByTagName('*'), el),
    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
    html: el.outerHTML.slice(0, 120),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    inView: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
            && box.right <= innerWidth && box.bottom <= innerHeight,
  };
}"""


def switch_language(page: Page, lang: str) -> int:
    """Press the language button in the header (a plain form POST to /valoda, 303 back);
    return the status of the page it lands on."""
    path = urlsplit(page.url).path
    button = page.locator("header form.lang").get_by_role(
        "button", name=LANGUAGE_BUTTON[lang], exact=True
    )
    with page.expect_response(
        lambda r: r.request.method == "GET"
        and r.request.is_navigation_request()
        and urlsplit(r.url).path == path
    ) as landed:
        button.click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    return landed.value.status


def open_page(page: Page, path: str, lang: str) -> int:
    response = page.goto(path)
    assert response is not None
    status = response.status
    if lang != "lv":
        status = switch_language(page, lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert urlsplit(page.url).path == path
    return status


def check_skip_link(page: Page) -> None:
    """The first Tab stop is the skip link, visible and on screen; following it focuses main."""
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first and first["cls"] == "skip", f"the first Tab stop is {first}"
    assert first["inView"], "the focused skip link is off screen"
    assert first["outline"] or first["shadow"], "the focused skip link shows no focus"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert urlsplit(page.url).fragment == "main"


def check_focus_visible(page: Page) -> None:
    """Tab round the whole page once (on from wherever focus is, out of the document and
    in again at the top): every stop shows an outline or a box-shadow."""
    seen: set[int] = set()
    left_document = 0
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            left_document += 1
            if left_document > 1:
                break
            continue
        if focused["index"] in seen:
            break  # round to a stop seen before: every stop has been visited
        seen.add(focused["index"])
        assert focused["outline"] or focused["shadow"], f"no visible focus on {focused['html']}"
    assert len(seen) > 5, f"only {len(seen)} Tab stops"


def check_htmx(page: Page) -> None:
    config = page.evaluate(
        """() => window.htmx && {
          version: htmx.version,
          allowEval: htmx.config.allowEval,
          historyRestoreAsHxRequest: htmx.config.historyRestoreAsHxRequest,
          includeIndicatorStyles: htmx.config.includeIndicatorStyles,
          allowScriptTags: htmx.config.allowScriptTags,
          selfRequestsOnly: htmx.config.selfRequestsOnly,
        }"""
    )
    assert config == {
        "version": "2.0.11",
        "allowEval": False,
        "historyRestoreAsHxRequest": False,
        "includeIndicatorStyles": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
    }, f"htmx missing or not configured from the meta tag: {config}"


def check_reflow(page: Page) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"scrolls sideways at 320 px: scrollWidth {width}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page(page, js_mode, path, lang):
    """Loads (200) with one h1; then every check runs and all failures are reported
    together: axe, htmx and its config (JS on), no console error or CSP violation (JS on),
    skip link, visible focus on every Tab stop, reflow at 320 px."""
    assert open_page(page, path, lang) == 200
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main#main h1")).to_be_visible()
    assert page.title().strip()
    checks = [axe.assert_no_violations, check_skip_link, check_focus_visible, check_reflow]
    if js_mode == "js":
        checks.insert(1, check_htmx)
    failures = []
    for check in checks:
        try:
            check(page)
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {exc}")
    if js_mode == "js":
        guard = guard_of(page)
        flush_events(page.context, js=True)
        if guard.problems():
            failures.append("console/CSP/other hosts: " + "; ".join(guard.problems()))
    assert not failures, f"{path} [{lang}, {js_mode}]:\n" + "\n".join(failures)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_not_found_page_passes_axe(page, lang):
    if lang != "lv":
        open_page(page, "/", lang)
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_count(1)
    axe.assert_no_violations(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_fields_have_visible_labels(page, lang):
    open_page(page, "/", lang)
    for text in SIGN_IN_LABELS[lang]:
        field = page.get_by_label(text, exact=True)
        expect(field).to_have_count(1)
        expect(field).to_be_visible()
        expect(page.locator("label", has_text=text)).to_be_visible()
        field.fill("demo")
        expect(field).to_have_value("demo")


def test_language_switch_returns_to_the_same_page_and_back(page):
    page.goto("/instrukcija")
    lv_heading = page.locator("h1").inner_text()
    assert switch_language(page, "en") == 200
    assert urlsplit(page.url).path == "/instrukcija"
    expect(page.locator("header form.lang button[aria-current]")).to_have_text("English")
    expect(page.locator("h1")).not_to_have_text(lv_heading)
    page.goto("/noteikumi")  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert switch_language(page, "lv") == 200
    assert urlsplit(page.url).path == "/noteikumi"
    expect(page.locator("header form.lang button[aria-current]")).to_have_text("Latviski")


# --- the harness itself ---------------------------------------------------------------


def test_harness_catches_csp_violations_and_other_hosts(page, js_mode):
    page.goto("/")
    guard = guard_of(page)
    flush_events(page.context, js=js_mode == "js")
    assert not guard.problems(), guard.problems()
    # An inline style attribute is against `style-src 'self'`, with JavaScript on or off.
    page.evaluate(
        "() => document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
    )
    other = page.context.new_page()
    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        other.goto("http://example.invalid/")
    flush_events(page.context, js=js_mode == "js")
    assert guard.foreign_requests == ["GET http://example.invalid/"], guard.problems()
    assert any("style-src" in e for e in guard.console_errors), guard.problems()
    if js_mode == "js":
        assert any(v.startswith("style-src-attr") for v in guard.csp_violations), guard.problems()
    guard.clear()


def test_axe_helper_reports_violations(page):
    """An image without alt text, served at a live-server URL, in both modes (the no-JS
    scan goes through the mirror)."""
    page.route(
        "**/__axe-self-test",
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8",
            body='<!doctype html><html lang="lv"><head><title>t</title></head><body><main>'
            '<h1>t</h1><img src="/static/none.svg"></main></body></html>',
        ),
    )
    page.route(
        "**/static/none.svg",
        lambda route: route.fulfill(
            content_type="image/svg+xml", body="<svg xmlns='http://www.w3.org/2000/svg'/>"
        ),
    )
    page.goto("/__axe-self-test")
    with pytest.raises(AssertionError) as failure:
        axe.assert_no_violations(page)
    message = str(failure.value)
    assert "image-alt [critical]" in message and '<img src="/static/none.svg">' in message
