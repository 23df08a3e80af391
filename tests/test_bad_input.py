"""Bad input never reaches a stack trace (the review of HTTP 500s).

Each reproduction of the review answers with a friendly page or message
naming what is wrong, on SQLite and on PostgreSQL, and writes nothing:
dates outside the years 1900-2999 (reports, the CLI, the scheduling form,
the CSV import, a stray session in 9999), numbers that ``str.isdigit``
accepts but ``int`` does not ("²"), and numbers too big for an INTEGER
column (query strings, forms, every ``<int:...>`` in a URL).
"""
from __future__ import annotations

import io
import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from trainingapp.access import public
from trainingapp.agencies.models import Role
from trainingapp.bookings.models import Booking, BookingStatus
from trainingapp.courses.models import SessionDay, SessionStatus, TrainingSession, Venue
from trainingapp.extensions import db
from trainingapp.forms import positive_int
from trainingapp.imports.csvfile import CellError, parse_date
from trainingapp.types import MAX_INT, uk_today
from tests.factories import login_as, make_agency, make_booking, make_session, make_user

HUGE = "99999999999999999999"  # > 2**63: overflows SQLite and PostgreSQL alike
SUPERSCRIPT_TWO = "\u00b2"  # "²": str.isdigit() says yes, int() says no
SOON = uk_today() + timedelta(days=40)
# What a stack trace or a database error would show, were one to leak.
LEAKS = ("Traceback", "OverflowError", "DataError", "ValueError", "sqlalchemy", "psycopg",
         "out of range", "SQLite INTEGER")


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def friendly(response, status: int, *messages: str) -> str:
    """The response has this status, says each message, and leaks nothing."""
    body = text(response)
    assert response.status_code == status, (response.status_code, body[:400])
    for leak in LEAKS:
        assert leak not in body, leak
    for message in messages:
        assert message in body, message
    return body


def rows(app) -> dict[str, int]:
    """The number of rows in every table: nothing written leaves it equal."""
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.fixture
def coordinator(app, client):
    with app.app_context():
        user = make_user(Role.COORDINATOR, make_agency("Home agency"))
        db.session.commit()
        login_as(client, user)
        return user.id


@pytest.fixture
def scheduled(app, coordinator):
    """An upcoming session with a venue, one confirmed and one waiting."""
    with app.app_context():
        venue = Venue(name="Town Hall", capacity=30)
        db.session.add(venue)
        session = make_session(start_on=SOON, status=SessionStatus.SCHEDULED, capacity=1, ref="UP-1")
        session.venue = venue
        session.days = [SessionDay(day_on=SOON, starts_at=time(9, 30), ends_at=time(16, 30))]
        confirmed = make_booking(session)
        waiting = make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=1)
        db.session.commit()
        return {"id": session.id, "ref": session.ref, "venue": venue.id, "course": session.course_id,
                "confirmed": confirmed.id, "waiting": waiting.id}


# -- the helpers ----------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("1", 1), (" 42 ", 42), (str(MAX_INT), MAX_INT), ("007", 7),
    (None, None), ("", None), ("0", None), ("-3", None), ("+3", None), ("1.5", None),
    (SUPERSCRIPT_TWO, None), ("\u0663", None), (str(MAX_INT + 1), None), (HUGE, None),
    ("9" * 5000, None),
])
def test_positive_int_reads_ascii_digits_within_an_integer_column(raw, expected):
    assert positive_int(raw) == expected


@pytest.mark.parametrize("value, message", [
    ("0001-01-01", "not a date between 1900 and 2999: '0001-01-01'"),
    ("1899-12-31", "not a date between 1900 and 2999: '1899-12-31'"),
    ("3000-01-01", "not a date between 1900 and 2999: '3000-01-01'"),
    ("9999-12-31", "not a date between 1900 and 2999: '9999-12-31'"),
    ("2011-02-30", "not a date: '2011-02-30' (use YYYY-MM-DD)"),
])
def test_an_import_date_must_be_between_1900_and_2999(value, message):
    with pytest.raises(CellError, match=re.escape(message)):
        parse_date(value)
    assert parse_date("1900-01-01") == date(1900, 1, 1)
    assert parse_date("2999-12-31") == date(2999, 12, 31)


