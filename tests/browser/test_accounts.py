"""The account forms in real Chromium, with JavaScript on (htmx) and off (plain POSTs).

Every form is driven into its error state and scanned with axe there, and every page a
form leads to is scanned too.  Mail is read from the real SMTP server of tests/conftest.py:
the live server only queues it (ZAAO_INPROCESS_WORKER=0 in tests); `deliver()` runs the
worker's pass on the server's loop with the live server's settings pointed at that server.

Rate-limit counters are cleared before and after each test (one client address,
127.0.0.1, for all browser tests).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.accounts.helpers import LEGAL, PASSWORD, PRIVATE, fresh_email, link_in
from tests.browser import axe
from tests.browser.test_public_pages import switch_language
from zaao_hx.accounts.passwords import hash_password
from zaao_hx.accounts.service import TERMS_VERSION
from zaao_hx.accounts.tables import Account, AccountContract, RateCounter
from zaao_hx.mail.worker import deliver_all_due

pytestmark = pytest.mark.browser

UNPROCESSABLE = 422
NEW_PASSWORD = "Jauns-konteiners-77"  # noqa: S105 - a test password

# The focused element and whether it shows a focus indicator (an outline or a box-shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    id: el.id, tag: el.tagName.toLowerCase(), html: el.outerHTML.slice(0, 120),
    visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
             || style.boxShadow !== 'none',
  };
}"""


# --- fixtures and steps ---------------------------------------------------------------


async def _clear_rate_limits() -> None:
    await RateCounter.delete(force=True)


@pytest.fixture
def site(demo_server, smtp_server):
    """The live server with the demo data, rate limits cleared before and after."""
    demo_server.run(_clear_rate_limits())
    yield demo_server
    demo_server.run(_clear_rate_limits())


def deliver(site, smtp_server) -> None:
    """The mail worker's pass, on the server's loop, sending through the test SMTP server."""
    mailing = dataclasses.replace(
        site.settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_tls="none"
    )
    # Mail other tests left queued goes out too; each test reads only its own address.
    site.run(deliver_all_due(mailing))


def only_mail_to(smtp_server, address: str):
    mails = smtp_server.handler.to(address)
    assert len(mails) == 1, f"{len(mails)} mails to {address}"
    return mails[0]


async def _make_account(email: str, password: str, contract_no: str) -> None:
    """A confirmed account, as registration + confirmation would leave it."""
    now = datetime.now(UTC)
    account = Account(
        email=email, password_hash=await hash_password(password), language="lv",
        created_at=now, confirmed_at=now, password_changed_at=now,
        terms_version=TERMS_VERSION, terms_accepted_at=now,
    )
    await account.save()
    await AccountContract.insert(
        AccountContract(account=account.id, contract_no=contract_no, added_at=now)
    )


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def submit(page: Page, action: str, button) -> Response:
    """Press a submit button; the response to its POST (htmx's XHR or the navigation)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == action
    ) as posted:
        button.click()
    return posted.value


def check_error_summary(page: Page, summary_id: str, fields: list[str]) -> None:
    """The summary: role=alert, has focus, one link per field in error, each field marked
    invalid with its message tied by aria-describedby (the same text as the link)."""
    summary = page.locator(f"#{summary_id}")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.id") == summary_id
    links = summary.locator("a")
    assert links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))") == [
        f"#{f}" for f in fields
    ]
    for field_id in fields:
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-error" in described, f"#{field_id} aria-describedby={described}"
        message = page.locator(f"#{field_id}-error")
        expect(message).to_be_visible()
        expect(summary.locator(f'a[href="#{field_id}"]')).to_have_text(message.inner_text())


def check_form_error(page: Page, js_mode: str, response: Response, path: str) -> None:
    """A form answered with its errors (422): swapped in place by htmx, the URL still
    `path`; or, as a plain POST, the whole page at the form's action."""
    assert response.status == UNPROCESSABLE, f"{response.status} {response.url}"
    if response.request.resource_type in {"xhr", "fetch"}:
        assert js_mode == "js"
        assert response.request.headers.get("hx-request") == "true"
        assert path_of(page) == path
    else:
        assert response.request.is_navigation_request()
        page.wait_for_load_state()
        assert path_of(page) == urlsplit(response.url).path


