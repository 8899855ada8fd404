"""Signing in and out, registration, confirmation, password reset.

Each form works as a plain POST answered with a 303 (or the page with its errors) and, with
htmx, swaps its own box; a success then sends the browser on with HX-Redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from zaao_hx.accounts import forms, tokens
from zaao_hx.accounts.guards import current_session, signed_in
from zaao_hx.accounts.service import AccountError, Accounts, RateLimited
from zaao_hx.accounts.sessions import COOKIE, Session
from zaao_hx.web import i18n
from zaao_hx.web.render import render, wants_fragment

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UNPROCESSABLE = 422
TOO_MANY = 429


def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def go(request: Request, url: str, *, cookie: tuple[str, str] | None = None,
       delete_cookie: bool = False) -> Response:
    """Send the browser on: a 303 for a normal POST, HX-Redirect for htmx."""
    response: Response = ClientRedirect(url) if wants_fragment(request) else Redirect(
        url, status_code=HTTP_303_SEE_OTHER
    )
    https = request.app.state.settings.https
    if cookie:
        # No max-age: the cookie ends with the browser; the server ends the session sooner.
        response.set_cookie(cookie[0], cookie[1], httponly=True, samesite="lax", secure=https)
    if delete_cookie:
        response.delete_cookie(COOKIE)
    return response


def refusal(error: AccountError) -> tuple[str, int, dict[str, str]]:
    """The message, status and headers for a refusal."""
    if isinstance(error, RateLimited):
        minutes = max(1, -(-error.retry_after // 60))
        message = i18n.ngettext(
            "Pārāk daudz mēģinājumu. Mēģiniet vēlreiz pēc %(num)s minūtes.",
            "Pārāk daudz mēģinājumu. Mēģiniet vēlreiz pēc %(num)s minūtēm.", minutes,
        )
        return message, TOO_MANY, {"Retry-After": str(error.retry_after)}
    messages = {
        "invalid": i18n.gettext("Nepareizi ievadīti dati. Pārbaudiet tos un mēģiniet vēlreiz."),
        "unconfirmed": i18n.gettext(
            "E-pasts vēl nav apstiprināts. Atveriet saiti vēstulē, ko saņēmāt pēc reģistrācijas."
        ),
        "legal_person": i18n.gettext(
            "Šis ir juridiskas personas līgums. Juridiskām personām jāreģistrējas un jāienāk "
            "ar e-pastu un paroli."
        ),
        "no_match": i18n.gettext(
            "Līguma nr. un personas kods vai reģistrācijas nr. nesakrīt ar mūsu datiem."
        ),
    }
    return messages[error.reason], UNPROCESSABLE, {}


async def _submit(request: Request, form: forms.Form, template: str, error_field: str,
                  action: Callable[[], Awaitable[object]], success: str) -> Response:
    """A form POST: its errors (422), a refusal at `error_field`, or on to `success`."""
    if not form.ok:
        return render(request, template, {"form": form}, status_code=UNPROCESSABLE)
    try:
        await action()
    except AccountError as error:
        message, status, headers = refusal(error)
        form.errors[error_field] = message
        return render(request, template, {"form": form}, status_code=status, headers=headers)
    return go(request, success)


def _link_invalid(request: Request, error: tokens.TokenError) -> Response:
    expired = isinstance(error, tokens.TokenExpired)
    return render(request, "accounts/link_invalid.html", {"expired": expired}, status_code=410)


class AccountController(Controller):
    @post("/ienakt", name="signin", status_code=200)
    async def sign_in(self, request: Request, data: FormData) -> Response:
        form = forms.signin_password_form(data)
        return await self._sign_in(request, form, "email_form", "signin-email",
                                   _accounts(request).sign_in_password)

    @post("/ienakt/ligums", name="signin-contract", status_code=200)
    async def sign_in_contract(self, request: Request, data: FormData) -> Response:
        form = forms.signin_contract_form(data)
        return await self._sign_in(request, form, "contract_form", "contract-no",
                                   _accounts(request).sign_in_contract)

    async def _sign_in(self, request: Request, form: forms.Form, box: str, error_field: str,
                       sign_in: Callable[[forms.Form, str], Awaitable[Session]]) -> Response:
        """Either box: its errors or refusal in place, or a new session and on to /panelis."""
        context: dict[str, Any] = {box: form}
        if not form.ok:
            return self._start(request, context, UNPROCESSABLE, {})
        try:
            session = await sign_in(form, _client(request))
        except AccountError as error:
            message, status, headers = refusal(error)
            form.errors[error_field] = message
            if error.reason == "unconfirmed":
                context["resend_token"] = _accounts(request).resend_token(error.detail["email"])
            context["legal_person"] = error.reason == "legal_person"
            return self._start(request, context, status, headers)
        await self._rotate(request)
        return go(request, "/panelis", cookie=(COOKIE, session.id))

    async def _rotate(self, request: Request) -> None:
        """A session that existed before signing in is never the one after it."""
        old = current_session(request)
        if old is not None:
            await request.app.state.sessions.destroy(old.id)

    def _start(self, request: Request, context: dict, status: int, headers: dict) -> Response:
        fragment = None
        if "email_form" in context:
            fragment = "accounts/_signin_email.html"
        elif "contract_form" in context:
            fragment = "accounts/_signin_contract.html"
        return render(
            request, "public/start.html",
            {"demo": request.app.state.settings.demo, "notice": None, **context},
            fragment=fragment, status_code=status, headers=headers,
        )

    @post("/iziet", name="signout", guards=[signed_in], status_code=200)
    async def sign_out(self, request: Request) -> Response:
        await _accounts(request).sign_out(current_session(request), _client(request))
        return go(request, "/?zinojums=izgajat", delete_cookie=True)

    # --- registration ------------------------------------------------------------------

    @get("/registracija", name="register")
    async def register_page(self, request: Request) -> Response:
        return render(request, "accounts/register.html", {"form": forms.Form({})})

    @post("/registracija", name="register-post", status_code=200)
    async def register(self, request: Request, data: FormData) -> Response:
        form = forms.registration_form(data)
        return await _submit(
            request, form, "accounts/register.html", "reg-contract-no",
            lambda: _accounts(request).register(form, _client(request),
                                                i18n.current_language()),
            "/registracija/nosutits",
        )

    @get("/registracija/nosutits", name="register-sent")
    async def register_sent(self, request: Request) -> Response:
        return render(request, "accounts/register_sent.html")

    @get("/apstiprinat/{token:str}", name="confirm")
    async def confirm(self, request: Request, token: FromPath[str]) -> Response:
        try:
            await _accounts(request).confirm(token, _client(request))
        except tokens.TokenError as error:
            return _link_invalid(request, error)
        return render(request, "accounts/confirmed.html")

    @post("/apstiprinat/atkartot", name="confirm-resend", status_code=200)
    async def resend(self, request: Request, data: FormData) -> Response:
        token = data.get("resend") if isinstance(data.get("resend"), str) else ""
        try:
            await _accounts(request).resend_confirmation(token, _client(request))
        except tokens.TokenError:
            return _link_invalid(request, tokens.TokenExpired())
        except RateLimited as error:
            _, status, headers = refusal(error)
            return render(request, "errors/error.html", {"status": status},
                          status_code=status, headers=headers)
        return go(request, "/registracija/nosutits")

    # --- password reset ----------------------------------------------------------------

    @get("/aizmirsu-paroli", name="forgot")
    async def forgot_page(self, request: Request) -> Response:
        return render(request, "accounts/forgot.html", {"form": forms.Form({})})

    @post("/aizmirsu-paroli", name="forgot-post", status_code=200)
    async def forgot(self, request: Request, data: FormData) -> Response:
        form = forms.reset_request_form(data)
        return await _submit(
            request, form, "accounts/forgot.html", "reset-email",
            lambda: _accounts(request).request_reset(form, _client(request)),
            "/aizmirsu-paroli/nosutits",
        )

    @get("/aizmirsu-paroli/nosutits", name="forgot-sent")
    async def forgot_sent(self, request: Request) -> Response:
        return render(request, "accounts/forgot_sent.html")

    @get("/jauna-parole/{token:str}", name="reset")
    async def reset_page(self, request: Request, token: FromPath[str]) -> Response:
        try:
            await _accounts(request).account_for_reset(token)
        except tokens.TokenError as error:
            return _link_invalid(request, error)
        return render(request, "accounts/reset.html", {"form": forms.Form({}), "token": token},
                      headers={"Referrer-Policy": "no-referrer"})

    @post("/jauna-parole/{token:str}", name="reset-post", status_code=200)
    async def reset(self, request: Request, token: FromPath[str], data: FormData) -> Response:
        form = forms.new_password_form(data)
        if not form.ok:
            return render(request, "accounts/reset.html", {"form": form, "token": token},
                          status_code=UNPROCESSABLE)
        try:
            await _accounts(request).reset_password(token, form, _client(request))
        except tokens.TokenError as error:
            return _link_invalid(request, error)
        return go(request, "/?zinojums=parole", delete_cookie=True)
