"""The reports on the web (contract section 5, "Web downloads"): the CSV is
byte for byte what the CLI prints; XLSX and PDF carry the same rows; the
page's totals agree with the CSV and with a count in plain SQL; every
download is guarded, audited and scoped to the user's agency."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text

from trainingapp.agencies.models import Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings.models import Attendance, BookingStatus
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.reports import exports, pdf
from tests.factories import (
    attended,
    login_as,
    make_agency,
    make_booking,
    make_course,
    make_person,
    make_record,
    make_session,
    make_user,
)

FY = {"from": "2011-04-01", "to": "2012-03-31"}
SCRIPT = "<script>alert('x')</script> awareness"
FORMULA = '=HYPERLINK("http://evil.example","click")'
NAMES = (SCRIPT, "O'Brien Associates", "Zoë & Siân Nursery")
REPORT_URLS = [f"/reports/{name}.{fmt}" for name in ("activity", "sectors", "compliance")
               for fmt in ("csv", "xlsx", "pdf")]


@pytest.fixture
def board(ctx):
    """Two agencies in two sectors (one named like a formula), a course
    titled like a script and one like a formula, sessions across the
    financial year 2011-12 and its edges, and staff with required levels."""
    obrien = make_agency("O'Brien Associates", sector="Health", target=90)
    nursery = make_agency("Zoë & Siân Nursery", sector="Voluntary", target="87.5")
    evil = make_agency("@evil", sector="Voluntary")
    wt = make_course("WT", SCRIPT, level=3)
    hl = make_course("HL", FORMULA, level=1)
    first_day = make_session(wt, date(2011, 4, 1))                  # Q1's first day
    last_of_q1 = make_session(hl, date(2011, 6, 30))                # Q1's last day
    make_session(wt, date(2011, 7, 1), status=SessionStatus.CANCELLED)  # Q2
    make_session(wt, date(2012, 1, 10), status=SessionStatus.SCHEDULED)  # Q4
    make_session(wt, date(2012, 3, 31))                             # FY's last day, no bookings
    make_session(wt, date(2011, 3, 31))                             # the year before
    make_session(hl, date(2012, 4, 1))                              # the year after
    zoe = make_person(nursery, first_name="Zoë", last_name="O'Brien", required_level=3)
    sian = make_person(obrien, first_name="Siân", last_name="<b>Jones</b>", required_level=1)
    for person in (zoe, sian, make_person(evil, required_level=1)):
        attended(first_day, person)
    attended(last_of_q1, sian)
    make_booking(last_of_q1, make_person(obrien), attendance=Attendance.PARTIAL)
    make_booking(first_day, make_person(nursery), attendance=Attendance.DID_NOT_ATTEND)
    make_booking(first_day, make_person(obrien), status=BookingStatus.LATE_CANCELLED)
    make_person(obrien, required_level=2)
    make_record(make_person(nursery, required_level=1), 1, date(2008, 5, 1))  # expired
    users = {role: make_user(role, obrien) for role in Role}
    db.session.commit()
    return {"obrien": obrien, "nursery": nursery, "evil": evil, "users": users}


def sign_in(client, board, role=Role.COORDINATOR):
    login_as(client, board["users"][role])


def cli(runner, *args) -> bytes:
    result = runner.invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def squeezed(text_: str) -> str:
    """Text without whitespace: a PDF table wraps long names across lines."""
    return "".join(text_.split())


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


# -- CSV: the same bytes as the CLI -------------------------------------------------

@pytest.mark.parametrize("period", [FY, {"from": "2011-04-01", "to": "2011-06-30"},
                                    {"from": "2013-04-01", "to": "2014-03-31"}])
@pytest.mark.parametrize("report", ["activity", "sectors"])
def test_period_csv_is_byte_identical_to_the_cli(client, runner, board, report, period):
    sign_in(client, board)
    response = client.get(f"/reports/{report}.csv", query_string=period)

    assert response.status_code == 200
    assert response.data == cli(runner, report, "--from", period["from"], "--to", period["to"])


@pytest.mark.parametrize("agency", [None, "o'brien associates", "@evil"])
def test_compliance_csv_is_byte_identical_to_the_cli(client, runner, board, agency):
    sign_in(client, board)
    query = {"on": "2011-12-31", **({"agency": agency} if agency else {})}
    response = client.get("/reports/compliance.csv", query_string=query)

    assert response.status_code == 200
    args = ["compliance", "--on", "2011-12-31"] + (["--agency", agency] if agency else [])
    assert response.data == cli(runner, *args)


def test_downloads_are_attachments_that_are_never_cached(client, board):
    sign_in(client, board)
    for url, query, filename, mimetype in [
        ("/reports/activity.csv", FY, "activity-2011-04-01-to-2012-03-31.csv", "text/csv"),
        ("/reports/sectors.xlsx", FY, "sectors-2011-04-01-to-2012-03-31.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("/reports/activity.pdf", FY, "activity-2011-04-01-to-2012-03-31.pdf", "application/pdf"),
        ("/reports/compliance.csv", {"on": "2012-03-31"}, "compliance-2012-03-31.csv", "text/csv"),
        ("/reports/compliance.pdf", {"on": "2012-03-31", "agency": "O'Brien Associates"},
         "compliance-2012-03-31-o-brien-associates.pdf", "application/pdf"),
    ]:
        response = client.get(url, query_string=query)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == mimetype
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- the page: periods, totals, headline ----------------------------------------------

def total_row_on_page(html: str) -> list[str]:
    row = re.search(r'<tr class="govuk-table__row" id="activity-total">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def test_screen_totals_equal_the_csv_and_an_independent_sql_count(client, board):
    sign_in(client, board)
    page = client.get("/reports", query_string={"year": 2011}).get_data(as_text=True)
    csv_total = rows_of(client.get("/reports/activity.csv", query_string=FY).data)[-1]
    attended_sql, planned_sql, run_sql = db.session.execute(text(
        "SELECT"
        " (SELECT count(*) FROM bookings b JOIN training_sessions s ON s.id = b.session_id"
        "   WHERE s.status = 'completed' AND b.status = 'confirmed' AND b.attendance = 'attended'"
        "   AND s.start_on BETWEEN :start AND :end),"
        " (SELECT count(*) FROM training_sessions WHERE start_on BETWEEN :start AND :end),"
        " (SELECT count(*) FROM training_sessions WHERE status = 'completed'"
        "   AND start_on BETWEEN :start AND :end)"),
        {"start": date(2011, 4, 1), "end": date(2012, 3, 31)}).one()

    assert (attended_sql, planned_sql, run_sql) == (4, 5, 3)
    assert total_row_on_page(page) == csv_total
    assert csv_total[:5] == ["TOTAL", "", "", str(planned_sql), str(run_sql)]
    assert csv_total[7] == str(attended_sql)
    assert f"{planned_sql} sessions planned, {run_sql} run, {attended_sql} staff attended." in page


@pytest.mark.parametrize("query, planned, link", [
    ({}, None, None),  # the current financial year by default
    ({"year": 2011}, 5, "from=2011-04-01&amp;to=2012-03-31"),
    ({"year": 2011, "quarter": 1}, 2, "from=2011-04-01&amp;to=2011-06-30"),
    ({"year": 2011, "quarter": 2}, 1, "from=2011-07-01&amp;to=2011-09-30"),
    ({"year": 2011, "quarter": 4}, 2, "from=2012-01-01&amp;to=2012-03-31"),
    ({"start": ["1", "4", "2011"], "end": ["1", "4", "2011"]}, 1, "from=2011-04-01&amp;to=2011-04-01"),
])
def test_financial_years_and_quarters_include_their_first_and_last_days(client, board, query,
                                                                        planned, link):
    sign_in(client, board)
    response = client.get("/reports", query_string=query)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    if planned is None:
        assert re.search(r'<option value="\d+" selected>April (\d+) to March', html)
        return
    assert f"{planned} {'session' if planned == 1 else 'sessions'} planned" in html
    assert link in html
    for fmt in ("csv", "xlsx", "pdf"):
        assert f"/reports/activity.{fmt}?{link}" in html and f"/reports/sectors.{fmt}?{link}" in html


@pytest.mark.parametrize("query, message", [
    ({"start": ["1", "4", "2011"]}, "Enter the end date"),
    ({"end": ["1", "4", "2011"]}, "Enter the start date"),
    ({"start": ["31", "2", "2011"], "end": ["1", "4", "2011"]}, "Start date must be a real date"),
    ({"start": ["1", "4", "11"], "end": ["1", "4", "2012"]}, "Start date must be a real date"),
    ({"start": ["1", "4", "2011"], "end": ["1", "4", "0012"]}, "End date must be in a year from 1900"),
    ({"start": ["2", "4", "2011"], "end": ["1", "4", "2011"]},
     "End date must be the same as or after the start date"),
    ({"year": "1066"}, "Choose a financial year from the list"),
    ({"year": "2011", "quarter": "5"}, "Choose a quarter from the list"),
])
def test_the_period_form_explains_what_is_wrong(client, board, query, message):
    sign_in(client, board)
    response = client.get("/reports", query_string=query)
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert "govuk-error-summary" in html and message in html
    assert "Traceback" not in html and "staff attended" not in html


@pytest.mark.parametrize("query, message", [
    ({}, "The address needs the first day of the period as from=YYYY-MM-DD"),
    ({"from": "2011-04-01"}, "The address needs the last day of the period as to=YYYY-MM-DD"),
    ({"from": "2011-02-30", "to": "2012-03-31"}, "from=2011-02-30 is not a real date"),
    ({"from": "1/4/2011", "to": "2012-03-31"}, "from=1/4/2011 is not a real date"),
    ({"from": "2012-04-01", "to": "2011-03-31"}, "The period ends (to=2011-03-31) before it starts"),
])
@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_downloads_with_missing_or_bad_dates_answer_400_with_a_message(client, board, query,
                                                                       message, fmt):
    sign_in(client, board)
    response = client.get(f"/reports/activity.{fmt}", query_string=query)
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in html and "Traceback" not in html
    bad = client.get("/reports/compliance.csv", query_string={"on": "yesterday"})
    assert bad.status_code == 400 and "on=yesterday is not a real date" in bad.get_data(as_text=True)


def test_names_are_escaped_on_the_pages(client, board):
    sign_in(client, board)
    html = client.get("/reports", query_string={"year": 2011}).get_data(as_text=True)
    compliance = client.get("/reports/compliance?on=1&on=1&on=2012").get_data(as_text=True)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; awareness" in html
    assert "O&#39;Brien Associates" in compliance and "Zoë &amp; Siân Nursery" in compliance


# -- XLSX and PDF: the same rows ------------------------------------------------------

def test_xlsx_has_the_csv_rows_with_numbers_as_numbers_and_guarded_text(client, board):
    sign_in(client, board)
    for report, query in (("activity", FY), ("sectors", FY), ("compliance", {"on": "2011-12-31"})):
        csv_rows = rows_of(client.get(f"/reports/{report}.csv", query_string=query).data)
        book = load_workbook(io.BytesIO(client.get(f"/reports/{report}.xlsx", query_string=query).data))
        sheet = book.active
        values = [list(r) for r in sheet.iter_rows(values_only=True)]

        assert [[_as_csv(v, c) for v, c in zip(r, csv_rows[0])] for r in values] == csv_rows, report
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.column_dimensions["A"].width > 5
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    activity = load_workbook(io.BytesIO(client.get("/reports/activity.xlsx", query_string=FY).data)).active
    assert [c.value for c in activity[2]][:4] == ["HL", "'" + FORMULA, 1, 1]
    assert [c.value for c in activity[3]][:3] == ["WT", SCRIPT, 3]
    compliance = load_workbook(io.BytesIO(
        client.get("/reports/compliance.xlsx", query_string={"on": "2011-12-31"}).data)).active
    evil = [c for c in compliance[2]]
    assert evil[0].value == "'@evil" and evil[0].data_type == "s"
    assert isinstance(evil[5].value, (int, float)) and evil[5].number_format == "0.0"
    assert [c.value for c in compliance[2]] == ["'@evil", "Voluntary", 1, 1, 1, 100, 90, "green"]


def _as_csv(value, column: str) -> str:
    """A spreadsheet value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if column == "percent":
        return f"{value:.1f}"
    if column == "target":
        return exports.format_target(Decimal(str(value)))
    return str(value)