def sign_in_email(page: Page, email: str, password: str) -> Response:
    box = page.locator("#signin-email-box")
    box.get_by_label("E-pasts:", exact=True).fill(email)
    box.get_by_label("Parole:", exact=True).fill(password)
    return submit(page, "/ienakt", box.get_by_role("button", name="IENĀKT"))


def sign_in_contract(page: Page, contract_no: str, code: str) -> Response:
    box = page.locator("#signin-contract-box")
    box.get_by_label("Līguma nr.:", exact=True).fill(contract_no)
    box.get_by_label("Personas kods:", exact=True).fill(code)
    return submit(page, "/ienakt/ligums", box.get_by_role("button", name="IENĀKT"))


def expect_signed_in(page: Page, name: str) -> None:
    page.wait_for_url("**/panelis")
    expect(page.locator("h1")).to_have_text(f"Sveiki, {name}")
    expect(page.get_by_role("navigation").get_by_role("button", name="Iziet")).to_be_visible()


def sign_out(page: Page) -> None:
    button = page.get_by_role("navigation").get_by_role("button", name="Iziet")
    response = submit(page, "/iziet", button)
    assert response.status == 303
    page.wait_for_url("**/?zinojums=izgajat")
    expect(page.locator("p.notice[role=status]")).to_have_text("Jūs esat izgājis no sistēmas.")


# --- 1. email + password ----------------------------------------------------------------


def test_sign_in_with_email_wrong_then_right_then_out(page, js_mode, site):
    page.goto("/")
    response = sign_in_email(page, "demo", "not-the-password")
    check_form_error(page, js_mode, response, "/")
    check_error_summary(page, "signin-email-errors", ["signin-email"])
    expect(page.locator("#signin-email-errors")).to_contain_text("Nepareizi ievadīti dati.")
    # the email stays filled in, the password does not
    expect(page.locator("#signin-email")).to_have_value("demo")
    expect(page.locator("#signin-password")).to_have_value("")
    axe.assert_no_violations(page)

    response = sign_in_email(page, "demo", "demo")
    assert response.status == (200 if js_mode == "js" else 303)
    if js_mode == "js":
        assert response.headers.get("hx-redirect") == "/panelis"
    expect_signed_in(page, "Demo juridiska persona")
    expect(page.get_by_text("dem-1-oju", exact=True)).to_be_visible()
    axe.assert_no_violations(page)

    sign_out(page)
    axe.assert_no_violations(page)
    # the session is gone: the signed-in home sends the visitor to sign in
    page.goto("/panelis")
    assert path_of(page) == "/"


# --- 2. contract no. + personal code ------------------------------------------------------


def test_sign_in_with_contract(page, js_mode, site):
    page.goto("/")
    # A legal person's contract with its reg. no.: told to register, with a link.
    response = sign_in_contract(page, LEGAL["contract_no"], LEGAL["code"])
    check_form_error(page, js_mode, response, "/")
    check_error_summary(page, "signin-contract-errors", ["contract-no"])
    box = page.locator("#signin-contract-box")
    expect(box.locator("#contract-no-error")).to_have_text(
        "Šis ir juridiskas personas līgums. Juridiskām personām jāreģistrējas un jāienāk "
        "ar e-pastu un paroli."
    )
    register = box.get_by_role("link", name="Reģistrēties", exact=True)
    expect(register).to_have_attribute("href", "/registracija")
    axe.assert_no_violations(page)

    # A wrong code: the same refusal whichever part was wrong.
    response = sign_in_contract(page, "demo", "010101-10006")
    check_form_error(page, js_mode, response, "/")
    check_error_summary(page, "signin-contract-errors", ["contract-no"])
    expect(box.locator("#contract-no-error")).to_have_text(
        "Nepareizi ievadīti dati. Pārbaudiet tos un mēģiniet vēlreiz."
    )
    expect(box.get_by_role("link", name="Reģistrēties", exact=True)).to_have_count(0)
    axe.assert_no_violations(page)

    # Empty: a message at each field.
    box.get_by_label("Līguma nr.:", exact=True).fill("")
    box.get_by_label("Personas kods:", exact=True).fill("")
    response = submit(page, "/ienakt/ligums", box.get_by_role("button", name="IENĀKT"))
    check_form_error(page, js_mode, response, "/")
    check_error_summary(page, "signin-contract-errors", ["contract-no", "personal-code"])
    axe.assert_no_violations(page)

    response = sign_in_contract(page, "demo", "demo")
    assert response.status == (200 if js_mode == "js" else 303)
    expect_signed_in(page, "Demo fiziska persona")
    axe.assert_no_violations(page)

    # The legal person's "register" link leads to the registration form.
    sign_out(page)
    sign_in_contract(page, LEGAL["contract_no"], LEGAL["code"])
    page.locator("#signin-contract-box").get_by_role("link", name="Reģistrēties").click()
    page.wait_for_url("**/registracija")
    expect(page.locator("h1")).to_have_text("REGISTRĀCIJA")


