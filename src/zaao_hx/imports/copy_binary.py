"""Rows as PostgreSQL's binary COPY format, for the tables whose rows come keyed.

The server reads a binary field as it is stored: no date or number to parse.  For the
invoices (four dates and three amounts a row) and their lines, that is about 0.6 s of the
server's work each at 100,000 customers (bench/README.md, "A ninth session").  A row's
values after its keys repeat (`Sink.keyed`), so their bytes are made once per distinct
rest; a row costs its keys' bytes and a join, about what its COPY text costs.

The format (PostgreSQL's documentation, "COPY", "Binary Format"): a header, then each row
as a 16-bit count of its fields and each field as a 32-bit length (-1: NULL) and its
bytes, then a 16-bit -1.  Integers are big-endian, a date is its days since 2000-01-01, a
text value its UTF-8 bytes (the connection's encoding).  Each field is written for its
column's type in the database; a table with a type not known here is sent as COPY text.
"""

from __future__ import annotations

import datetime
import functools
import struct
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from typing import Any

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # (no OIDs, no extension)
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
EPOCH = datetime.date(2000, 1, 1).toordinal()
TYPES = ("int4", "int8", "date", "varchar", "text")  # pg_type.typname

_INT4 = struct.Struct(">ii")
_INT8 = struct.Struct(">iq")
_INT = {"int4": ("i", 4), "int8": ("q", 8)}  # an integer's struct code and width
_LENGTH = struct.Struct(">i")
SAMPLE = 64  # a text column's first values: if half of them repeat, each value's field
# is made once (else, one per row)


class _Dates(dict):
    """ISO date (checked by the checking process) → its field; a snapshot holds a few
    hundred distinct dates, each made once."""

    def __missing__(self, iso: str | None) -> bytes:
        if iso is None:
            return NULL
        field = self[iso] = _INT4.pack(4, datetime.date.fromisoformat(iso).toordinal() - EPOCH)
        return field


@functools.cache
def _struct(fmt: str) -> struct.Struct:
    return struct.Struct(fmt)


def _text(value: str | None) -> bytes:
    if value is None:
        return NULL
    data = value.encode()
    return _LENGTH.pack(len(data)) + data


def _int4(value: int | None) -> bytes:
    return NULL if value is None else _INT4.pack(4, value)


def _int8(value: int | None) -> bytes:
    return NULL if value is None else _INT8.pack(8, value)


class BinaryCopy:
    """The binary COPY of one table, its columns of `types` in the COPY's order."""

    def __init__(self, types: Sequence[str]) -> None:
        unknown = set(types) - set(TYPES)
        if unknown:
            raise ValueError(f"no binary COPY for {sorted(unknown)}")
        self.types = list(types)
        self.count = struct.pack(">h", len(types))
        self.dates = _Dates()
        by_type = {"int4": _int4, "int8": _int8, "date": self.dates.__getitem__,
                   "varchar": _text, "text": _text}
        self.fields = [by_type[t] for t in self.types]  # a value → its field

    def _join(self, n: int, columns: list[Sequence[Any]],
              last: Iterable[bytes] | None = None) -> bytes:
        """`n` rows of `columns` (the table's first), then each row's `last` bytes.
        What has a fixed width (the field count, integers, a text's length) is packed
        with one struct call a row, up to the next piece of its own (a text's bytes, a
        date, a repeating value): fewer, longer pieces to join."""
        pieces: list[Iterable[bytes]] = []
        fmt, args = ">h", [repeat(len(self.types), n)]  # (the row's field count)
        for i, values in enumerate(columns):
            kind = self.types[i]
            nulls = not isinstance(values, range) and None in values
            if kind in _INT and not nulls:
                code, width = _INT[kind]
                fmt += "i" + code
                args += [repeat(width, n), values]
                continue
            if kind == "date" or nulls:
                piece = map(self.fields[i], values)
            elif len(set(values[:SAMPLE])) * 2 <= SAMPLE:  # (repeating, as a contract's
                fields = {value: _text(value) for value in set(values)}  # invoices: once)
                piece = map(fields.__getitem__, values)
            else:
                piece = list(map(str.encode, values))
                fmt += "i"
                args.append(map(len, piece))
            if args:
                pieces.append(map(_struct(fmt).pack, *args))
            pieces.append(piece)
            fmt, args = ">", []
        if args:
            pieces.append(map(_struct(fmt).pack, *args))
        if last is not None:
            pieces.append(last)
        return b"".join(chain.from_iterable(zip(*pieces, strict=True)))

    def rows(self, rows: list[tuple], first_id: int | None = None) -> bytes:
        """Whole rows (tuples in the columns' order after the id, with `first_id`: an id
        first, counting from it)."""
        if not rows:
            return b""
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        if first_id is not None:
            values.insert(0, range(first_id, first_id + len(rows)))
        return self._join(len(rows), values)

    def tail(self, tail: tuple) -> bytes:
        """A rest's fields: a row's values after its keys (`Sink.keyed`)."""
        fields = self.fields[len(self.fields) - len(tail):]
        return b"".join([field(value) for field, value in zip(fields, tail, strict=True)])

    def keyed(self, keys: list[Sequence[str] | Sequence[int]], tids: list[int],
              tails: dict[int, bytes], first_id: int | None = None) -> bytes:
        """Rows handed on keyed: with `first_id` an id first, counting from it; their
        keys; then their rest's fields from `tails` (made by `tail`)."""
        n = len(tids)
        values = ([range(first_id, first_id + n)] if first_id is not None else []) + keys
        return self._join(n, values, map(tails.__getitem__, tids))
