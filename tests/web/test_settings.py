"""Settings: every ZAAO_* variable typed, defaulted, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zaao_hx.settings import SETTINGS_HELP, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"
CONTRACT_VARIABLES = {
    "ZAAO_ENV", "ZAAO_DATABASE_URL", "ZAAO_SECRET_KEY", "ZAAO_BASE_URL", "ZAAO_REDIS_URL",
    "ZAAO_SMTP_HOST", "ZAAO_SMTP_PORT", "ZAAO_SMTP_USER", "ZAAO_SMTP_PASSWORD",
    "ZAAO_SMTP_TLS", "ZAAO_MAIL_FROM", "ZAAO_DATA_DIR", "ZAAO_HTTPS", "ZAAO_DEMO",
}


def test_every_contract_variable_is_a_setting_with_help():
    assert CONTRACT_VARIABLES <= set(SETTINGS_HELP)
    assert all(len(text) > 10 for text in SETTINGS_HELP.values())


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"`(ZAAO_[A-Z_]+)`", README.read_text()))
    assert set(SETTINGS_HELP) <= documented, set(SETTINGS_HELP) - documented


def test_defaults(tmp_path):
    s = Settings.from_env({"ZAAO_DATA_DIR": str(tmp_path)})
    assert s.env == "development" and s.demo is True and s.https is False
    assert s.database_url == "sqlite:///var/zaao.sqlite3"
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.mail_from == "ZAAO Klientiem <klientiem@zaao.lv>"
    assert s.smtp_host == "" and s.redis_url == ""


def test_development_key_is_random_kept_and_private(tmp_path):
    first = Settings.from_env({"ZAAO_DATA_DIR": str(tmp_path)}).secret_key
    again = Settings.from_env({"ZAAO_DATA_DIR": str(tmp_path)}).secret_key
    other = Settings.from_env({"ZAAO_DATA_DIR": str(tmp_path / "other")}).secret_key
    assert first == again != other and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key_and_turns_demo_off(tmp_path):
    with pytest.raises(SettingsError, match="ZAAO_SECRET_KEY"):
        Settings.from_env({"ZAAO_ENV": "production", "ZAAO_DATA_DIR": str(tmp_path)})
    s = Settings.from_env({"ZAAO_ENV": "production", "ZAAO_SECRET_KEY": "k" * 40})
    assert s.production and s.demo is False
    s = Settings.from_env(
        {"ZAAO_ENV": "production", "ZAAO_SECRET_KEY": "k" * 40, "ZAAO_DEMO": "1"}
    )
    assert s.demo is True


@pytest.mark.parametrize(
    "env", [{"ZAAO_ENV": "staging"}, {"ZAAO_SMTP_TLS": "ssl"}]
)
def test_impossible_values_are_refused_with_a_message(env, tmp_path):
    with pytest.raises(SettingsError):
        Settings.from_env({"ZAAO_DATA_DIR": str(tmp_path), **env})


def test_smtp_port_follows_tls_mode(tmp_path):
    base = {"ZAAO_DATA_DIR": str(tmp_path)}
    assert Settings.from_env({**base, "ZAAO_SMTP_TLS": "tls"}).smtp_port == 465
    assert Settings.from_env({**base, "ZAAO_SMTP_PORT": "2525"}).smtp_port == 2525
