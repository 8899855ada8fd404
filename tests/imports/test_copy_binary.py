"""The binary COPY the PostgreSQL import sends for invoices and their lines says exactly
the rows it was made of, and PostgreSQL reads it so."""

from __future__ import annotations

import datetime
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imports.conftest import load_and_look
from zaao_hx.imports import copy_binary, store
from zaao_hx.imports.copy_binary import HEADER, TRAILER, TYPES, BinaryCopy
from zaao_hx.imports.store import BINARY_TABLES
from zaao_hx.imports.worker import END, Keyed

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
DAY_ONE = datetime.date(2000, 1, 1)


def read_copy_binary(data: bytes, types: list[str]) -> list[tuple]:
    """PostgreSQL's reading of binary COPY ("COPY", "Binary Format"), for these types."""
    assert data.startswith(SIGNATURE)
    flags, extension = struct.unpack_from(">ii", data, len(SIGNATURE))
    assert (flags, extension) == (0, 0)
    at = len(SIGNATURE) + 8
    rows = []
    while True:
        (count,) = struct.unpack_from(">h", data, at)
        at += 2
        if count == -1:
            assert at == len(data)  # nothing after the trailer
            return rows
        assert count == len(types)
        row = []
        for kind in types:
            (length,) = struct.unpack_from(">i", data, at)
            at += 4
            if length == -1:
                row.append(None)
                continue
            field = data[at:at + length]
            assert len(field) == length
            at += length
            if kind == "int4":
                assert length == 4
                row.append(struct.unpack(">i", field)[0])
            elif kind == "int8":
                assert length == 8
                row.append(struct.unpack(">q", field)[0])
            elif kind == "date":
                assert length == 4
                days = struct.unpack(">i", field)[0]
                row.append((DAY_ONE + datetime.timedelta(days=days)).isoformat())
            else:
                row.append(field.decode())
        rows.append(tuple(row))


def whole(data: bytes) -> bytes:
    return HEADER + data + TRAILER


# what COPY's text format would have to escape, and other text
TEXT = st.text(st.sampled_from(list("\\\t\n\r Nonea1-,.\"'āž\u2028😀")), max_size=10)
DATES = st.dates(datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)).map(
    datetime.date.isoformat)
VALUES = {
    "int4": st.integers(-(2**31), 2**31 - 1),
    "int8": st.integers(-(2**63), 2**63 - 1),
    "date": DATES,
    "varchar": TEXT,
    "text": TEXT,
}


def row_values(types: list[str], nulls: bool) -> st.SearchStrategy[tuple]:
    return st.tuples(*[st.none() | VALUES[t] if nulls else VALUES[t] for t in types])


@settings(max_examples=200, deadline=None)
@given(data=st.data(), types=st.lists(st.sampled_from(TYPES), min_size=1, max_size=6),
       nulls=st.booleans(), numbered=st.booleans())
def test_rows_read_back_as_they_were(data, types, nulls, numbered):
    rows = data.draw(st.lists(row_values(types, nulls), min_size=1, max_size=8))
    first_id = data.draw(st.integers(1, 2**31 - 100)) if numbered else None
    columns = (["int4"] if numbered else []) + types
    copy = BinaryCopy(columns)
    expected = [((first_id + i,) if numbered else ()) + row for i, row in enumerate(rows)]
    assert read_copy_binary(whole(copy.rows(rows, first_id)), columns) == expected


@settings(max_examples=200, deadline=None)
@given(data=st.data(), repeated=st.booleans(), numbered=st.booleans())
def test_keyed_rows_are_the_same_bytes_as_whole_rows(data, repeated, numbered):
    # an invoice: number, contract (keys), then its rest; keys that repeat take the
    # way of one field per value, distinct ones that of a field per row
    key_types = ["varchar", "varchar"]
    rest_types = ["varchar", "date", "date", "int8", "int8"]
    rests = data.draw(st.lists(row_values(rest_types, nulls=False), min_size=1, max_size=4))
    key = st.sampled_from(["M1", "10-1", "ā\t"]) if repeated else TEXT
    keys = data.draw(st.lists(st.tuples(key, key), min_size=1, max_size=12))
    tids = [data.draw(st.integers(0, len(rests) - 1)) for _ in keys]
    columns = (["int4"] if numbered else []) + key_types + rest_types
    copy = BinaryCopy(columns)
    tails = {tid: copy.tail(rest) for tid, rest in enumerate(rests)}
    first_id = 7 if numbered else None
    key_columns = [list(column) for column in zip(*keys, strict=True)]
    rows = [(*k, *rests[tid]) for k, tid in zip(keys, tids, strict=True)]
    assert copy.keyed(key_columns, tids, tails, first_id) == copy.rows(rows, first_id)


