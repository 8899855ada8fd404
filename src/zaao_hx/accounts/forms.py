"""Reading the account forms: every field checked, every problem a message in the
visitor's language keyed by the field's id (for the error summary's links)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stdnum.exceptions import ValidationError
from stdnum.lv import pvn

from zaao_hx.accounts.passwords import MIN_LENGTH
from zaao_hx.billing.identity import normalize_code
from zaao_hx.web.i18n import gettext as _

# Deliberately loose: the confirmation mail is the real check of an address.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_FIELD = 254


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean(data: dict[str, str], name: str) -> str:
    value = data.get(name, "")
    return value.strip()[:MAX_FIELD] if isinstance(value, str) else ""


def code_kind(code: str) -> str | None:
    """'personal' or 'company' for a valid Latvian personal code or registration number
    (old DDMMYY-CNNNN and new 32… personal codes), else None."""
    digits = normalize_code(code)
    if not digits.isdigit() or len(digits) != 11:
        return None
    try:
        pvn.validate(digits)
    except ValidationError:
        return None
    return "company" if digits[0] in "456789" else "personal"


def signin_password_form(data: dict[str, str]) -> Form:
    form = Form({"email": _clean(data, "email")})
    password = data.get("password", "") if isinstance(data.get("password"), str) else ""
    form.values["password"] = password
    if not form.values["email"]:
        form.errors["signin-email"] = _("Ievadiet e-pastu.")
    if not password:
        form.errors["signin-password"] = _("Ievadiet paroli.")
    return form


def signin_contract_form(data: dict[str, str]) -> Form:
    form = Form({"contract_no": _clean(data, "contract_no"),
                 "personal_code": _clean(data, "personal_code")})
    if not form.values["contract_no"]:
        form.errors["contract-no"] = _("Ievadiet līguma numuru.")
    if not form.values["personal_code"]:
        form.errors["personal-code"] = _("Ievadiet personas kodu.")
    return form


def _password_errors(form: Form, data: dict[str, str], first: str, second: str) -> None:
    password = data.get("password", "") if isinstance(data.get("password"), str) else ""
    again = data.get("password2", "") if isinstance(data.get("password2"), str) else ""
    form.values["password"] = password
    if not password:
        form.errors[first] = _("Ievadiet paroli.")
    elif len(password) < MIN_LENGTH:
        form.errors[first] = _("Parolei jābūt vismaz %(n)s rakstzīmes garai.", n=MIN_LENGTH)
    elif len(password) > 1024:
        form.errors[first] = _("Parole ir pārāk gara.")
    if password and not again:
        form.errors[second] = _("Ievadiet paroli vēlreiz.")
    elif password and again != password:
        form.errors[second] = _("Paroles nesakrīt.")


def registration_form(data: dict[str, str]) -> Form:
    form = Form({name: _clean(data, name) for name in ("contract_no", "code", "email")})
    form.values["terms"] = "1" if data.get("terms") else ""
    if not form.values["contract_no"]:
        form.errors["reg-contract-no"] = _("Ievadiet līguma numuru.")
    code = form.values["code"]
    if not code:
        form.errors["reg-code"] = _("Ievadiet personas kodu vai reģistrācijas numuru.")
    elif code_kind(code) is None:
        form.errors["reg-code"] = _(
            "Personas kods vai reģistrācijas nr. nav derīgs. Personas kods: 11 cipari, "
            "piemēram, 010101-10006 vai 32xxxx-xxxxx; reģistrācijas nr.: 11 cipari."
        )
    _password_errors(form, data, "reg-password", "reg-password2")
    email = form.values["email"].lower()
    form.values["email"] = email
    if not email:
        form.errors["reg-email"] = _("Ievadiet e-pastu.")
    elif not EMAIL_RE.match(email):
        form.errors["reg-email"] = _("E-pasta adrese nav pareiza, piemēram, vards@uznemums.lv.")
    if not form.values["terms"]:
        form.errors["reg-terms"] = _("Lai reģistrētos, jāpiekrīt lietošanas noteikumiem.")
    return form


def reset_request_form(data: dict[str, str]) -> Form:
    form = Form({"email": _clean(data, "email").lower()})
    if not form.values["email"]:
        form.errors["reset-email"] = _("Ievadiet e-pastu.")
    elif not EMAIL_RE.match(form.values["email"]):
        form.errors["reset-email"] = _("E-pasta adrese nav pareiza, piemēram, vards@uznemums.lv.")
    return form


def new_password_form(data: dict[str, str]) -> Form:
    form = Form({})
    _password_errors(form, data, "new-password", "new-password2")
    return form
