"""Both sign-ins, the demo, refusals that never say which part was wrong, sign-out."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.conftest import PageClient, make_settings
from tests.pagecheck import check_html, text_of
from zaao_hx.accounts.tables import AuditEvent
from zaao_hx.app import create_app

pytestmark = pytest.mark.usefixtures("demo_data")
GENERIC = "Nepareizi ievadīti dati. Pārbaudiet tos un mēģiniet vēlreiz."


def main_text(response) -> str:
    return text_of(check_html(response.text).find(".//main"))


def test_demo_email_sign_in_lands_on_the_signed_in_home(client):
    response = client.form("/ienakt", {"email": "demo", "password": "demo"})
    assert response.status_code == 303 and response.headers["location"] == "/panelis"
    home = client.get("/panelis")
    text = main_text(home)
    assert "Sveiki, Demo juridiska persona" in text and "dem-1-oju" in text
    assert "Apskates režīms" in text
    assert check_html(home.text).find(".//form[@action='/iziet']") is not None
    assert home.headers["cache-control"] == "no-store"


def test_demo_contract_sign_in(client):
    response = client.form("/ienakt/ligums", {"contract_no": "demo", "personal_code": "demo"})
    assert response.headers["location"] == "/panelis"
    assert "Sveiki, Demo fiziska persona" in main_text(client.get("/panelis"))


def test_ordinary_private_person_signs_in_with_either_code_format(client):
    for code in ("140378-12342", "14037812342", " 140378-12342 "):
        response = client.form("/ienakt/ligums",
                               {"contract_no": "10-204518", "personal_code": code})
        assert response.status_code == 303, code
        assert "Ilze Kalniņa" in main_text(client.get("/panelis"))


@pytest.mark.parametrize(
    "data",
    [
        {"email": "demo", "password": "wrong-password"},
        {"email": "nobody@example.lv", "password": "demo"},
    ],
)
def test_email_refusal_is_the_same_whatever_was_wrong(client, data):
    response = client.form("/ienakt", data)
    assert response.status_code == 422
    root = check_html(response.text)
    summary = root.find(".//div[@id='signin-email-errors']")
    assert summary is not None and GENERIC in text_of(summary)
    assert root.find(".//input[@id='signin-email']").get("aria-invalid") == "true"
    assert client.get("/panelis", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "data",
    [
        {"contract_no": "demo", "personal_code": "010101-10006"},
        {"contract_no": "no-such-contract", "personal_code": "demo"},
        {"contract_no": "20-118733", "personal_code": "140378-12342"},
    ],
)
def test_contract_refusal_is_the_same_whatever_was_wrong(client, data):
    response = client.form("/ienakt/ligums", data)
    assert response.status_code == 422
    summary = check_html(response.text).find(".//div[@id='signin-contract-errors']")
    assert GENERIC in text_of(summary)


def test_legal_persons_contract_with_its_own_number_points_to_registration(client):
    response = client.form("/ienakt/ligums",
                           {"contract_no": "20-118733", "personal_code": "40103271696"})
    assert response.status_code == 422
    root = check_html(response.text)
    summary = root.find(".//div[@id='signin-contract-errors']")
    assert "juridiskas personas līgums" in text_of(summary)
    assert root.find(".//section[@id='signin-contract-box']//a[@href='/registracija']") is not None
    assert client.get("/panelis", follow_redirects=False).status_code == 303


def test_empty_fields_get_messages_at_each_field(client):
    response = client.form("/ienakt", {"email": "", "password": ""})
    assert response.status_code == 422
    root = check_html(response.text)
    links = [a.get("href") for a in root.iterfind(".//div[@id='signin-email-errors']//a")]
    assert links == ["#signin-email", "#signin-password"]
    for field in ("signin-email", "signin-password"):
        assert root.find(f".//p[@id='{field}-error']") is not None


def test_htmx_sign_in_swaps_the_box_with_errors_and_redirects_on_success(client):
    headers = {"HX-Request": "true"}
    bad = client.form("/ienakt", {"email": "demo", "password": "nope"}, headers=headers)
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith('<section class="box" id="signin-email-box"')
    assert "<html" not in bad.text and GENERIC in bad.text
    good = client.form("/ienakt", {"email": "demo", "password": "demo"}, headers=headers)
    assert good.status_code == 200 and good.headers["hx-redirect"] == "/panelis"
    assert "zaao_session=" in good.headers["set-cookie"]


def test_sign_out_ends_the_session(client):
    client.form("/ienakt", {"email": "demo", "password": "demo"})
    cookie = client.raw.cookies["zaao_session"]
    response = client.form("/iziet", {})
    assert response.status_code == 303 and response.headers["location"] == "/?zinojums=izgajat"
    assert "Jūs esat izgājis no sistēmas." in main_text(client.get("/?zinojums=izgajat"))
    client.raw.cookies.set("zaao_session", cookie)
    replay = client.get("/panelis", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/?zinojums=ienakt"


def test_demo_logins_are_refused_when_the_demo_is_off(demo_data, tmp_path):
    settings = make_settings(demo_data.database_url, tmp_path, ZAAO_DEMO="0")
    with TestClient(create_app(settings)) as raw:
        client = PageClient(raw)
        assert client.form("/ienakt", {"email": "demo", "password": "demo"}).status_code == 422
        assert client.form(
            "/ienakt/ligums", {"contract_no": "demo", "personal_code": "demo"}
        ).status_code == 422
        from tests.conftest import _clear_rate_limits

        client.run(_clear_rate_limits)


def test_sign_ins_and_failures_are_audited_with_the_client_address(client):
    async def events():
        return await AuditEvent.select(AuditEvent.kind, AuditEvent.client_addr).order_by(
            AuditEvent.id, ascending=False
        ).limit(2)

    client.form("/ienakt", {"email": "demo", "password": "wrong"})
    client.form("/ienakt", {"email": "demo", "password": "demo"})
    latest = client.run(events)
    assert [e["kind"] for e in latest] == ["signin", "signin_failed"]
    assert all(e["client_addr"] == "testclient" for e in latest)


def test_a_page_with_errors_says_so_in_its_title(client):
    ok = check_html(client.get("/").text).find(".//title").text
    bad = check_html(client.form("/ienakt", {"email": "", "password": ""}).text)
    assert not ok.startswith("Kļūda:")
    assert bad.find(".//title").text.startswith("Kļūda: ")
