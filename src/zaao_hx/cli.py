"""`zaao-hx`: the operator's commands (CONTRACTS.md names them).

What they say — help, errors, summaries — is Latvian unless `--lang en` is given (every
command takes it), argparse's own words (usage, its errors) included: they come through
the same catalogue as the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import NoReturn

from zaao_hx.settings import Settings, SettingsError
from zaao_hx.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, gettext, language, ngettext, number

# argparse's own texts (its msgids, for Python's gettext) → ours.  Those a user of these
# commands can meet; anything else argparse says stays English.
# (tests/test_cli.py checks that each is still a text of this Python's argparse.)
ARGPARSE_TEXTS = {
    "usage: ": N_("lietojums: "),
    "positional arguments": N_("pozicionālie argumenti"),
    "options": N_("opcijas"),
    "show this help message and exit": N_("parāda šo palīdzību un beidz darbu"),
    "%(prog)s: error: %(message)s\n": N_("%(prog)s: kļūda: %(message)s\n"),
    "argument %(argument_name)s: %(message)s": N_("arguments %(argument_name)s: %(message)s"),
    "the following arguments are required: %s": N_("trūkst obligāto argumentu: %s"),
    "unrecognized arguments: %s": N_("nezināmi argumenti: %s"),
    "expected one argument": N_("jānorāda vērtība"),
    "ignored explicit argument %r": N_("šai opcijai vērtība nav paredzēta: %r"),
    "invalid choice: %(value)r (choose from %(choices)s)": N_(
        "nederīga izvēle: %(value)r (jāizvēlas no: %(choices)s)"),
    "ambiguous option: %(option)s could match %(matches)s": N_(
        "neviennozīmīga opcija: %(option)s var būt %(matches)s"),
}


def _argparse_text(text: str) -> str:
    return gettext(ARGPARSE_TEXTS[text]) if text in ARGPARSE_TEXTS else text


@contextlib.contextmanager
def _argparse_translated() -> Iterator[None]:
    """argparse's words through the catalogue while a parser is made and used (argparse
    looks its `_` up in its module each time it says something)."""
    before = argparse._
    argparse._ = _argparse_text
    try:
        yield
    finally:
        argparse._ = before


class _LanguageOnly(argparse.ArgumentParser):
    """Reads `--lang` alone and says nothing of the rest."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def _language_asked(argv: Sequence[str]) -> str:
    """The `--lang` of a command line, before argparse has read it (its help and its
    errors are said in it), read as argparse will: the command's own after the command's
    name, the last one winning, abbreviated as far as no other option there begins the
    same (`--l` could be `imports --limit`); the default when there is none we know."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # (argparse's own fields)
    at = next((i for i, arg in enumerate(argv) if arg in commands), len(argv))
    asked = None
    for options, part in ((parser, argv[:at]), (commands.get(argv[at]) if at < len(argv)
                                                 else None, argv[at + 1:])):
        if options is None:
            continue
        others = [o for action in options._actions for o in action.option_strings
                  if o != "--lang"]
        spellings = [p for p in ("--lang", "--lan", "--la", "--l")
                     if not any(o.startswith(p) for o in others)]
        reader = _LanguageOnly(add_help=False, allow_abbrev=False)
        reader.add_argument(*spellings)
        try:
            asked = reader.parse_known_args(part)[0].lang or asked
        except ValueError:
            return DEFAULT_LANGUAGE
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


STOP_SIGNALS = ((signal.SIGINT, "Ctrl+C"), (signal.SIGTERM, "SIGTERM"))


def _whole(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number within bounds, refused in the user's language."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                gettext("%(value)s nav vesels skaitlis", value=repr(text))) from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(
                gettext("%(value)s ir mazāks par %(minimum)s", value=value, minimum=minimum))
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                gettext("%(value)s ir lielāks par %(maximum)s", value=value, maximum=maximum))
        return value

    return whole


def _database_unusable(command: str, exc: Exception, migrated: bool = True) -> int:
    """A database the command cannot use (not there, not reachable, not migrated): said in
    words, no traceback (its type and message are in them)."""
    detail = f"{type(exc).__name__}: {exc}"
    if migrated:
        text = gettext("datubāzi nevar izmantot (%(detail)s); vai ZAAO_DATABASE_URL ir pareizs "
                       "un vai `zaao-hx migrate` ir palaists?", detail=detail)
    else:
        text = gettext("datubāzi nevar izmantot (%(detail)s); vai ZAAO_DATABASE_URL ir "
                       "pareizs?", detail=detail)
    print(f"zaao-hx {command}: {text}", file=sys.stderr)
    return 1


def _migrate(settings: Settings) -> int:
    import io

    from zaao_hx.db import MigrationFailed, engine_from_url, migrate

    def starting(pending: int) -> None:  # (a lock held elsewhere may make it wait)
        print("zaao-hx migrate: " + ngettext("piemēro %(num)s migrāciju…",
                                             "piemēro %(num)s migrācijas…", pending),
              file=sys.stderr, flush=True)

    chatter = io.StringIO()  # Piccolo's own (English) lines: shown only if it fails

    def piccolo_said() -> None:
        said = chatter.getvalue()
        sys.stderr.write(said if not said or said.endswith("\n") else said + "\n")

    try:
        with contextlib.redirect_stdout(chatter):
            before, after = asyncio.run(migrate(engine_from_url(settings.database_url),
                                                starting))
    except KeyboardInterrupt:
        piccolo_said()
        print("zaao-hx migrate: " + gettext(
            "pārtraukts (Ctrl+C); nepabeigtā migrācija atsaukta, pabeigtās paliek"),
            file=sys.stderr)
        return 128 + signal.SIGINT
    except MigrationFailed as exc:
        piccolo_said()
        print("zaao-hx migrate: " + gettext("migrācija neizdevās: %(detail)s",
                                            detail=str(exc)), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - said in words (see _database_unusable)
        piccolo_said()
        return _database_unusable("migrate", exc, migrated=False)
    if after == before:
        print(gettext("Datubāze jau ir jaunākajā versijā (migrācijas: %(count)s).",
                      count=after))
    else:
        print(ngettext("Datubāze atjaunināta: piemērota %(num)s migrācija (kopā %(count)s).",
                       "Datubāze atjaunināta: piemērotas %(num)s migrācijas (kopā %(count)s).",
                       after - before, count=after))
    return 0


def _demo(settings: Settings) -> int:
    from zaao_hx.db import bind, engine_from_url
    from zaao_hx.demo import DemoDataConflict, load_demo

    try:
        bind(engine_from_url(settings.database_url))
        summary = asyncio.run(load_demo(settings))
    except DemoDataConflict as exc:  # (a key of the demo's taken by real data)
        print(f"zaao-hx demo: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - said in words (see _database_unusable)
        return _database_unusable("demo", exc)
    print(summary)
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    uvicorn.run(
        "zaao_hx.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.https,
        server_header=False,
        log_level="info",
    )
    return 0


def _import(settings: Settings, directory: str, force: bool, progress: str) -> int:
    from pathlib import Path

    from zaao_hx.imports.progress import progress_for, summary
    from zaao_hx.imports.service import Stop, run_import

    folder = Path(directory)
    if not folder.is_dir():
        print("zaao-hx import: " + gettext("%(folder)s nav mape", folder=directory),
              file=sys.stderr)
        return 1
    stop = Stop()
    asked: list[int] = []  # the signal that asked it to stop
    try:
        with _asking_to_stop(stop, asked):
            result = asyncio.run(run_import(
                settings.database_url, settings.secret_key, folder, force=force,
                progress=progress_for(progress), yield_to_checker=True, stop=stop))
    except Exception as exc:  # noqa: BLE001 - no database to write to: say so, no traceback
        return _database_unusable("import", exc)
    print(summary(result, directory), file=sys.stdout if result.ok else sys.stderr)
    if result.outcome == "interrupted" and asked:
        return 128 + asked[0]  # as a shell says a command ended by that signal
    if asked and result.ok:  # it came too late: the import had begun to commit, or was done
        print("zaao-hx import: " + gettext(
            "pārtraukšana (%(reason)s) pienāca par vēlu: imports jau tika pabeigts",
            reason=stop.reason), file=sys.stderr)
    return 0 if result.ok else 1


@contextlib.contextmanager
def _asking_to_stop(stop, asked: list[int]) -> Iterator[None]:
    """Ctrl+C and SIGTERM ask the import to stop at its next safe point (it rolls back
    and says so) instead of killing it wherever it is.  The handler only notes it: it may
    run between any two steps of the main thread, SQLite's synchronous writing included
    (an asyncio handler would wait for the event loop).  A signal the process was started
    ignoring stays ignored; the handlers before are put back after.  Asked a second time,
    the process ends at once."""
    before = {}
    for signum, reason in STOP_SIGNALS:
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN:
            continue

        def ask(signum: int, frame, reason: str = reason) -> None:
            if not asked:
                asked.append(signum)
            stop.request(reason)
            # asked again, the process ends at once, by the kernel: even in the middle of
            # a long SQLite call, when no Python handler could run (what was not committed
            # dies with the process)
            for other in before:
                signal.signal(other, signal.SIG_DFL)

        before[signum] = previous
        signal.signal(signum, ask)
    try:
        yield
    finally:
        for signum, previous in before.items():
            signal.signal(signum, previous)


def _imports(settings: Settings, limit: int) -> int:
    from zaao_hx.imports.history import history

    try:
        print(asyncio.run(history(settings.database_url, limit)))
    except Exception as exc:  # noqa: BLE001 - said in words (see _database_unusable)
        return _database_unusable("imports", exc)
    return 0


def _generate(directory: str, customers: int, seed: int, as_of: datetime.date | None
              ) -> int:
    import time
    from pathlib import Path

    from zaao_hx.imports.generate import DEFAULT_AS_OF, generate

    day = as_of or DEFAULT_AS_OF
    started = time.perf_counter()
    counts = generate(Path(directory), customers, seed=seed, as_of=day)
    took = time.perf_counter() - started
    print(ngettext(
        "Momentuzņēmums ar %(count)s klientu (gadījumskaitļu sēkla %(seed)s, stāvoklis "
        "%(day)s) ierakstīts mapē %(folder)s %(seconds)s s laikā:",
        "Momentuzņēmums ar %(count)s klientiem (gadījumskaitļu sēkla %(seed)s, stāvoklis "
        "%(day)s) ierakstīts mapē %(folder)s %(seconds)s s laikā:",
        customers, count=number(customers), seed=seed, day=day.isoformat(), folder=directory,
        seconds=number(round(took, 1))))
    for name, count in counts.items():
        print(f"  {name:<26} {number(count):>12}")
    return 0


def _day(text: str) -> datetime.date:
    """An argparse type: a date as YYYY-MM-DD."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(gettext(
            "%(value)s nav datums GGGG-MM-DD", value=repr(text))) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line, its texts in the language of the moment (see `_main`)."""
    def lang(parser: argparse.ArgumentParser, default: str) -> None:
        parser.add_argument("--lang", choices=list(LANGUAGES), default=default,
                            help=gettext("valoda: lv (noklusētā) vai en"))

    parser = argparse.ArgumentParser(
        prog="zaao-hx", description=gettext("ZAAO Klientiem portāla komandas"))
    lang(parser, DEFAULT_LANGUAGE)
    sub = parser.add_subparsers(dest="command", required=True, metavar=gettext("KOMANDA"))

    def command(name: str, text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=text, description=text)
        # (no default of its own: it would undo `zaao-hx --lang en COMMAND`)
        lang(command, argparse.SUPPRESS)
        return command

    command("migrate", gettext("piemēro visas datubāzes migrācijas (atkārtoti droši)"))
    command("demo", gettext("ielādē demonstrācijas datus (atkārtoti droši)"))
    serve = command("serve", gettext("atver portālu HTTP"))
    serve.add_argument("--host", default="127.0.0.1", metavar=gettext("ADRESE"),
                       help=gettext("adrese, kurā klausīties (127.0.0.1)"))
    serve.add_argument("--port", type=_whole(1, 65535), default=8000, metavar=gettext("PORTS"),
                       help=gettext("ports (8000)"))
    serve.add_argument("--workers", type=_whole(1), default=1, metavar=gettext("SKAITS"),
                       help=gettext("procesu skaits (1)"))
    worker = command("worker", gettext("fonā sūta rindā gaidošās e-pasta vēstules"))
    worker.add_argument("--once", action="store_true",
                        help=gettext("vienu reizi nosūta, kas gaida, un beidz darbu"))
    imp = command("import", gettext(
        "importē norēķinu sistēmas momentuzņēmuma mapi (ja kāda rinda ir kļūdaina: "
        "izejas kods 1 un pārskats, datubāze netiek mainīta)"))
    imp.add_argument("directory", metavar=gettext("MAPE"),
                     help=gettext("mape ar manifest.json un CSV failiem"))
    imp.add_argument("--force", action="store_true", help=gettext(
        "ielādē arī tad, ja tas ir pēdējoreiz importētais momentuzņēmums"))
    imp.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto",
                     help=gettext(
                         "gaita stderr plūsmā: josla, ja tas ir terminālis (auto), rinda par "
                         "katru soli (lines) vai nekas (none)"))
    imports = command("imports", gettext("importu vēsture, jaunākie vispirms"))
    imports.add_argument("--limit", type=_whole(1), default=20, metavar=gettext("SKAITS"),
                         help=gettext("cik importu parādīt (20)"))
    gen = command("generate", gettext("uzraksta sintētisku norēķinu momentuzņēmumu"))
    gen.add_argument("directory", metavar=gettext("MAPE"),
                     help=gettext("mape, kurā rakstīt (tiek izveidota)"))
    gen.add_argument("--customers", type=_whole(1), required=True, metavar=gettext("SKAITS"),
                     help=gettext("klientu skaits"))
    gen.add_argument("--seed", type=_whole(), default=1, metavar=gettext("SKAITLIS"),
                     help=gettext("gadījumskaitļu sēkla (1)"))
    gen.add_argument("--as-of", type=_day, metavar=gettext("DATUMS"), help=gettext(
        "momentuzņēmuma datums, GGGG-MM-DD (2026-11-28)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # what reads the output went away (`zaao-hx imports | head`): no traceback, and
        # nothing more to flush at exit (Python's documented way)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with language(_language_asked(argv)), _argparse_translated():
        args = build_parser().parse_args(argv)
    with language(args.lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    # Piccolo warns, in English, of a database it cannot reach; the commands say it
    # themselves (see _database_unusable)
    warnings.filterwarnings(
        "ignore", message=r".*Unable to (connect to database|fetch server version)")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"zaao-hx: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "demo":
        return _demo(settings)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "import":
        return _import(settings, args.directory, args.force, args.progress)
    if args.command == "imports":
        return _imports(settings, args.limit)
    if args.command == "generate":
        return _generate(args.directory, args.customers, args.seed, args.as_of)
    if args.command == "worker":
        from zaao_hx.mail.worker import run

        return run(settings, once=args.once)
    raise AssertionError(args.command)  # argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
