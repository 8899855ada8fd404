"""Invoice lines and payments look their invoices' numbers up in a window of invoices.csv's
order (`SnapshotValidator._invoice_numbers`): whatever the files hold, the numbers must be
those of the whole dict."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SECRET
from zaao_hx.imports.validate import WINDOW_MARGIN, SnapshotValidator

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
    v.invoices = {col[0]: 500}
    assert v._invoice_numbers(col) == [i for i in range(500, 600) for _ in range(2)]
