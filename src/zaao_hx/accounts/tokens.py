"""Signed links (itsdangerous): each bound to a purpose, with an expiry.

Single use comes from what the token carries, not from a table of spent tokens:
a confirmation names an account that is not yet confirmed, a reset carries the instant the
password last changed (so it dies when the password changes, including by its own use).
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "confirm-email"
RESET = "reset-password"
CHANGE_EMAIL = "change-email"
RESEND = "resend-confirmation"  # carried by the "send the link again" button
MAX_AGE = {CONFIRM: 48 * 3600, RESET: 3600, CHANGE_EMAIL: 48 * 3600, RESEND: 3600}


class TokenError(Exception):
    """The link is forged, meant for something else, or broken."""


class TokenExpired(TokenError):
    """The link was genuine but is too old."""


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"zaao_hx:{purpose}")


def make_token(secret_key: str, purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(secret_key, purpose).dumps(payload)


def read_token(secret_key: str, purpose: str, token: str) -> dict[str, Any]:
    try:
        payload = _serializer(secret_key, purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise TokenError() from exc
    if not isinstance(payload, dict):
        raise TokenError()
    return payload