# --- 3. registration ------------------------------------------------------------------


REGISTRATION_FIELDS = ["reg-contract-no", "reg-code", "reg-password", "reg-email", "reg-terms"]


def submit_registration(page: Page) -> Response:
    return submit(page, "/registracija", page.get_by_role("button", name="Reģistrēties"))


def fill_registration(page: Page, customer: dict, email: str, password: str = PASSWORD) -> None:
    page.locator("#reg-contract-no").fill(customer["contract_no"])
    page.locator("#reg-code").fill(customer["code"])
    page.locator("#reg-password").fill(password)
    page.locator("#reg-password2").fill(password)
    page.locator("#reg-email").fill(email)
    page.get_by_label("Piekrītu sistēmas lietošanas noteikumiem").check()


def test_registration_errors_then_confirmed_by_mail(page, js_mode, site, smtp_server):
    page.goto("/registracija")
    response = submit_registration(page)
    check_form_error(page, js_mode, response, "/registracija")
    check_error_summary(page, "error-summary", REGISTRATION_FIELDS)
    axe.assert_no_violations(page)
    # Each link in the summary takes focus to its field.
    for field_id in REGISTRATION_FIELDS:
        page.locator(f'#error-summary a[href="#{field_id}"]').click()
        expect(page.locator(f"#{field_id}")).to_be_focused()

    # Passwords that differ, and a code that is no code: messages at those fields only.
    fill_registration(page, LEGAL, fresh_email())
    page.locator("#reg-password2").fill(PASSWORD + "x")
    page.locator("#reg-code").fill("12345")
    response = submit_registration(page)
    check_form_error(page, js_mode, response, "/registracija")
    check_error_summary(page, "error-summary", ["reg-code", "reg-password2"])
    expect(page.locator("#reg-password2-error")).to_have_text("Paroles nesakrīt.")
    axe.assert_no_violations(page)

    email = fresh_email()
    fill_registration(page, LEGAL, email)
    response = submit_registration(page)
    assert response.status == 303, response.status
    page.wait_for_url("**/registracija/nosutits")
    expect(page.locator("h1")).to_have_text("Pārbaudiet e-pastu")
    axe.assert_no_violations(page)

    # Not confirmed yet: refused, with the offer to send the link again.
    page.goto("/")
    response = sign_in_email(page, email, PASSWORD)
    check_form_error(page, js_mode, response, "/")
    expect(page.locator("#signin-email-error")).to_contain_text("E-pasts vēl nav apstiprināts.")
    expect(page.get_by_role("button", name="Sūtīt apstiprinājuma saiti vēlreiz")).to_be_visible()
    axe.assert_no_violations(page)

    deliver(site, smtp_server)
    mail = only_mail_to(smtp_server, email)
    page.goto(link_in(mail, "/apstiprinat/"))
    expect(page.locator("h1")).to_have_text("Reģistrācija pabeigta")
    axe.assert_no_violations(page)

    page.get_by_role("main").get_by_role("link", name="Ienākt").click()
    page.wait_for_url("**/")
    sign_in_email(page, email, PASSWORD)
    expect_signed_in(page, 'SIA "Ziemeļvidzemes Galdnieks"')
    expect(page.get_by_text(LEGAL["contract_no"], exact=True)).to_be_visible()


# --- 4. forgot password -----------------------------------------------------------------


