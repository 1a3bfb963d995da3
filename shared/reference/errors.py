"""How a published reference file reports what is wrong with it: file, line, column, reason.

ValueError
└── DataFileError        a file failed validation; ``errors`` lists every bad cell
RowError                 one bad cell (a record, not raised): line, column and message
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DataFileError", "RowError"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell: the file line (header is line 1), column and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"

    @property
    def reason(self) -> str:
        """The problem without its line, for a report that keeps lines apart."""
        return f"{self.column}: {self.message}"


class DataFileError(ValueError):
    """A data file failed validation; carries every row error, not just the first."""

    def __init__(self, file: str, errors: Sequence[RowError]) -> None:
        self.file = file
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{file}: {len(self.errors)} invalid cell(s): {shown}{more}")
