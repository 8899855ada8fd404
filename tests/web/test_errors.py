"""Errors are pages in the site's layout and language, fragments for htmx, never tracebacks."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pagecheck import check_html, text_of


def test_404_page_in_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    root = check_html(response.text)
    assert text_of(root.find(".//h1")) == "Lapa nav atrasta"
    assert root.find(".//footer") is not None


def test_404_page_in_english(client):
    client.post("/valoda", data={"lang": "en", "next": "/", "_csrf_token": client.csrf_token()})
    root = check_html(client.get("/no-such-page").text)
    assert root.get("lang") == "en" and text_of(root.find(".//h1")) == "Page not found"


def test_htmx_request_gets_the_error_as_a_fragment(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text and "Lapa nav atrasta" in response.text


def test_405_is_a_page_too(client):
    response = client.raw.put("/", headers={"x-csrftoken": client.csrf_token()})
    assert response.status_code == 405
    check_html(response.text)


def test_htmx_request_gets_the_page_fragment_and_history_restore_the_page(client):
    fragment = client.get("/noteikumi", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<h1>" in fragment.text
    restore = client.get(
        "/noteikumi", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lang=st.text(max_size=50),
    next_=st.text(max_size=200),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
def test_language_form_survives_any_input(client, lang, next_, extra):
    data = {**extra, "lang": lang, "next": next_, "_csrf_token": client.csrf_token()}
    response = client.post("/valoda", data=data, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//")


def test_an_unexpected_error_is_a_500_page_in_the_layout_with_headers(client, monkeypatch):
    from zaao_hx.public import routes

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(routes, "render", broken)
    response = client.get("/noteikumi")
    assert response.status_code == 500
    root = check_html(response.text)
    assert text_of(root.find(".//h1")) == "Kļūda serverī"
    assert "a bug" not in response.text and "Traceback" not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