# -- A: report dates ----------------------------------------------------------------

@pytest.mark.parametrize("url, message", [
    ("/reports/activity.csv?from=9999-06-01&to=9999-06-02", "from=9999-06-01 is not in a year from 1900 to 2999"),
    ("/reports/activity.csv?from=0001-01-01&to=0001-01-02", "from=0001-01-01 is not in a year from 1900 to 2999"),
    ("/reports/activity.csv?from=2011-04-01&to=3000-03-31", "to=3000-03-31 is not in a year from 1900 to 2999"),
    ("/reports/sectors.csv?from=0001-01-01&to=2012-03-31", "from=0001-01-01 is not in a year from 1900 to 2999"),
    ("/reports/compliance.csv?on=0001-01-01", "on=0001-01-01 is not in a year from 1900 to 2999"),
    ("/reports/compliance.csv?on=9999-12-31", "on=9999-12-31 is not in a year from 1900 to 2999"),
    ("/reports/compliance.xlsx?on=9999-12-31", "on=9999-12-31 is not in a year from 1900 to 2999"),
])
def test_a_report_date_outside_1900_to_2999_is_a_clear_400(app, client, coordinator, url, message):
    before = rows(app)
    friendly(client.get(url), 400, "Check the report&#39;s dates", message)
    assert rows(app) == before


@pytest.mark.parametrize("url", [
    "/reports/activity.csv?from=1900-01-01&to=1900-03-31",
    "/reports/activity.csv?from=2999-04-01&to=2999-12-31",
    "/reports/compliance.csv?on=1900-01-01",
    "/reports/compliance.csv?on=2999-12-31",
])
def test_the_first_and_last_years_still_report(client, coordinator, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("args", [
    ["report", "compliance", "--on", "0001-01-01"],
    ["report", "compliance", "--on", "9999-12-31"],
    ["report", "activity", "--from", "9999-06-01", "--to", "9999-06-02"],
    ["report", "sectors", "--from", "0001-01-01"],
])
def test_the_cli_refuses_a_date_outside_1900_to_2999(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "is not a date between 1900 and 2999 (use YYYY-MM-DD)" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


# -- B: numbers in query strings and forms ------------------------------------------------

@pytest.mark.parametrize("query", [f"page={SUPERSCRIPT_TWO}", f"page={HUGE}", f"venue={SUPERSCRIPT_TWO}",
                                   f"venue={HUGE}", f"venue={MAX_INT + 1}", "month=9999-12",
                                   "month=0001-01"])
def test_the_programme_ignores_a_filter_it_cannot_use(app, client, scheduled, query):
    """The public programme ignores a filter that is not one of its
    choices (never an error page): the session is still listed, as it
    would not be were the filter applied."""
    friendly(client.get(f"/sessions?{query}"), 200, "UP-1")


@pytest.mark.parametrize("agency", [SUPERSCRIPT_TWO, HUGE, str(MAX_INT + 1), "0", "-1"])
@pytest.mark.parametrize("path", ["/agency/bookings", "/agency/approvals", "/agency/book"])
def test_an_agency_that_cannot_exist_answers_404(client, coordinator, path, agency):
    friendly(client.get(f"{path}?agency={agency}"), 404, "Page not found")


@pytest.mark.parametrize("person", [SUPERSCRIPT_TWO, HUGE])
def test_booking_staff_with_an_impossible_person_id_books_nobody(app, client, scheduled, person):
    with app.app_context():
        agency_id = make_agency("Walk Agency").id
        db.session.commit()
    before = rows(app)
    response = client.post(f"/agency/book?agency={agency_id}&session={scheduled['ref']}",
                           data={"people": [person]})
    friendly(response, 400)
    assert rows(app) == before


@pytest.mark.parametrize("person", [SUPERSCRIPT_TWO, HUGE, str(MAX_INT + 1)])
def test_adding_an_impossible_person_to_a_session_books_nobody(app, client, scheduled, person):
    before = rows(app)
    response = client.post(f"/manage/sessions/{scheduled['id']}/bookings/add", data={"person": person})
    friendly(response, 400, "Select the person to book")
    assert rows(app) == before


@pytest.mark.parametrize("field", [f"attendance-{SUPERSCRIPT_TWO}", f"attendance-{HUGE}",
                                   f"attendance-{MAX_INT + 1}"])
def test_a_register_mark_for_an_impossible_booking_saves_no_mark(app, client, coordinator, field):
    with app.app_context():
        session = make_session(start_on=uk_today() - timedelta(days=1), status=SessionStatus.SCHEDULED,
                               ref="REG1")
        booking_id = make_booking(session).id
        db.session.commit()
    before = rows(app)
    response = client.post("/sessions/REG1/register",
                           data={field: "attended", f"attendance-{booking_id}": "attended"})
    friendly(response, 400, "There is a problem with your request")
    assert rows(app) == before
    with app.app_context():
        assert db.session.get(Booking, booking_id).attendance is None


@pytest.mark.parametrize("original", [HUGE, str(MAX_INT + 1), SUPERSCRIPT_TWO, "0"])
def test_duplicating_an_impossible_session_answers_404(client, coordinator, original):
    friendly(client.get(f"/manage/sessions/new?from={original}&weeks=4"), 404, "Page not found")


def _int_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if any(type(c).__name__ == "BoundedIntConverter" for c in rule._converters.values())),
                  key=lambda rule: rule.rule)


