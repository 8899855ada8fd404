"""Mails from templates: `templates/mail/<name>.subject.txt`, `<name>.txt`, `<name>.html`.

Rendered in the recipient's language (not the request's: a mail may be written for
someone else, or by the worker), through the site's own catalogue.  Only `.html` is
autoescaped: the text part and the subject are plain text, where `&amp;` would show.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from zaao_hx.web import i18n
from zaao_hx.web.render import TEMPLATE_DIR


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def render_mail(name: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of mail `name` in `language`."""
    env = environment()
    with i18n.language(language):
        context = {"language": i18n.current_language(), **context}
        subject = " ".join(env.get_template(f"mail/{name}.subject.txt").render(context).split())
        context["subject"] = subject  # the HTML layout's <title>
        text = env.get_template(f"mail/{name}.txt").render(context)
        html = env.get_template(f"mail/{name}.html").render(context)
    return subject, text, html
