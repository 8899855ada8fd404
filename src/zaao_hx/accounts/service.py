"""Accounts: signing in, registration, confirmation, password reset.

Nothing here says whether an email or a contract exists: every refusal that could tell is
the same refusal, and registration with a known email mails the owner instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from zaao_hx.accounts import audit, tokens
from zaao_hx.accounts.forms import Form, code_kind
from zaao_hx.accounts.passwords import hash_password, verify_password
from zaao_hx.accounts.ratelimit import (
    REGISTER_CLIENT,
    RESET_CLIENT,
    RESET_ID,
    SIGNIN_CLIENT,
    SIGNIN_ID,
    Policy,
    RateLimiter,
)
from zaao_hx.accounts.sessions import Clock, Session, SessionStore, utcnow
from zaao_hx.accounts.tables import Account, AccountContract
from zaao_hx.billing.identity import codes_match, normalize_code
from zaao_hx.billing.tables import Contract, Customer
from zaao_hx.db import write_transaction
from zaao_hx.demo import DEMO_LEGAL_CONTRACT, DEMO_PRIVATE_CONTRACT
from zaao_hx.mail.messages import render_mail
from zaao_hx.mail.outbox import enqueue
from zaao_hx.settings import Settings

DEMO_CONTRACTS = frozenset({DEMO_PRIVATE_CONTRACT, DEMO_LEGAL_CONTRACT})
TERMS_VERSION = "2026-11"


class AccountError(Exception):
    """A refusal the visitor is told about; `reason` picks the message."""

    def __init__(self, reason: str, retry_after: int | None = None, **detail: object):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.detail = detail


class RateLimited(AccountError):
    def __init__(self, retry_after: int):
        super().__init__("rate_limited", retry_after=retry_after)


@dataclass
class Accounts:
    settings: Settings
    sessions: SessionStore
    limiter: RateLimiter
    clock: Clock = utcnow

    # --- rate limits -------------------------------------------------------------------

    async def _attempt(self, checks: list[tuple[Policy, str]]) -> list[int]:
        """Count this attempt against every check, or refuse it (429) while one is locked.
        Returns the lockouts this attempt started (it is the last one allowed)."""
        decisions = [await self.limiter.attempt(p, k) for p, k in checks]
        waits = [d.refused for d in decisions if d.refused]
        if waits:
            raise RateLimited(max(waits))
        return [d.locked_now for d in decisions if d.locked_now]

    async def _failed(self, started: list[int], client: str, **detail) -> None:
        """The attempt failed: when it was the last one allowed, audit the lockout and say so."""
        if started:
            await audit.record(audit.LOCKOUT, client, seconds=max(started), **detail)
            raise RateLimited(max(started))

    async def _audit_lockouts(self, started: list[int], client: str, **detail) -> None:
        """Attempts that count whatever their outcome (registration, reset requests): this
        one goes ahead, but a lockout it started is audited."""
        if started:
            await audit.record(audit.LOCKOUT, client, seconds=max(started), **detail)

    async def _succeeded(self, identifier: tuple[Policy, str], client: str) -> None:
        await self.limiter.clear(*identifier)
        await self.limiter.forgive(SIGNIN_CLIENT, client)

    # --- signing in --------------------------------------------------------------------

    async def sign_in_password(self, form: Form, client: str) -> Session:
        email = form.values["email"].lower()
        identifier = (SIGNIN_ID, f"email:{email}")
        started = await self._attempt([identifier, (SIGNIN_CLIENT, client)])
        account = await Account.objects().where(Account.email == email).first()
        valid = await verify_password(account.password_hash if account else None,
                                      form.values["password"])
        if valid and account.is_demo and not self.settings.demo:
            valid = False
        if not valid:
            await audit.record(audit.SIGNIN_FAILED, client, account_id=account and account.id,
                               via="email")
            await self._failed(started, client, via="email")
            raise AccountError("invalid")
        await self._succeeded(identifier, client)
        if account.confirmed_at is None:
            raise AccountError("unconfirmed", email=account.email)
        contract_nos = [
            row["contract_no"]
            for row in await AccountContract.select(AccountContract.contract_no)
            .where(AccountContract.account == account.id)
            .order_by(AccountContract.contract_no)
        ]
        if not contract_nos:
            raise AccountError("invalid")
        await audit.record(audit.SIGNIN, client, account_id=account.id, via="email")
        return await self.sessions.create(
            contract_nos=contract_nos, active_contract=contract_nos[0], account_id=account.id,
            demo=account.is_demo,
        )

    async def _customer_for(self, contract_no: str) -> tuple[dict, dict] | None:
        contract = await Contract.select().where(Contract.contract_no == contract_no).first()
        if contract is None:
            return None
        customer = await Customer.select().where(
            Customer.customer_id == contract["customer_id"]
        ).first()
        return (contract, customer) if customer else None

    def _proves(self, customer: dict | None, code: str) -> bool:
        """Does `code` belong to this customer: a personal code, or a company's reg. no.?"""
        if customer is None:
            codes_match(self.settings.secret_key, code, None)  # same work either way
            return False
        if customer["kind"] == "legal":
            return bool(customer["reg_no"]) and normalize_code(code) == normalize_code(
                customer["reg_no"]
            )
        return codes_match(self.settings.secret_key, code, customer["personal_code_hash"])

    async def sign_in_contract(self, form: Form, client: str) -> Session:
        contract_no = form.values["contract_no"]
        identifier = (SIGNIN_ID, f"contract:{contract_no.lower()}")
        started = await self._attempt([identifier, (SIGNIN_CLIENT, client)])
        found = await self._customer_for(contract_no)
        customer = found[1] if found else None
        demo_refused = contract_no in DEMO_CONTRACTS and not self.settings.demo
        if demo_refused or not self._proves(customer, form.values["personal_code"]):
            await audit.record(audit.SIGNIN_FAILED, client, contract_no=contract_no[:40],
                               via="contract")
            await self._failed(started, client, via="contract")
            raise AccountError("invalid")
        await self._succeeded(identifier, client)
        if customer["kind"] == "legal":
            # Proven with the company's own number, so telling it to register leaks nothing.
            raise AccountError("legal_person")
        await audit.record(audit.SIGNIN, client, contract_no=contract_no, via="contract")
        return await self.sessions.create(
            contract_nos=[contract_no], active_contract=contract_no, account_id=None,
            demo=contract_no in DEMO_CONTRACTS,
        )

    async def sign_out(self, session: Session, client: str) -> None:
        await self.sessions.destroy(session.id)
        await audit.record(audit.SIGNOUT, client, account_id=session.account_id,
                           contract_no=session.active_contract)

    # --- registration ------------------------------------------------------------------

    def _link(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    async def _mail(self, name: str, to: str, language: str, dedupe: str, **context) -> None:
        subject, text, html = render_mail(name, language, context)
        await enqueue(dedupe_key=dedupe, to_addr=to, subject=subject, body_text=text,
                      body_html=html, language=language, settings=self.settings)

    async def register(self, form: Form, client: str, language: str) -> None:
        """Create an unconfirmed account and mail its link — or, when the email is taken,
        mail its owner. Either way the visitor sees the same page."""
        await self._audit_lockouts(await self._attempt([(REGISTER_CLIENT, client)]),
                                   client, via="register")
        values = form.values
        found = await self._customer_for(values["contract_no"])
        customer = found[1] if found else None
        if values["contract_no"] in DEMO_CONTRACTS or not self._proves(customer, values["code"]):
            raise AccountError("no_match")
        kind = code_kind(values["code"])
        if (kind == "company") != (customer["kind"] == "legal"):
            raise AccountError("no_match")
        now = self.clock()
        password_hash = await hash_password(values["password"])
        async with write_transaction():
            existing = await Account.objects().where(Account.email == values["email"]).first()
            if existing is not None:
                await self._mail(
                    "already_registered", existing.email, existing.language,
                    f"already-registered:{existing.id}:{now:%Y%m%d%H}",
                    reset_link=self._link("/aizmirsu-paroli"), signin_link=self._link("/"),
                )
                await audit.record(audit.REGISTERED, client, account_id=existing.id,
                                   contract_no=values["contract_no"], existing=True)
                return
            account = Account(
                email=values["email"], password_hash=password_hash, language=language,
                created_at=now, password_changed_at=now, terms_version=TERMS_VERSION,
                terms_accepted_at=now,
            )
            await account.save()
            await AccountContract.insert(
                AccountContract(account=account.id, contract_no=values["contract_no"],
                                added_at=now)
            )
            await self._send_confirmation(account)
            await audit.record(audit.REGISTERED, client, account_id=account.id,
                               contract_no=values["contract_no"], terms=TERMS_VERSION)

    async def _send_confirmation(self, account: Account) -> None:
        # A nonce, so that a resend in the same second is a new link and a new mail.
        token = tokens.make_token(self.settings.secret_key, tokens.CONFIRM,
                                  {"a": account.id, "e": account.email,
                                   "n": secrets.token_hex(4)})
        await self._mail(
            "confirm", account.email, account.language, f"confirm:{account.id}:{token[-16:]}",
            link=self._link(f"/apstiprinat/{token}"),
        )

    async def resend_confirmation(self, resend_token: str, client: str) -> None:
        await self._audit_lockouts(await self._attempt([(RESET_CLIENT, client)]),
                                   client, via="resend")
        payload = tokens.read_token(self.settings.secret_key, tokens.RESEND, resend_token)
        account = await Account.objects().where(Account.email == payload.get("e")).first()
        if account is not None and account.confirmed_at is None:
            await self._send_confirmation(account)

    def resend_token(self, email: str) -> str:
        return tokens.make_token(self.settings.secret_key, tokens.RESEND, {"e": email})

    async def confirm(self, token: str, client: str) -> Account:
        payload = tokens.read_token(self.settings.secret_key, tokens.CONFIRM, token)
        account = await Account.objects().where(Account.id == payload.get("a")).first()
        if account is None or account.email != payload.get("e") or account.confirmed_at:
            raise tokens.TokenError()  # used already, or for an email no longer the account's
        updated = await Account.update({Account.confirmed_at: self.clock()}).where(
            (Account.id == account.id) & Account.confirmed_at.is_null()
        ).returning(Account.id)
        if not updated:
            raise tokens.TokenError()  # opened twice at once: the other one won
        await audit.record(audit.CONFIRMED, client, account_id=account.id)
        return account

    # --- password reset ----------------------------------------------------------------

    def _reset_stamp(self, account: Account) -> str:
        return account.password_changed_at.isoformat()

    async def request_reset(self, form: Form, client: str) -> None:
        email = form.values["email"]
        started = await self._attempt([(RESET_ID, email), (RESET_CLIENT, client)])
        await self._audit_lockouts(started, client, via="reset")
        account = await Account.objects().where(Account.email == email).first()
        await audit.record(audit.RESET_REQUESTED, client, account_id=account and account.id)
        if account is None or account.is_demo:
            return
        token = tokens.make_token(self.settings.secret_key, tokens.RESET,
                                  {"a": account.id, "p": self._reset_stamp(account)})
        await self._mail(
            "reset", account.email, account.language, f"reset:{account.id}:{token[-16:]}",
            link=self._link(f"/jauna-parole/{token}"),
        )

    async def account_for_reset(self, token: str) -> Account:
        payload = tokens.read_token(self.settings.secret_key, tokens.RESET, token)
        account = await Account.objects().where(Account.id == payload.get("a")).first()
        if account is None or payload.get("p") != self._reset_stamp(account):
            raise tokens.TokenError()  # the password changed since: the link is spent
        return account

    async def reset_password(self, token: str, form: Form, client: str) -> None:
        account = await self.account_for_reset(token)
        password_hash = await hash_password(form.values["password"])
        now = self.clock()
        async with write_transaction():
            updated = await Account.update(
                {Account.password_hash: password_hash, Account.password_changed_at: now,
                 # the link came by mail, so the address is proven too
                 Account.confirmed_at: account.confirmed_at or now}
            ).where(
                (Account.id == account.id)
                & (Account.password_changed_at == account.password_changed_at)
            ).returning(Account.id)
            if not updated:
                raise tokens.TokenError()
            await audit.record(audit.PASSWORD_RESET, client, account_id=account.id)
            await self._mail("password_changed", account.email, account.language,
                             f"password-changed:{account.id}:{now.isoformat()}",
                             signin_link=self._link("/"))
        await self.sessions.destroy_account(account.id)