def test_every_int_in_a_url_is_bounded(app):
    rules = _int_rules(app)
    assert len(rules) > 20  # every <int:...> route, whoever registered it
    assert all(not any(type(c).__name__ == "IntegerConverter" for c in rule._converters.values())
               for rule in app.url_map.iter_rules())


def test_a_huge_id_in_any_url_answers_404(app, client):
    """Every route with an ``<int:...>``, signed in as an admin (who may do
    everything): a number too big for an id column matches no route."""
    with app.app_context():
        admin = make_user(Role.ADMIN, make_agency("Admin agency"))
        db.session.commit()
        login_as(client, admin)
    before = rows(app)
    for rule in _int_rules(app):
        for number in (HUGE, str(MAX_INT + 1)):
            path = re.sub(r"<int:\w+>", number, rule.rule)
            path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
            method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
            response = client.open(path, method=method)
            friendly(response, 404, "Page not found")
    assert rows(app) == before


def test_the_largest_id_is_simply_not_found(client, coordinator):
    friendly(client.get(f"/manage/sessions/{MAX_INT}"), 404, "Page not found")
    friendly(client.get(f"/manage/sessions/{MAX_INT}/edit"), 404, "Page not found")


@pytest.mark.parametrize("capacity", [HUGE, "10001"])
def test_a_huge_capacity_is_refused_and_nothing_changes(app, client, scheduled, capacity):
    before = rows(app)
    response = client.post(f"/manage/sessions/{scheduled['id']}/capacity", data={"capacity": capacity})
    friendly(response, 400, "Capacity must be 10,000 or fewer")
    assert rows(app) == before
    with app.app_context():
        assert db.session.get(TrainingSession, scheduled["id"]).capacity == 1


def test_an_unreadable_capacity_says_so_once(client, scheduled):
    body = friendly(client.post(f"/manage/sessions/{scheduled['id']}/capacity",
                                data={"capacity": SUPERSCRIPT_TWO}), 400)
    assert "10,000 or fewer" not in body


