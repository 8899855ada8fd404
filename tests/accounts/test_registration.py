"""Registration, confirmed by a real mail through a real SMTP server."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import (
    LEGAL,
    PASSWORD,
    PRIVATE,
    deliver,
    fresh_email,
    link_in,
    mails_to,
    register,
)
from tests.pagecheck import check_html, text_of
from zaao_hx.accounts.tables import Account, AccountContract, AuditEvent

pytestmark = pytest.mark.usefixtures("demo_data")


@pytest.fixture
def client(mailing):
    return mailing


def test_registration_page_has_the_seed_fields_and_texts(client):
    root = check_html(client.get("/registracija").text)
    text = text_of(root.find(".//main"))
    for seed in ["REGISTRĀCIJA", "Līguma nr.:", "Personas kods vai reģistrācijas nr.:",
                 "Parole:", "Parole vēlreiz:", "E-pasts:",
                 "Piekrītu sistēmas lietošanas noteikumiem",
                 "Ar * atzīmētie lauki jāaizpilda obligāti! Jūsu e-pasts mājās lapā neparādīsies!",
                 "Reģistrācija ir pabeigta tikai pēc apstiprinājuma e-pastā norādītās saites "
                 "apstiprināšanas."]:
        assert seed in text, seed
    assert root.find(".//input[@name='password']").get("autocomplete") == "new-password"
    assert root.find(".//input[@name='email']").get("autocomplete") == "email"
    assert root.find(".//input[@name='terms']").get("type") == "checkbox"


def test_full_registration_with_a_real_confirmation_mail(client, smtp_server):
    email = fresh_email()
    response = register(client, email)
    assert response.status_code == 303
    assert response.headers["location"] == "/registracija/nosutits"
    # not confirmed yet: signing in is refused, and offers the link again
    refused = client.form("/ienakt", {"email": email, "password": PASSWORD})
    assert refused.status_code == 422 and "nav apstiprināts" in refused.text
    assert check_html(refused.text).find(".//form[@action='/apstiprinat/atkartot']") is not None

    deliver(client)
    [mail] = mails_to(smtp_server, email)
    assert mail["Subject"] == "Apstipriniet reģistrāciju portālā “ZAAO Klientiem”"
    assert mail.get_body(preferencelist=("html",)) is not None
    link = link_in(mail, "/apstiprinat/")
    confirmed = client.get(link)
    assert confirmed.status_code == 200 and "Reģistrācija pabeigta" in confirmed.text

    again = client.get(link)  # single use
    assert again.status_code == 410 and "Saite nav derīga" in again.text

    signed_in = client.form("/ienakt", {"email": email.upper(), "password": PASSWORD})
    assert signed_in.headers["location"] == "/panelis"
    assert "SIA" in text_of(check_html(client.get("/panelis").text).find(".//h1"))

    async def stored():
        account = await Account.objects().where(Account.email == email).first()
        links = await AccountContract.select().where(AccountContract.account == account.id)
        kinds = await AuditEvent.select(AuditEvent.kind).where(
            AuditEvent.account_id == account.id)
        return account, links, [k["kind"] for k in kinds]

    account, links, kinds = client.run(stored)
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in str(account)
    assert account.terms_version and account.terms_accepted_at is not None
    assert [link["contract_no"] for link in links] == [LEGAL["contract_no"]]
    assert {"registered", "confirmed", "signin"} <= set(kinds)


def test_resend_sends_a_fresh_working_link(client, smtp_server):
    email = fresh_email()
    register(client, email)
    refused = client.form("/ienakt", {"email": email, "password": PASSWORD})
    token = check_html(refused.text).find(".//input[@name='resend']").get("value")
    assert client.form("/apstiprinat/atkartot", {"resend": token}).status_code == 303
    deliver(client)
    mails = mails_to(smtp_server, email)
    assert len(mails) == 2
    assert client.get(link_in(mails[-1], "/apstiprinat/")).status_code == 200


def test_a_taken_email_looks_the_same_and_mails_the_owner(client, smtp_server):
    email = fresh_email()
    first = register(client, email)
    second = register(client, email, customer=PRIVATE)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    deliver(client)
    subjects = sorted(m["Subject"] for m in mails_to(smtp_server, email))
    assert subjects == ["Apstipriniet reģistrāciju portālā “ZAAO Klientiem”",
                        "Mēģinājums reģistrēties ar jūsu e-pastu"]


def test_private_person_may_register_too(client):
    assert register(client, fresh_email(), customer=PRIVATE).status_code == 303


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"contract_no": ""}, "reg-contract-no", "Ievadiet līguma numuru."),
        ({"code": "123"}, "reg-code", "nav derīgs"),
        ({"code": "140378-12343"}, "reg-code", "nav derīgs"),  # bad check digit
        ({"password": "short", "password2": "short"}, "reg-password", "vismaz 10"),
        ({"password2": "something-else"}, "reg-password2", "Paroles nesakrīt."),
        ({"email": "not-an-email"}, "reg-email", "E-pasta adrese nav pareiza"),
        ({"terms": ""}, "reg-terms", "jāpiekrīt lietošanas noteikumiem"),
        ({"code": "40003245752"}, "reg-contract-no", "nesakrīt ar mūsu datiem"),
        ({"contract_no": "no-such"}, "reg-contract-no", "nesakrīt ar mūsu datiem"),
        ({"contract_no": "dem-1-oju"}, "reg-contract-no", "nesakrīt ar mūsu datiem"),
    ],
)
def test_each_mistake_is_named_at_its_field_and_in_the_summary(client, overrides, field,
                                                                message):
    response = register(client, overrides.pop("email", fresh_email()), **overrides)
    assert response.status_code == 422
    root = check_html(response.text)
    summary = root.find(".//div[@id='error-summary']")
    assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert any(a.get("href") == f"#{field}" for a in summary.iterfind(".//a"))
    assert message in text_of(root.find(f".//p[@id='{field}-error']"))
    assert root.find(f".//*[@id='{field}']").get("aria-invalid") == "true"
    # what was typed is kept, except passwords
    assert root.find(".//input[@name='password']").get("value") is None


def test_new_style_personal_codes_are_accepted_by_the_form():
    from zaao_hx.accounts.forms import code_kind

    assert code_kind("140378-12342") == "personal"
    assert code_kind("40103271696") == "company"
    assert code_kind("140378-12343") is None
    assert code_kind("321234-56785") == "personal"  # the new, date-free format
    assert code_kind("321234-56784") is None


def test_mails_go_out_in_the_language_the_visitor_registered_in(client, smtp_server):
    client.form("/valoda", {"lang": "en", "next": "/registracija"})
    email = fresh_email()
    assert register(client, email).status_code == 303
    deliver(client)
    [mail] = mails_to(smtp_server, email)
    assert mail["Subject"] == "Confirm your registration at “ZAAO Klientiem”"
    assert "Thank you for registering" in mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["Content-Language"] == "en"
