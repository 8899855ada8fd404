"""The COPY text the PostgreSQL import sends says exactly the rows it was made of."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zaao_hx.imports import validate
from zaao_hx.imports.validate import (
    INT_COLUMNS,
    NULLABLE,
    TABLE_COLUMNS,
    _copy_text_by_column,
    copy_text,
)

# what COPY's text format must escape or could be confused with, and ordinary text
TEXT = st.text(st.sampled_from(list("\\\t\n\r Nonea1-,.\"'bx07āž\u2028")), max_size=12)
# PostgreSQL's backslash sequences in COPY text: \b \f \n \r \t \v, octal \NNN, hex \xNN,
# and a backslash before any other character stands for that character
ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)
CONTROL = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(match: re.Match) -> str:
    octal, hexa, other = match.groups()
    if octal:
        return chr(int(octal, 8))
    if hexa:
        return chr(int(hexa, 16))
    return CONTROL.get(other, other)


def read_copy_text(data: bytes) -> list[tuple]:
    """PostgreSQL's reading of COPY text: a row a line (a CR ends one too), a tab between
    fields, \\N for NULL, backslash sequences."""
    text = data.decode()
    assert text.endswith("\n") or text == ""
    rows = []
    for line in re.split("\r\n|\r|\n", text[:-1]) if text else []:
        fields = []
        for field in line.split("\t"):
            if field == "\\N":
                fields.append(None)
            else:
                fields.append(ESCAPE.sub(_unescape, field))
        rows.append(tuple(fields))
    return rows


def rows_of(table: str) -> st.SearchStrategy[list[tuple]]:
    values = []
    for name in TABLE_COLUMNS[table]:
        if name in INT_COLUMNS:
            values.append(st.integers(min_value=-(10**12), max_value=10**12))
        elif (table, name) in NULLABLE:
            values.append(st.none() | TEXT.filter(bool))  # as the checking process sends
        else:
            values.append(TEXT)
    return st.lists(st.tuples(*values), min_size=1, max_size=6)


def expected(rows: list[tuple], first_id: int | None) -> list[tuple]:
    out = []
    for i, row in enumerate(rows):
        fields = tuple(None if v is None else str(v) for v in row)
        out.append(fields if first_id is None else (str(first_id + i), *fields))
    return out


# each goes the row-by-row way when it can (see copy_text), payment, customer and
# collection_exception with NULLs
TABLES = ["invoice", "invoice_line", "payment", "customer", "collection_exception"]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), table=st.sampled_from(TABLES), numbered=st.booleans())
def test_copy_text_reads_back_as_the_rows(data, table, numbered):
    rows = data.draw(rows_of(table))
    first_id = data.draw(st.integers(min_value=1, max_value=10**9)) if numbered else None
    assert read_copy_text(copy_text(table, rows, first_id)) == expected(rows, first_id)


def test_plain_rows_and_rows_that_need_escapes_give_the_same_kind_of_text():
    plain = [("A-1", 1, "Izvešana, 240 l", "2", "reizes", 150, "21", 300)]
    tricky = [("A-1", 1, "a\tb\\c\nd None", "2", "reizes", 150, "21", 300)]
    assert copy_text("invoice_line", plain, 7) == (
        "7\tA-1\t1\tIzvešana, 240 l\t2\treizes\t150\t21\t300\n".encode()
    )
    assert copy_text("invoice_line", tricky, 7) == (
        b"7\tA-1\t1\ta\\tb\\\\c\\nd None\t2\treizes\t150\t21\t300\n"
    )


def test_a_null_and_the_word_none_are_told_apart():
    null = ("P-1", "10-1", None, "2026-11-01", 500, "SEB", None)
    word = ("P-2", "10-1", None, "2026-11-02", 500, "SEB", "None")
    assert copy_text("payment", [null]) == b"P-1\t10-1\t\\N\t2026-11-01\t500\tSEB\t\\N\n"
    assert read_copy_text(copy_text("payment", [null, word])) == expected([null, word], None)
    assert copy_text("payment", [word]).endswith(b"\tSEB\tNone\n")


# values that make the row-by-row way's None count and checks decide: the word None in
# and around values, next to NULLs, and what needs escaping
# (mostly harmless pieces, so that many rows go the row-by-row way to the end)
PIECE = st.sampled_from(["a", "No", "ne", "N", "one", ""] * 4
                        + ["None", "xNone", "Nonex", "\\", "\t", "\n"])
WORDY = st.lists(PIECE, max_size=3).map("".join)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), table=st.sampled_from(TABLES), numbered=st.booleans())
def test_the_row_by_row_way_writes_what_the_column_by_column_way_does(data, table, numbered):
    values = [
        st.integers(-(10**12), 10**12) if name in INT_COLUMNS
        else st.none() | WORDY.filter(bool) if (table, name) in NULLABLE
        else WORDY
        for name in TABLE_COLUMNS[table]
    ]
    rows = data.draw(st.lists(st.tuples(*values), min_size=1, max_size=5))
    first_id = 3 if numbered else None
    assert copy_text(table, rows, first_id) == _copy_text_by_column(table, rows, first_id)


@pytest.mark.parametrize("first_id", [None, 41])
def test_rows_with_nulls_are_written_row_by_row_and_read_back(monkeypatch, first_id):
    # (the column-by-column way refused: the text is the row-by-row way's own)
    def refused(*args):
        raise AssertionError("went column by column")

    monkeypatch.setattr(validate, "_copy_text_by_column", refused)
    payments = [("P-1", "10-1", None, "2026-11-01", 500, "SEB", None),
                ("P-2", "10-1", "9-1", "2026-11-02", -120, "Nonē", "ref No ne"),
                ("P-3", "10-2", None, "2026-11-03", 0, "SEB", "N one")]
    text = copy_text("payment", payments, first_id)
    assert text.count(b"\\N") == 3
    assert read_copy_text(text) == expected(payments, first_id)
    customers = [("C1", "private", "Jānis", None, "******-***36", None, None, "", "", ""),
                 ("C2", "legal", "SIA", None, "", "40103271696", "LV40103271696", "+371",
                  "a@b.lv", "Rīga")]
    assert read_copy_text(copy_text("customer", customers, first_id)) == \
        expected(customers, first_id)


def test_the_tables_of_rows_handed_on_whole_or_keyed_have_no_optional_columns():
    # invoices and invoice lines skip `_nulls` (their rests are checked once, see
    # validate._tails): an empty value there would be written as "", not as a NULL
    for table in ("invoice", "invoice_line"):
        assert not [name for name in TABLE_COLUMNS[table] if (table, name) in NULLABLE]