@pytest.mark.parametrize("path, data, message", [
    ("/manage/venues/new", {"name": "Huge hall", "capacity": HUGE}, "Capacity must be 10,000 or fewer"),
    ("/manage/courses/new", {"code": "BIG", "title": "Big", "duration_days": "1", "capacity": HUGE},
     "Default capacity must be 10,000 or fewer"),
    ("/manage/courses/new", {"code": "LONG", "title": "Long", "duration_days": HUGE},
     "Duration must be between 1 and 10 days"),
])
def test_a_huge_number_in_a_catalogue_form_is_refused(app, client, coordinator, path, data, message):
    """These forms are shown again with the message on the field (their
    status is 200, as for any other mistake on them)."""
    before = rows(app)
    friendly(client.post(path, data=data), 200, message)
    assert rows(app) == before


def test_a_huge_venue_capacity_on_an_existing_venue_changes_nothing(app, client, scheduled):
    response = client.post(f"/manage/venues/{scheduled['venue']}", data={"name": "Town Hall",
                                                                         "capacity": HUGE})
    friendly(response, 200, "Capacity must be 10,000 or fewer")
    with app.app_context():
        assert db.session.get(Venue, scheduled["venue"]).capacity == 30


def test_a_huge_queue_position_moves_nobody(app, client, scheduled):
    before = rows(app)
    response = client.post(f"/manage/sessions/{scheduled['id']}/bookings/{scheduled['waiting']}/queue",
                           data={"position": HUGE}, follow_redirects=True)
    friendly(response, 200, "Enter a position of 10,000 or less")
    assert rows(app) == before
    with app.app_context():
        assert db.session.get(Booking, scheduled["waiting"]).waitlist_order == 1


def day_fields(index: int, day: tuple[int, int, int] | date, start="09:30", end="16:30") -> dict:
    d, m, y = (day.day, day.month, day.year) if isinstance(day, date) else day
    return {f"days-{index}-day_on": [str(d), str(m), str(y)],
            f"days-{index}-starts_at": start, f"days-{index}-ends_at": end}


def session_form(day=SOON, **extra) -> dict:
    data = {"ref": "NEW-1", "venue": "0", "online_url": "https://meet.example.org/abc",
            "capacity": "20", "waitlist": "open", **day_fields(0, day)}
    data.update(extra)
    return data


@pytest.mark.parametrize("extra, message", [
    ({"capacity": HUGE}, "Capacity must be 10,000 or fewer"),
    ({"agency_cap": HUGE}, "The cap per agency must be 10,000 or fewer"),
])
def test_a_huge_number_on_the_session_form_is_refused(app, client, scheduled, extra, message):
    before = rows(app)
    response = client.post(f"/manage/sessions/new?course={scheduled['course']}", data=session_form(**extra))
    friendly(response, 200, message)
    assert rows(app) == before


# -- C: session dates in 9999 --------------------------------------------------------------

@pytest.mark.parametrize("day, extra, message", [
    ((30, 12, 9999), {}, "Day 1 date must be in a year from 1900 to 2999"),
    ((1, 1, 3000), {}, "Day 1 date must be in a year from 1900 to 2999"),
    ((1, 6, "0011"), {}, "Day 1 date must be in a year from 1900 to 2999"),
    (SOON, {"booking_opens_on": ["1", "1", "0011"]}, "Booking opens must be in a year from 1900 to 2999"),
    (SOON, {"booking_closes_on": ["31", "12", "9999"]}, "Booking closes must be in a year from 1900 to 2999"),
    (SOON, {"cancellation_cutoff_on": ["1", "1", "1899"]},
     "Cancellation cut-off must be in a year from 1900 to 2999"),
])
def test_a_session_date_outside_1900_to_2999_is_refused(app, client, scheduled, day, extra, message):
    before = rows(app)
    response = client.post(f"/manage/sessions/new?course={scheduled['course']}",
                           data=session_form(day, **extra))
    friendly(response, 200, message)
    assert rows(app) == before
    # Editing a session refuses it the same way, and changes nothing.
    response = client.post(f"/manage/sessions/{scheduled['id']}/edit",
                           data=session_form(day, ref="UP-1", capacity="1", **extra))
    friendly(response, 200, message)
    with app.app_context():
        assert db.session.get(TrainingSession, scheduled["id"]).start_on == SOON


