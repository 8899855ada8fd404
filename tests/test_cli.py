"""`zaao-hx`: what the commands say — help, argparse's errors, bad settings — is Latvian
unless `--lang en` is given, wherever on the command line it stands."""

from __future__ import annotations

import argparse
import contextlib
import gettext
import inspect
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from zaao_hx.cli import ARGPARSE_TEXTS, main
from zaao_hx.settings import SettingsError
from zaao_hx.web.i18n import language

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_help_is_latvian_unless_english_is_asked_for(capsys):
    code, out, _ = run(capsys, "import", "--help")
    assert code == 0
    assert out.startswith("lietojums: zaao-hx import [-h] [--lang {lv,en}] [--force]")
    assert "\npozicionālie argumenti:\n  MAPE " in out
    assert "\nopcijas:\n  -h, --help            parāda šo palīdzību un beidz darbu\n" in out
    assert "importē norēķinu sistēmas momentuzņēmuma mapi" in out
    for argv in (("--lang", "en", "import", "--help"), ("import", "--help", "--lang=en")):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        assert out.startswith("usage: zaao-hx import [-h] [--lang {lv,en}] [--force]"), argv
        assert "\npositional arguments:\n  DIR " in out
        assert "\noptions:\n  -h, --help            show this help message and exit\n" in out
        assert "import a billing snapshot folder" in out


@pytest.mark.parametrize(("argv", "latvian", "english"), [
    ((), "zaao-hx: kļūda: trūkst obligāto argumentu: KOMANDA",
     "zaao-hx: error: the following arguments are required: COMMAND"),
    (("frob",), "zaao-hx: kļūda: arguments KOMANDA: nederīga izvēle: 'frob' (jāizvēlas no: ",
     "zaao-hx: error: argument COMMAND: invalid choice: 'frob' (choose from "),
    (("imports", "--limit", "x"),
     "zaao-hx imports: kļūda: arguments --limit: 'x' nav vesels skaitlis",
     "zaao-hx imports: error: argument --limit: 'x' is not a whole number"),
    (("generate", "out", "--customers", "0"),
     "zaao-hx generate: kļūda: arguments --customers: 0 ir mazāks par 1",
     "zaao-hx generate: error: argument --customers: 0 is less than 1"),
    (("generate", "out", "--customers", "5", "--as-of", "2026-13-01"),
     "zaao-hx generate: kļūda: arguments --as-of: '2026-13-01' nav datums GGGG-MM-DD",
     "zaao-hx generate: error: argument --as-of: '2026-13-01' is not a date YYYY-MM-DD"),
    (("serve", "--port", "70000"),
     "zaao-hx serve: kļūda: arguments --port: 70000 ir lielāks par 65535",
     "zaao-hx serve: error: argument --port: 70000 is more than 65535"),
    (("import",), "zaao-hx import: kļūda: trūkst obligāto argumentu: MAPE",
     "zaao-hx import: error: the following arguments are required: DIR"),
    (("imports", "--frob"), "zaao-hx: kļūda: nezināmi argumenti: --frob",
     "zaao-hx: error: unrecognized arguments: --frob"),
    (("imports", "--limit"), "zaao-hx imports: kļūda: arguments --limit: jānorāda vērtība",
     "zaao-hx imports: error: argument --limit: expected one argument"),
    (("imports", "--limit=3", "--force=1"), "zaao-hx: kļūda: nezināmi argumenti: --force=1",
     "zaao-hx: error: unrecognized arguments: --force=1"),
    (("worker", "--once=1"),
     "zaao-hx worker: kļūda: arguments --once: šai opcijai vērtība nav paredzēta: '1'",
     "zaao-hx worker: error: argument --once: ignored explicit argument '1'"),
])
def test_a_wrong_command_line_is_refused_in_the_users_language(capsys, argv, latvian,
                                                               english):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("lietojums: zaao-hx")
    assert err.splitlines()[-1].startswith(latvian)
    code, out, err = run(capsys, *argv, "--lang", "en")
    assert (code, out) == (2, "")
    assert err.startswith("usage: zaao-hx")
    assert err.splitlines()[-1].startswith(english)
    assert argparse._ is gettext.gettext  # argparse itself is left as it was


def test_each_argparse_text_translated_is_one_this_python_says():
    source = inspect.getsource(argparse)
    for text in ARGPARSE_TEXTS:
        assert repr(text) in source or f'"{text}"' in source, text


@pytest.mark.parametrize(("argv", "said"), [
    (("import", "--la", "en"), "en"),  # abbreviated, as argparse takes it
    (("imports", "--l", "en"), "lv"),  # --lang or --limit? argparse refuses it: default
    (("--l", "en", "generate", "x"), "en"),  # where nothing else begins so, it is --lang
    (("generate", "--l", "en"), "en"),
    (("--lang", "lv", "import", "--lang", "en"), "en"),  # the last one wins
    (("--lang", "en", "import", "--lang", "lv"), "lv"),
    (("--lang=en", "import"), "en"),
    (("import", "--lang", "ru"), "lv"),  # not one of ours: refused, in the default
])
def test_help_and_errors_are_said_in_the_language_the_command_runs_in(capsys, argv, said):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith({"en": "usage: ", "lv": "lietojums: "}[said]), err


