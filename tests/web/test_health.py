"""Health and readiness."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import make_settings
from zaao_hx.app import create_app


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_readyz_with_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.text == "ok"


def test_readyz_is_503_while_the_database_is_unreachable(tmp_path, migrated):
    # a PostgreSQL URL on a port where nothing listens: the app still starts and says so
    settings = make_settings("postgresql://postgres@127.0.0.1:1/nothing", tmp_path)
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200
    finally:
        create_app(migrated)  # bind the tables to the session's database again
