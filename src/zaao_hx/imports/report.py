"""What an import found: errors (the snapshot is refused) and warnings (it is imported),
each with its file, line and column, and the rows counted per file.

The listing is capped (`LIMIT` of each kind) with a count of the rest: a broken export can
have a million bad rows and the operator needs the first few, not all.  Messages never
quote a personal code; they show its masked form (the report is stored in `snapshot`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

LIMIT = 100


class Problem(NamedTuple):
    file: str
    line: int  # 0: the file as a whole
    column: str  # "": the row or the file as a whole
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


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

    def error(self, file: str, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append(Problem(file, line, column, message))

    def warning(self, file: str, line: int, column: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.limit:
            self.warnings.append(Problem(file, line, column, message))

    def listing(self) -> str:
        """Errors then warnings, one a line, with how many more were not listed."""
        out: list[str] = []
        for title, shown, count in (
            ("error", self.errors, self.error_count),
            ("warning", self.warnings, self.warning_count),
        ):
            if not count:
                continue
            out.append(f"{count} {title}{'s' if count != 1 else ''}:")
            out += [f"  {p}" for p in shown]
            if count > len(shown):
                out.append(f"  … and {count - len(shown)} more {title}s not listed")
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
