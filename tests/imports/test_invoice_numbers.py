"""Invoice lines and payments look their invoices' numbers up in a window of invoices.csv's
order (`SnapshotValidator._invoice_numbers`): whatever the files hold, the numbers must be
those of the whole dict."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SECRET
from tests.imports.conftest import messages
from zaao_hx.imports import validate
from zaao_hx.imports.generate import generate
from zaao_hx.imports.validate import WINDOW_MARGIN, SnapshotValidator, TupleSink

KEYS = st.sampled_from(["", "A", "B", "C", "D", "E"]).map(lambda k: k and f"{k}-1")


def _validator(rows: list[str]) -> SnapshotValidator:
    """As after invoices.csv with these invoice numbers: each row's number is its place,
    and a number repeated or left empty keeps the first row's (or none)."""
    v = SnapshotValidator("/nonexistent", SECRET)
    v.invoice_keys = list(rows)
    for place, no in enumerate(rows):
        if no:
            v.invoices.setdefault(no, place)
    return v


@given(n=st.integers(0, 300), data=st.data())
def test_numbers_in_and_out_of_the_window_are_the_dicts(n, data):
    rows = [f"{i:07d}-122025" for i in range(n)]
    if data.draw(st.booleans()):  # now and then a repeated or empty number
        rows += data.draw(st.lists(st.sampled_from([*rows[:3], ""]), max_size=3))
    v = _validator(rows)
    known = [*rows, "nav-tāda", ""]
    start = data.draw(st.integers(0, max(n - 1, 0)))
    # mostly in order from `start` on, as lines and payments come; some from anywhere
    col = [rows[min(start + i // 3, n - 1)] if n and data.draw(st.integers(0, 9)) else
           data.draw(st.sampled_from(known))
           for i in range(data.draw(st.integers(0, 2 * WINDOW_MARGIN)))]
    default = data.draw(st.sampled_from([None, -7]))
    assert v._invoice_numbers(col, default) == [v.invoices.get(no, default) for no in col]


@given(rows=st.lists(KEYS, max_size=8), col=st.lists(KEYS, max_size=8))
def test_repeated_or_empty_invoice_numbers_are_looked_up_in_the_dict(rows, col):
    v = _validator(rows)
    assert v._invoice_numbers(col) == [v.invoices.get(no) for no in col]
    assert v.exact_invoices == (len(set(rows)) == len(rows) and "" not in rows)


def test_a_chunk_in_the_invoices_order_is_found_in_the_window():
    v = _validator([f"{i:07d}-122025" for i in range(1000)])
    col = [f"{i:07d}-122025" for i in range(500, 600) for _ in range(2)]
    assert v._invoice_numbers(col) == [i for i in range(500, 600) for _ in range(2)]
    # the dict is asked only for the first row's: the others are the window's
    # (as many numbers as before, all wrong but the first row's)
    v.invoices = {no: 500 if no == col[0] else -5 for no in v.invoices}
    assert v._invoice_numbers(col) == [i for i in range(500, 600) for _ in range(2)]


def _shuffled(path, seed: int = 7) -> None:
    """The file's rows in another order (its header first)."""
    head, *rows = path.read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(rows)
    path.write_bytes(b"".join([head, *rows]))


def _checked(folder, monkeypatch, window: bool) -> tuple[list, list[str], dict]:
    rows: list = []
    if not window:  # the look-ups as they were: the whole dict for every row
        monkeypatch.setattr(SnapshotValidator, "_invoice_numbers", lambda self, col,
                            default=None: [self.invoices.get(no, default) for no in col])
    v = SnapshotValidator(folder, SECRET, TupleSink(lambda t, r: rows.append((t, r))))
    report = v.run()
    monkeypatch.undo()
    return rows, messages(report), v.window_tries


@pytest.mark.parametrize("change", ["none", "shuffled", "repeated", "unknown"])
def test_a_whole_snapshot_is_checked_and_handed_on_as_with_the_dict_alone(
        tmp_path, monkeypatch, change):
    folder = tmp_path / "snapshot"
    generate(folder, customers=150, seed=3)
    if change == "shuffled":  # lines and payments in another order than the invoices
        _shuffled(folder / "invoice_lines.csv")
        _shuffled(folder / "payments.csv")
    elif change == "repeated":  # an invoice number twice: the window is not used
        lines = (folder / "invoices.csv").read_text(encoding="utf-8").splitlines(True)
        lines.insert(900, lines[10])
        (folder / "invoices.csv").write_text("".join(lines), encoding="utf-8")
    elif change == "unknown":  # payments of invoices that are not there, among the others
        text = (folder / "payments.csv").read_text(encoding="utf-8")
        (folder / "payments.csv").write_text(
            text.replace("-122025,", "-122099,", 40), encoding="utf-8")
    monkeypatch.setattr(validate, "TRIAL_ROWS", 200)  # (a small file gives up too)
    with_window = _checked(folder, monkeypatch, window=True)
    assert with_window[:2] == _checked(folder, monkeypatch, window=False)[:2]
    tries = with_window[2]
    if change == "none":  # in the invoices' order: found in the window, nearly all
        assert with_window[1] == []
        for name in ("invoice_lines.csv", "payments.csv"):
            rows, missed = tries[name]
            assert rows > 1000 and missed < rows / 100, (name, tries)
    elif change == "shuffled":  # mostly missed: given up after the trial
        for name in ("invoice_lines.csv", "payments.csv"):
            rows, missed = tries[name]
            assert 200 < rows < 1000 and missed * 2 > rows, (name, tries)
    elif change == "repeated":
        assert "appears twice" in " ".join(with_window[1])
        assert all(rows == 0 for rows, _ in tries.values()), tries
    else:
        assert any("122099" in m for m in with_window[1])


def test_each_invoice_has_one_place_in_the_arrays_by_its_number(tmp_path, monkeypatch):
    # (its contract, its number, what of its net no line has covered yet, its lines' bits:
    # one entry each, however many chunks the invoices came in)
    folder = tmp_path / "snapshot"
    generate(folder, customers=150, seed=3)
    invoices = len((folder / "invoices.csv").read_text(encoding="utf-8").splitlines()) - 1
    sizes = set()
    checked = SnapshotValidator._lines

    def lines(self, ch):
        sizes.add((len(self.invoice_owner), len(self.invoice_keys), len(self.invoice_left),
                   len(self.invoice_lines)))
        checked(self, ch)

    monkeypatch.setattr(SnapshotValidator, "_lines", lines)
    assert SnapshotValidator(folder, SECRET).run().ok
    assert invoices > 1000 and sizes == {(invoices,) * 4}
