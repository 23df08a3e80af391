"""A report as a PDF to print or attach to a board paper: the board's name,
the report's title, its period and the day it was made, then the same rows
as the CSV in a table whose header repeats on every page.

Text is shown as stored (a PDF runs no formulas, so it needs no guard), in a
font that has the accented letters of names like Zoë or Siân: DejaVu Sans
when the system has it (Debian's fonts-dejavu-core), else Bitstream Vera,
which ships with reportlab, else Helvetica (Latin-1 only).
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFError
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .exports import label

_REPORTLAB_FONTS = Path(reportlab.__file__).resolve().parent / "fonts"
FONT_CANDIDATES = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (_REPORTLAB_FONTS / "Vera.ttf", _REPORTLAB_FONTS / "VeraBd.ttf"),
)
MARGIN = 15 * mm


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab once per process."""
    for regular, bold in FONT_CANDIDATES:
        if not (regular.is_file() and bold.is_file()):
            continue
        try:
            pdfmetrics.registerFont(TTFont("ReportSans", str(regular)))
            pdfmetrics.registerFont(TTFont("ReportSans-Bold", str(bold)))
        except TTFError:
            continue
        pdfmetrics.registerFontFamily("ReportSans", normal="ReportSans", bold="ReportSans-Bold")
        return "ReportSans", "ReportSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "value") and not isinstance(value, (int, float)):
        value = value.value
    return str(value)


def _widths(columns: Sequence[str], rows: list[list[str]], available: float) -> list[float]:
    """Share the page width by how long each column's longest word or
    value is (capped, so one long title does not squeeze the numbers)."""
    weights = []
    for index, column in enumerate(columns):
        longest = max([len(w) for w in label(column).split()] +
                      [min(len(r[index]), 30) for r in rows] + [4])
        weights.append(longest + 2)
    total = sum(weights)
    return [available * w / total for w in weights]


class _NumberedCanvas(canvas.Canvas):
    """Writes "Page N of M" once every page is laid out."""

    footer = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        count = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            width, _ = self._pagesize
            self.setFont(fonts()[0], 8)
            self.setFillColor(colors.HexColor("#505a5f"))
            self.drawString(MARGIN, 8 * mm, self.footer)
            self.drawRightString(width - MARGIN, 8 * mm, f"Page {self._pageNumber} of {count}")
            super().showPage()
        super().save()


def to_pdf(*, board: str, title: str, period: str, generated: str, columns: Sequence[str],
           rows: Sequence[Sequence], numeric: frozenset[str] = frozenset(),
           is_total: Callable[[Sequence], bool] = lambda row: False,
           wide: bool = False) -> bytes:
    """The report as a paginated PDF (A4; landscape when ``wide``).
    ``numeric`` columns are right-aligned; rows where ``is_total`` holds are
    bold."""
    regular, bold = fonts()
    page = landscape(A4) if wide else A4
    body = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    body_bold = ParagraphStyle("cell-bold", parent=body, fontName=bold)
    right = ParagraphStyle("cell-right", parent=body, alignment=2)
    right_bold = ParagraphStyle("cell-right-bold", parent=right, fontName=bold)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=16, leading=20, spaceAfter=4)
    lead = ParagraphStyle("lead", fontName=regular, fontSize=10, leading=13)

    texts = [[_text(v) for v in row] for row in rows]
    is_number = [c in numeric for c in columns]
    header = [Paragraph(escape(label(c)), right_bold if n else body_bold)
              for c, n in zip(columns, is_number)]
    table_rows = [header]
    for row, text in zip(rows, texts):
        strong = is_total(row)
        table_rows.append([
            Paragraph(escape(t), (right_bold if strong else right) if n else (body_bold if strong else body))
            for t, n in zip(text, is_number)
        ])
    table = Table(table_rows, colWidths=_widths(columns, texts, page[0] - 2 * MARGIN), repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm, title=f"{title}: {period}", author=board, subject=period,
        creator=board)
    story = [
        Paragraph(escape(board), lead),
        Paragraph(escape(title), heading),
        Paragraph(escape(f"Period: {period}"), lead),
        Paragraph(escape(f"Generated on {generated}"), lead),
        Spacer(1, 6 * mm),
        table,
    ]
    numbered = type("_Canvas", (_NumberedCanvas,), {"footer": f"{board}: {title}, {period}"})
    document.build(story, canvasmaker=numbered)
    return buffer.getvalue()
