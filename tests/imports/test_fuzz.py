"""Whatever bytes a file holds, the import answers with a report, never a traceback."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SECRET
from tests.imports.conftest import BASE, write_snapshot
from zaao_hx.imports import validate
from zaao_hx.imports.format import BY_NAME
from zaao_hx.imports.validate import SnapshotValidator

FILES = sorted(BY_NAME)
# what CSV files are made of, and what breaks them
ALPHABET = st.sampled_from(list(',"\r\n\t ;-.0123456789abcXYZāž\x00\x7f\ufeff\u2028'))


def check(changes: dict[str, bytes | str | None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_snapshot(Path(tmp) / "s", changes)
        report = SnapshotValidator(folder, SECRET).run()
        assert report.listing() or report.ok
        for problem in [*report.errors, *report.warnings]:
            assert problem.file in (*BY_NAME, "manifest.json")
            assert problem.line >= 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), data=st.binary(max_size=600))
def test_random_bytes(name, data):
    check({name: data})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), body=st.text(ALPHABET, max_size=400))
def test_random_rows_under_a_good_header(name, body):
    header = BASE[name].split("\n", 1)[0]
    check({name: f"{header}\n{body}"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FILES),
    row=st.integers(min_value=1, max_value=3),
    field=st.integers(min_value=0, max_value=9),
    value=st.text(ALPHABET, max_size=30),
)
def test_one_field_replaced(name, row, field, value):
    lines = BASE[name].split("\n")
    row = min(row, len(lines) - 2)
    fields = lines[row].split(",")
    fields[min(field, len(fields) - 1)] = value
    lines[row] = ",".join(fields)
    check({name: "\n".join(lines)})


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_random_manifest(data):
    check({"manifest.json": data})


# RFC 4180's quoted value as the textbook writes it, a character at a time: the oracle of
# the faster ways the import checks quoting with
_TEXTBOOK_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_TEXTBOOK_RECORD = f"{_TEXTBOOK_FIELD}(?:,{_TEXTBOOK_FIELD})*"
_TEXTBOOK_RECORDS = re.compile(rf"(?:{_TEXTBOOK_RECORD}(?:\r\n|\n|\r))*")
_TEXTBOOK_OPEN = re.compile(f'(?:{_TEXTBOOK_FIELD},)*"(?:[^"]|"")*')
QUOTING = st.text(st.sampled_from(list('",\r\na')), max_size=40)


@settings(max_examples=800, deadline=None)
@given(block=QUOTING)
def test_quoting_is_checked_as_rfc_4180_says(block):
    end = _TEXTBOOK_RECORDS.match(block).end()
    textbook = end == len(block) or re.fullmatch(_TEXTBOOK_RECORD, block[end:]) is not None
    assert validate._well_quoted(block) == textbook
    assert validate.RECORDS_RE.match(block).end() == end
    assert bool(validate.RECORD_RE.fullmatch(block)) == bool(
        re.fullmatch(_TEXTBOOK_RECORD, block))
    assert bool(validate.OPEN_RE.fullmatch(block)) == bool(_TEXTBOOK_OPEN.fullmatch(block))


def test_quoting_examples():
    well = ['a,"b,c"\r\n"d""e",f\n', '""', '"",""', 'x,"y"', '"a\nb"', "", "plain,row\n"]
    broken = ['a"b', '"a"b', 'a,"b', '"a"",b', 'a, "b"', '"a"x,"b"', '""x']
    assert [validate._well_quoted(b) for b in well] == [True] * len(well)
    assert [validate._well_quoted(b) for b in broken] == [False] * len(broken)
