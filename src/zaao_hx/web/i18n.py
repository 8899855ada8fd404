"""Languages and the message catalogue.

Latvian is the source language: msgids are the seed's exact Latvian texts, so `lv` needs
no translation and English is the catalogue in `locale/en`.  The active language lives in
a context variable set once per request by `LanguageMiddleware`, so templates, error
pages and Python code all translate with the same `gettext`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from zaao_hx.web.cookies import cookie_from_scope

LANGUAGES: dict[str, str] = {"lv": "Latviski", "en": "English"}
DEFAULT_LANGUAGE = "lv"
LANG_COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parents[3] / "locale"

_catalogues: dict[str, NullTranslations] = {}
_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> dict[str, NullTranslations]:
    """Compile every `.po` in memory: no compiled `.mo` files to forget to rebuild."""
    _catalogues.clear()
    _catalogues[DEFAULT_LANGUAGE] = NullTranslations()
    for lang in LANGUAGES:
        po = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        if lang == DEFAULT_LANGUAGE or not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        _catalogues[lang] = Translations(buf)
    return _catalogues


def translations_for(language: str) -> NullTranslations:
    if not _catalogues:
        load_catalogues()
    return _catalogues.get(language, _catalogues[DEFAULT_LANGUAGE])


def _translations() -> NullTranslations:
    return translations_for(_current.get())


def gettext(message: str, **variables: object) -> str:
    text = _translations().gettext(message)
    return text % variables if variables else text


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; translated where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    if _current.get() == DEFAULT_LANGUAGE:
        # Latvian msgids: the singular form serves 1, 21, 31… (not 11), the plural the rest;
        # gettext's fallback would apply the English rule (n == 1) instead.
        text = singular if n % 10 == 1 and n % 100 != 11 else plural
    else:
        text = _translations().ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def number(value: float, decimals: int = 0) -> str:
    """A number as the current language writes it: lv 1 177 084 and 12,5; en 1,177,084."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_current.get())


def current_language() -> str:
    return _current.get()


def set_language(lang: str):
    return _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Translate in `lang` within the block (a command's output, a test)."""
    token = set_language(lang)
    try:
        yield
    finally:
        _current.reset(token)


def language_from_cookie(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


class LanguageMiddleware:
    """Sets the request's language from the `lang` cookie (Latvian when there is none)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with language(language_from_cookie(cookie_from_scope(scope, LANG_COOKIE))):
            await self.app(scope, receive, send)
