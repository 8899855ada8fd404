"""Page or fragment from one template and one context.

A page template (`area/name.html`) extends the layout and includes its fragment
(`area/_name.html`); a normal request gets the page, an htmx request the fragment alone.
Both vary on HX-Request, so no cache hands one to the other.

Templates are compiled once per language: a `_('…')` of a constant text is translated at
compile time (the catalogue is fixed while the process runs), which halves the time a page
takes to render; `_()` with variables is still a call at render time.
"""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes, select_autoescape
from jinja2.visitor import NodeTransformer
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from zaao_hx.web import i18n
from zaao_hx.web.assets import AssetManifest

TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "templates"


class _TranslateConstants(NodeTransformer):
    def __init__(self, translations: NullTranslations) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        if (
            isinstance(node.node, nodes.Name)
            and node.node.name in {"_", "gettext"}
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
        ):
            # Like newstyle gettext: the catalogue's text is trusted markup.
            text = self.translations.gettext(node.args[0].value)
            return nodes.MarkSafe(nodes.Const(text, lineno=node.lineno), lineno=node.lineno)
        return self.generic_visit(node)


class LanguageEnvironment(Environment):
    """An environment whose templates carry one language's constant texts."""

    language = i18n.DEFAULT_LANGUAGE

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        return _TranslateConstants(i18n.translations_for(self.language)).visit(tree)


def make_environment(
    assets: AssetManifest, globals_: dict[str, Any], language: str = i18n.DEFAULT_LANGUAGE
) -> Environment:
    env = LanguageEnvironment(
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
    env.language = language
    return env


class Templates:
    """One environment per language, sharing the loader and the globals."""

    def __init__(self, assets: AssetManifest, globals_: dict[str, Any], auto_reload: bool):
        self.environments = {
            lang: make_environment(assets, globals_, lang) for lang in i18n.LANGUAGES
        }
        for env in self.environments.values():
            env.auto_reload = auto_reload

    def render(self, name: str, context: dict[str, Any]) -> str:
        env = self.environments.get(i18n.current_language()) or self.environments[
            i18n.DEFAULT_LANGUAGE
        ]
        return env.get_template(name).render(context)


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
) -> Response:
    fragment = fragment or fragment_of(template)
    name = fragment if fragment and wants_fragment(request) else template
    csrf_token = ScopeState.from_scope(request.scope).csrf_token
    csrf_token = csrf_token if isinstance(csrf_token, str) else ""
    full_context = {
        "request": request,
        "csrf_token": csrf_token,
        "csrf_input": Markup('<input type="hidden" name="_csrf_token" value="%s">')
        % csrf_token,
        "path": request.url.path,
        "session": request.scope.get("zaao_session"),
        **(context or {}),
    }
    return Response(
        request.app.state.templates.render(name, full_context),
        status_code=status_code,
        headers={"Vary": "HX-Request", **(headers or {})},
        media_type="text/html",
    )
