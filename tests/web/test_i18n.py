"""Latvian first: every string in the templates and code is in the catalogue, translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from zaao_hx.web import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _source_messages() -> set[str]:
    messages: set[str] = set()
    method_map = [("src/**.py", "python"), ("templates/**.html", "jinja2"),
                  ("templates/mail/**.txt", "jinja2")]
    jinja = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    options = {"templates/**.html": jinja, "templates/mail/**.txt": jinja}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def _catalogue(lang: str):
    with (ROOT / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_every_message_has_an_english_translation():
    source = _source_messages()
    assert len(source) > 30
    catalog = _catalogue("en")
    missing = sorted(m for m in source if m not in catalog or not catalog[m].string)
    assert not missing, f"untranslated (run ./dev i18n, then translate): {missing}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations: {fuzzy}"


def test_placeholders_and_markup_survive_translation():
    import re

    for message in _catalogue("en"):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            for pattern in (r"%\(\w+\)s", r"</?\w+>"):
                assert sorted(re.findall(pattern, msgid)) == sorted(
                    re.findall(pattern, msgstr)
                ), msgid


def test_gettext_follows_the_request_language():
    i18n.load_catalogues()
    token = i18n.set_language("en")
    try:
        assert i18n.gettext("Sākums") == "Home"
    finally:
        i18n._current.reset(token)
    assert i18n.gettext("Sākums") == "Sākums"


def _scope(header: str) -> dict:
    return {"headers": [(b"cookie", header.encode())]}


def test_malformed_cookie_header_means_latvian():
    from zaao_hx.web.cookies import cookie_from_scope

    def lang(header: str) -> str:
        return i18n.language_from_cookie(cookie_from_scope(_scope(header), "lang"))

    assert lang('lang="en') == "lv"
    assert lang("lang=ru") == "lv"
    assert lang("a=b; lang=en") == "en"
    assert lang("") == "lv"


def test_latvian_plurals_follow_latvian_rules():
    i18n.load_catalogues()
    forms = {n: i18n.ngettext("pēc %(num)s minūtes", "pēc %(num)s minūtēm", n)
             for n in (1, 2, 11, 21, 60)}
    assert forms == {1: "pēc 1 minūtes", 2: "pēc 2 minūtēm", 11: "pēc 11 minūtēm",
                     21: "pēc 21 minūtes", 60: "pēc 60 minūtēm"}
