"""Invoices and invoice lines are read by their keys and a cached rest (`TAIL_KEYS`), and
handed to PostgreSQL's importer keyed (each rest once, then its number): the rows, the
report and the lines it names must be exactly those of reading every row the plain way,
whatever the files hold."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SECRET
from tests.imports.conftest import BASE, load_and_look, messages, write_snapshot
from zaao_hx.imports import validate
from zaao_hx.imports.validate import (
    SnapshotValidator,
    TupleSink,
    _copy_text_by_column,
    copy_text_keyed,
    tail_copy_text,
)
from zaao_hx.imports.worker import Keyed

# Forty invoices of two shapes and their lines: after the first of each shape, every
# invoice's and line's rest (what follows its keys) is one seen before.
HEADS = {name: BASE[name].split("\n", 1)[0] for name in ("invoices.csv", "invoice_lines.csv")}
INVOICES = [f"X{i},{'10-1' if i % 2 else '20-2'},statement,2026-10-02,2026-10-31,"
            f"2026-09-01,2026-09-30,{'15.60,3.28,18.88' if i % 2 else '24.60,5.17,29.77'}"
            for i in range(40)]
LINES = []
for _i in range(40):
    LINES.append(f'X{_i},1,"Sadzīves atkritumu izvešana, 240 l",2,reizes,7.80,21,15.60')
    if _i % 2 == 0:
        LINES.append(f"X{_i},2,Konteinera noma,1,mēn.,9.00,21,9.00")
BODIES = {
    "invoices.csv": BASE["invoices.csv"].split("\n", 1)[1].splitlines() + INVOICES,
    "invoice_lines.csv": BASE["invoice_lines.csv"].split("\n", 1)[1].splitlines() + LINES,
}
ENDINGS = {"lf": "\n", "crlf": "\r\n"}


def _files(bodies: dict[str, list[str]], ending: str) -> dict[str, bytes]:
    return {name: (ending.join([HEADS[name], *rows]) + ending).encode()
            for name, rows in bodies.items()}


def _read(folder: Path, how: str, monkeypatch, block: int = 400
          ) -> tuple[list[str], int, int, list]:
    """What the validator reports and hands on: with the tail cache ("cached"), with it and
    the rows keyed as for PostgreSQL ("keyed", put back together here), or without it."""
    rows: list = []
    rests: dict[int, tuple] = {}

    def keyed(table: str, new: list, keys: list) -> None:
        rests.update(new)
        *columns, tids = keys
        rows.extend((table, (*key, *rests[tid])) for *key, tid in zip(*columns, tids,
                                                                        strict=True))

    with monkeypatch.context() as patch:
        patch.setattr(validate, "BLOCK_CHARS", block)  # many blocks: rests cached across them
        if how == "plain":
            patch.setattr(validate, "TAIL_KEYS", {})
        sink = TupleSink(lambda table, batch: rows.extend((table, row) for row in batch),
                         batch=7, emit_keyed=keyed if how == "keyed" else None)
        report = SnapshotValidator(folder, SECRET, sink).run()
    return messages(report), report.error_count, report.warning_count, rows


def _same_both_ways(files: dict[str, bytes], monkeypatch) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_snapshot(Path(tmp) / "s", files)
        cached = _read(folder, "cached", monkeypatch)
        keyed = _read(folder, "keyed", monkeypatch)
        plain = _read(folder, "plain", monkeypatch)
    if cached[1]:  # an error: what was handed on is rolled back, and may differ in batches
        cached, keyed, plain = cached[:3], keyed[:3], plain[:3]
    assert keyed == cached
    assert plain == cached
    return cached


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_repeated_rests_are_taken_from_the_cache_with_the_same_rows(ending, monkeypatch):
    taken = []
    original = SnapshotValidator._tails

    def counting(self, *args):
        chunk = original(self, *args)
        if chunk is not None:
            taken.append(chunk.n - chunk.missed)
        return chunk

    monkeypatch.setattr(SnapshotValidator, "_tails", counting)
    problems, errors, warnings, rows = _same_both_ways(_files(BODIES, ENDINGS[ending]),
                                                       monkeypatch)
    assert (errors, warnings) == (0, 0), problems
    # all but a few rests of the 124 rows came from the cache, in both reads that use it
    assert sum(taken) >= 2 * 90, taken
    assert sum(table == "invoice_line" for table, _ in rows) == len(BODIES["invoice_lines.csv"])
    assert ("invoice", ("X3", "10-1", "statement", "2026-10-02", "2026-10-31", "2026-09-01",
                        "2026-09-30", 1560, 328, 1888)) in rows


def test_a_bad_key_in_a_cached_row_is_reported_on_its_line(monkeypatch):
    bodies = {**BODIES, "invoices.csv": list(BODIES["invoices.csv"])}
    row = bodies["invoices.csv"].index(INVOICES[31])
    bodies["invoices.csv"][row] = INVOICES[31].replace("10-1", "99-9")
    problems, errors, _ = _same_both_ways(_files(BODIES | bodies, "\r\n"), monkeypatch)
    assert errors == 1
    assert f"invoices.csv, line {row + 2}," in problems[0] and "99-9" in problems[0], problems


def test_a_bad_value_in_a_rest_seen_once_is_reported_where_it_recurs(monkeypatch):
    bodies = {**BODIES, "invoice_lines.csv": list(BODIES["invoice_lines.csv"])}
    lines = bodies["invoice_lines.csv"]
    bad = [i for i, text in enumerate(lines) if text.startswith(("X30,1,", "X34,1,"))]
    for i in bad:
        lines[i] = lines[i].replace(",2,reizes,", ",2x,reizes,")
    problems, errors, _ = _same_both_ways(_files(bodies, "\n"), monkeypatch)
    assert errors >= 2
    for i in bad:
        assert any(f"invoice_lines.csv, line {i + 2}," in p and "quantity" in p for p in problems)


# what CSV files are made of, and what breaks them
ALPHABET = st.sampled_from(list(',"\r\n\t ;-.0123456789XMāž'))
FIELD = st.one_of(st.text(ALPHABET, max_size=12),
                  st.sampled_from(["", "X5", "10-1", "99-9", '"X7"', '"a,b"', "2026-02-30",
                                   "-0.10", "15.601", "1e3", " 21", "reizes"]))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(BODIES)), row=st.integers(min_value=0, max_value=200),
       field=st.integers(min_value=0, max_value=9), value=FIELD,
       ending=st.sampled_from(["\n", "\r\n", "mixed"]))
def test_any_change_reads_the_same_with_and_without_the_cache(monkeypatch, name, row, field,
                                                              value, ending):
    rows = list(BODIES[name])
    row %= len(rows)
    fields = rows[row].split(",")
    fields[min(field, len(fields) - 1)] = value
    rows[row] = ",".join(fields)
    files = _files({**BODIES, name: rows}, "\n" if ending == "mixed" else ending)
    if ending == "mixed":  # CRLF from the changed row on
        text = files[name].decode()
        cut = text.index(rows[row]) if rows[row] else len(text) // 2
        files[name] = (text[:cut] + text[cut:].replace("\n", "\r\n")).encode()
    _same_both_ways(files, monkeypatch)


def test_keyed_rows_make_the_same_copy_text_as_whole_rows():
    # text keys (invoices: number and contract), escaped where they must be
    rests = {0: ("statement", "2026-10-02", "2026-10-31", "2026-09-01", "2026-09-30", 1560,
                 328, 1888),
             1: ("in\tvoice", "a\\b", "new\nline", "x\ry", "ā", 5, 0, 5)}
    keys = [["X1", "X\\2", "X3\tb"], ["10-1", "10-1", "1\n0"]]
    tids = [0, 1, 0]
    texts = {tid: tail_copy_text(rest) for tid, rest in rests.items()}
    whole = [(*key, *rests[tid]) for key, tid in zip(zip(*keys, strict=True), tids, strict=True)]
    for first_id in (None, 41):
        assert copy_text_keyed(keys, tids, texts, first_id) == \
            _copy_text_by_column("invoice", whole, first_id)
    # integer keys (invoice lines: their invoice's seq)
    rests = {0: (1, "Konteinera noma", "1", "mēn.", 920, "21", 920),
             1: (2, "Tab\there\\, new\nline", "1", "x", 5, "21", 5)}
    keys = [[3, 3, 12]]
    texts = {tid: tail_copy_text(rest) for tid, rest in rests.items()}
    whole = [(key, *rests[tid]) for key, tid in zip(keys[0], tids, strict=True)]
    for first_id in (None, 41):
        assert copy_text_keyed(keys, tids, texts, first_id) == \
            _copy_text_by_column("invoice_line", whole, first_id)


# what COPY's text format must escape, and what only looks like something
AWKWARD = st.sampled_from(["", "None", "\\N", "\t", "a\\b", "\r\n", "\n", "x\ry", "ā"])
VALUE = AWKWARD | st.text(max_size=6)
# a NULL: whole rows write a column holding one as nullable, where "" is NULL too
NULL_OR_VALUE = st.none() | VALUE.filter(bool)


@settings(max_examples=150, deadline=None)
@given(rests=st.lists(st.tuples(NULL_OR_VALUE, VALUE, VALUE, VALUE, VALUE,
                                st.integers(-10**6, 10**6), st.integers(-10**6, 10**6),
                                st.integers(0, 10**6)),
                      min_size=1, max_size=4),
       keys=st.lists(st.tuples(VALUE, VALUE), min_size=1, max_size=6), data=st.data())
def test_any_keyed_rows_make_the_same_copy_text_as_whole_rows(rests, keys, data):
    tids = [data.draw(st.integers(0, len(rests) - 1)) for _ in keys]
    texts = {tid: tail_copy_text(rest) for tid, rest in enumerate(rests)}
    whole = [(*key, *rests[tid]) for key, tid in zip(keys, tids, strict=True)]
    columns = [list(column) for column in zip(*keys, strict=True)]
    assert copy_text_keyed(columns, tids, texts, 7) == _copy_text_by_column("invoice", whole, 7)


def test_rests_past_the_cache_s_size_are_sent_for_their_row_only(monkeypatch):
    numbers: list[int] = []
    original = TupleSink.keyed

    def recording(self, table, keys, tids, new):
        numbers.extend(tids)
        original(self, table, keys, tids, new)

    monkeypatch.setattr(TupleSink, "keyed", recording)
    monkeypatch.setattr(validate, "TAILS_KEPT", 2)
    lines = [line.replace("1,\"Sadzīves atkritumu izvešana", f"1,\"Izvešana {i}")
             for i, line in enumerate(BODIES["invoice_lines.csv"])]  # each rest its own
    problems, errors, *_ = _same_both_ways(_files({**BODIES, "invoice_lines.csv": lines}, "\n"),
                                           monkeypatch)
    assert errors == 0, problems
    once = [n for n in numbers if n < 0]
    assert once and len(set(once)) == len(once)  # each for one row
    assert len({n for n in numbers if n >= 0}) < len(once)  # few cached, the rest once


def test_a_new_rest_repeated_within_a_block_is_checked_and_sent_once(monkeypatch):
    # a new tariff's first month: many invoices' lines with a rest none had before
    checked: list[int] = []
    sent: list[tuple] = []
    original_check, original_keyed = SnapshotValidator._line_tails, TupleSink.keyed

    def counting(self, ch):
        checked.append(ch.n)
        return original_check(self, ch)

    def recording(self, table, keys, tids, new):
        sent.extend(rest for _, rest in new)
        original_keyed(self, table, keys, tids, new)

    monkeypatch.setattr(SnapshotValidator, "_line_tails", counting)
    monkeypatch.setattr(TupleSink, "keyed", recording)
    lines = [line.replace("Konteinera noma,1,mēn.,9.00", "Konteinera noma,1,mēn.,9.50")
             .replace(",9.00", ",9.50") for line in BODIES["invoice_lines.csv"]]
    invoices = [row.replace("24.60,5.17,29.77", "25.10,5.27,30.37")
                for row in BODIES["invoices.csv"]]
    files = _files({"invoices.csv": invoices, "invoice_lines.csv": lines}, "\n")
    problems, errors, *_ = _same_both_ways(files, monkeypatch)  # (the same rows, report)
    assert errors == 0, problems
    checked.clear()
    sent.clear()
    with tempfile.TemporaryDirectory() as tmp:
        _read(write_snapshot(Path(tmp) / "s", files), "keyed", monkeypatch, block=1 << 15)
    rent = [rest for rest in sent if rest[1:5] == ("Konteinera noma", "1", "mēn.", 950)]
    assert len(rent) == 1  # 20 lines in one block: one rest, numbered and sent once
    assert sum(checked) == len({line.split(",", 1)[1] for line in lines})  # each rest once


def test_a_bad_new_rest_repeated_within_a_block_is_reported_at_each_of_its_lines(
        monkeypatch):
    # checked once, it has a problem: each of its rows is checked again, to name its line
    lines = [line.replace("Konteinera noma,1,mēn.,9.00,21,9.00", "Konteinera noma,1,mēn.,9.00,"
                          "21,nine") for line in BODIES["invoice_lines.csv"]]
    files = _files({**BODIES, "invoice_lines.csv": lines}, "\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_snapshot(Path(tmp) / "s", files)
        found = {how: _read(folder, how, monkeypatch, block=1 << 15)[:3]
                 for how in ("cached", "keyed", "plain")}
    assert found["cached"] == found["keyed"] == found["plain"]
    problems = [m for m in found["plain"][0] if "'nine'" in m]
    assert len(problems) == 20  # (the twenty rent lines, each named)


def test_postgres_copies_keyed_rows_with_rests_for_one_row(postgres_import_db):
    """The importer's side of keyed rows, into a real PostgreSQL table: cached rests by
    number across frames, one-row rests (negative) used and let go, escapes, ids."""
    rent = (2, "Konteinera noma", "1", "mēn.", 920, "21", 920)
    odd = (1, "Tab\there\\", "1", "x", 5, "21", 5)

    async def frames():
        yield "invoice_line", Keyed([(0, rent), (-1, odd)], [[11, 12, 13], [0, -1, 0]])
        yield "invoice_line", Keyed([(-2, odd)], [[14, 15], [-2, 0]])

    async def lines(store) -> list:
        rows = await store.conn.fetch("SELECT id, invoice_seq, line_no, description, "
                                      "unit_price_cents FROM invoice_line__import ORDER BY id")
        return [tuple(row) for row in rows]

    assert load_and_look(postgres_import_db, frames, lines) == [
        (1, 11, 2, "Konteinera noma", 920), (2, 12, 1, "Tab\there\\", 5),
        (3, 13, 2, "Konteinera noma", 920), (4, 14, 1, "Tab\there\\", 5),
        (5, 15, 2, "Konteinera noma", 920),
    ]
