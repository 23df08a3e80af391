"""Report rows as the contract's CSV (section 5): the CLI prints it and the
web serves it, byte for byte the same.

UTF-8 with a BOM, RFC 4180 (CRLF, quoted only when needed), integers without
decimals, percentages with one decimal, targets without trailing zeros, and
every text cell guarded against formula injection.

The web also offers each report as XLSX (``to_xlsx``: the same header and
rows, numbers as numbers, text guarded the same way) and as PDF (pdf.py).
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


def label(column: str) -> str:
    """A column's heading on a page or in a PDF: "sessions_run" -> "Sessions run"."""
    return column.replace("_", " ").capitalize()


def compliance_cells(rows: list[queries.ComplianceRow]) -> list[tuple]:
    """The compliance rows with numbers as numbers (levels 1-3, counts,
    percent and target), for a spreadsheet."""
    return [
        (r.agency, r.sector, int(r.level) if r.level.isdigit() else r.level, r.staff_required,
         r.staff_compliant, r.percent, r.target.normalize(), r.status)
        for r in rows
    ]


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_WIDTH = 60


def to_xlsx(sheet_title: str, columns: Sequence[str], rows: Iterable[Sequence],
            number_formats: dict[str, str] | None = None, subject: str = "",
            creator: str = "") -> bytes:
    """One worksheet: the header row (bold, frozen, filterable), then the
    rows. Numbers stay numbers (``number_formats`` maps a column to an Excel
    format such as "0.0"); text goes through ``safe_cell`` like the CSV and
    is stored as a string, so nothing a user typed can become a formula."""
    number_formats = number_formats or {}
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    book.properties.title = sheet_title
    book.properties.subject = subject
    book.properties.creator = creator
    widths = [len(c) for c in columns]
    bold = Font(bold=True)
    for index, name in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font = bold
    for row_number, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=index)
            if value is None:
                continue
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                cell.value = int(value) if value == int(value) else float(value)
                cell.number_format = number_formats.get(columns[index - 1], "General")
                text = format(value, "f") if isinstance(value, Decimal) else str(value)
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))
                cell.value = text
                cell.data_type = "s"  # never a formula, whatever the text
            widths[index - 1] = max(widths[index - 1], len(text))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_XLSX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
