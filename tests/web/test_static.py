"""Static files: content-hashed names, a year of caching, precompressed bodies."""

from __future__ import annotations

import brotli

from tests.pagecheck import check_html
from zaao_hx.web.assets import STATIC_DIR


def test_layout_links_hashed_assets_that_are_served_with_a_year_of_cache(client):
    root = check_html(client.get("/").text)
    urls = [root.find(".//link[@rel='stylesheet']").get("href"), root.find(".//script").get("src")]
    assert any("htmx-2.0.11" in u for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        cache = response.headers["cache-control"]
        assert "max-age=31536000" in cache and "immutable" in cache
        name = url.rsplit("/", 1)[1]
        assert len(name.split(".")) >= 3  # name.<hash>.ext


def test_htmx_is_loaded_deferred_from_our_own_origin(client):
    root = check_html(client.get("/").text)
    script = root.find(".//head/script")
    assert script.get("src").startswith("/static/") and script.get("defer") is not None


def test_static_body_is_brotli_when_asked_and_identical_when_decoded(client):
    url = client.app.state.assets.url("htmx-2.0.11.min.js")
    original = (STATIC_DIR / "htmx-2.0.11.min.js").read_bytes()
    raw = client.raw.get(url, headers={"Accept-Encoding": "br"})
    assert raw.headers["content-encoding"] == "br"
    assert int(raw.headers["content-length"]) < 17 * 1024
    assert raw.content == original  # httpx decodes brotli transparently
    assert brotli.decompress(client.app.state.assets.by_name["htmx-2.0.11.min.js"].brotli_body) \
        == original
    plain = client.raw.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == original


def test_gzip_fallback_for_clients_without_brotli(client):
    url = client.app.state.assets.url("site.css")
    response = client.raw.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"


def test_unknown_and_unhashed_static_names_are_404(client):
    assert client.get("/static/site.css").status_code == 404
    assert client.get("/static/nothing.deadbeef00.js").status_code == 404
    assert client.get("/static/..%2Fpyproject.toml").status_code == 404


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    response = client.raw.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["content-encoding"] == "br"
    assert "Accept-Encoding" in response.headers["vary"]