def test_forgot_password_and_reset(page, js_mode, site, smtp_server):
    email = fresh_email()
    site.run(_make_account(email, PASSWORD, PRIVATE["contract_no"]))

    page.goto("/")
    page.get_by_role("link", name="Aizmirsu paroli?").click()
    page.wait_for_url("**/aizmirsu-paroli")
    send = page.get_by_role("button", name="Sūtīt saiti")
    response = submit(page, "/aizmirsu-paroli", send)
    check_form_error(page, js_mode, response, "/aizmirsu-paroli")
    check_error_summary(page, "error-summary", ["reset-email"])
    expect(page.locator("#reset-email-error")).to_have_text("Ievadiet e-pastu.")
    axe.assert_no_violations(page)

    page.get_by_label("E-pasts:", exact=True).fill("not-an-address")
    response = submit(page, "/aizmirsu-paroli", send)
    check_form_error(page, js_mode, response, "/aizmirsu-paroli")
    check_error_summary(page, "error-summary", ["reset-email"])
    axe.assert_no_violations(page)

    page.get_by_label("E-pasts:", exact=True).fill(email)
    response = submit(page, "/aizmirsu-paroli", send)
    assert response.status == 303
    page.wait_for_url("**/aizmirsu-paroli/nosutits")
    expect(page.locator("h1")).to_have_text("Pārbaudiet e-pastu")
    axe.assert_no_violations(page)

    deliver(site, smtp_server)
    link = link_in(only_mail_to(smtp_server, email), "/jauna-parole/")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Jaunas paroles iestatīšana")
    axe.assert_no_violations(page)

    save = page.get_by_role("button", name="Saglabāt paroli")
    page.get_by_label("Jaunā parole:").fill(NEW_PASSWORD)
    page.get_by_label("Parole vēlreiz:").fill(NEW_PASSWORD + "!")
    response = submit(page, urlsplit(link).path, save)
    check_form_error(page, js_mode, response, urlsplit(link).path)
    check_error_summary(page, "error-summary", ["new-password2"])
    expect(page.locator("#new-password2-error")).to_have_text("Paroles nesakrīt.")
    axe.assert_no_violations(page)

    page.get_by_label("Jaunā parole:").fill(NEW_PASSWORD)
    page.get_by_label("Parole vēlreiz:").fill(NEW_PASSWORD)
    response = submit(page, urlsplit(link).path, save)
    assert response.status == 303
    page.wait_for_url("**/?zinojums=parole")
    expect(page.locator("p.notice[role=status]")).to_have_text(
        "Parole nomainīta. Ienāciet ar jauno paroli."
    )
    axe.assert_no_violations(page)

    # The old password is refused, the new one lets the account in.
    response = sign_in_email(page, email, PASSWORD)
    check_form_error(page, js_mode, response, "/")
    sign_in_email(page, email, NEW_PASSWORD)
    expect_signed_in(page, "Ilze Kalniņa")

    # The link is spent.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Saite nav derīga")
    axe.assert_no_violations(page)


# --- 5. keyboard only -------------------------------------------------------------------


def test_sign_in_by_keyboard_alone(js_page, site):
    page = js_page
    page.goto("/")
    stops = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused, "Tab left the document before reaching the email field"
        assert focused["visible"], f"no visible focus on {focused['html']}"
        stops.append(focused["id"] or focused["tag"])
        if focused["id"] == "signin-email":
            break
    else:
        pytest.fail(f"the email field is not among the first 30 Tab stops: {stops}")
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["id"] == "signin-password", focused
    assert focused["visible"], f"no visible focus on {focused['html']}"
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect_signed_in(page, "Demo juridiska persona")


# --- 6. reflow ----------------------------------------------------------------------------


def test_registration_errors_reflow_at_320_px(page, js_mode, site):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/registracija")
    response = submit_registration(page)
    check_form_error(page, js_mode, response, "/registracija")
    expect(page.locator("#error-summary")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"scrolls sideways at 320 px: scrollWidth {width}"
    axe.assert_no_violations(page)


# --- 7. English ----------------------------------------------------------------------------


def test_registration_errors_in_english(page, js_mode, site):
    page.goto("/registracija")
    assert switch_language(page, "en") == 200
    assert path_of(page) == "/registracija"
    response = submit(page, "/registracija", page.get_by_role("button", name="Register"))
    check_form_error(page, js_mode, response, "/registracija")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_error_summary(page, "error-summary", REGISTRATION_FIELDS)
    expect(page.locator("#error-summary h2")).to_have_text("Please correct the errors")
    expect(page.locator("#reg-email-error")).to_have_text("Enter your email.")
    axe.assert_no_violations(page)
