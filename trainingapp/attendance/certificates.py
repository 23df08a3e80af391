"""A certificate of attendance: one A4 page saying who attended which
course, at what level, for how many learning hours, when, with whom, and a
reference the board can look up (``<session ref>-<booking id>``).

Names are printed exactly as stored: reportlab's Paragraph reads a little
markup, so every value is escaped first (``<script>`` prints literally), in
a font with the accented letters of names like Zoë or Siân (the reports'
``fonts()``: DejaVu Sans when the system has it, else the Bitstream Vera
bundled with reportlab).
"""
from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, KeepInFrame, Paragraph, Spacer

from ..bookings.models import Booking
from ..programme.formatting import day_lines
from ..reports.pdf import fonts

MARGIN = 25 * mm


def reference(booking: Booking) -> str:
    return f"{booking.session.ref}-{booking.id}"


def filename(booking: Booking) -> str:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in reference(booking))
    return f"certificate-{safe}.pdf"


def _hours(value) -> str:
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text} hour" if text == "1" else f"{text} hours"


def certificate_pdf(booking: Booking, board_name: str, issued_on: date) -> bytes:
    """The certificate for an attended booking, as PDF bytes."""
    regular, bold = fonts()
    session, person = booking.session, booking.person
    course = session.course

    def style(name, size, font=regular, space=4, colour=colors.black):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.3,
                              alignment=TA_CENTER, spaceAfter=space, textColor=colour)

    board, title = style("board", 16, bold, 24, colors.HexColor("#1d4f76")), style("title", 28, bold, 24)
    body, big = style("body", 13, space=8), style("big", 24, bold, 12)
    small = style("small", 10, space=4, colour=colors.HexColor("#505a5f"))

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), st)

    story = [
        p(board_name, board),
        p("Certificate of attendance", title),
        Spacer(1, 10 * mm),
        p("This is to certify that", body),
        p(person.full_name, big),
        p("attended", body),
        p(course.title, style("course", 18, bold, 10)),
    ]
    if course.level is not None:
        story.append(p(f"Level {course.level}", body))
    story += [p(line, body) for line in day_lines(session)]
    if course.learning_hours is not None:
        story.append(p(f"Learning hours: {_hours(course.learning_hours)}", body))
    trainers = ", ".join(t.full_name for t in session.trainers)
    if trainers:
        story.append(p(f"Delivered by {trainers}", body))
    story += [
        Spacer(1, 15 * mm),
        p(f"Certificate reference: {reference(booking)}", small),
        p(f"Issued on {issued_on.day} {issued_on:%B %Y} by {board_name}", small),
    ]

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Certificate of attendance: {course.title}")
    canvas.setAuthor(board_name)
    canvas.setSubject(f"{person.full_name}, {reference(booking)}")
    width, height = A4
    canvas.setStrokeColor(colors.HexColor("#1d4f76"))
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    frame = Frame(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN, showBoundary=0)
    # Shrink rather than spill: a certificate is always one page.
    frame.addFromList([KeepInFrame(width - 2 * MARGIN, height - 2 * MARGIN, story, mode="shrink")],
                      canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
