"""Reading one import file: encoding, header, rows and typed cells.

Every problem becomes an :class:`ImportProblem` naming file, line and column
(contract section 4); nothing here touches the database.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Iterator

from ..types import EARLIEST_YEAR, LATEST_YEAR, in_year_range


@dataclass(frozen=True, order=True)
class ImportProblem:
    """One error, printed as ``FILE:LINE: COLUMN: message``.
    LINE counts the header as line 1; COLUMN is ``-`` when no single column
    is at fault."""

    file_index: int
    line: int
    file: str = field(compare=False)
    column: str = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class CellError(ValueError):
    """A cell's value is unusable; the message says why."""


@dataclass
class Row:
    line: int
    cells: dict[str, str]

    def has(self, column: str) -> bool:
        return column in self.cells

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def decode(data: bytes) -> tuple[str | None, int, str]:
    """Return (text, 0, "") or (None, line, message) when not UTF-8."""
    try:
        return data.decode("utf-8-sig"), 0, ""
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, line, (
            "the file is not UTF-8 text: save it as \"CSV UTF-8\" and import again"
        )


def read_rows(
    spec: FileSpec, text: str, report, max_rows: int
) -> tuple[list[str], Iterator[Row]] | None:
    """Check the header, then yield the non-blank rows.

    ``report(line, column, message)`` records a problem. Returns None when the
    header is unusable (the rows are then not read at all).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_cells = next(reader)
    except StopIteration:
        report(1, "-", "the file is empty: it needs a header row")
        return None
    except csv.Error as exc:
        report(1, "-", f"the header row is not valid CSV ({exc})")
        return None

    header = [cell.strip().lower() for cell in header_cells]
    ok = True
    seen: set[str] = set()
    for raw, name in zip(header_cells, header):
        if not name:
            report(1, "-", "a column has no name in the header row")
            ok = False
        elif name not in spec.columns:
            report(1, raw.strip(), "unknown column (expected: " + ", ".join(spec.columns) + ")")
            ok = False
        elif name in seen:
            report(1, raw.strip(), "the column appears twice in the header")
            ok = False
        seen.add(name)
    for name in spec.required:
        if name not in seen:
            report(1, name, "required column is missing from the header row")
            ok = False
    if not ok:
        return None

    def rows() -> Iterator[Row]:
        count = 0
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                report(line, "-", f"not valid CSV ({exc})")
                return
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > max_rows:
                report(start, "-", f"the file has more than {max_rows:,} rows; split it")
                return
            if len(cells) > len(header):
                report(start, "-", f"the row has {len(cells)} cells but the header has {len(header)}")
                continue
            yield Row(start, {name: cell.strip() for name, cell in zip(header, cells)})

    return header, rows()


# -- typed cells --------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


def parse_date(value: str) -> date:
    try:
        day = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise CellError(f"not a date: '{value}' (use YYYY-MM-DD)")
    if not in_year_range(day):
        raise CellError(f"not a date between {EARLIEST_YEAR} and {LATEST_YEAR}: '{value}'")
    return day


def parse_int(value: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if not _INT.fullmatch(value):
        raise CellError(f"not a whole number: '{value}'")
    number = int(value)
    _check_range(number, minimum, maximum)
    return number


def parse_decimal(value: str, minimum=None, maximum=None, places: int | None = None) -> Decimal:
    if not _DECIMAL.fullmatch(value):
        raise CellError(f"not a number: '{value}'")
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise CellError(f"not a number: '{value}'") from None
    _check_range(number, minimum, maximum)
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellError(f"must have at most {places} decimal places")
    return number


def _check_range(number, minimum, maximum) -> None:
    if minimum is not None and number < minimum:
        if maximum is not None:
            raise CellError(f"must be between {minimum} and {maximum}")
        raise CellError(f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        if minimum is not None:
            raise CellError(f"must be between {minimum} and {maximum}")
        raise CellError(f"must be at most {maximum}")


def parse_enum(value: str, enum_cls: type[Enum]):
    wanted = value.lower()
    for member in enum_cls:
        if member.value == wanted:
            return member
    allowed = ", ".join(m.value for m in enum_cls)
    raise CellError(f"unknown value '{value}': use one of {allowed}")


def parse_level(value: str) -> int:
    if value in ("1", "2", "3"):
        return int(value)
    raise CellError(f"unknown level '{value}': use 1, 2 or 3")


def parse_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise CellError(f"not an e-mail address: '{value}'")
    return value.lower()
