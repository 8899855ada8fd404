"""The public pages over HTTP: seed texts, layout, both login boxes, languages."""

from __future__ import annotations

import pytest

from tests.pagecheck import check_html, text_of

PUBLIC_PAGES = ["/", "/noteikumi", "/instrukcija", "/pieejamiba", "/gramatzimes"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_renders_in_layout(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = check_html(response.text)
    assert root.find(".//main[@id='main']") is not None
    assert root.find(".//a[@class='skip']").get("href") == "#main"
    footer = text_of(root.find(".//footer"))
    assert "64281250" in footer and "zaao@zaao.lv" in footer
    nav = [text_of(a) for a in root.iterfind(".//nav//a")]
    assert nav == [
        "Sākums",
        "Lietošanas noteikumi",
        "Lietošanas instrukcija",
        "Pievienot grāmatzīmēm",
    ]
    assert response.headers["vary"].startswith("HX-Request")


def test_start_page_has_both_login_boxes_with_seed_texts(client):
    root = check_html(client.get("/").text)
    text = text_of(root.find(".//main"))
    for seed_text in [
        "REĢISTRĒTIEM LIETOTĀJIEM",
        "E-pasts:",
        "Parole:",
        "IENĀKT",
        "Reģistrēties",
        "Aizmirsu paroli?",
        "FIZISKĀM PERSONĀM",
        "Līguma nr.:",
        "Personas kods:",
        "Tikai fiziskām personām",
        "Personām, kas saņem ikmēneša rēķinus, lūdzam reģistrēties.",
        "Lai ienāktu sistēmā apskates režīmā, lietojiet e-pastu, līguma nr. demo "
        "un paroli/personas kodu demo",
    ]:
        assert seed_text in text, seed_text
    forms = {f.get("action"): f for f in root.iterfind(".//main//form")}
    assert set(forms) == {"/ienakt", "/ienakt/ligums"}
    email = root.find(".//input[@name='email']")
    # `demo` must be accepted: no type=email, no pattern.
    assert email.get("type") == "text" and email.get("inputmode") == "email"
    assert email.get("autocomplete") == "email" and email.get("pattern") is None
    assert root.find(".//input[@name='password']").get("autocomplete") == "current-password"
    for form in forms.values():
        assert form.get("method") == "post"
        assert form.find(".//input[@name='_csrf_token']") is not None
        for field in form.iterfind(".//input[@type!='hidden']"):
            label = root.find(f".//label[@for='{field.get('id')}']")
            assert label is not None, field.attrib


def test_start_page_hides_demo_hint_when_demo_is_off(migrated, tmp_path):
    from litestar.testing import TestClient

    from tests.conftest import PageClient, make_settings
    from zaao_hx.app import create_app

    settings = make_settings(migrated.database_url, tmp_path, ZAAO_DEMO="0")
    with TestClient(create_app(settings)) as raw:
        text = PageClient(raw).get("/").text
    assert "apskates režīmā" not in text
    assert "REĢISTRĒTIEM LIETOTĀJIEM" in text


def test_language_switch_to_english_and_back(client):
    token = client.csrf_token()
    response = client.post(
        "/valoda",
        data={"lang": "en", "next": "/noteikumi", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/noteikumi"
    root = check_html(client.get("/").text)
    assert root.get("lang") == "en"
    assert "REGISTERED USERS" in text_of(root.find(".//main"))
    client.post("/valoda", data={"lang": "lv", "next": "/", "_csrf_token": token})
    assert check_html(client.get("/").text).get("lang") == "lv"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", ""])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post(
        "/valoda",
        data={"lang": "en", "next": target, "_csrf_token": client.csrf_token()},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_unknown_language_falls_back_to_latvian(client):
    client.post("/valoda", data={"lang": "xx", "next": "/", "_csrf_token": client.csrf_token()})
    assert check_html(client.get("/").text).get("lang") == "lv"
