"""Page or fragment from one template and one context.

A page template (`area/name.html`) extends the layout and includes its fragment
(`area/_name.html`); a normal request gets the page, an htmx request the fragment alone.
Both vary on HX-Request, so no cache hands one to the other.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from zaao_hx.web import i18n
from zaao_hx.web.assets import AssetManifest

TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "templates"


def make_environment(assets: AssetManifest, globals_: dict[str, Any]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        static=assets.url,
        current_language=i18n.current_language,
        languages=i18n.LANGUAGES,
        **globals_,
    )
    return env


def wants_fragment(request: Request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


@cache
def fragment_of(template: str) -> str | None:
    """`area/name.html` → `area/_name.html` when that fragment exists."""
    folder, _, name = template.rpartition("/")
    candidate = f"{folder}/_{name}" if folder else f"_{name}"
    return candidate if (TEMPLATE_DIR / candidate).is_file() else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    fragment = fragment or fragment_of(template)
    name = fragment if fragment and wants_fragment(request) else template
    csrf_token = ScopeState.from_scope(request.scope).csrf_token
    full_context = {
        "csrf_token": csrf_token if isinstance(csrf_token, str) else "",
        "path": request.url.path,
        "session": request.scope.get("zaao_session"),
        **(context or {}),
    }
    return Template(
        template_name=name,
        context=full_context,
        status_code=status_code,
        headers={"Vary": "HX-Request", **(headers or {})},
        media_type="text/html",
    )
