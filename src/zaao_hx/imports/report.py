"""What an import found: errors (the snapshot is refused) and warnings (it is imported),
each with its file, line and column, and the rows counted per file.

The listing is capped (`LIMIT` of each kind) with a count of the rest: a broken export can
have a million bad rows and the operator needs the first few, not all.  Messages never
quote a personal code; they show its masked form (the report is stored in `snapshot`).

A problem's message is a msgid of the catalogue (Latvian, marked with `N_`) and the values
that fill it in, so the checking process needs no language: the report is put into words
when it is shown, in the language of whoever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from zaao_hx.web.i18n import LANGUAGES, gettext, language, ngettext

LIMIT = 100


class Problem(NamedTuple):
    file: str
    line: int  # 0: the file as a whole
    column: str  # "": the row or the file as a whole
    message: str  # a msgid
    params: dict | None = None  # what fills in its %(name)s

    def __str__(self) -> str:
        where = [self.file]
        if self.line:
            where.append(gettext("rinda %(line)s", line=self.line))
        if self.column:
            where.append(gettext("kolonna %(column)s", column=self.column))
        return f"{', '.join(where)}: {gettext(self.message, **(self.params or {}))}"


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # rows per file
    limit: int = LIMIT

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, file: str, line: int, column: str, message: str,
              params: dict | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append(Problem(file, line, column, message, params))

    def warning(self, file: str, line: int, column: str, message: str,
                params: dict | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.limit:
            self.warnings.append(Problem(file, line, column, message, params))

    def listing(self) -> str:
        """Errors then warnings, one a line, with how many more were not listed."""
        out: list[str] = []
        if self.error_count:
            out.append(ngettext("%(num)s kļūda:", "%(num)s kļūdas:", self.error_count))
            out += [f"  {p}" for p in self.errors]
            if self.error_count > len(self.errors):
                out.append("  " + ngettext("… un vēl %(num)s kļūda, kas nav uzskaitīta",
                                           "… un vēl %(num)s kļūdas, kas nav uzskaitītas",
                                           self.error_count - len(self.errors)))
        if self.warning_count:
            out.append(warnings_heading(self.warning_count))
            out += [f"  {p}" for p in self.warnings]
            if self.warning_count > len(self.warnings):
                out.append("  " + ngettext(
                    "… un vēl %(num)s brīdinājums, kas nav uzskaitīts",
                    "… un vēl %(num)s brīdinājumi, kas nav uzskaitīti",
                    self.warning_count - len(self.warnings)))
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {
            "errors": [list(p) for p in self.errors],
            "warnings": [list(p) for p in self.warnings],
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "counts": self.counts,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        return cls(
            errors=[Problem(*p) for p in data["errors"]],
            warnings=[Problem(*p) for p in data["warnings"]],
            error_count=data["error_count"],
            warning_count=data["warning_count"],
            counts=dict(data["counts"]),
            limit=data["limit"],
        )


def warnings_heading(count: int) -> str:
    return ngettext("%(num)s brīdinājums:", "%(num)s brīdinājumi:", count)


def warning_count_of(listing: str) -> int:
    """How many warnings a stored listing counts, in whichever language it was written."""
    for line in listing.splitlines():
        first = line.split(" ", 1)[0]
        if not first.isdigit():
            continue
        for lang in LANGUAGES:
            with language(lang):
                if line == warnings_heading(int(first)):
                    return int(first)
    return 0