def test_xlsx_percent_and_target_keep_their_csv_values(client, board):
    sign_in(client, board)
    query = {"on": "2011-12-31", "agency": "Zoë & Siân Nursery"}
    csv_rows = rows_of(client.get("/reports/compliance.csv", query_string=query).data)
    sheet = load_workbook(io.BytesIO(client.get("/reports/compliance.xlsx", query_string=query).data)).active

    assert csv_rows[1:] == [["Zoë & Siân Nursery", "Voluntary", "1", "1", "0", "0.0", "87.5", "red"],
                            ["Zoë & Siân Nursery", "Voluntary", "3", "1", "1", "100.0", "87.5", "green"],
                            ["Zoë & Siân Nursery", "Voluntary", "ALL", "2", "1", "50.0", "87.5", "red"]]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["Zoë & Siân Nursery", "Voluntary", 1, 1, 0, 0, 87.5, "red"],
        ["Zoë & Siân Nursery", "Voluntary", 3, 1, 1, 100, 87.5, "green"],
        ["Zoë & Siân Nursery", "Voluntary", "ALL", 2, 1, 50, 87.5, "red"]]


def test_pdf_shows_names_exactly_with_the_totals_board_and_period(client, board, app):
    sign_in(client, board)
    activity = pdf_text(client.get("/reports/activity.pdf", query_string=FY).data)
    compliance = pdf_text(client.get("/reports/compliance.pdf", query_string={"on": "2011-12-31"}).data)
    sectors = pdf_text(client.get("/reports/sectors.pdf", query_string=FY).data)

    assert squeezed(SCRIPT) in squeezed(activity) and squeezed(FORMULA) in squeezed(activity)
    assert app.config["BOARD_NAME"] in activity
    assert "Financial year 2011 to 2012, 1 April 2011 to 31 March 2012" in activity
    assert "Generated on" in activity and "Page 1 of 1" in activity
    total = re.sub(r"\s+", " ", activity[activity.index("TOTAL"):])
    assert total.startswith("TOTAL 5 3 1 30 4 1 1 1 3")
    for name in ("O'Brien Associates", "Zoë & Siân Nursery", "@evil", "87.5", "100.0"):
        assert name in compliance
    assert "Voluntary" in sectors and "ALL" in sectors


