"""Rows at the edges of the format, checked in-process (no database): quotes where RFC
4180 allows none, a byte-order mark before a quoted header, sums beyond 64 bits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SECRET
from tests.imports.conftest import BASE, messages, write_snapshot
from zaao_hx.imports import validate
from zaao_hx.imports.validate import SnapshotValidator


def _check(tmp_path, changes, limit: int = 100):
    return SnapshotValidator(write_snapshot(tmp_path / "snapshot", changes), SECRET,
                             limit=limit).run()


def _lines_of_many_invoices(description_of) -> dict[str, str]:
    head = BASE["invoices.csv"].split("\n")[0]
    invoices = [head] + [f"Z{i},10-1,statement,2026-10-02,2026-10-31,2026-09-01,2026-09-30,"
                         "15.60,3.28,18.88" for i in range(3000)]
    lines = [BASE["invoice_lines.csv"].split("\n")[0]] + [
        f"Z{i},1,{description_of(i)},2,reizes,7.80,21,15.60" for i in range(3000)]
    return {"invoices.csv": "\n".join(invoices) + "\n",
            "invoice_lines.csv": "\n".join(lines) + "\n",
            "payments.csv": BASE["payments.csv"].split("\n")[0] + "\n"}


def test_a_stray_quote_is_named_where_it_is_not_where_the_next_quote_is(tmp_path):
    """Quotes counted to find where a block of lines ends: a stray one must not make the
    reading run on to the next quoted value (and blame that one's line)."""
    report = _check(tmp_path, _lines_of_many_invoices(
        lambda i: 'Caurule 12" x' if i == 5 else '"Two\nlines"' if i == 2000 else "Izvešana"))
    assert messages(report) == [
        "invoice_lines.csv, line 7: a quote inside a value (a value with quotes is put in "
        "quotes, and its quotes doubled)"]
    assert report.counts["invoice_lines.csv"] == 3000


@pytest.mark.parametrize("stray", ['Caurule 12" x', 'Caurule 12" x 5" y'])
def test_a_line_with_stray_quotes_then_a_value_over_two_lines(tmp_path, monkeypatch, stray):
    """Wherever a block ends: the stray quotes' line is passed over in finding where a
    block's last value ends, so the value over two lines after it is still read whole
    (with one stray quote the block's quotes even pair up, as if nothing were open)."""
    for block in range(120, 700, 23):
        monkeypatch.setattr(validate, "BLOCK_CHARS", block)
        report = _check(tmp_path / str(block), _lines_of_many_invoices(
            lambda i: stray if i == 5 else '"Two\nlines"' if i == 6 else "x"))
        assert messages(report) == [
            "invoice_lines.csv, line 7: a quote inside a value (a value with quotes is put in "
            "quotes, and its quotes doubled)"], block


def test_values_over_several_lines_far_apart_are_read_whole(tmp_path):
    report = _check(tmp_path, _lines_of_many_invoices(
        lambda i: '"Two\nlines"' if i % 700 == 5 else '"a, ""quoted"" b"' if i % 3 else "x"))
    assert report.ok, messages(report)
    assert report.counts["invoice_lines.csv"] == 3000


def test_a_byte_order_mark_before_a_quoted_header(tmp_path):
    sites = BASE["sites.csv"].replace("site_id,", '"site_id",', 1)
    report = _check(tmp_path, {"sites.csv": "\ufeff" + sites})
    assert report.ok, messages(report)
    assert report.counts["sites.csv"] == 3


def test_lines_adding_up_beyond_64_bits_are_an_error_not_a_crash(tmp_path):
    """The largest amounts (12 digits of euros), 93,000 lines of one invoice."""
    invoices = BASE["invoices.csv"].replace(
        "I1,20-2,invoice,2026-11-03,2026-11-17,2026-10-01,2026-10-31,101.20,21.25,122.45",
        "I1,20-2,invoice,2026-11-03,2026-11-17,2026-10-01,2026-10-31,999999999999.99,0.00,"
        "999999999999.99")
    assert invoices != BASE["invoices.csv"]
    head, *_ = BASE["invoice_lines.csv"].split("\n")
    lines = [head, *(f"I1,{1 + n % 63},x,1,reizes,-999999999999.99,21,-999999999999.99"
                     for n in range(93_000))]
    payments = BASE["payments.csv"].split("\n")[0] + "\n"
    report = _check(tmp_path, {"invoices.csv": invoices, "payments.csv": payments,
                               "invoice_lines.csv": "\n".join(lines) + "\n"}, limit=10**6)
    held = [m for m in messages(report) if "add up to more than can be held" in m]
    # (once, at the line that takes the sum over 2**63 cents)
    assert held == ["invoice_lines.csv, line 92234, column net: the lines of invoice 'I1' add "
                    "up to more than can be held"]



def test_a_stray_quote_then_a_value_over_two_lines_across_a_block_end(tmp_path):
    """One stray quote early in a block, and a value over two lines that the block's end
    cuts: the block's quotes pair up, yet its last value is open and is read on."""
    head, *rows = BASE["customers.csv"].splitlines(keepends=True)
    first = 'C9,private,Jānis "J Kalniņš,161175-19997,,,,,\n'
    filler = "".join(f"F{i:05d},private,X,161175-19997,,,,,\n" for i in range(2000))
    cut = filler[:validate.BLOCK_CHARS - len(first) - 10]
    cut = cut[:cut.rfind("\n") + 1]  # whole rows, up to 10 to 46 characters before the end
    spanning = 'C8,private,Ēriks,161175-19997,,,,,"Meža iela\n3, Smiltene"\n'
    # (a block is read after the header; it ends inside the first line of `spanning`)
    assert len(first + cut) < validate.BLOCK_CHARS < len(first + cut + spanning) - 14
    report = _check(tmp_path, {  # (bytes: written as they are, LF line ends)
        "customers.csv": (head + first + cut + spanning + "".join(rows)).encode()})
    assert messages(report) == [
        "customers.csv, line 2: a quote inside a value (a value with quotes is put in "
        "quotes, and its quotes doubled)"]


# every line boundary str.splitlines knows, and the characters around them
_BOUNDARIES = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
               "\u2029"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", ",", '"', "ā", ""] + _BOUNDARIES), max_size=30))
def test_a_blocks_physical_lines_are_its_lf_or_crlf_ended_lines_or_none(pieces):
    """A block with a CR is cut into lines without splitting on CRLF: its lines are
    those ended by LF or CRLF, or it is None when anything else would end one (a lone CR,
    U+2028…: what the csv module reads as part of a value, or as a line end itself)."""
    block = "".join(pieces)
    if not block:
        return
    found = validate._physical_lines(block)
    others = block.replace("\r\n", "\n")
    if "\r" in block and (any(b in others for b in _BOUNDARIES if b != "\n")
                          or not block.endswith("\n")):
        assert found is None
        return
    if "\r" not in block:  # (the LF way, as before: other boundaries are a value's)
        expected = block.split("\n")
    else:
        expected = others.split("\n")
    if expected[-1] == "":
        expected.pop()
    assert found == expected