def test_a_type_it_does_not_know_is_refused():
    with pytest.raises(ValueError, match="numeric"):
        BinaryCopy(["int4", "numeric"])


# -- on PostgreSQL

INVOICE_REST = ("statement", "2026-10-02", "2026-10-31", "2026-09-01", "2026-09-30",
                1560, 328, 1888)
LINE_REST = (1, 'Tab\there, back\\slash, "quote", new\nline, \\N', "0.5", "mēn.", 2**40,
             "21", -5)


async def frames():  # (each table's rows and its END, as the checking process sends)
    yield "contract", [("10-1", "C1", "2015-03-01", None, "paper", "monthly")]
    yield "contract", END
    # invoices: keyed, then a block read the plain way, then keyed again
    yield "invoice", Keyed([(0, INVOICE_REST)], [["M1", "M2ā"], ["10-1", "10-1"], [0, 0]])
    yield "invoice", [("I\t3", "10-1", "invoice", "1900-01-01", "2199-12-31", "2026-10-01",
                       "2026-10-31", -(2**62), 0, -(2**62))]
    yield "invoice", Keyed([(-1, ("statement", *INVOICE_REST[1:5], 1, 2, 3))],
                           [["M4"], ["10-1"], [-1]])
    yield "invoice", END
    yield "invoice_line", Keyed([(0, LINE_REST), (1, (2, "Noma", "1", "gab.", 0, "0", 0))],
                                [[1, 1, 2], [0, 1, 0]])
    yield "invoice_line", [(4, 1, "None", "1", "x", 5, "21", 5)]
    yield "invoice_line", END


async def contents(store_) -> dict[str, list[tuple]]:
    conn = store_.conn
    return {
        table: [tuple(r) for r in await conn.fetch(
            f'SELECT * FROM "{table}__import" ORDER BY 1')]
        for table in ("invoice", "invoice_line")
    }


def test_postgresql_reads_binary_rows_as_it_reads_their_copy_text(postgres_import_db,
                                                                  monkeypatch):
    assert BINARY_TABLES == {"invoice", "invoice_line"}
    sent: list[str] = []
    original = copy_binary.BinaryCopy.keyed

    def keyed(self, *args):
        sent.append("binary")
        return original(self, *args)

    monkeypatch.setattr(copy_binary.BinaryCopy, "keyed", keyed)
    binary = load_and_look(postgres_import_db, frames, contents)
    assert sent  # (else this compares text with text)
    monkeypatch.setattr(store, "BINARY_TABLES", set())
    text = load_and_look(postgres_import_db, frames, contents)
    assert binary == text
    invoices = {row[0]: row for row in binary["invoice"]}
    assert invoices["I\t3"][3:7] == (datetime.date(1900, 1, 1), datetime.date(2199, 12, 31),
                                     datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert invoices["I\t3"][7] == -(2**62)
    seqs = {row[0]: row[-1] for row in binary["invoice"]}
    assert seqs == {"M1": 1, "M2ā": 2, "I\t3": 3, "M4": 4}
    lines = [row[:9] for row in binary["invoice_line"]]
    assert [(row[0], row[8]) for row in lines] == [(1, 1), (2, 1), (3, 2), (4, 4)]
    assert lines[0][2] == LINE_REST[1] and lines[0][5] == 2**40
    assert lines[3][2] == "None"


def test_a_table_with_a_type_binary_copy_does_not_know_goes_as_copy_text(
        postgres_import_db, monkeypatch):
    expected = load_and_look(postgres_import_db, frames, contents)
    monkeypatch.setattr(copy_binary, "TYPES", ("int4", "int8", "varchar", "text"))  # no date
    made: list[str] = []
    original = store.copy_text_keyed

    def recording(*args):
        made.append("text")
        return original(*args)

    monkeypatch.setattr(store, "copy_text_keyed", recording)
    assert load_and_look(postgres_import_db, frames, contents) == expected
    assert made  # the invoices went as COPY text
