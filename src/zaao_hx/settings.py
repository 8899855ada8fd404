"""Every ZAAO_* environment variable, typed, with its default and a line of help.

`Settings.from_env()` is the only place that reads the environment; everything else
receives a `Settings`.  `SETTINGS_HELP` is what the README's table is checked against.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from zaao_hx.web.i18n import N_, gettext


class SettingsError(ValueError):
    """The environment asks for something impossible (say, production without a key);
    said in the language of the moment when shown (a msgid and what fills it in)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, params)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return gettext(self.message, **self.params)


def _port(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise SettingsError(N_("ZAAO_SMTP_PORT jābūt porta numuram (1–65535), nevis "
                               "%(value)s"), value=repr(value))
    return int(text)


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _setting(env: str, help: str, **kwargs):
    return field(metadata={"env": env, "help": help}, **kwargs)


@dataclass(frozen=True)
class Settings:
    env: str = _setting("ZAAO_ENV", "`development` or `production`", default="development")
    database_url: str = _setting(
        "ZAAO_DATABASE_URL",
        "`sqlite:///path/to.db` or `postgresql://user@host:port/db`",
        default="sqlite:///var/zaao.sqlite3",
    )
    secret_key: str = _setting(
        "ZAAO_SECRET_KEY",
        "signs sessions, tokens and feed URLs and keys the personal-code hashes; "
        "required outside development",
        default="",
    )
    base_url: str = _setting(
        "ZAAO_BASE_URL", "absolute URL used in emails and feeds", default="http://127.0.0.1:8000"
    )
    redis_url: str = _setting(
        "ZAAO_REDIS_URL",
        "when set, sessions and rate-limit counters live in Redis (several app instances)",
        default="",
    )
    smtp_host: str = _setting(
        "ZAAO_SMTP_HOST", "mail server; unset: mails are written to var/outbox/ as .eml", default=""
    )
    smtp_port: int = _setting("ZAAO_SMTP_PORT", "mail server port", default=25)
    smtp_user: str = _setting("ZAAO_SMTP_USER", "mail server login", default="")
    smtp_password: str = _setting("ZAAO_SMTP_PASSWORD", "mail server password", default="")
    smtp_tls: str = _setting("ZAAO_SMTP_TLS", "`none`, `starttls` or `tls`", default="none")
    mail_from: str = _setting(
        "ZAAO_MAIL_FROM", "sender of every mail", default="ZAAO Klientiem <klientiem@zaao.lv>"
    )
    data_dir: Path = _setting(
        "ZAAO_DATA_DIR",
        "rendered documents cache, outbox files, the development key",
        default=Path("var"),
    )
    https: bool = _setting("ZAAO_HTTPS", "`1` behind TLS: Secure cookies, HSTS", default=False)
    inprocess_worker: bool = _setting(
        "ZAAO_INPROCESS_WORKER",
        "`1`: each `serve` process also delivers queued mail (no separate `worker` needed); "
        "`0` when a `zaao-hx worker` runs",
        default=True,
    )
    demo: bool = _setting(
        "ZAAO_DEMO",
        "`1` enables the demo logins (default `1` in development, `0` in production)",
        default=True,
    )

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        env = environ.get("ZAAO_ENV", "development").strip() or "development"
        if env not in {"development", "production"}:
            raise SettingsError(N_("ZAAO_ENV jābūt development vai production, nevis %(value)s"),
                                value=repr(env))
        data_dir = Path(environ.get("ZAAO_DATA_DIR", "var") or "var")
        secret = environ.get("ZAAO_SECRET_KEY", "")
        if not secret:
            if env == "production":
                raise SettingsError(N_("ZAAO_SECRET_KEY ir obligāts, ja ZAAO_ENV=production"))
            secret = _development_key(data_dir)
        tls = environ.get("ZAAO_SMTP_TLS", "none") or "none"
        if tls not in {"none", "starttls", "tls"}:
            raise SettingsError(N_("ZAAO_SMTP_TLS jābūt none, starttls vai tls, nevis %(value)s"),
                                value=repr(tls))
        port = environ.get("ZAAO_SMTP_PORT", "")
        demo_default = "0" if env == "production" else "1"
        return cls(
            env=env,
            database_url=environ.get("ZAAO_DATABASE_URL", "") or cls.database_url,
            secret_key=secret,
            base_url=(environ.get("ZAAO_BASE_URL", "") or cls.base_url).rstrip("/"),
            redis_url=environ.get("ZAAO_REDIS_URL", ""),
            smtp_host=environ.get("ZAAO_SMTP_HOST", ""),
            smtp_port=_port(port) if port else (465 if tls == "tls" else 25),
            smtp_user=environ.get("ZAAO_SMTP_USER", ""),
            smtp_password=environ.get("ZAAO_SMTP_PASSWORD", ""),
            smtp_tls=tls,
            mail_from=environ.get("ZAAO_MAIL_FROM", "") or cls.mail_from,
            data_dir=data_dir,
            https=_flag(environ.get("ZAAO_HTTPS", "0")),
            demo=_flag(environ.get("ZAAO_DEMO", demo_default)),
            inprocess_worker=_flag(environ.get("ZAAO_INPROCESS_WORKER", "1")),
        )


def _development_key(data_dir: Path) -> str:
    """A random key kept in var/ so that sessions survive a restart in development."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SETTINGS_HELP: dict[str, str] = {f.metadata["env"]: f.metadata["help"] for f in fields(Settings)}
