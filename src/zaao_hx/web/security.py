"""Security headers on every response — pages, fragments, static files and error pages.

Added in a `before_send` hook because Litestar's `response_headers` reach neither static
files nor error responses.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders

from zaao_hx.settings import Settings


def content_security_policy(form_hosts: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *form_hosts))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        )
    )


def security_headers(settings: Settings, form_hosts: tuple[str, ...] = ()) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(form_hosts),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if settings.https:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


def make_before_send(settings: Settings, form_hosts: tuple[str, ...] = ()):
    fixed = security_headers(settings, form_hosts)

    async def add_security_headers(message, scope) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in fixed.items():
                if name not in headers:  # a handler may tighten one (say, no-referrer)
                    headers[name] = value

    return add_security_headers