@pytest.mark.parametrize("start, end", [(date(9999, 12, 30), date(9999, 12, 31)),
                                        (date(9999, 12, 31), date(9999, 12, 31))])
def test_a_session_left_in_9999_does_not_break_the_programme(app, client, start, end):
    """Old data from before the year check: the programme, its filters and
    the feed still answer (months beyond 2999 are not offered)."""
    with app.app_context():
        make_session(start_on=start, end_on=end, status=SessionStatus.SCHEDULED, ref="FAR-1")
        on_days = make_session(start_on=start, end_on=end, status=SessionStatus.SCHEDULED, ref="FAR-2")
        on_days.days = [SessionDay(day_on=d, starts_at=time(9, 30), ends_at=time(16, 30))
                        for d in sorted({start, end})]
        db.session.commit()
    body = friendly(client.get("/sessions"), 200, "FAR-1", "FAR-2")
    assert "9999-12" not in body  # no month filter beyond 2999
    friendly(client.get("/sessions?month=9999-12"), 200, "FAR-1")
    feed = client.get("/sessions.ics")
    assert feed.status_code == 200 and feed.get_data(as_text=True).count("BEGIN:VEVENT") == 2


def test_sessions_left_in_years_1_and_9999_offer_no_financial_year(app, client, coordinator):
    """The year lists of the programme, trainers and reports pages come
    from session dates: a stray one is left out, so its year cannot be
    chosen (there is no financial year 9999 to 10000)."""
    with app.app_context():
        make_session(start_on=date(9999, 12, 30), end_on=date(9999, 12, 31),
                     status=SessionStatus.SCHEDULED)
        make_session(start_on=date(1, 1, 1), end_on=date(1, 1, 2))
        db.session.commit()
    for path in ("/manage/programme", "/manage/trainers", "/reports"):
        body = friendly(client.get(path), 200)
        assert "April 9999" not in body and "April 1 to" not in body and "April 0 to" not in body
    friendly(client.get("/manage/programme?year=9999&quarter=4"), 200)
    friendly(client.get("/manage/trainers?year=9999"), 200)
    friendly(client.get("/manage/programme?year=0"), 200)
    friendly(client.get("/reports?year=9999"), 400, "Choose a financial year from the list")


def test_an_import_with_dates_outside_1900_to_2999_imports_nothing(app, client, coordinator, tmp_path):
    app.instance_path = str(tmp_path)
    courses = b"code,title,duration_days\nWT,Working Together,1\n"
    sessions = (b"ref,course_code,start_date,end_date,capacity,status\n"
                b"WT-1,WT,0001-01-01,,5,completed\n"
                b"WT-2,WT,2011-05-03,9999-12-31,5,completed\n")
    before = rows(app)
    response = client.post("/manage/import", content_type="multipart/form-data", data={
        "courses": (io.BytesIO(courses), "courses.csv"), "sessions": (io.BytesIO(sessions), "sessions.csv")})
    body = friendly(response, 422, "Nothing was imported",
                    "not a date between 1900 and 2999: &#39;0001-01-01&#39;",
                    "not a date between 1900 and 2999: &#39;9999-12-31&#39;")
    assert "start_date" in body and "end_date" in body
    assert client.post("/manage/import/confirm").status_code == 302  # nothing to confirm
    assert rows(app) == before


# -- D: defence in depth ------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    OverflowError("Python int too large to convert to SQLite INTEGER"),
    DataError("SELECT 1", {}, Exception("integer out of range")),
])
def test_an_overflow_that_slips_through_is_a_friendly_400_and_rolled_back(app, client, error):
    def view():
        db.session.add(Venue(name="Half written"))
        db.session.flush()
        raise error

    app.add_url_rule("/test-overflow", "test_overflow", public(view))
    before = rows(app)
    friendly(client.get("/test-overflow"), 400, "There is a problem with your request")
    assert rows(app) == before
