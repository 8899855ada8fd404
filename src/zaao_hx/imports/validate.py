"""Reading and checking a billing snapshot, streaming, one file after the other.

Every row of every file is checked (types, required values, enums, dates, money, keys,
references between files, RRULEs, sums) and turned into rows of the read model, which a
`Sink` receives chunk by chunk.  Nothing is kept but the keys other files refer to, so
memory does not grow with the files; once a row is wrong no more rows are handed on (the
import is refused anyway) but checking goes on, so the report lists every problem.

Speed: a snapshot of 100,000 customers is ~5.5 M rows, so per-row Python is what costs.
Rows are parsed by the `csv` module and then checked a column at a time with operations
that run in C: a value is checked once and remembered (`set(column) - seen`), so the
thousands of distinct dates and amounts are parsed once each, not millions of times;
references and keys are set operations.  Only when a check fails is the chunk walked row by
row, to say which lines are wrong.

The import runs this in a child process (`zaao_hx.imports.worker`), so that checking and
the database's work run on two cores.
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import hmac
import io
import json
import operator
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

from dateutil.rrule import rrulestr

from zaao_hx.billing import identity
from zaao_hx.imports.format import (
    BY_NAME,
    CYCLES,
    DELIVERIES,
    FILES,
    INVOICE_KINDS,
    KINDS,
    MANIFEST,
    WASTE_TYPES,
    FileSpec,
    choices,
)
from zaao_hx.imports.report import Report
from zaao_hx.web.i18n import N_

# ~350 rows a chunk: its objects stay in the CPU's L2 cache (twice as fast as 4 times that)
BLOCK_CHARS = 1 << 15
# what no later file needs once this one is read, let go for the big files' sake:
# contracts refer to customers, containers to sites, container ids are only checked for
# repeats, payments ask whose an invoice is (not its lines; its number's place, where to
# look it up, see _invoice_numbers), and nothing after payments asks about invoices
FORGET_AFTER = {
    "contracts.csv": ("customers",),
    "containers.csv": ("sites", "containers"),
    "invoice_lines.csv": ("invoice_left", "invoice_lines", "invoice_high_lines"),
    "payments.csv": ("invoices", "invoice_owner", "invoice_keys"),
}
LABELS_KEPT = 100_000  # distinct values remembered per repetitive text column
# Billing rows repeat but for their keys: an invoice line is its invoice's number and one
# of a few hundred tariff lines; an invoice its number, its contract and what a month's
# bill of that size looks like.  For these files the rest of a line after its leading key
# columns (when the header starts with them) is checked once: a rest seen before is taken
# as it was then, and only its keys are checked (see `_tails`).
TAIL_KEYS = {"invoices.csv": ("invoice_no", "contract_no"), "invoice_lines.csv": ("invoice_no",)}
TAILS_KEPT = 50_000  # distinct rests remembered per file
WINDOW_MARGIN = 64  # invoices looked among beyond one per row (unpaid ones, see _invoice_numbers)
# A shortcut that pays only where the files are as expected (a file's cached rests, the
# invoices' window) is tried on this many rows of a file, then given up if it missed over
# half of them (see _not_paying)
TRIAL_ROWS = 50_000
FORMAT_VERSION = "1"  # part of the content hash: a new importer re-imports the same files

# messages used in more than one place (msgids: see report.Problem)
MISSING = N_("fails nav atrasts")
UNREADABLE = N_("nevar nolasīt: %(detail)s")
REQUIRED = N_("vērtība ir obligāta")
TOO_LONG = N_("%(value)s pārsniedz %(limit)s rakstzīmes")
TWICE = N_("%(value)s atkārtojas (jau %(line)s. rindā)")
BEFORE = N_("%(value)s ir pirms %(other_column)s %(other)s")
STRAY_QUOTE = N_("pēdiņa vērtības vidū (vērtību ar pēdiņām liek pēdiņās, un pēdiņas tajā "
                 "dubulto)")

# at most 12 digits of euros (an invoice's lines are summed in 64-bit integers: 92,000
# lines of the most would go over, which is reported, not a crash)
MONEY_RE = re.compile(r"-?([0-9]{1,12})(?:\.([0-9]{1,2}))?\Z")
# RFC 4180: a value is quoted (its quotes doubled; it may hold commas and line breaks) or
# holds no quote at all.  (The csv module would take a quote inside an unquoted value as
# it is; a stray quote would also throw out where a block of lines ends.)
# (a quoted value's characters taken a run at a time, `"[^"]*(?:""[^"]*)*"`, not one at a
# time, `"(?:[^"]|"")*"`: the same strings, matched in two thirds of the time)
_FIELD = r'(?:"[^"]*(?:""[^"]*)*"|[^",\r\n]*)'
_RECORD = f"{_FIELD}(?:,{_FIELD})*"
RECORD_RE = re.compile(_RECORD)
RECORDS_RE = re.compile(rf"(?:{_RECORD}(?:\r\n|\n|\r))*")
RECORD_LINE_RE = re.compile(rf"{_RECORD}(?:\r\n|\n|\r|\Z)")
OPEN_RE = re.compile(f'(?:{_FIELD},)*"[^"]*(?:""[^"]*)*')  # a record whose quoted value goes on
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
INT_RE = re.compile(r"[0-9]{1,9}\Z")
DECIMAL_RE = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?\Z")
# characters a value may not hold: C0 controls but tab/CR/LF, DEL, and the lone surrogates
# that stand for bytes that were not UTF-8
BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
NOT_UTF8_RE = re.compile("[\udc80-\udcff]")

# Lengths of the read model's text columns (Varchar), checked here so that PostgreSQL never
# refuses a row halfway through the load.
MAX_LEN = {
    "customer_id": 40,
    "contract_no": 40,
    "site_id": 40,
    "container_id": 40,
    "invoice_no": 40,
    "payment_id": 40,
    "name": 300,
    "personal_code": 20,
    "reg_no": 20,
    "vat_no": 20,
    "phone": 40,
    "email": 200,
    "address": 300,
    "municipality": 100,
    "rrule": 300,
    "reason": 300,
    "description": 300,
    "quantity": 20,
    "unit": 20,
    "vat_rate": 8,
    "channel": 40,
    "reference": 100,
}

# The read model's columns, in the order sinks receive them; `None` marks nullable ones
# (an empty value is stored as NULL) — the others store an empty value as "".
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": (
        "customer_id", "kind", "name", "personal_code_hash", "personal_code_masked",
        "reg_no", "vat_no", "phone", "email", "address",
    ),
    "contract": ("contract_no", "customer_id", "start_date", "end_date", "delivery", "cycle"),
    "site": ("site_id", "contract_no", "address", "municipality"),
    "container": (
        "container_id", "site_id", "waste_type", "volume_l", "count", "rrule", "dtstart",
        "until",
    ),
    # (the serial column of these three, SERIAL_TABLES: the row's place in the file,
    # given by the database side — PostgreSQL's COPY is told, as SQLite is for invoices
    # and invoice lines (SQLITE_NUMBERED); SQLite numbers a truncated rowid table's rows
    # from 1 itself)
    "collection_exception": ("date", "moved_to", "waste_type", "municipality", "reason"),
    "invoice": (
        "invoice_no", "contract_no", "kind", "issue_date", "due_date", "period_start",
        "period_end", "net_cents", "vat_cents", "total_cents",
    ),
    # (invoice_seq: the line's invoice's place in invoices.csv, from 1 — its `seq`)
    "invoice_line": (
        "invoice_seq", "line_no", "description", "quantity", "unit", "unit_price_cents",
        "vat_rate", "net_cents",
    ),
    "payment": (
        "payment_id", "contract_no", "invoice_no", "paid_on", "amount_cents", "channel",
        "reference",
    ),
}
NULLABLE = {
    ("customer", "personal_code_hash"), ("customer", "reg_no"), ("customer", "vat_no"),
    ("contract", "end_date"), ("container", "until"), ("collection_exception", "moved_to"),
    ("collection_exception", "waste_type"), ("collection_exception", "municipality"),
    ("payment", "invoice_no"), ("payment", "reference"),
}


# -- values ----------------------------------------------------------------------------


def parse_money(text: str) -> int:
    """`12.30` → 1230 cents, exactly (never through a float); ValueError if not money."""
    match = MONEY_RE.match(text)
    if not match:
        raise ValueError(text)
    whole, frac = match.groups()
    cents = int(whole) * 100 + int((frac or "").ljust(2, "0"))
    return -cents if text.startswith("-") else cents


def parse_date(text: str) -> datetime.date:
    if not DATE_RE.match(text):
        raise ValueError(text)
    day = datetime.date.fromisoformat(text)
    if not 1900 <= day.year <= 2199:
        raise ValueError(text)
    return day


LEGAL_WEIGHTS = (9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1)
PERSON_WEIGHTS = (10, 5, 8, 4, 2, 1, 6, 3, 7, 9)
LEGAL_ZEROS = 48 * sum(LEGAL_WEIGHTS)  # the weighted sum of "0" codes (48) in every place
PERSON_ZEROS = 48 * sum(PERSON_WEIGHTS)


CHECK_DIGIT_WRONG = N_("%(value)s: nepareizs kontrolcipars (importēts bez izmaiņām)")


def lv_code_problem(digits: str) -> str | None:
    """Why an 11-digit Latvian personal code or registration number is not valid (its
    check digit or birth date: a warning's msgid, of %(value)s), or None — the rules of
    python-stdnum's `lv.pvn` (a test holds them to it), on the digits' ASCII codes: a
    weighted sum of the codes is the digits' less 48 times the weights' sum."""
    codes = digits.encode()
    if codes[0] > 51:  # above "3": a legal person's registration number
        if (sum(map(operator.mul, LEGAL_WEIGHTS, codes)) - LEGAL_ZEROS) % 11 != 3:
            return CHECK_DIGIT_WRONG
        return None
    if not digits.startswith("32"):  # old personal code: DDMMYY-CNNNN
        try:
            datetime.date(1800 + 100 * (codes[6] - 48) + int(digits[4:6]), int(digits[2:4]),
                          int(digits[0:2]))
        except ValueError:
            return N_("%(value)s: dzimšanas datums nav derīgs datums (importēts bez izmaiņām)")
    check = (1 + sum(map(operator.mul, PERSON_WEIGHTS, codes)) - PERSON_ZEROS) % 11 % 10
    if check != codes[10] - 48:
        return CHECK_DIGIT_WRONG
    return None


def _short(value: str, limit: int = 40) -> str:
    """A value quoted for a message, cut short and with unprintable characters shown."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)


# -- sinks -----------------------------------------------------------------------------


class Sink:
    """Receives the read model's rows, a chunk at a time, in the order of FILES."""

    # True: rows of TAIL_KEYS files come to `keyed` as their keys and the number of
    # their rest (each rest's values handed on once), not whole
    keyed_tails = False

    def rows(self, table: str, columns: list[Sequence[Any]], count: int) -> None:
        """`columns`: one sequence per column of TABLE_COLUMNS[table], `count` long."""

    def tuples(self, table: str, rows: Iterable[tuple]) -> None:
        """The same as `rows`, a tuple a row."""

    def keyed(self, table: str, keys: list[Sequence[str] | Sequence[int]], tids: list[int],
              new: list[tuple[int, tuple]]) -> None:
        """Rows of `table` as the columns of their keys (an invoice line's: its invoice's
        seq) and their rests' numbers; `new`: the rests numbered for the first time here,
        (number, values after the keys)."""

    def flush(self) -> None:
        """The end of a file: hand on what is held back."""

    def finished(self, table: str) -> None:
        """After `flush`: no more rows of `table` come (what remains to check of its file
        is checked rows, not rows: payment ids once, at the very end)."""

    def progress(self, done: int, total: int, file: str) -> None:
        """Bytes read of all files so far."""


class TupleSink(Sink):
    """Rows as tuples of str / int / None (None: NULL), in TABLE_COLUMNS order, handed on
    `batch` at a time (fewer, bigger hand-overs than the chunks they are checked in)."""

    def __init__(self, emit: Callable[[str, list[tuple]], None], batch: int = 2000,
                 emit_keyed: Callable[[str, list, list], None] | None = None,
                 emit_end: Callable[[str], None] | None = None) -> None:
        self.emit = emit
        self.emit_end = emit_end
        self.batch = batch
        self.table = ""
        self.pending: list[tuple] = []
        # with `emit_keyed` (keyed_tails): the key columns and rest numbers held back,
        # then the rests numbered in them
        self.emit_keyed = emit_keyed
        self.keyed_tails = emit_keyed is not None
        self.pending_keys: list[list] = []
        self.pending_new: list[tuple[int, tuple]] = []

    def rows(self, table, columns, count):
        self.tuples(table, zip(*columns, strict=True))

    def tuples(self, table, rows):
        if table != self.table or self.pending_keys:
            self.flush()
            self.table = table
        self.pending += rows
        if len(self.pending) >= self.batch:
            self.flush()

    def keyed(self, table, keys, tids, new):
        if table != self.table or self.pending:
            self.flush()
            self.table = table
        if not self.pending_keys:
            self.pending_keys = [[] for _ in range(len(keys) + 1)]
        for held, column in zip(self.pending_keys, [*keys, tids], strict=True):
            held += column
        self.pending_new += new
        if len(self.pending_keys[0]) >= self.batch:
            self.flush()

    def finished(self, table: str) -> None:
        if self.emit_end is not None:
            self.emit_end(table)

    def flush(self) -> None:
        if self.pending:
            self.emit(self.table, self.pending)
            self.pending = []
        if self.pending_keys:
            assert self.emit_keyed is not None
            self.emit_keyed(self.table, self.pending_new, self.pending_keys)
            self.pending_keys = []
            self.pending_new = []


_NULL_OF_EMPTY = {"": None}.get
_COPY_NULL = {None: "\\N"}.get  # (an empty optional value is None already: `_nulls`)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
INT_COLUMNS = {
    "volume_l", "count", "invoice_seq", "line_no", "net_cents", "vat_cents", "total_cents",
    "unit_price_cents", "amount_cents",
}


def _nulls(table: str, columns: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """An empty optional value is NULL."""
    return [
        list(map(_NULL_OF_EMPTY, column, column)) if (table, name) in NULLABLE else column
        for name, column in zip(TABLE_COLUMNS[table], columns, strict=True)
    ]


# each table's serial column, numbering its rows in the file's order from FIRST_SERIAL
# (the stores number them so; an invoice line's invoice_seq is its invoice's number)
SERIAL_TABLES = {"invoice_line": "id", "collection_exception": "id", "invoice": "seq"}
FIRST_SERIAL = 1


def copy_text(table: str, rows: list[tuple], first_id: int | None = None) -> bytes:
    """Rows as PostgreSQL's COPY text format: NULL as \\N, tabs and line breaks escaped;
    with `first_id`, an `id` column first, counting from it.

    The rows are first written row by row with a `%` template (in C, two to three times
    as fast as going column by column), a NULL as the word None, which then becomes \\N
    when the text holds that word once for each NULL and no more.  If the text holds
    anything that needs escaping or is not what it seems (a backslash, a CR, a tab or
    line break more than the rows and columns make, the word None in a value), it is made
    again column by column."""
    template = _copy_template(table, first_id is not None)
    try:
        text = "".join(map(template.__mod__, numbered(rows, first_id)))
    except TypeError:  # a None where a number must be: as below (\\N, refused)
        pass
    else:
        nulls = sum(map(tuple.count, rows, repeat(None, len(rows))))
        if (
            "\\" not in text
            and "\r" not in text
            and text.count("None") == nulls
            and text.count("\n") == len(rows)
            and text.count("\t") == len(rows) * template.count("\t")
        ):
            return (text.replace("None", "\\N") if nulls else text).encode()
    return _copy_text_by_column(table, rows, first_id)


def numbered(rows: list[tuple], first_id: int | None) -> Iterable[tuple]:
    """The rows, each with its id first, counting from `first_id` (None: as they are)."""
    if first_id is None:
        return rows
    return map(tuple.__add__, zip(range(first_id, first_id + len(rows))), rows)


def copy_text_keyed(keys: list[Sequence[str] | Sequence[int]], tids: list[int],
                    texts: dict[int, str], first_id: int | None = None) -> bytes:
    """Rows handed on keyed (`Sink.keyed`) as COPY text: their keys (text, or integers: an
    invoice line's invoice_seq), then their rest's text from `texts` (made by
    `tail_copy_text`).  The pieces are joined as they are, the
    tabs and line ends between them too (a fifth faster than a `%` template a row)."""
    n = len(tids)
    pieces: list[Iterable[str]] = []
    if first_id is not None:
        pieces += [map(str, range(first_id, first_id + n)), repeat("\t", n)]
    for column in keys:
        if column and isinstance(column[0], int):  # (a column holds one kind of value)
            column = map(str, column)
        elif _needs_escape(column):
            column = [v.translate(_COPY_ESCAPES) for v in column]
        pieces += [column, repeat("\t", n)]
    pieces += [map(texts.__getitem__, tids), repeat("\n", n)]
    return "".join(chain.from_iterable(zip(*pieces, strict=True))).encode()


def tail_copy_text(tail: tuple) -> str:
    """The COPY text of a row's values after its keys (as `Sink.keyed` numbers them)."""
    text = "\t".join(map(str, tail))  # six times faster; right unless something needs escaping
    if (
        None not in tail
        and "\\" not in text
        and "\n" not in text
        and "\r" not in text
        and text.count("\t") == len(tail) - 1
    ):
        return text
    return "\t".join(
        "\\N" if v is None else v.translate(_COPY_ESCAPES) if isinstance(v, str) else str(v)
        for v in tail
    )


def _copy_text_by_column(table: str, rows: list[tuple], first_id: int | None) -> bytes:
    out: list[Sequence[str]] = []
    if first_id is not None:
        out.append(list(map(str, range(first_id, first_id + len(rows)))))
    for name, column in zip(TABLE_COLUMNS[table], zip(*rows, strict=True), strict=True):
        if name in INT_COLUMNS:
            column = list(map(str, column))
        else:
            if _needs_escape(column):
                column = [v.translate(_COPY_ESCAPES) if v else v for v in column]
            if None in column:
                column = list(map(_COPY_NULL, column, column))
        out.append(column)
    return ("\n".join(map("\t".join, zip(*out, strict=True))) + "\n").encode()


@functools.cache
def _copy_template(table: str, with_id: bool) -> str:
    """`%` template of a row of `table`."""
    fields = ["%d" if name in INT_COLUMNS else "%s" for name in TABLE_COLUMNS[table]]
    return "\t".join(["%d", *fields] if with_id else fields) + "\n"


def _needs_escape(column: Sequence[str | None]) -> bool:
    joined = "".join(filter(None, column))
    return "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined


# -- reading ---------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """A file read through: its bytes are hashed and counted as they go by."""

    def __init__(self, raw: io.BufferedReader, counter: list[int]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.sha.update(memoryview(buffer)[:n])
            self.counter[0] += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Chunk:
    """Parsed rows of one file with their line numbers, seen a column at a time."""

    def __init__(self, rows: list[list[str]], lines: list[int] | None, first: int) -> None:
        self.rows = rows
        self.n = len(rows)
        self._lines = lines  # None: consecutive lines from `first`
        self.first = first
        self.cols: dict[str, Sequence[str]] = {}
        # with TAIL_KEYS: cols holds the key columns only, and each row's checked rest
        # (a tuple in TABLE_COLUMNS order after the keys) is here
        self.tails: list[tuple] | None = None
        self.missed = 0  # of those, the rests not seen before
        # read the plain way: the rest's columns, checked (see `rest_columns`)
        self.rest: list[Sequence] = []
        # with sink.keyed_tails: each row's rest's number, and the rests numbered here
        self.tids: list[int] | None = None
        self.new: list[tuple[int, tuple]] = []

    def line(self, i: int) -> int:
        return self.first + i if self._lines is None else self._lines[i]

    def take(self, wanted: list[tuple[str, int | None]]) -> _Chunk:
        """Its rows' columns by name ((name, index in a row); None: not in the file, all
        empty)."""
        transposed = list(zip(*self.rows, strict=True))
        empty = ("",) * self.n
        for name, index in wanted:
            self.cols[name] = transposed[index] if index is not None else empty
        return self


def _line_breaks(row: list[str]) -> int:
    return sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in row)


def _physical_lines(block: str) -> list[str] | None:
    """A block's lines, each ended by LF or CRLF (None: a lone CR, or another of the line
    boundaries `str.splitlines` knows, such as U+2028, which the csv module reads as
    part of a value)."""
    if "\r" in block:
        # one line per LF, and no more: no line ended otherwise (a third of the time of
        # splitting on CRLF and counting CRs and LFs); a last line without its LF (a
        # file's end) is left to the csv module too
        lines = block.splitlines()
        if block[-1] != "\n" or len(lines) != block.count("\n"):
            return None
        return lines
    lines = block.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _complete(block: str, text: io.TextIOBase) -> str:
    """The block, read on while its last record's quoted value is open (a value over
    several lines).  A line with a quote that opens no value (in an unquoted one) is
    passed over (`_parse` reports it): its quotes say nothing of where values end."""
    start = 0
    while True:
        start = RECORDS_RE.match(block, start).end()
        if start == len(block):
            return block
        if OPEN_RE.fullmatch(block, start):
            # lines until its quotes pair up (counted in the new lines only), then the
            # record is looked at again
            parts, still_open = [block], True
            while still_open:
                more = text.readline()
                if not more:
                    break
                parts.append(more)
                still_open ^= more.count('"') % 2 == 1
            block = "".join(parts)
            if still_open:
                return block
            continue
        start = _next_line(block, start)  # (past a broken record: `_parse` reports it)


def _next_line(block: str, pos: int) -> int:
    """Where the line after the one `pos` is in starts (the block's end if none)."""
    ends = [i for i in (block.find("\n", pos), block.find("\r", pos)) if i >= 0]
    if not ends:
        return len(block)
    return min(ends) + 1 + block.startswith("\r\n", min(ends))


_DELIMITERS = (",", "\r", "\n")


def _well_quoted(block: str) -> bool:
    """Whether every quote in a block opens or closes a quoted value, or is doubled in
    one (what RECORDS_RE and RECORD_RE match, in a quarter of their time).  Split on
    quotes, the block's pieces are by turns outside quoted values and inside them; each
    piece outside but the first and last ends one quoted value and starts the next, so it
    begins and ends with a comma or a line break, or is empty (a doubled quote)."""
    pieces = block.split('"')
    if len(pieces) == 1:  # no quote
        return True
    if not len(pieces) % 2:  # an odd number of quotes: a value left open
        return False
    first, *between, last = pieces
    return (
        (not first or first.endswith(_DELIMITERS))
        and (not last or last.startswith(_DELIMITERS))
        and all(not piece or piece.startswith(_DELIMITERS) and piece.endswith(_DELIMITERS)
                for piece in between[1::2])
    )


class SnapshotValidator:
    """Checks a snapshot folder; `run()` returns the report, rows go to `sink`."""

    def __init__(self, directory: Path, secret_key: str, sink: Sink | None = None,
                 limit: int | None = None) -> None:
        self.directory = Path(directory)
        self.secret_key = secret_key
        self.sink = sink or Sink()
        self.report = Report() if limit is None else Report(limit=limit)
        self.manifest: dict[str, Any] = {}
        self.file_hashes: dict[str, str] = {}
        self.bytes_done = [0]
        self.bytes_total = 0
        self.file = ""
        self.unusable: set[str] = set()  # files whose keys are unknown: no reference checks
        # values seen valid, so that each distinct value is parsed once
        self.cents: dict[str, int] = {}
        self.dates: dict[str, str] = {}  # each as one shared str (see `label`)
        self.dates_or_empty: dict[str, str] = {"": ""}
        self.ints: dict[str, dict[str, int]] = defaultdict(dict)
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.tails: dict[str, dict[str, tuple]] = defaultdict(dict)  # file → rest → tail
        self.tail_ids: dict[str, dict[str, int]] = defaultdict(dict)  # file → rest → number
        self.next_tid = 0  # the next rest's number (sink.keyed_tails)
        self.last_once = 0  # the last number of a rest not cached: negative, for one row
        self.rrules: dict[tuple[str, str], str | None] = {}
        # keys other files refer to
        self.customers: dict[str, str] = {}  # customer_id → the same str (one object)
        self.contracts: dict[str, str] = {}
        self.sites: dict[str, str] = {}
        self.containers: set[str] = set()
        # invoices: a number each (its row), and by that number what lines need to know,
        # in arrays: a million invoices are looked up three million times
        self.invoices: dict[str, int] = {}  # invoice_no → number
        self.invoice_owner: list[str] = []  # number → its contract_no
        self.invoice_keys: list[str] = []  # number → its invoice_no
        self.window_tries: dict[str, list[int]] = {}  # file → [rows, missed] in the window
        self.invoice_left = array("q")  # number → net not yet covered by lines
        self.invoice_lines = array("Q")  # number → bit set of its line numbers (1–63)
        self.invoice_high_lines: set[tuple[int, int]] = set()  # line numbers from 64 on
        self.overflowed: set[int] = set()  # invoices whose lines' sum went over 64 bits
        self.no_invoice: int | None = None
        # payment ids are only checked for repeats, so a hash each (8 bytes, not a str in a
        # set): sorted at the end, a repeated hash sends us back to the file for the lines
        self.payment_hashes = array("q")
        self.repeats_reported: set[int] = set()  # lines

    # -- reporting
    # (`message`: a msgid, marked with N_ where it is written; `params` fill it in)
    def error(self, ch: _Chunk | None, i: int, column: str, message: str, **params) -> None:
        self.report.error(self.file, ch.line(i) if ch else i, column, message, params or None)

    def warning(self, ch: _Chunk | None, i: int, column: str, message: str, **params
                ) -> None:
        self.report.warning(self.file, ch.line(i) if ch else i, column, message,
                            params or None)

    @property
    def emitting(self) -> bool:
        return self.report.ok

    # -- the whole snapshot
    def run(self) -> Report:
        self.bytes_total = sum(
            (self.directory / name).stat().st_size
            for name in [MANIFEST, *BY_NAME]
            if (self.directory / name).is_file()
        )
        self._manifest()
        handlers = {
            "customers.csv": self._customers,
            "contracts.csv": self._contracts,
            "sites.csv": self._sites,
            "containers.csv": self._containers,
            "collection_exceptions.csv": self._exceptions,
            "invoices.csv": self._invoices,
            "invoice_lines.csv": self._lines,
            "payments.csv": self._payments,
        }
        # each TAIL_KEYS file's check of a rest (what follows a row's keys)
        self.tail_checks = {
            "invoices.csv": self._invoice_tails,
            "invoice_lines.csv": self._line_tails,
        }
        for spec in FILES:
            self.file = spec.name
            self._file(spec, handlers[spec.name])
            if self.emitting:
                self.sink.flush()
                self.sink.finished(spec.table)
            if spec.name == "invoice_lines.csv":
                self._lines_cover_invoices()
            for name in FORGET_AFTER.get(spec.name, ()):
                setattr(self, name, _emptied(getattr(self, name)))
            self.tails.pop(spec.name, None)
            self.tail_ids.pop(spec.name, None)
        self._payments_once()
        return self.report

    def content_hash(self) -> str:
        """The snapshot's identity: its files' hashes, the format version and the key
        the personal codes are hashed with (a new key must re-hash them)."""
        return content_hash(self.file_hashes, self.secret_key)

    def _manifest(self) -> None:
        self.file = MANIFEST
        path = self.directory / MANIFEST
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.error(None, 0, "", MISSING)
            return
        except OSError as exc:
            self.error(None, 0, "", UNREADABLE, detail=exc.strerror)
            return
        self.file_hashes[MANIFEST] = hashlib.sha256(data).hexdigest()
        self.bytes_done[0] += len(data)
        try:
            manifest = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            self.error(None, 0, "", N_("nav UTF-8 kodējumā"))
            return
        except json.JSONDecodeError as exc:
            self.error(None, exc.lineno, "", N_("nav derīgs JSON: %(detail)s"), detail=exc.msg)
            return
        if not isinstance(manifest, dict):
            self.error(None, 0, "", N_("jābūt JSON objektam ar as_of, next_refresh, source"))
            return
        as_of = manifest.get("as_of")
        try:
            if not isinstance(as_of, str):
                raise ValueError
            instant = datetime.datetime.fromisoformat(as_of)
            if instant.tzinfo is None:
                self.error(None, 0, "as_of", N_("%(value)s: nav norādīta UTC nobīde "
                                                "(piem., 2026-11-28T23:00:00+02:00)"),
                           value=_short(as_of))
            else:
                self.manifest["as_of"] = instant
        except ValueError:
            self.error(None, 0, "as_of", N_("%(value)s nav datums un laiks "
                                            "(piem., 2026-11-28T23:00:00+02:00)"),
                       value=_short(str(as_of)))
        next_refresh = manifest.get("next_refresh")
        try:
            if not isinstance(next_refresh, str):
                raise ValueError
            self.manifest["next_refresh"] = parse_date(next_refresh)
        except ValueError:
            self.error(None, 0, "next_refresh", N_("%(value)s nav datums (GGGG-MM-DD)"),
                       value=_short(str(next_refresh)))
        source = manifest.get("source", "")
        if not isinstance(source, str) or len(source) > 200:
            self.error(None, 0, "source", N_("jābūt tekstam, ne garākam par 200 rakstzīmēm"))
        else:
            self.manifest["source"] = source
        self.sink.progress(self.bytes_done[0], self.bytes_total, MANIFEST)

    # -- one file
    def _file(self, spec: FileSpec, handler: Callable[[_Chunk], None]) -> None:
        path = self.directory / spec.name
        self.report.counts[spec.name] = 0
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by the text wrapper below
        except FileNotFoundError:
            self.error(None, 0, "", MISSING)
            self.unusable.add(spec.name)
            return
        except OSError as exc:
            self.error(None, 0, "", UNREADABLE, detail=exc.strerror)
            self.unusable.add(spec.name)
            return
        hashing = _HashingReader(raw, self.bytes_done)
        text = io.TextIOWrapper(
            io.BufferedReader(hashing, 1 << 20),
            encoding="utf-8",
            errors="surrogateescape",
            newline="",
        )
        try:
            head = text.readline()  # one line: a column's name holds no line break
            columns = self._header(spec, head)
            if columns is None:
                self.unusable.add(spec.name)
                while text.read(1 << 20):  # still hash it: the content hash covers it all
                    pass
                return
            lines = 1 + _line_breaks([head.rstrip("\r\n")])
            for chunk in self._chunks(spec, text, columns, lines):
                self.report.counts[spec.name] += chunk.n
                handler(chunk)
                self.sink.progress(self.bytes_done[0], self.bytes_total, spec.name)
        finally:
            text.close()
            self.file_hashes[spec.name] = hashing.sha.hexdigest()

    def _header(self, spec: FileSpec, head: str) -> dict[str, int] | None:
        if not head:
            self.error(None, 0, "", N_("fails ir tukšs (nav virsraksta rindas)"))
            return None
        head = head.removeprefix("\ufeff")  # (before parsing: a quoted first name)
        if not RECORD_RE.fullmatch(head.rstrip("\r\n")):
            self.error(None, 1, "", STRAY_QUOTE)
            return None
        try:
            header = next(csv.reader(io.StringIO(head, newline=""), strict=True))
        except (csv.Error, StopIteration) as exc:
            self.error(None, 1, "", N_("virsraksta rinda nav derīgs CSV: %(detail)s"),
                       detail=str(exc))
            return None
        known = {c.name: c for c in spec.columns}
        columns: dict[str, int] = {}
        ok = True
        for i, name in enumerate(header):
            if NOT_UTF8_RE.search(name):
                self.error(None, 1, "", N_("virsraksta rinda nav UTF-8 kodējumā"))
                return None
            if name in columns:
                self.error(None, 1, name, N_("kolonna virsraksta rindā atkārtojas"))
                ok = False
            elif name not in known:
                self.warning(None, 1, name, N_("šim failam tādas kolonnas nav; izlaista"))
            columns[name] = i
        for column in spec.columns:
            if column.name not in columns:
                if column.required:
                    self.error(None, 1, column.name,
                               N_("virsraksta rindā trūkst obligātas kolonnas"))
                    ok = False
                else:
                    self.warning(None, 1, column.name,
                                 N_("trūkst neobligātas kolonnas; uzskatīta par tukšu"))
        return columns if ok else None

    def _chunks(self, spec: FileSpec, text: io.TextIOBase, columns: dict[str, int],
                line: int) -> Iterator[_Chunk]:
        """The file's rows a block (~1,500 rows) at a time. A block without quotes is
        split on commas (twice as fast as the csv module); one with quotes is parsed by
        the csv module, after reading on until its quotes pair up (a quoted value may
        hold a line break)."""
        width = len(columns)
        wanted = [(c.name, columns.get(c.name)) for c in spec.columns]
        split = methodcaller("split", ",")
        keys = TAIL_KEYS.get(spec.name, ())
        lead = len(keys) if [columns.get(k) for k in keys] == list(range(len(keys))) else 0
        tried = missed = 0  # rows and rests not seen before, to stop trying if it never pays
        while True:
            block = text.read(BLOCK_CHARS)
            if not block:
                return
            if block[-1] != "\n":
                block += text.readline()
            quoted = '"' in block
            if quoted and block.count('"') % 2:
                block = _complete(block, text)
            if lead:
                if _not_paying(tried, missed):
                    lead = 0  # these rows do not repeat: read the plain way
                else:
                    chunk = self._tails(spec, block, line, lead, width, wanted)
                    if chunk is not None:
                        tried += chunk.n
                        missed += chunk.missed
                        line += chunk.n
                        yield chunk
                        continue
            starts: list[int] | None = None
            # a lone CR, or LF among CRLFs: the csv module knows what they are
            physical = None if quoted else _physical_lines(block)
            if physical is not None:
                rows = list(map(split, physical))
                lines = len(physical)
            else:
                well = not quoted or _well_quoted(block)
                if not well:  # a stray quote: the block may end inside a value
                    block = _complete(block, text)
                rows, starts, lines = self._parse(spec.name, block, line, well)
            first = line + 1
            line += lines
            if not rows:
                continue
            # empty lines and rows of the wrong width are set aside
            if set(map(len, rows)) != {width}:
                keep = []
                for i, row in enumerate(rows):
                    at = first + i if starts is None else starts[i]
                    # (an empty line: [] from the csv module, [""] split on commas;
                    # [""] from the csv module is a line holding "")
                    if not row or (row == [""] and physical is not None):
                        self.report.warning(spec.name, at, "", N_("tukša rinda izlaista"))
                    elif len(row) != width:
                        self.report.error(spec.name, at, "", N_(
                            "lauku skaits: %(found)s, virsraksta rindā: %(width)s"),
                            {"found": len(row), "width": width})
                    else:
                        keep.append(i)
                if starts is None:
                    starts = list(range(first, first + len(rows)))
                rows = [rows[i] for i in keep]
                starts = [starts[i] for i in keep]
                if not rows:
                    continue
            yield _Chunk(rows, starts, first).take(wanted)

    def _tails(self, spec: FileSpec, block: str, line: int, lead: int, width: int,
               wanted: list[tuple[str, int | None]]) -> _Chunk | None:
        """A block of a TAIL_KEYS file, each line cut into its `lead` keys and the rest:
        a rest seen before (in a row without problems) is taken as it was checked then;
        the others are read with the csv module and checked now, as a chunk of their own
        rows (so that a problem names its line).  None when the block is not that simple
        (a quoted key, a value over several lines, a row too short…): it is then read the
        plain way, which reports what is wrong."""
        physical = _physical_lines(block)
        if not physical:
            return None
        try:
            *keys, rests = zip(*map(methodcaller("split", ",", lead), physical), strict=True)
        except ValueError:
            return None
        if len(keys) != lead or any('"' in "".join(column) for column in keys):
            return None
        # A line holds an even number of quotes (a known rest has; the others are
        # counted): no value goes on over a line break, each line is a row.
        known = self.tails[spec.name]
        found = list(map(known.get, rests))
        keyed = self.sink.keyed_tails
        ids = self.tail_ids[spec.name]
        tids = list(map(ids.get, rests)) if keyed else None
        new_rests: list[tuple[int, tuple]] = []
        first = line + 1
        missed = 0
        if None in found:
            misses = [i for i, tail in enumerate(found) if tail is None]
            report = self.report
            before = report.error_count, report.warning_count
            # A rest repeated among them (a new tariff's first month: its lines of many
            # invoices) is checked once, and its rows take what it was found to be.  If
            # that finds a problem, each row is checked (below), to name every line.
            where = dict(zip(map(rests.__getitem__, reversed(misses)), reversed(misses),
                             strict=True))
            checked = None
            if len(where) < len(misses):
                self.report = Report()  # (looked at, then let go)
                try:
                    once = self._check_rests(spec, physical, list(where.values()), first,
                                             width, wanted)
                    clean = self.report.error_count == self.report.warning_count == 0
                finally:
                    self.report = report
                if once is None:
                    return None
                if clean:
                    of_rest = dict(zip(where, once, strict=True))
                    checked = list(map(of_rest.__getitem__, map(rests.__getitem__, misses)))
            if checked is None:
                checked = self._check_rests(spec, physical, misses, first, width, wanted)
                if checked is None:
                    return None
            for i, tail in zip(misses, checked, strict=True):
                found[i] = tail
            cache = (report.error_count, report.warning_count) == before \
                and len(known) < TAILS_KEPT
            if cache:
                known.update(zip(map(rests.__getitem__, misses), checked, strict=True))
            if tids is not None:  # numbered; a rest not cached, negative: for this row
                for i, tail in zip(misses, checked, strict=True):
                    if not cache:
                        tid = self.last_once = self.last_once - 1
                    elif (tid := ids.get(rests[i])) is not None:  # (numbered just now)
                        tids[i] = tid
                        continue
                    else:
                        tid = ids[rests[i]] = self.next_tid
                        self.next_tid += 1
                    tids[i] = tid
                    new_rests.append((tid, tail))
            missed = len(misses)
        chunk = _Chunk([], None, first)
        chunk.n = len(physical)
        chunk.missed = missed
        chunk.tails = found
        chunk.tids = tids
        chunk.new = new_rests
        for name, column in zip(TAIL_KEYS[spec.name], keys, strict=True):
            chunk.cols[name] = column
        return chunk

    def _check_rests(self, spec: FileSpec, physical: list[str], rows_at: list[int],
                     first: int, width: int, wanted: list[tuple[str, int | None]]
                     ) -> list[tuple] | None:
        """The rests of lines `rows_at` of a block (`physical`), checked; None when they
        cannot be read a line a row (`_tails`)."""
        texts = list(map(physical.__getitem__, rows_at))
        if '"' not in "".join(texts):  # (each a record, split on commas as it is)
            rows = list(map(methodcaller("split", ","), texts))
        else:
            if any(text.count('"') % 2 for text in texts) or not all(
                    map(RECORD_RE.fullmatch, texts)):
                return None
            try:
                rows = list(csv.reader(texts, strict=True))
            except csv.Error:
                return None
        if len(rows) != len(rows_at) or set(map(len, rows)) != {width}:
            return None
        new = _Chunk(rows, [first + i for i in rows_at], first).take(wanted)
        return list(zip(*self.tail_checks[spec.name](new), strict=True))

    def _parse(self, file: str, block: str, line: int, well_quoted: bool = True
               ) -> tuple[list[list[str]], list[int] | None, int]:
        """Rows of a block with quotes, the line each starts on (None: one line each) and
        the lines the block spans; CSV errors are reported and their rows left out."""
        if not well_quoted:
            self._stray_quotes(file, block, line)
        reader = csv.reader(io.StringIO(block, newline=""), strict=True)
        try:
            rows = list(reader)
        except csv.Error:
            pass
        else:
            if reader.line_num == len(rows):
                return rows, None, len(rows)
            starts, at = [], line + 1
            for row in rows:
                starts.append(at)
                at += 1 + _line_breaks(row)
            return rows, starts, reader.line_num
        # again, a row at a time, to say where it went wrong and keep the rest
        reader = csv.reader(io.StringIO(block, newline=""), strict=True)
        rows, starts, before = [], [], 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.report.error(file, line + reader.line_num, "",
                                  N_("nav derīgs CSV: %(detail)s"), {"detail": str(exc)})
                before = reader.line_num
                continue
            rows.append(row)
            starts.append(line + before + 1)
            before = reader.line_num
        return rows, starts, reader.line_num

    def _stray_quotes(self, file: str, block: str, line: int) -> None:
        """Report the lines of a block where a quote opens no value (RFC 4180)."""
        pos, at = 0, line + 1
        while pos < len(block):
            match = RECORD_LINE_RE.match(block, pos)
            end = match.end() if match else pos
            if end == pos:  # the record breaks off here: name its line, go on after it
                self.report.error(file, at, "", STRAY_QUOTE)
                end = _next_line(block, pos)
            chunk = block[pos:end]
            at += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
            pos = end

    # -- column checks
    # Each takes a column of the chunk, reports its bad values row by row and returns it
    # (converted where it says so).  The first lines of each are the fast path: a pass or
    # two in C over the column; the row-by-row search only runs when one of them fails.

    def _report(self, ch: _Chunk, name: str, col: Sequence[str],
                bad: dict[str, tuple[str, dict]]) -> None:
        """`bad`: value → (msgid, what fills it in)."""
        for i, value in enumerate(col):
            problem = bad.get(value)
            if problem is not None:
                self.error(ch, i, name, problem[0], **problem[1])

    def _text_problem(self, name: str, value: str, required: bool
                      ) -> tuple[str, dict] | None:
        if not value:
            return (REQUIRED, {}) if required else None
        bad = BAD_CHARS_RE.search(value)
        if bad:
            if NOT_UTF8_RE.match(bad.group()):
                return N_("nav UTF-8 (failam jābūt UTF-8 kodējumā)"), {}
            return (N_("vērtībā ir vadības rakstzīme U+%(code)s"),
                    {"code": f"{ord(bad.group()):04X}"})
        limit = MAX_LEN.get(name)
        if limit and len(value) > limit:
            if name == "personal_code":
                return N_("vērtība pārsniedz %(limit)s rakstzīmes"), {"limit": limit}
            return TOO_LONG, {"value": _short(value), "limit": limit}
        return None

    def text(self, ch: _Chunk, name: str, required: bool = True, spaced: bool = True
             ) -> Sequence[str]:
        """Free text (names, addresses…). `spaced=False`: an identifier, which may not
        have spaces around it (a sign-in could never match it)."""
        col = ch.cols[name]
        joined = " ".join(col)
        if (
            joined.isprintable()
            and (not required or all(col))
            and max(map(len, col)) <= MAX_LEN.get(name, 1 << 30)
            and (spaced or ("  " not in joined and joined[:1] != " " and joined[-1:] != " "))
        ):
            return col
        bad = {}
        for value in set(col):
            problem = self._text_problem(name, value, required)
            if problem is None and not spaced and value != value.strip():
                problem = (N_("%(value)s: sākumā vai beigās ir atstarpe"),
                           {"value": _short(value)})
            if problem:
                bad[value] = problem
        self._report(ch, name, col, bad)
        return col

    # The checks of repeating values return each value as one shared str object: the
    # checking process sends a value once per chunk (marshal refers back to it) and the
    # database driver encodes it once.

    def label(self, ch: _Chunk, name: str, required: bool = True) -> Sequence[str]:
        """Text that repeats (descriptions, units…): each distinct value checked once."""
        col = ch.cols[name]
        seen = self.labels[name]  # value → the same value
        shared = list(map(seen.get, col))
        if None not in shared:
            return shared
        bad = {}
        for value in set(col).difference(seen):
            problem = self._text_problem(name, value, required)
            if problem:
                bad[value] = problem
            elif len(seen) < LABELS_KEPT:
                seen[value] = value
        if bad:
            self._report(ch, name, col, bad)
        return list(map(seen.get, col, col))

    def enum(self, ch: _Chunk, name: str, allowed: tuple[str, ...], required: bool = True
             ) -> Sequence[str]:
        col = ch.cols[name]
        values = {v: v for v in allowed}
        if not required:
            values[""] = ""
        shared = list(map(values.get, col))
        if None not in shared:
            return shared
        listed = ", ".join(allowed)
        self._report(ch, name, col, {
            v: (N_("vērtība ir obligāta (viena no: %(allowed)s)"), {"allowed": listed})
            if v == "" else
            (N_("%(value)s nav neviena no: %(allowed)s"), {"value": _short(v), "allowed": listed})
            for v in set(col).difference(values)
        })
        return col

    def date(self, ch: _Chunk, name: str, required: bool = True) -> Sequence[str]:
        """Dates stay ISO strings (what SQLite stores and PostgreSQL parses); a bad one is
        reported and then counts as empty."""
        col = ch.cols[name]
        seen = self.dates if required else self.dates_or_empty
        shared = list(map(seen.get, col))
        if None not in shared:
            return shared
        bad = {}
        for value in set(col).difference(seen):
            try:
                if value == "":
                    raise ValueError
                parse_date(value)
                self.dates[value] = self.dates_or_empty[value] = value
            except ValueError:
                bad[value] = ((N_("datums ir obligāts (GGGG-MM-DD)"), {}) if value == "" else
                              (N_("%(value)s nav datums (GGGG-MM-DD, gadi 1900–2199)"),
                               {"value": _short(value)}))
        if bad:
            self._report(ch, name, col, bad)
        return list(map(seen.get, col, repeat("", len(col))))

    def money(self, ch: _Chunk, name: str) -> list[int | None]:
        """Amounts as integer cents (None where not an amount)."""
        col = ch.cols[name]
        cache = self.cents
        cents = list(map(cache.get, col))
        if None not in cents:
            return cents
        bad = {}
        for value in set(col).difference(cache):
            try:
                cache[value] = parse_money(value)
            except ValueError:
                bad[value] = ((N_("summa ir obligāta (piem., 12.30)"), {}) if value == "" else
                              (N_("%(value)s nav summa (cipari, punkts un ne vairāk kā 2 "
                                  "decimālzīmes, piem., 12.30)"), {"value": _short(value)}))
        if bad:
            self._report(ch, name, col, bad)
        return list(map(cache.get, col))

    def integer(self, ch: _Chunk, name: str, minimum: int, maximum: int) -> list[int | None]:
        col = ch.cols[name]
        cache = self.ints[name]  # the values seen valid in this column
        numbers = list(map(cache.get, col))
        if None not in numbers:
            return numbers
        bad = {}
        for value in set(col).difference(cache):
            if not INT_RE.match(value):
                bad[value] = ((N_("vesels skaitlis ir obligāts"), {}) if value == "" else
                              (N_("%(value)s nav vesels skaitlis"), {"value": _short(value)}))
            elif not minimum <= int(value) <= maximum:
                bad[value] = (N_("%(value)s ir ārpus pieļaujamā diapazona "
                                 "(%(minimum)s–%(maximum)s)"),
                              {"value": int(value), "minimum": minimum, "maximum": maximum})
            else:
                cache[value] = int(value)
        if bad:
            self._report(ch, name, col, bad)
        return list(map(cache.get, col))

    def decimal(self, ch: _Chunk, name: str, signed: bool = True) -> Sequence[str]:
        """A decimal number kept as the text it was exported as (quantity, VAT rate)."""
        col = ch.cols[name]
        seen = self.labels[name]
        shared = list(map(seen.get, col))
        if None not in shared:
            return shared
        bad = {}
        limit = MAX_LEN[name]
        for value in set(col).difference(seen):
            if not DECIMAL_RE.match(value) or (not signed and value.startswith("-")):
                bad[value] = (
                    (N_("skaitlis ir obligāts"), {}) if value == "" else
                    (N_("%(value)s nav decimālskaitlis (piem., 2 vai 0.5)") if signed else
                     N_("%(value)s nav pozitīvs decimālskaitlis (piem., 2 vai 0.5)"),
                     {"value": _short(value)}))
            elif len(value) > limit:
                bad[value] = TOO_LONG, {"value": _short(value), "limit": limit}
            elif len(seen) < LABELS_KEPT:
                seen[value] = value
        if bad:
            self._report(ch, name, col, bad)
        return list(map(seen.get, col, col))

    # -- keys and references
    def unique(self, ch: _Chunk, name: str, col: Sequence[str], keys: set | dict,
               values: Sequence | None = None) -> None:
        """Add the chunk's keys (with `values`, to a dict); report keys used before (in
        this file) or twice (the first row keeps the key)."""
        before = keys.keys() if isinstance(keys, dict) else keys
        earlier = not before.isdisjoint(col)
        if not earlier:
            size = len(keys)
            if values is None:
                keys.update(col)
            else:
                keys.update(zip(col, values, strict=True))
            if len(keys) - size == len(col):
                keys.pop("", None) if isinstance(keys, dict) else keys.discard("")
                return
        first: dict[str, int] = {}
        for i, value in enumerate(col):
            if not value:
                continue
            if earlier and value in before:
                self.error(ch, i, name, N_("%(value)s atkārtojas (jau agrāk šajā failā)"),
                           value=_short(value))
            elif value in first:
                self.error(ch, i, name, TWICE, value=_short(value),
                           line=ch.line(first[value]))
            else:
                first[value] = i
                if values is not None:  # (the update above let a repeat's row have it)
                    keys[value] = values[i]
                elif earlier:
                    keys.add(value)
        if isinstance(keys, dict):
            keys.pop("", None)
        else:
            keys.discard("")

    def ref(self, ch: _Chunk, name: str, keys: dict[str, str], target: str,
            required: bool = True) -> Sequence[str]:
        """A key of an earlier file (`keys`: each key → the same str, which is returned)."""
        col = ch.cols[name]
        shared = list(map(keys.get, col) if required else map(keys.get, col, col))
        if None not in shared and (required or target in self.unusable or all(
                map(keys.__contains__, filter(None, col)))):
            return shared
        if target in self.unusable:  # its keys are unknown: only "required" is checked
            if required:
                self._report(ch, name, col, {"": (REQUIRED, {})})
            return col
        bad = {}
        for value in set(col):
            if value == "":
                if required:
                    bad[value] = REQUIRED, {}
            elif value not in keys:
                bad[value] = N_("%(value)s nav failā %(target)s"), {"value": _short(value),
                                                                   "target": target}
        self._report(ch, name, col, bad)
        return col

    def emit(self, table: str, columns: list[Sequence[Any]], count: int) -> None:
        if self.emitting:
            self.sink.rows(table, _nulls(table, columns), count)

    def rest_columns(self, ch: _Chunk, table: str, *names: str) -> list[Sequence]:
        """Columns `names` of the rest of a TAIL_KEYS file's rows (after their keys): from
        the rests the chunk was read with, or, for a chunk read the plain way, from
        checking them now (the file's `tail_checks`; kept for `emit_rest`)."""
        columns = TABLE_COLUMNS[table]
        if ch.tails is None:
            ch.rest = self.tail_checks[self.file](ch)
            keys = len(columns) - len(ch.rest)
            return [ch.rest[columns.index(name) - keys] for name in names]
        keys = len(columns) - len(ch.tails[0])
        return [list(map(itemgetter(columns.index(name) - keys), ch.tails)) for name in names]

    def emit_rest(self, table: str, keys: list[Sequence[str]], ch: _Chunk) -> None:
        """Rows of a TAIL_KEYS file: their keys and rests (tables without NULLs)."""
        if ch.tails is None:
            self.emit(table, [*keys, *ch.rest], ch.n)
        elif not self.emitting:
            return
        elif ch.tids is not None:
            self.sink.keyed(table, keys, ch.tids, ch.new)
        else:
            self.sink.tuples(table, list(map(tuple.__add__, zip(*keys, strict=True),
                                             ch.tails)))

    # -- the files, in the order they are read
    def _customers(self, ch: _Chunk) -> None:
        ids = self.text(ch, "customer_id", spaced=False)
        self.unique(ch, "customer_id", ids, self.customers, ids)
        kinds = self.enum(ch, "kind", choices(KINDS))
        names = self.text(ch, "name")
        codes = self.text(ch, "personal_code", required=False)
        reg_nos = self.text(ch, "reg_no", required=False)
        vat_nos = self.text(ch, "vat_no", required=False)
        phones = self.text(ch, "phone", required=False)
        emails = self.text(ch, "email", required=False)
        addresses = self.text(ch, "address", required=False)
        hashes: list[str | None] = [None] * ch.n
        masked = [""] * ch.n
        hashed = identity.code_hasher(self.secret_key)
        normalize = identity.normalize_code
        mask = identity.mask_normalized
        for i, code in enumerate(codes):
            if not code:
                continue
            digits = normalize(code)
            shown = mask(digits)
            if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
                self.error(ch, i, "personal_code", N_(
                    "%(value)s nav personas kods (11 cipari: DDMMGG-CNNNN vai 32NNNN-NNNNN)"),
                    value=shown)
                continue
            hashes[i] = hashed(digits)
            masked[i] = shown
            problem = lv_code_problem(digits)
            if problem:
                self.warning(ch, i, "personal_code", problem, value=shown)
        for i, reg_no in enumerate(reg_nos):
            if not reg_no:
                continue
            digits = normalize(reg_no)
            if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
                self.error(ch, i, "reg_no", N_("%(value)s nav reģistrācijas numurs (11 cipari)"),
                           value=_short(reg_no))
                continue
            problem = lv_code_problem(digits)
            if problem:
                self.warning(ch, i, "reg_no", problem, value=_short(reg_no))
        self.emit("customer", [ids, kinds, names, hashes, masked, reg_nos, vat_nos, phones,
                               emails, addresses], ch.n)

    def _contracts(self, ch: _Chunk) -> None:
        nos = self.text(ch, "contract_no", spaced=False)
        self.unique(ch, "contract_no", nos, self.contracts, nos)
        customers = self.ref(ch, "customer_id", self.customers, "customers.csv")
        starts = self.date(ch, "start_date")
        ends = self.date(ch, "end_date", required=False)
        deliveries = self.enum(ch, "delivery", choices(DELIVERIES))
        cycles = self.enum(ch, "cycle", choices(CYCLES))
        self._ordered(ch, "end_date", starts, ends, "start_date")
        self.emit("contract", [nos, customers, starts, ends, deliveries, cycles], ch.n)

    def _ordered(self, ch: _Chunk, name: str, firsts: Sequence[str], lasts: Sequence[str],
                 first_name: str) -> None:
        """`lasts` (may be empty) do not come before `firsts` (ISO dates compare as text)."""
        if not any(lasts) or all(map(operator.le, firsts, lasts)):
            return
        for i, (a, b) in enumerate(zip(firsts, lasts, strict=True)):
            if a and b and b < a:
                self.error(ch, i, name, BEFORE, value=b, other_column=first_name, other=a)

    def _sites(self, ch: _Chunk) -> None:
        ids = self.text(ch, "site_id", spaced=False)
        self.unique(ch, "site_id", ids, self.sites, ids)
        contracts = self.ref(ch, "contract_no", self.contracts, "contracts.csv")
        addresses = self.text(ch, "address")
        municipalities = self.label(ch, "municipality")
        self.emit("site", [ids, contracts, addresses, municipalities], ch.n)

    def _containers(self, ch: _Chunk) -> None:
        ids = self.text(ch, "container_id", spaced=False)
        self.unique(ch, "container_id", ids, self.containers)
        sites = self.ref(ch, "site_id", self.sites, "sites.csv")
        waste = self.enum(ch, "waste_type", choices(WASTE_TYPES))
        volumes = self.integer(ch, "volume_l", 1, 100_000)
        counts = self.integer(ch, "count", 1, 10_000)
        rules = self.label(ch, "rrule")
        starts = self.date(ch, "dtstart")
        untils = self.date(ch, "until", required=False)
        self._ordered(ch, "until", starts, untils, "dtstart")
        cache = self.rrules
        for i, pair in enumerate(zip(rules, starts, strict=True)):
            problem = cache.get(pair, "")
            if problem == "":
                rule, start = pair
                if not rule or not start:
                    continue
                problem = cache[pair] = rrule_problem(rule, start)
            if problem:
                self.error(ch, i, "rrule", problem[0], value=_short(pair[0], 80), **problem[1])
        self.emit("container", [ids, sites, waste, volumes, counts, rules, starts, untils],
                  ch.n)

    def _exceptions(self, ch: _Chunk) -> None:
        days = self.date(ch, "date")
        moved = self.date(ch, "moved_to", required=False)
        waste = self.enum(ch, "waste_type", choices(WASTE_TYPES), required=False)
        municipalities = self.label(ch, "municipality", required=False)
        reasons = self.label(ch, "reason")
        self.emit("collection_exception", [days, moved, waste, municipalities, reasons], ch.n)

    def _invoices(self, ch: _Chunk) -> None:
        nos = self.text(ch, "invoice_no", spaced=False)
        base = len(self.invoice_owner)  # the invoices' numbers: their rows, from 0
        self.unique(ch, "invoice_no", nos, self.invoices, range(base, base + ch.n))
        contracts = self.ref(ch, "contract_no", self.contracts, "contracts.csv")
        (nets,) = self.rest_columns(ch, "invoice", "net_cents")
        # by number: whose it is (the contract's own str, from `ref`: a million invoices
        # share a hundred thousand strings), its net, its line numbers, its own number
        self.invoice_owner.extend(contracts)
        self.invoice_left.extend(nets if None not in nets else [v or 0 for v in nets])
        self.invoice_lines.frombytes(bytes(self.invoice_lines.itemsize * ch.n))  # (zeros)
        self.invoice_keys.extend(nos)
        self.emit_rest("invoice", [nos, contracts], ch)

    def _invoice_tails(self, ch: _Chunk) -> list[Sequence]:
        """An invoice's columns after its number and contract, checked."""
        kinds = self.enum(ch, "kind", choices(INVOICE_KINDS))
        issued = self.date(ch, "issue_date")
        due = self.date(ch, "due_date")
        starts = self.date(ch, "period_start")
        ends = self.date(ch, "period_end")
        nets = self.money(ch, "net")
        vats = self.money(ch, "vat")
        totals = self.money(ch, "total")
        if not all(map(operator.le, starts, ends)):
            for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
                if a and b and b < a:
                    self.error(ch, i, "period_end", BEFORE, value=b, other_column="period_start",
                               other=a)
        amounts_ok = None not in nets and None not in vats and None not in totals
        if not amounts_ok or list(map(operator.add, nets, vats)) != totals:
            for i, (net, vat, total) in enumerate(zip(nets, vats, totals, strict=True)):
                if None not in (net, vat, total) and net + vat != total:
                    self.error(ch, i, "total", N_(
                        "%(value)s nav net + vat (%(net)s + %(vat)s = %(sum)s)"),
                        value=_short(ch.cols["total"][i]), net=ch.cols["net"][i],
                        vat=ch.cols["vat"][i], sum=_cents_text(net + vat))
        return [kinds, issued, due, starts, ends, nets, vats, totals]

    def _lines(self, ch: _Chunk) -> None:
        invoices = ch.cols["invoice_no"]
        numbers_of = self._invoice_numbers(invoices)  # the reference check, too
        if None in numbers_of:  # (reported: nothing is written)
            self.ref(ch, "invoice_no", self.invoices, "invoices.csv")
            seqs = numbers_of
        else:  # the invoice's place, from FIRST_SERIAL: its `seq`
            seqs = list(map(FIRST_SERIAL.__add__, numbers_of))
        line_nos, nets = self.rest_columns(ch, "invoice_line", "line_no", "net_cents")
        self._line_sums(ch, numbers_of, line_nos, nets)
        self.emit_rest("invoice_line", [seqs], ch)

    @property
    def exact_invoices(self) -> bool:
        """invoice_keys[invoices[no]] == no for every no: no number repeated or left empty
        (`unique` keeps the first row's; see _invoice_numbers)."""
        return len(self.invoices) == len(self.invoice_keys)

    def _invoice_numbers(self, col: Sequence[str], default: int | None = None
                         ) -> list[int | None]:
        """`self.invoices.get` of each invoice number in `col` (`default` where there is
        none).  The files after invoices.csv come in its order, so the numbers are looked
        up among the few hundred invoices from the chunk's first one on, which stay in
        the CPU's cache (in the dict of a million, nearly each look-up misses it; invoice
        lines 4.1-4.7 → 3.3-3.6 s); the dict only for what that does not find.  A file
        in another order (payments by date, say) misses the window: once it does not
        pay (TRIAL_ROWS), the rest of that file is looked up in the dict alone."""
        get = self.invoices.get
        tries = self.window_tries.setdefault(self.file, [0, 0])  # rows, missed
        start = get(col[0]) if self.exact_invoices and col else None
        if start is None or _not_paying(*tries):
            return list(map(get, col, repeat(default, len(col))))
        stop = start + len(col) + WINDOW_MARGIN
        # (strict=False: at the end the slice is the shorter)
        window = dict(zip(self.invoice_keys[start:stop], range(start, stop), strict=False))
        numbers = list(map(window.get, col, repeat(-1, len(col))))
        tries[0] += len(col)
        if -1 in numbers:  # (further on or back, unknown, or empty)
            missed = [i for i, number in enumerate(numbers) if number == -1]
            tries[1] += len(missed)
            for i in missed:
                numbers[i] = get(col[i], default)
        return numbers

    def _line_tails(self, ch: _Chunk) -> list[Sequence]:
        """An invoice line's columns after its invoice's number, checked."""
        return [
            self.integer(ch, "line_no", 1, 1_000_000),
            self.label(ch, "description"),
            self.decimal(ch, "quantity"),
            self.label(ch, "unit"),
            self.money(ch, "unit_price"),
            self.decimal(ch, "vat_rate", signed=False),
            self.money(ch, "net"),
        ]

    def _line_sums(self, ch: _Chunk, invoices: list[int | None], line_nos: list[int | None],
                   nets: list[int | None]) -> None:
        """Take the lines' nets off their invoices' (what is left is checked after the last
        line) and note each invoice's line numbers (a bit each), by the invoices' numbers."""
        left = self.invoice_left
        seen = self.invoice_lines
        twice: list[int] = []  # rows
        if None in invoices or None in line_nos or None in nets or max(line_nos) > 63:
            self._line_sums_slowly(ch, invoices, line_nos, nets, twice)
        else:
            row = 0
            try:
                for row, (invoice, line_no, net) in enumerate(
                    zip(invoices, line_nos, nets, strict=True)
                ):
                    left[invoice] -= net  # (first: a row that overflows has done nothing)
                    bit = 1 << line_no
                    bits = seen[invoice]
                    if bits & bit:
                        twice.append(row)
                    seen[invoice] = bits | bit
            except OverflowError:  # more than 64 bits of cents: that row on, slowly
                self._line_sums_slowly(ch, invoices, line_nos, nets, twice, row)
        for row in twice:
            self.error(ch, row, "line_no", N_("rēķina %(invoice)s pozīcija %(line_no)s atkārtojas"),
                       invoice=_short(ch.cols["invoice_no"][row]), line_no=line_nos[row])

    def _line_sums_slowly(self, ch, invoices, line_nos, nets, twice, start: int = 0) -> None:
        left = self.invoice_left
        seen = self.invoice_lines
        high = self.invoice_high_lines
        for row, (invoice, line_no, net) in enumerate(zip(invoices, line_nos, nets,
                                                          strict=True)):
            if row < start or invoice is None or line_no is None:
                continue
            if line_no > 63:
                if (invoice, line_no) in high:
                    twice.append(row)
                high.add((invoice, line_no))
            else:
                if seen[invoice] & (1 << line_no):
                    twice.append(row)
                seen[invoice] |= 1 << line_no
            if net is not None:
                try:
                    left[invoice] -= net
                except OverflowError:  # (said once an invoice)
                    if invoice not in self.overflowed:
                        self.overflowed.add(invoice)
                        self.error(ch, row, "net", N_(
                            "rēķina %(invoice)s pozīciju summa pārsniedz pieļaujamo"),
                            invoice=_short(ch.cols["invoice_no"][row]))

    def _lines_cover_invoices(self) -> None:
        """After the last line: the lines of each invoice add up to its net."""
        if {"invoice_lines.csv", "invoices.csv"} & self.unusable:
            return
        left, seen = self.invoice_left, self.invoice_lines
        if any(left):
            with_lines = {number for number, _ in self.invoice_high_lines}
            for invoice, number in self.invoices.items():
                remaining = left[number]
                if remaining == 0 or number in self.overflowed:  # (reported already)
                    continue
                if not seen[number] and number not in with_lines:
                    self.report.warning("invoices.csv", 0, "invoice_no", N_(
                        "rēķinam %(invoice)s failā invoice_lines.csv nav pozīciju"),
                        {"invoice": _short(invoice)})
                else:
                    self.report.error(
                        "invoice_lines.csv", 0, "net",
                        N_("rēķina %(invoice)s pozīciju summa ir par %(amount)s mazāka nekā tā "
                           "net failā invoices.csv") if remaining > 0 else
                        N_("rēķina %(invoice)s pozīciju summa ir par %(amount)s lielāka nekā tā "
                           "net failā invoices.csv"),
                        {"invoice": _short(invoice), "amount": _cents_text(abs(remaining))},
                    )

    def _payments_once(self) -> None:
        """No payment_id twice in the file (repeats within a chunk are reported already)."""
        if "payments.csv" in self.unusable:
            return
        # (no hash twice: a set says so in a third of the time a sort takes, a million
        # payments 0.13 s against 0.42 s, at the end, where nothing else runs)
        if len(set(self.payment_hashes)) == len(self.payment_hashes):
            self.payment_hashes = array("q")
            return
        hashes = sorted(self.payment_hashes)
        self.payment_hashes = array("q")
        same = list(map(operator.eq, hashes, hashes[1:]))
        if True not in same:
            return
        suspects = {h for h, repeated in zip(hashes, same, strict=False) if repeated}
        del hashes, same
        lines: dict[str, list[int]] = defaultdict(list)
        with open(self.directory / "payments.csv", encoding="utf-8", errors="surrogateescape",
                  newline="") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            at = header.index("payment_id") if "payment_id" in header else 0
            start = reader.line_num + 1
            for row in reader:
                if len(row) > at and hash(row[at]) in suspects:
                    lines[row[at]].append(start)
                start = reader.line_num + 1
        for payment_id, where in lines.items():
            for line in where[1:]:
                if payment_id and line not in self.repeats_reported:
                    self.report.error("payments.csv", line, "payment_id", TWICE,
                                      {"value": _short(payment_id), "line": where[0]})

    def _payments(self, ch: _Chunk) -> None:
        ids = self.text(ch, "payment_id", spaced=False)
        if len(set(ids)) != len(ids):  # (repeats in different chunks: at the end)
            first: dict[str, int] = {}
            for i, value in enumerate(ids):
                if value in first:
                    self.error(ch, i, "payment_id", TWICE, value=_short(value),
                               line=ch.line(first[value]))
                    self.repeats_reported.add(ch.line(i))
                elif value:
                    first[value] = i
        self.payment_hashes.extend(map(hash, ids))
        contracts = self.ref(ch, "contract_no", self.contracts, "contracts.csv")
        invoices = ch.cols["invoice_no"]
        # one look-up per row: is the invoice known, and is it this contract's?  An
        # unknown (or no) invoice maps to a last, owner-less number.
        if self.no_invoice is None:
            self.no_invoice = len(self.invoice_owner)
            self.invoice_owner.append(None)
        numbers = self._invoice_numbers(invoices, self.no_invoice)
        nowhere = numbers.count(self.no_invoice)
        if nowhere != invoices.count(""):
            self.ref(ch, "invoice_no", self.invoices, "invoices.csv", required=False)
        owners = list(map(self.invoice_owner.__getitem__, numbers))
        if list(map(operator.eq, owners, contracts)).count(False) != nowhere:
            for i, (theirs, contract) in enumerate(zip(owners, contracts, strict=True)):
                if theirs is not None and theirs != contract:
                    self.error(ch, i, "invoice_no", N_(
                        "rēķins %(invoice)s pieder līgumam %(theirs)s, nevis %(contract)s"),
                        invoice=_short(invoices[i]), theirs=_short(theirs),
                        contract=_short(contract))
        paid = self.date(ch, "paid_on")
        amounts = self.money(ch, "amount")
        channels = self.label(ch, "channel")
        references = self.text(ch, "reference", required=False)
        self.emit("payment", [ids, contracts, invoices, paid, amounts, channels, references],
                  ch.n)


def _not_paying(tried: int, missed: int) -> bool:
    """A shortcut tried on more than TRIAL_ROWS rows that missed over half of them."""
    return tried > TRIAL_ROWS and missed * 2 > tried


def _emptied(keys: Any) -> Any:
    """An empty container of the same kind (the full one is let go: hold no reference)."""
    return array(keys.typecode) if isinstance(keys, array) else type(keys)()


def _cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def rrule_problem(rule: str, dtstart: str) -> tuple[str, dict] | None:
    """Why an RRULE value does not parse (with its dtstart): a msgid of %(value)s, the
    rule, and what else fills it in; or None."""
    if ":" in rule or "\n" in rule or "\r" in rule:
        return N_("%(value)s nav RRULE vērtība bez priedēkļa "
                  "(piem., FREQ=WEEKLY;INTERVAL=2;BYDAY=TU)"), {}
    # what dateutil lets through but RFC 5545 does not (INTERVAL=0 would never end)
    names = [part.partition("=")[0].strip().upper() for part in rule.split(";")]
    values = dict(part.upper().partition("=")[::2] for part in rule.split(";"))
    for name in names:
        if names.count(name) > 1:
            return N_("%(value)s nav derīgs RRULE (%(part)s atkārtojas)"), {"part": name}
    if "COUNT" in names and "UNTIL" in names:
        return N_("%(value)s nav derīgs RRULE (COUNT un UNTIL kopā)"), {}
    for name in ("INTERVAL", "COUNT"):
        number = values.get(name, "1").strip()
        if not number.isdigit() or not number.isascii() or int(number) < 1:
            return (N_("%(value)s nav derīgs RRULE (%(part)s jābūt pozitīvam veselam "
                       "skaitlim)"), {"part": name})
    try:
        start = datetime.datetime.combine(parse_date(dtstart), datetime.time())
        rrulestr(rule, dtstart=start)
    except Exception as exc:  # noqa: BLE001 - dateutil raises many kinds on bad input
        detail = str(exc).strip() or type(exc).__name__
        return N_("%(value)s nav derīgs RRULE (%(detail)s)"), {"detail": detail[:80]}
    return None


def content_hash(file_hashes: dict[str, str], secret_key: str) -> str:
    key_id = hmac.new(secret_key.encode(), b"snapshot-key-id", hashlib.sha256).hexdigest()[:16]
    lines = [f"zaao-hx snapshot format {FORMAT_VERSION}", f"key {key_id}"]
    for name in [MANIFEST, *BY_NAME]:
        lines.append(f"{name} {file_hashes.get(name, 'missing')}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def hash_files(directory: Path) -> dict[str, str]:
    """The same per-file hashes the validator computes, without parsing (for the
    unchanged-snapshot check)."""
    hashes = {}
    for name in [MANIFEST, *BY_NAME]:
        sha = hashlib.sha256()
        try:
            with open(Path(directory) / name, "rb") as f:
                while block := f.read(1 << 20):
                    sha.update(block)
        except OSError:
            continue
        hashes[name] = sha.hexdigest()
    return hashes
