"""The architecture, enforced: areas mirrored in templates and tests, hx-* URLs resolve,
no SQL or HTML strings in handlers."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar

ROOT = Path(__file__).resolve().parents[1]
AREAS = ["accounts", "billing", "collections", "dashboard", "documents", "imports", "mail",
         "payments", "public", "web"]


SHARED_TEMPLATES = {"components", "layouts", "errors"}


def test_templates_and_tests_mirror_the_areas():
    for area in AREAS:
        assert (ROOT / "src" / "zaao_hx" / area / "__init__.py").exists(), area
    for folder in (ROOT / "templates").iterdir():
        assert folder.name in set(AREAS) | SHARED_TEMPLATES, f"templates/{folder.name}"
    for folder in (ROOT / "tests").iterdir():
        if folder.is_dir() and not folder.name.startswith((".", "_")):
            assert folder.name in set(AREAS) | {"browser"}, f"tests/{folder.name}"
    for area in AREAS:  # an area with code of its own has tests of its own
        modules = [p for p in (ROOT / "src" / "zaao_hx" / area).glob("*.py")
                   if p.name not in {"__init__.py", "tables.py"}]
        if modules and area != "dashboard":  # the dashboard is tested under accounts for now
            assert (ROOT / "tests" / area).is_dir(), f"tests/{area}"


def _route_patterns(app: Litestar) -> list[re.Pattern]:
    patterns = []
    for route in app.routes:
        regex = re.sub(r"\{[^}]+\}", r"[^/]+", route.path)
        patterns.append(re.compile(f"^{regex}$"))
    return patterns


def test_every_link_form_and_hx_url_in_templates_resolves_to_a_route_or_is_planned(app):
    planned = {"/ienakt", "/ienakt/ligums", "/registracija", "/aizmirsu-paroli"}
    patterns = _route_patterns(app)
    found = set()
    for template in (ROOT / "templates").rglob("*.html"):
        for _attr, url in re.findall(
            r'\b(href|action|hx-get|hx-post|hx-put|hx-delete|hx-patch)="(/[^"{]*)"',
            template.read_text(),
        ):
            found.add(url.split("?")[0].split("#")[0])
    assert found, "no URLs found: the check would be empty"
    unresolved = {u for u in found if not any(p.match(u) for p in patterns)} - planned
    assert not unresolved, unresolved


def test_handlers_hold_no_sql_and_no_html_strings():
    for routes in (ROOT / "src" / "zaao_hx").rglob("routes.py"):
        text = routes.read_text()
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\s", text), routes
        assert not re.search(r"['\"]<(html|div|p|form|section)\b", text), routes
