"""Forgot password: a signed link by real mail, valid an hour, once, dead when the password
changes; a reset ends every session of the account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from tests.accounts.helpers import (
    PASSWORD,
    deliver,
    fresh_email,
    link_in,
    mailing_client,
    mails_to,
    register,
)
from tests.conftest import PageClient, _clear_rate_limits, make_settings
from tests.pagecheck import check_html
from zaao_hx.app import create_app

pytestmark = pytest.mark.usefixtures("demo_data")
NEW_PASSWORD = "Jauna-parole-2026"  # noqa: S105 - a test password


@pytest.fixture
def client(mailing):
    return mailing


def confirmed_account(client, smtp_server) -> str:
    email = fresh_email()
    register(client, email)
    deliver(client)
    client.get(link_in(mails_to(smtp_server, email)[-1], "/apstiprinat/"))
    return email


def reset_link(client, smtp_server, email) -> str:
    response = client.form("/aizmirsu-paroli", {"email": email})
    assert response.headers["location"] == "/aizmirsu-paroli/nosutits"
    deliver(client)
    return link_in(mails_to(smtp_server, email)[-1], "/jauna-parole/")


def test_reset_by_mail_works_once_and_ends_other_sessions(client, smtp_server):
    email = confirmed_account(client, smtp_server)
    # a session elsewhere (another browser: its cookie, kept aside)
    client.form("/ienakt", {"email": email, "password": PASSWORD})
    elsewhere = client.raw.cookies["zaao_session"]
    client.raw.cookies.delete("zaao_session")

    link = reset_link(client, smtp_server, email)
    page = client.get(link)
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    root = check_html(page.text)
    assert root.find(".//input[@name='password']").get("autocomplete") == "new-password"

    done = client.form(link, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/?zinojums=parole"
    client.raw.cookies.set("zaao_session", elsewhere)
    assert client.get("/panelis", follow_redirects=False).status_code == 303
    client.raw.cookies.delete("zaao_session")

    assert client.get(link).status_code == 410  # spent
    again = client.form(link, {"password": "Vel-cita-parole-1", "password2": "Vel-cita-parole-1"})
    assert again.status_code == 410
    assert client.form("/ienakt", {"email": email, "password": PASSWORD}).status_code == 422
    assert client.form("/ienakt", {"email": email, "password": NEW_PASSWORD}).status_code == 303
    deliver(client)
    assert mails_to(smtp_server, email)[-1]["Subject"] == "Jūsu parole ir nomainīta"


def test_unknown_email_gets_the_same_answer_and_no_mail(client, smtp_server):
    email = fresh_email()
    response = client.form("/aizmirsu-paroli", {"email": email})
    assert response.headers["location"] == "/aizmirsu-paroli/nosutits"
    deliver(client)
    assert mails_to(smtp_server, email) == []


def test_a_link_older_than_an_hour_is_expired(demo_data, smtp_server, tmp_path):
    with mailing_client(demo_data.database_url, tmp_path, smtp_server) as client:
        client.run(_clear_rate_limits)
        email = confirmed_account(client, smtp_server)
        link = reset_link(client, smtp_server, email)
        client.run(_clear_rate_limits)
    # itsdangerous reads the wall clock; a link signed 61 minutes ago is the same thing
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    token = link.rsplit("/", 1)[1]
    payload = URLSafeTimedSerializer(client.settings.secret_key,
                                     salt="zaao_hx:reset-password").loads(token)

    class PastSigner(TimestampSigner):
        def get_timestamp(self):
            return int((datetime.now(UTC) - timedelta(minutes=61)).timestamp())

    old = URLSafeTimedSerializer(client.settings.secret_key, salt="zaao_hx:reset-password",
                                 signer=PastSigner).dumps(payload)
    settings = make_settings(demo_data.database_url, tmp_path)
    with TestClient(create_app(settings)) as raw:
        response = PageClient(raw).get(f"/jauna-parole/{old}")
    assert response.status_code == 410 and "novecojusi" in response.text


@pytest.mark.parametrize("token", ["garbage", "a" * 300, "eyJhIjoxfQ.forged.sig"])
def test_forged_links_are_refused(client, token):
    assert client.get(f"/jauna-parole/{token}").status_code == 410
    assert client.get(f"/apstiprinat/{token}").status_code == 410


def test_a_confirmation_link_is_not_a_reset_link(client, smtp_server):
    email = fresh_email()
    register(client, email)
    deliver(client)
    confirm = link_in(mails_to(smtp_server, email)[-1], "/apstiprinat/")
    token = confirm.rsplit("/", 1)[1]
    assert client.get(f"/jauna-parole/{token}").status_code == 410


def test_new_password_is_checked(client, smtp_server):
    email = confirmed_account(client, smtp_server)
    link = reset_link(client, smtp_server, email)
    response = client.form(link, {"password": "short", "password2": "short"})
    assert response.status_code == 422 and "vismaz 10" in response.text
    response = client.form(link, {"password": NEW_PASSWORD, "password2": "different-one"})
    assert response.status_code == 422 and "Paroles nesakrīt." in response.text
