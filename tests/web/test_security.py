"""Security headers on every kind of response, and CSRF on every unsafe request."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.conftest import make_settings
from zaao_hx.app import create_app

REQUIRED = {
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "x-frame-options",
}


def _static_url(client) -> str:
    return client.app.state.assets.url("site.css")


@pytest.mark.parametrize(
    "kind", ["page", "static", "not_found", "method_not_allowed", "health", "manifest", "csrf"]
)
def test_every_response_carries_security_headers(client, kind):
    response = {
        "page": lambda: client.get("/"),
        "static": lambda: client.get(_static_url(client)),
        "not_found": lambda: client.get("/no-such-page"),
        "method_not_allowed": lambda: client.raw.put("/"),
        "health": lambda: client.get("/healthz"),
        "manifest": lambda: client.get("/manifest.webmanifest"),
        "csrf": lambda: client.raw.post("/valoda", data={"lang": "en"}),
    }[kind]()
    missing = REQUIRED - set(response.headers)
    assert not missing, f"{kind} ({response.status_code}) lacks {missing}"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # not behind HTTPS here


def test_hsts_and_secure_cookies_behind_https(migrated, tmp_path):
    settings = make_settings(migrated.database_url, tmp_path, ZAAO_HTTPS="1")
    with TestClient(create_app(settings), base_url="https://testserver.local") as client:
        response = client.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace(
        "Lax", "lax"
    )


def test_post_without_csrf_token_is_refused_with_a_page(client):
    client.get("/")
    response = client.post("/valoda", data={"lang": "en", "next": "/"}, follow_redirects=False)
    assert response.status_code == 403
    assert "Piekļuve liegta" in response.text
    # the language did not change
    assert 'lang="lv"' in client.get("/").text


def test_post_with_a_forged_csrf_token_is_refused(client):
    client.get("/")
    response = client.post(
        "/valoda", data={"lang": "en", "next": "/", "_csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_csrf_token_in_htmx_header_is_accepted(client):
    token = client.csrf_token()
    response = client.post(
        "/valoda",
        data={"lang": "en", "next": "/"},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_page_puts_csrf_token_on_body_for_htmx(client):
    from tests.pagecheck import check_html

    root = check_html(client.get("/").text)
    import json

    headers = json.loads(root.find("body").get("hx-headers"))
    assert headers["x-csrftoken"] == client.raw.cookies["csrftoken"]


def test_csrf_cookie_is_http_only_and_lax(client):
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