def test_pdf_is_landscape_for_activity_and_paginates_long_tables():
    rows = [(f"C{n:03}", "Zoë O'Brien <b>", 1, 1) for n in range(200)]
    body = pdf.to_pdf(board="Board", title="T", period="P", generated="today",
                      columns=("course_code", "course_title", "level", "attended"), rows=rows,
                      numeric=frozenset({"level", "attended"}), wide=True)
    reader = PdfReader(io.BytesIO(body))

    assert len(reader.pages) > 1
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
    text_ = pdf_text(body)
    assert "C199" in text_ and "Zoë O'Brien <b>" in text_ and f"Page 2 of {len(reader.pages)}" in text_


def test_pdf_falls_back_to_helvetica_without_a_font_file(monkeypatch):
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ())
    pdf.fonts.cache_clear()
    try:
        assert pdf.fonts() == ("Helvetica", "Helvetica-Bold")
        body = pdf.to_pdf(board="Board", title="T", period="P", generated="today",
                          columns=("agency",), rows=[("Zoë & Siân O'Brien <script>",)])
    finally:
        pdf.fonts.cache_clear()
    assert "Zoë & Siân O'Brien <script>" in pdf_text(body)


# -- access ----------------------------------------------------------------------------

def test_signed_out_visitors_are_sent_to_sign_in(client, board):
    for url in ["/reports", "/reports/compliance", *REPORT_URLS]:
        response = client.get(url, query_string=FY)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.TRAINER])
