"""What the operator sees: a bar on a terminal, lines on request, nothing otherwise."""

from __future__ import annotations

import io
import time

from zaao_hx.imports.progress import Bar, Lines, history_table, progress_for
from zaao_hx.imports.service import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_and_silence_elsewhere():
    terminal = Terminal()
    bar = progress_for("auto", terminal)
    assert isinstance(bar, Bar)
    bar.update(50, 200, "invoices.csv")
    bar.stage("commit")
    bar.done()
    text = terminal.getvalue()
    assert "\r[#######-----------------------]  25%  invoices.csv" in text
    assert "committing" in text
    assert text.endswith("\r")  # the bar is wiped before the summary
    assert type(progress_for("auto", io.StringIO())) is Progress


def test_the_bar_says_when_it_waits_for_another_import():
    terminal = Terminal()
    bar = progress_for("auto", terminal)
    bar.stage("waiting")
    time.sleep(0.11)  # (redrawn at most ten times a second)
    bar.update(0, 200, "customers.csv")
    text = terminal.getvalue()
    assert text.startswith("\rwaiting for another import to finish  ")
    assert "[#" not in text.split("\r")[1]  # no bar before it has begun
    assert "[------------------------------]   0%  customers.csv" in text


def test_the_bar_stops_moving_once_the_import_is_asked_to_stop():
    terminal = Terminal()
    bar = progress_for("auto", terminal)
    bar.update(50, 200, "invoices.csv")
    bar.stage("stopping")
    time.sleep(0.11)  # (redrawn at most ten times a second)
    bar.update(60, 200, "invoices.csv")  # (chunks already on their way)
    text = terminal.getvalue()
    assert text.split("\r")[-1].startswith(
        "stopping (the database will not be changed; Ctrl+C again: at once)  ")
    assert " 30%" not in text


def test_lines_on_request():
    out = io.StringIO()
    lines = progress_for("lines", out)
    assert isinstance(lines, Lines)
    for done in range(0, 101, 5):
        lines.update(done, 100, "payments.csv")
    lines.stage("done")
    said = out.getvalue().splitlines()
    assert said[0] == "import: reading payments.csv (0%)"
    assert len(said) == 12  # every tenth, and the end
    assert said[-1] == "import: done"


def test_the_history_table():
    rows = [
        {"id": 2, "started_at": "2026-11-29 09:00:00+00:00",
         "finished_at": "2026-11-29 09:00:12.5+00:00", "outcome": "imported",
         "as_of": "2026-11-28 21:00:00+00:00", "source": "billing",
         "counts": '{"customers": 100000, "invoices": 1177084, "payments": 1096232}',
         "report": "2 warnings:\n  …"},
        {"id": 1, "started_at": "2026-11-28 09:00:00+00:00", "finished_at": None,
         "outcome": "running", "as_of": "2026-11-28 09:00:00+00:00", "source": "/x",
         "counts": "{}", "report": ""},
    ]
    table = history_table(rows, running_now=False).splitlines()
    assert "2026-11-29 11:00" in table[1] and "12.5 s" in table[1]
    assert "100,000" in table[1] and "1,177,084" in table[1] and table[1].split()[-2] == "2"
    assert "interrupted" in table[2]
    assert "running" in history_table(rows, running_now=True).splitlines()[2]