def test_bad_settings_are_said_in_the_language_of_the_moment(capsys, monkeypatch):
    monkeypatch.setenv("ZAAO_ENV", "prod")
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err == (
        "zaao-hx: ZAAO_ENV jābūt development vai production, nevis 'prod'\n")
    assert main(["migrate", "--lang", "en"]) == 2
    assert capsys.readouterr().err == (
        "zaao-hx: ZAAO_ENV must be development or production, not 'prod'\n")
    error = SettingsError("ZAAO_SECRET_KEY ir obligāts, ja ZAAO_ENV=production")
    with language("en"):
        assert str(error) == "ZAAO_SECRET_KEY is required when ZAAO_ENV=production"
    monkeypatch.setenv("ZAAO_ENV", "development")
    monkeypatch.setenv("ZAAO_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("ZAAO_SMTP_PORT", "abc")
    assert main(["imports"]) == 2
    assert capsys.readouterr().err == (
        "zaao-hx: ZAAO_SMTP_PORT jābūt porta numuram (1–65535), nevis 'abc'\n")


def zaao_hx(*argv: str, **env: str) -> subprocess.CompletedProcess:
    """The command in a process of its own (it binds Piccolo's tables to its database)."""
    return subprocess.run([sys.executable, "-m", "zaao_hx.cli", *argv], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def test_migrate_says_what_it_did_in_words(tmp_path):
    env = {"ZAAO_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "ZAAO_DATA_DIR": str(tmp_path), "ZAAO_SECRET_KEY": "k" * 40}
    files = sorted((ROOT / "migrations").glob("zaao_*.py"))
    count = len(files)
    # all but the last one applied (as Piccolo's own command would)
    last_but_one = re.search(r'^ID = "(.+)"$', files[-2].read_text(), re.M).group(1)
    script = ("import asyncio, os\n"
              "from piccolo.apps.migrations.commands.forwards import run_forwards\n"
              "from zaao_hx.db import bind, engine_from_url\n"
              "bind(engine_from_url(os.environ['ZAAO_DATABASE_URL']))\n"
              f"asyncio.run(run_forwards(app_name='zaao', migration_id={last_but_one!r}))\n")
    subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, check=True,
                   capture_output=True, timeout=120)
    one = zaao_hx("migrate", "--lang", "en", **env)
    assert (one.returncode, one.stderr) == (0, "zaao-hx migrate: applying 1 migration…\n")
    assert one.stdout == f"The database is updated: 1 migration applied ({count} in all).\n"
    again = zaao_hx("migrate", **env)
    assert (again.stdout, again.stderr) == (
        f"Datubāze jau ir jaunākajā versijā (migrācijas: {count}).\n", "")
    fresh = {**env, "ZAAO_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    first = zaao_hx("migrate", **fresh)
    assert first.stderr == f"zaao-hx migrate: piemēro {count} migrācijas…\n"
    assert first.stdout == (f"Datubāze atjaunināta: piemērotas {count} migrācijas (kopā "
                            f"{count}).\n")


def test_a_migration_that_fails_says_so_after_what_piccolo_said(tmp_path):
    db = tmp_path / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE account (x INTEGER)")  # in the first migration's way
    done = zaao_hx("migrate", ZAAO_DATABASE_URL=f"sqlite:///{db}",
                   ZAAO_DATA_DIR=str(tmp_path), ZAAO_SECRET_KEY="k" * 40)
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.splitlines()[-1]
    assert last.startswith("zaao-hx migrate: migrācija neizdevās: "), done.stderr
    assert "account" in last


@pytest.mark.parametrize("command", ["migrate", "demo", "imports"])
def test_a_database_out_of_reach_is_said_in_words(tmp_path, command):
    done = zaao_hx(command, ZAAO_DATABASE_URL="postgresql://postgres@127.0.0.1:1/none",
                   ZAAO_DATA_DIR=str(tmp_path), ZAAO_SECRET_KEY="k" * 40)
    assert done.returncode == 1
    assert done.stderr.startswith(f"zaao-hx {command}: datubāzi nevar izmantot "
                                  "(ConnectionRefusedError: "), done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    wrong = zaao_hx(command, ZAAO_DATABASE_URL="mysql://x", ZAAO_DATA_DIR=str(tmp_path),
                    ZAAO_SECRET_KEY="k" * 40)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith(f"zaao-hx {command}: datubāzi nevar izmantot "
                                   "(DatabaseUrlError: "), wrong.stderr