def test_practitioners_and_trainers_get_403_everywhere(client, board, role):
    sign_in(client, board, role)
    for url in ["/reports", "/reports/compliance", *REPORT_URLS]:
        response = client.get(url, query_string={**FY, "on": "2011-12-31"})
        assert response.status_code == 403, url
        assert "O&#39;Brien" not in response.get_data(as_text=True)


def test_an_agency_manager_sees_only_their_own_agency(client, board):
    sign_in(client, board, Role.AGENCY_MANAGER)
    others = ("Zoë", "Nursery", "@evil", "evil")

    assert client.get("/reports").status_code == 403
    assert client.get("/reports/activity.csv", query_string=FY).status_code == 403
    page = client.get("/reports/compliance?on=31&on=12&on=2011")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "O&#39;Brien Associates" in html
    assert not any(name in html for name in others)
    own = client.get("/reports/compliance.csv", query_string={"on": "2011-12-31"})
    assert {row[0] for row in rows_of(own.data)[1:]} == {"O'Brien Associates"}
    named = client.get("/reports/compliance.csv",
                       query_string={"on": "2011-12-31", "agency": "O'BRIEN ASSOCIATES"})
    assert named.data == own.data
    for fmt in ("xlsx", "pdf"):
        body = client.get(f"/reports/compliance.{fmt}", query_string={"on": "2011-12-31"}).data
        if fmt == "pdf":
            content = pdf_text(body)
        else:
            content = str([[c.value for c in row] for row in load_workbook(io.BytesIO(body)).active.rows])
        assert "O'Brien Associates" in content and not any(name in content for name in others)
    for url in ["/reports/compliance", "/reports/compliance.csv", "/reports/compliance.xlsx",
                "/reports/compliance.pdf"]:
        for name in ("Zoë & Siân Nursery", "@evil", "No Such Agency"):
            response = client.get(url, query_string={"on": "2011-12-31", "agency": name})
            body = response.get_data(as_text=True)
            assert response.status_code == 404, (url, name)
            assert not any(other in body for other in ("Zoë", "Nursery", "evil", "No Such"))


