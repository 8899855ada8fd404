"""Every private route requires a session: the list of public routes is explicit, and a new
route that is neither on it nor guarded fails here."""

from __future__ import annotations

from zaao_hx.accounts.guards import signed_in

PUBLIC = {
    "/", "/noteikumi", "/instrukcija", "/pieejamiba", "/gramatzimes", "/valoda",
    "/manifest.webmanifest", "/healthz", "/readyz", "/static/{name:str}",
    "/ienakt", "/ienakt/ligums", "/registracija", "/registracija/nosutits",
    "/apstiprinat/{token:str}", "/apstiprinat/atkartot", "/aizmirsu-paroli",
    "/aizmirsu-paroli/nosutits", "/jauna-parole/{token:str}",
}


def _guards(handler) -> list:
    return list(handler.resolve_guards())


def test_every_route_is_public_by_name_or_guarded(app):
    unguarded, seen = [], set()
    for route in app.routes:
        for handler in route.route_handlers:
            seen.add(route.path)
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's automatic CORS preflight answer: no content
            if route.path not in PUBLIC and signed_in not in _guards(handler):
                unguarded.append((route.path, handler.name))
    assert not unguarded, f"private routes without the signed_in guard: {unguarded}"
    assert PUBLIC <= seen, f"public routes that no longer exist: {PUBLIC - seen}"


def test_private_pages_send_strangers_to_the_sign_in_boxes(client, app):
    private = [r for r in app.routes if r.path not in PUBLIC]
    assert private, "no private route to try"
    token = client.csrf_token()
    for route in private:
        path = route.path.replace("{", "").replace(":str}", "x").replace(":int}", "1")
        method = "GET" if "GET" in route.methods else sorted(route.methods - {"OPTIONS"})[0]
        kwargs = {"follow_redirects": False, "headers": {"x-csrftoken": token}}
        response = client.request(method, path, **kwargs)
        assert response.status_code == 303, (method, path)
        assert response.headers["location"] == "/?zinojums=ienakt"
        kwargs["headers"]["HX-Request"] = "true"
        hx = client.request(method, path, **kwargs)
        assert hx.headers["hx-redirect"] == "/?zinojums=ienakt"
    assert "Lūdzu, ienāciet, lai turpinātu." in client.get("/?zinojums=ienakt").text
