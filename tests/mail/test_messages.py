"""Mails from templates: the recipient's language, HTML escaped, text not."""

from __future__ import annotations

import io

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from jinja2 import UndefinedError

from zaao_hx.mail.messages import render_mail
from zaao_hx.web import i18n

CONTEXT = {"name": "Jānis Bērziņš", "note": "<b>&</b>", "base_url": "https://klienti.zaao.lv"}


def test_renders_subject_text_and_html_in_latvian():
    subject, text, html = render_mail("test_message", "lv", CONTEXT)
    assert subject == "Pārbaudes vēstule"
    assert "Sveiki, Jānis Bērziņš!" in text and "Piezīme: <b>&</b>" in text
    assert "Sveiki, Jānis Bērziņš!" in html and "Piezīme: &lt;b&gt;&amp;&lt;/b&gt;" in html
    assert '<html lang="lv">' in html and "<title>Pārbaudes vēstule</title>" in html
    assert 'href="https://klienti.zaao.lv"' in html and "https://klienti.zaao.lv" in text


@pytest.fixture
def english(monkeypatch):
    i18n.load_catalogues()
    catalog = Catalog(locale="en")
    catalog.add("Sveiki, %(name)s!", "Hello, %(name)s!", flags=["python-format"])
    catalog.add("Pārbaudes vēstule", "Test message")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    monkeypatch.setitem(i18n._catalogues, "en", Translations(buf))


def test_renders_in_the_given_language_and_restores_the_callers(english):
    token = i18n.set_language("lv")
    try:
        subject, text, html = render_mail("test_message", "en", CONTEXT)
        assert i18n.current_language() == "lv"
    finally:
        i18n._current.reset(token)
    assert subject == "Test message"
    assert "Hello, Jānis Bērziņš!" in text and "Hello, Jānis Bērziņš!" in html
    assert '<html lang="en">' in html


def test_a_failing_template_still_restores_the_language():
    with pytest.raises(UndefinedError):
        render_mail("test_message", "en", {"name": "x"})  # no `note`
    assert i18n.current_language() == "lv"