def test_coordinators_filter_compliance_by_agency_and_unknown_agencies_answer_404(client, board):
    sign_in(client, board)
    html = client.get("/reports/compliance", query_string={"agency": "zoë & siân nursery"}
                      ).get_data(as_text=True)
    assert "Zoë &amp; Siân Nursery" in html and "O&#39;Brien" not in html.split('id="results"')[1]
    assert '<strong class="govuk-tag govuk-tag--red">Red</strong>' in html
    response = client.get("/reports/compliance.csv",
                          query_string={"on": "2011-12-31", "agency": "<b>Nowhere</b>"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "There is no agency called “&lt;b&gt;Nowhere&lt;/b&gt;”" in body


def test_rag_status_is_shown_in_words_not_colour_alone(client, board):
    sign_in(client, board)
    html = client.get("/reports/compliance?on=31&on=12&on=2011").get_data(as_text=True)

    for status, colour in (("Green", "green"), ("Red", "red")):
        assert f'<strong class="govuk-tag govuk-tag--{colour}">{status}</strong>' in html
    bad = client.get("/reports/compliance?on=31&on=2&on=2011")
    assert bad.status_code == 400 and "Date to assess must be a real date" in bad.get_data(as_text=True)


# -- audit -------------------------------------------------------------------------------

def test_every_download_is_audited(client, board):
    sign_in(client, board)
    client.get("/reports/activity.xlsx", query_string=FY)
    client.get("/reports/compliance.pdf", query_string={"on": "2011-12-31", "agency": "@evil"})
    client.get("/reports/sectors.csv", query_string={"from": "2012-04-01"})  # refused: not audited

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                 .order_by(AuditEntry.id)).all()
    coordinator = board["users"][Role.COORDINATOR]
    assert [(e.actor_id, e.agency_id) for e in entries] == [(coordinator.id, board["obrien"].id)] * 2
    assert entries[0].details == {"report": "activity", "format": "xlsx", "rows": 3,
                                  "start": "2011-04-01", "end": "2012-03-31"}
    assert (entries[1].target_type, entries[1].target_id) == ("agency", board["evil"].id)
    assert entries[1].details == {"report": "compliance", "format": "pdf", "rows": 2,
                                  "on": "2011-12-31", "agency": "@evil"}


def test_amber_is_a_yellow_tag_that_says_amber(client, board):
    amber = make_agency("Amber Agency", target=80)
    for n in range(4):
        person = make_person(amber, required_level=1)
        if n < 3:
            make_record(person, 1, date(2011, 1, 1))
    db.session.commit()
    sign_in(client, board)
    html = client.get("/reports/compliance?on=31&on=12&on=2011&agency=Amber+Agency").get_data(as_text=True)

    assert html.count('<strong class="govuk-tag govuk-tag--yellow">Amber</strong>') == 2  # level 1 and all


@pytest.mark.parametrize("role, links", [
    (Role.COORDINATOR, ['href="/reports">Reports', 'href="/reports">See the reports']),
    (Role.ADMIN, ['href="/reports">Reports']),
    (Role.AGENCY_MANAGER, ['href="/reports/compliance">Compliance',
                           'href="/reports/compliance">See your agency\'s compliance']),
])
def test_the_navigation_and_home_page_lead_to_the_reports(client, board, role, links):
    sign_in(client, board, role)
    html = re.sub(r">\s+", ">", client.get("/").get_data(as_text=True))

    for link in links:
        assert link in html
    if role is Role.AGENCY_MANAGER:
        assert 'href="/reports"' not in html


def test_the_demo_year_gives_the_published_headline_on_the_page_and_in_every_format(ctx, client,
                                                                                    runner):
    from trainingapp.demo import services as demo

    demo.load()
    coordinator = make_user(Role.COORDINATOR, make_agency("Reporting Office"))
    db.session.commit()
    login_as(client, coordinator)
    html = client.get("/reports", query_string={"year": 2011}).get_data(as_text=True)
    body = client.get("/reports/activity.csv", query_string=FY).data
    sheet = load_workbook(io.BytesIO(client.get("/reports/activity.xlsx", query_string=FY).data)).active
    activity_pdf = pdf_text(client.get("/reports/activity.pdf", query_string=FY).data)

    assert "37 sessions planned, 29 run, 557 staff attended." in html
    assert body == cli(runner, "activity", "--from", FY["from"], "--to", FY["to"])
    assert rows_of(body)[-1][3:5] == ["37", "29"] and rows_of(body)[-1][7] == "557"
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[0] == "TOTAL" and total[3:6] == [37, 29, 8] and total[7] == 557
    assert re.sub(r"\s+", " ", activity_pdf[activity_pdf.index("TOTAL"):]).startswith("TOTAL 37 29 8")
