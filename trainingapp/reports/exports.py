"""Report rows as the contract's CSV (section 5): the CLI prints it and the
web serves it, byte for byte the same.

UTF-8 with a BOM, RFC 4180 (CRLF, quoted only when needed), integers without
decimals, percentages with one decimal, targets without trailing zeros, and
every text cell guarded against formula injection.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Iterable, Sequence

from . import queries

ACTIVITY_COLUMNS = ("course_code", "course_title", "level", "sessions_planned", "sessions_run",
                    "sessions_cancelled", "places_offered", "attended", "partial",
                    "did_not_attend", "late_cancelled", "delegates")
SECTOR_COLUMNS = ("sector", "course_code", "attended", "partial", "did_not_attend", "delegates")
COMPLIANCE_COLUMNS = ("agency", "sector", "level", "staff_required", "staff_compliant",
                      "percent", "target", "status")
DELEGATE_COLUMNS = ("email", "first_name", "last_name", "agency", "status",
                    "waitlist_position", "attendance")

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text for one cell. Text that a spreadsheet would run as a formula gets
    a leading apostrophe (OWASP's advice), which spreadsheets show as text."""
    if value is None:
        return ""
    if hasattr(value, "value") and not isinstance(value, (int, Decimal)):
        value = value.value  # an enum
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def format_target(target: Decimal) -> str:
    """90 -> "90", 87.50 -> "87.5"."""
    return format(target.normalize(), "f")


def to_csv(columns: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def activity_table(rows: list[queries.ActivityRow], total: queries.ActivityRow) -> list[tuple]:
    return [tuple(getattr(r, c) for c in ACTIVITY_COLUMNS) for r in (*rows, total)]


def sector_table(rows: list[queries.SectorRow]) -> list[tuple]:
    return [tuple(getattr(r, c) for c in SECTOR_COLUMNS) for r in rows]


def compliance_table(rows: list[queries.ComplianceRow]) -> list[tuple]:
    return [
        (r.agency, r.sector, r.level, r.staff_required, r.staff_compliant,
         f"{r.percent:.1f}", format_target(r.target), r.status)
        for r in rows
    ]


def delegate_table(rows) -> list[tuple]:
    return [tuple(r) for r in rows]
