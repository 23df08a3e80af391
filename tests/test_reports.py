"""Every rule of contract section 5, on small hand-computed fixtures."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from trainingapp.bookings.models import Attendance, BookingStatus
from trainingapp.courses.models import Level, SessionStatus
from trainingapp.extensions import db
from trainingapp.reports import exports, queries
from tests.factories import (
    attended,
    make_agency,
    make_booking,
    make_course,
    make_person,
    make_record,
    make_session,
)

FY_START, FY_END = date(2011, 4, 1), date(2012, 3, 31)
COMPLETED, CANCELLED, SCHEDULED = (SessionStatus.COMPLETED, SessionStatus.CANCELLED,
                                   SessionStatus.SCHEDULED)


def cli_rows(runner, *args) -> list[list[str]]:
    result = runner.invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def by_code(rows):
    return {r.course_code: r for r in rows}


# -- activity -------------------------------------------------------------------

def test_activity_counts_sessions_by_status_and_places_of_run_sessions_only(ctx):
    course = make_course("WT", "Working Together", level=3, duration_days=2)
    make_session(course, date(2011, 5, 3), date(2011, 5, 4), capacity=40, status=COMPLETED)
    make_session(course, date(2011, 6, 3), capacity=30, status=COMPLETED)
    make_session(course, date(2011, 7, 3), capacity=25, status=CANCELLED)
    make_session(course, date(2011, 8, 3), capacity=20, status=SCHEDULED)

    rows, total = queries.activity(FY_START, FY_END)

    row = by_code(rows)["WT"]
    assert (row.sessions_planned, row.sessions_run, row.sessions_cancelled) == (4, 2, 1)
    assert row.places_offered == 70
    assert (total.sessions_planned, total.sessions_run, total.places_offered) == (4, 2, 70)


def test_activity_period_includes_first_and_last_day_by_start_date(ctx):
    course = make_course("C1")
    make_session(course, date(2011, 3, 31))                     # day before: out
    make_session(course, FY_START)                              # first day: in
    make_session(course, FY_END, date(2012, 4, 1))              # last day, ends after: in
    make_session(course, date(2012, 4, 1))                      # day after: out
    make_session(course, date(2011, 3, 30), date(2011, 4, 2))   # starts before: out

    rows, _ = queries.activity(FY_START, FY_END)

    assert by_code(rows)["C1"].sessions_planned == 2


def test_activity_booking_counts_look_only_at_confirmed_bookings_on_run_sessions(ctx):
    course = make_course("C1")
    run = make_session(course, status=COMPLETED)
    planned = make_session(course, status=SCHEDULED)
    cancelled = make_session(course, status=CANCELLED)
    attended(run)
    attended(run)
    make_booking(run, attendance=Attendance.PARTIAL)
    make_booking(run, attendance=Attendance.DID_NOT_ATTEND)
    make_booking(run, status=BookingStatus.LATE_CANCELLED)
    make_booking(run, status=BookingStatus.CANCELLED)
    make_booking(run, status=BookingStatus.WAITLISTED, waitlist_order=1)
    make_booking(planned)
    make_booking(planned, status=BookingStatus.LATE_CANCELLED)
    make_booking(cancelled, status=BookingStatus.LATE_CANCELLED)

    rows, total = queries.activity(FY_START, FY_END)

    row = by_code(rows)["C1"]
    assert (row.attended, row.partial, row.did_not_attend, row.late_cancelled) == (2, 1, 1, 1)
    assert row.delegates == 2
    assert (total.attended, total.partial, total.did_not_attend, total.late_cancelled) == (2, 1, 1, 1)


def test_activity_delegates_are_distinct_per_course_and_across_courses_on_total(ctx):
    first, second = make_course("A"), make_course("B")
    person, other = make_person(), make_person()
    attended(make_session(first), person)
    attended(make_session(first), person)      # same course twice: one delegate
    attended(make_session(second), person)     # another course: counted there too
    attended(make_session(second), other)
    make_booking(make_session(second), make_person(), attendance=Attendance.PARTIAL)

    rows, total = queries.activity(FY_START, FY_END)

    assert by_code(rows)["A"].attended == 2 and by_code(rows)["A"].delegates == 1
    assert by_code(rows)["B"].attended == 2 and by_code(rows)["B"].delegates == 2
    assert total.attended == 4
    assert total.delegates == 2  # distinct people, not a sum (1 + 2)


def test_activity_multi_day_attendance_counts_once(ctx):
    course = make_course("WT", duration_days=2)
    session = make_session(course, date(2011, 9, 5), date(2011, 9, 12))
    attended(session)

    rows, _ = queries.activity(FY_START, FY_END)

    assert by_code(rows)["WT"].attended == 1


def test_activity_empty_period_gives_only_a_zero_total_row(runner, ctx):
    make_session(make_course("C1"), date(2010, 1, 1))

    rows = cli_rows(runner, "activity", "--from", "2011-04-01", "--to", "2012-03-31")

    assert rows == [list(exports.ACTIVITY_COLUMNS), ["TOTAL", "", "", *["0"] * 9]]


def test_activity_csv_orders_courses_case_insensitively_then_total(runner, ctx):
    for code, level in (("b2", None), ("A1", 2), ("B1", 3)):
        attended(make_session(make_course(code, f"Title {code}", level=level)))

    rows = cli_rows(runner, "activity", "--from", "2011-04-01", "--to", "2012-03-31")

    assert [r[0] for r in rows[1:]] == ["A1", "B1", "b2", "TOTAL"]
    assert rows[1][:3] == ["A1", "Title A1", "2"]
    assert rows[3][2] == ""  # no level: blank
    assert rows[-1][:3] == ["TOTAL", "", ""]


# -- sectors --------------------------------------------------------------------

def test_sectors_use_the_agency_recorded_on_the_booking(ctx):
    old = make_agency("Old Agency", sector="Voluntary Sector")
    new = make_agency("New Agency", sector="Health")
    person = make_person(old)
    course = make_course("F1")
    attended(make_session(course), person)            # booked while at Old Agency
    person.agency = new                               # then moved
    attended(make_session(make_course("F2")), person)  # booked from New Agency

    rows = queries.sectors(FY_START, FY_END)

    assert [(r.sector, r.course_code, r.attended, r.delegates) for r in rows] == [
        ("Health", "F2", 1, 1), ("Health", "ALL", 1, 1),
        ("Voluntary Sector", "F1", 1, 1), ("Voluntary Sector", "ALL", 1, 1),
    ]


def test_sectors_all_row_sums_and_counts_distinct_delegates(ctx):
    agency = make_agency(sector="Police")
    person = make_person(agency)
    a, b = make_course("A"), make_course("B")
    attended(make_session(a), person)
    attended(make_session(b), person)
    make_booking(make_session(b), make_person(agency), attendance=Attendance.PARTIAL)
    make_booking(make_session(b), make_person(agency), attendance=Attendance.DID_NOT_ATTEND)

    rows = queries.sectors(FY_START, FY_END)

    assert [(r.course_code, r.attended, r.partial, r.did_not_attend, r.delegates) for r in rows] == [
        ("A", 1, 0, 0, 1), ("B", 1, 1, 1, 1), ("ALL", 2, 1, 1, 1),
    ]


def test_sectors_skip_rows_with_only_zero_counts(ctx):
    agency = make_agency(sector="Police")
    session = make_session(make_course("A"))
    make_booking(session, make_person(agency), status=BookingStatus.LATE_CANCELLED)
    make_booking(session, make_person(agency))  # confirmed, register not taken
    make_booking(make_session(make_course("B"), status=SCHEDULED), make_person(agency))

    assert queries.sectors(FY_START, FY_END) == []


def test_sectors_csv_orders_by_sector_then_code_with_all_last(runner, ctx):
    for sector in ("voluntary", "Health", "Local Authority"):
        agency = make_agency(f"{sector} agency", sector=sector)
        for code in ("b", "A"):
            attended(make_session(make_course(f"{code}-{sector}"[:40])), make_person(agency))

    rows = cli_rows(runner, "sectors", "--from", "2011-04-01", "--to", "2012-03-31")

    assert rows[0] == list(exports.SECTOR_COLUMNS)
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("Health", "A-Health"), ("Health", "b-Health"), ("Health", "ALL"),
        ("Local Authority", "A-Local Authority"), ("Local Authority", "b-Local Authority"),
        ("Local Authority", "ALL"),
        ("voluntary", "A-voluntary"), ("voluntary", "b-voluntary"), ("voluntary", "ALL"),
    ]


# -- compliance -----------------------------------------------------------------

def one_row(on: date, level: str = "ALL", agency_id=None) -> queries.ComplianceRow:
    rows = [r for r in queries.compliance(on, agency_id, 90) if r.level == level]
    assert len(rows) == 1, rows
    return rows[0]


def test_record_expiring_exactly_on_the_date_is_not_in_date(ctx):
    person = make_person(required_level=2)
    make_record(person, 2, date(2011, 6, 15))

    assert one_row(date(2011, 6, 15)).staff_compliant == 1   # completed that day
    assert one_row(date(2014, 6, 14)).staff_compliant == 1   # last day in date
    assert one_row(date(2014, 6, 15)).staff_compliant == 0   # expiry day
    assert one_row(date(2011, 6, 14)).staff_compliant == 0   # not yet done


def test_expiry_clamps_to_the_last_day_of_the_month(ctx):
    person = make_person(required_level=1)
    make_record(person, 1, date(2012, 2, 29))  # + 36 months: 28 Feb 2015

    assert queries.add_months(date(2012, 2, 29), 36) == date(2015, 2, 28)
    assert one_row(date(2015, 2, 27)).staff_compliant == 1
    assert one_row(date(2015, 2, 28)).staff_compliant == 0


def test_a_record_at_a_higher_level_qualifies_and_a_lower_one_does_not(ctx):
    agency = make_agency()
    higher = make_person(agency, required_level=2)
    lower = make_person(agency, required_level=3)
    make_record(higher, 3, date(2012, 1, 1))
    make_record(lower, 2, date(2012, 1, 1))

    row2, row3 = one_row(date(2012, 6, 1), "2"), one_row(date(2012, 6, 1), "3")

    assert (row2.staff_required, row2.staff_compliant) == (1, 1)
    assert (row3.staff_required, row3.staff_compliant) == (1, 0)


def test_each_record_uses_its_own_levels_validity(ctx):
    db.session.get(Level, 3).validity_months = 12
    person = make_person(required_level=2)
    make_record(person, 3, date(2011, 1, 10))   # level 3: 12 months, expired 10 Jan 2012
    assert one_row(date(2012, 1, 9)).staff_compliant == 1
    assert one_row(date(2012, 1, 10)).staff_compliant == 0
    make_record(person, 2, date(2010, 1, 10))   # level 2: 36 months, to 10 Jan 2013
    assert one_row(date(2012, 6, 1)).staff_compliant == 1


def test_attended_session_of_a_levelled_course_counts_from_its_end_date(ctx):
    person = make_person(required_level=3)
    course = make_course("WT", level=3, duration_days=2)
    attended(make_session(course, date(2011, 5, 3), date(2011, 5, 10)), person)

    assert one_row(date(2011, 5, 9)).staff_compliant == 0
    assert one_row(date(2011, 5, 10)).staff_compliant == 1
    assert one_row(date(2014, 5, 9)).staff_compliant == 1
    assert one_row(date(2014, 5, 10)).staff_compliant == 0


def test_partial_no_level_and_unfinished_sessions_do_not_qualify(ctx):
    agency = make_agency()
    on = date(2012, 1, 1)
    partial = make_person(agency, required_level=1)
    make_booking(make_session(make_course(level=1)), partial, attendance=Attendance.PARTIAL)
    unlevelled = make_person(agency, required_level=1)
    attended(make_session(make_course(level=None)), unlevelled)
    cancelled_booking = make_person(agency, required_level=1)
    make_booking(make_session(make_course(level=1)), cancelled_booking,
                 status=BookingStatus.LATE_CANCELLED)

    row = one_row(on)
    assert (row.staff_required, row.staff_compliant) == (3, 0)


def test_compliance_counts_people_in_their_current_agency(ctx):
    old, new = make_agency("Old"), make_agency("New")
    person = make_person(old, required_level=1)
    attended(make_session(make_course(level=1)), person)
    person.agency = new
    db.session.flush()

    rows = queries.compliance(date(2012, 1, 1), None, 90)

    assert {r.agency for r in rows} == {"New"}


def test_percent_rounds_half_up_and_status_uses_the_rounded_percent(ctx):
    agency = make_agency("Sixteen", target=6.3)
    people = [make_person(agency, required_level=1) for _ in range(16)]
    make_record(people[0], 1, date(2011, 1, 1))

    row = one_row(date(2011, 6, 1))

    assert (row.staff_required, row.staff_compliant) == (16, 1)
    assert str(row.percent) == "6.3"   # 6.25 rounded half up
    assert row.status == "green"       # 6.3 >= 6.3


@pytest.mark.parametrize("compliant, target, status", [
    (9, 90, "green"),     # 90.0 = target
    (8, 90, "amber"),     # 80.0 = target - 10
    (7, 80, "amber"),     # 70.0 = target - 10
    (7, 90, "red"),       # 70.0 < 80
    (10, 100, "green"),
    (9, 100, "amber"),
    (0, 0, "green"),
])
def test_rag_boundaries(ctx, compliant, target, status):
    agency = make_agency(target=target)
    for i in range(10):
        person = make_person(agency, required_level=1)
        if i < compliant:
            make_record(person, 1, date(2011, 1, 1))

    assert one_row(date(2011, 6, 1)).status == status


def test_compliance_csv_rows_levels_targets_and_agency_filter(runner, ctx):
    beta = make_agency("beta trust", sector="Health", target=87.5)
    alpha = make_agency("Alpha Police", sector="Police")
    make_agency("Nobody Required")
    make_person(make_agency("No Levels"), required_level=None)
    for level in (1, 3, 3):
        person = make_person(beta, required_level=level)
        make_record(person, 3, date(2011, 1, 1))
    make_person(beta, required_level=1)
    make_person(alpha, required_level=2)

    rows = cli_rows(runner, "compliance", "--on", "2011-06-01")

    assert rows == [
        list(exports.COMPLIANCE_COLUMNS),
        ["Alpha Police", "Police", "2", "1", "0", "0.0", "90", "red"],
        ["Alpha Police", "Police", "ALL", "1", "0", "0.0", "90", "red"],
        ["beta trust", "Health", "1", "2", "1", "50.0", "87.5", "red"],
        ["beta trust", "Health", "3", "2", "2", "100.0", "87.5", "green"],
        ["beta trust", "Health", "ALL", "4", "3", "75.0", "87.5", "red"],  # 75.0 < 77.5
    ]
    only = cli_rows(runner, "compliance", "--on", "2011-06-01", "--agency", " BETA TRUST ")
    assert [r[0] for r in only[1:]] == ["beta trust"] * 3


def test_unknown_agency_or_session_exits_non_zero(runner, ctx):
    result = runner.invoke(args=["report", "compliance", "--agency", "Nowhere"])
    assert result.exit_code != 0 and "unknown agency 'Nowhere'" in result.output
    result = runner.invoke(args=["report", "delegates", "--session", "NOPE"])
    assert result.exit_code != 0 and "unknown session 'NOPE'" in result.output


# -- delegates ------------------------------------------------------------------

def test_delegates_order_and_waitlist_positions(runner, ctx):
    old = make_agency("Old Agency")
    session = make_session(make_course("C1"), ref="WT-01")

    def person(email):
        return make_person(old, email=email, first_name="F", last_name=email[0].upper())

    make_booking(session, person("d@x.org"), status=BookingStatus.CANCELLED)
    make_booking(session, person("c@x.org"), status=BookingStatus.WAITLISTED, waitlist_order=9)
    make_booking(session, person("b@x.org"), status=BookingStatus.CONFIRMED,
                 attendance=Attendance.ATTENDED)
    make_booking(session, person("e@x.org"), status=BookingStatus.WAITLISTED, waitlist_order=4)
    make_booking(session, person("a@x.org"), status=BookingStatus.LATE_CANCELLED)
    make_booking(session, person("f@x.org"), status=BookingStatus.CONFIRMED)
    moved = person("g@x.org")
    make_booking(session, moved, status=BookingStatus.CONFIRMED)
    moved.agency = make_agency("New Agency")
    db.session.commit()

    rows = cli_rows(runner, "delegates", "--session", "wt-01")

    assert rows == [
        list(exports.DELEGATE_COLUMNS),
        ["b@x.org", "F", "B", "Old Agency", "confirmed", "", "attended"],
        ["f@x.org", "F", "F", "Old Agency", "confirmed", "", ""],
        ["g@x.org", "F", "G", "Old Agency", "confirmed", "", ""],
        ["e@x.org", "F", "E", "Old Agency", "waitlisted", "1", ""],
        ["c@x.org", "F", "C", "Old Agency", "waitlisted", "2", ""],
        ["a@x.org", "F", "A", "Old Agency", "late_cancelled", "", ""],
        ["d@x.org", "F", "D", "Old Agency", "cancelled", "", ""],
    ]


# -- CSV format -----------------------------------------------------------------

def test_csv_is_bom_crlf_minimal_quoting_and_formula_safe():
    data = exports.to_csv(("a", "b"), [("=SUM(A1)", 'say "hi", then'), ("-1", "Zoë O'Brien")])

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        'a,b\r\n'
        '\'=SUM(A1),"say ""hi"", then"\r\n'
        "'-1,Zoë O'Brien\r\n"
    )


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_no_cell_starts_with_a_formula_character(text):
    assert not exports.safe_cell(text).startswith(exports.FORMULA_PREFIXES)


def test_numbers_and_targets_are_formatted_as_the_contract_says():
    from decimal import Decimal

    assert exports.format_target(Decimal("90.00")) == "90"
    assert exports.format_target(Decimal("87.50")) == "87.5"
    assert exports.safe_cell(557) == "557"
    assert exports.safe_cell(None) == ""
