"""The public programme (contract section 3): the list of sessions with its
filters and pages, one session and what a visitor can do there, and the
sessions a trainer delivers. The list runs a fixed number of SQL
statements however long the programme is."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from itertools import cycle

import pytest
from sqlalchemy import event, insert

from trainingapp.agencies.models import Person, Role
from trainingapp.bookings.models import Attendance, Booking, BookingStatus
from trainingapp.courses.models import SessionDay, SessionStatus, TrainingSession, Venue
from trainingapp.extensions import db
from trainingapp.programme.formatting import day_lines, text_blocks, uk_date, uk_time
from trainingapp.types import uk_today
from tests.factories import (login_as, make_agency, make_booking, make_course, make_person,
                             make_session, make_user)

CONFIRMED, WAITLISTED = BookingStatus.CONFIRMED, BookingStatus.WAITLISTED


def upcoming(course=None, days_ahead=30, capacity=10, days=(), venue=None, **kwargs):
    """A scheduled session ``days_ahead`` from today; ``days`` are
    (offset from the first day, starts_at, ends_at)."""
    start = uk_today() + timedelta(days=days_ahead)
    end = start + timedelta(days=max((d[0] for d in days), default=0))
    session = make_session(course=course, start_on=start, end_on=end, capacity=capacity,
                           status=kwargs.pop("status", SessionStatus.SCHEDULED),
                           ref=kwargs.pop("ref", None))
    session.venue = venue
    for name, value in kwargs.items():  # online_url, is_waitlist_open, booking window ...
        setattr(session, name, value)
    for offset, starts_at, ends_at in days:
        session.days.append(SessionDay(day_on=start + timedelta(days=offset),
                                       starts_at=starts_at, ends_at=ends_at))
    db.session.flush()
    return session


def fill(session, confirmed=0, waiting=0):
    for _ in range(confirmed):
        make_booking(session)
    for n in range(waiting):
        make_booking(session, status=WAITLISTED, waitlist_order=n + 1)


def page(client, url="/sessions") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def cell_texts(html: str) -> list[list[str]]:
    """The programme table's rows as lists of cell texts."""
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr.*?</tr>", body, re.S)
    def text(cell: str) -> str:
        return re.sub(r" ([,.;])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", cell).split()))

    return [[text(cell) for cell in re.findall(r"<td.*?</td>", row, re.S)] for row in rows]


NINE_THIRTY, HALF_FOUR = time(9, 30), time(16, 30)


# -- how dates and text are written -------------------------------------------------------

def test_dates_and_times_are_written_the_gov_uk_way():
    assert uk_date(date(2027, 1, 5)) == "Tuesday 5 January 2027"
    assert [uk_time(t) for t in (time(9, 30), time(17), time(12), time(0), time(12, 15))] == \
        ["9:30am", "5pm", "midday", "midnight", "12:15pm"]


def test_free_text_is_escaped_and_keeps_its_paragraphs_and_lists():
    html = str(text_blocks("<b>Hi</b>\nthere\n\n- one\n- two & three"))
    assert html == ('<p class="govuk-body">&lt;b&gt;Hi&lt;/b&gt;<br>there</p>\n'
                    '<ul class="govuk-list govuk-list--bullet"><li>one</li><li>two &amp; three</li></ul>')


# -- the list ---------------------------------------------------------------------------------

def test_the_programme_lists_upcoming_scheduled_sessions_soonest_first(ctx, client):
    later = upcoming(make_course(title="Later"), days_ahead=20)
    today = upcoming(make_course(title="Today"), days_ahead=0)
    upcoming(make_course(title="Yesterday"), days_ahead=-1)
    upcoming(make_course(title="Called off"), status=SessionStatus.CANCELLED)
    make_session(make_course(title="Long ago"))  # completed, 2011
    db.session.commit()
    rows = cell_texts(page(client))
    assert [r[0].split(",")[0] for r in rows] == ["Today", "Later"]
    assert f"Reference {later.ref}" in rows[1][0] and f"Reference {today.ref}" in rows[0][0]


def test_each_row_shows_level_days_and_times_venue_and_places(ctx, client):
    town_hall = Venue(name="Town Hall", address="1 High Street")
    session = upcoming(make_course(title="Neglect", level=2), venue=town_hall, capacity=12,
                       days=[(0, NINE_THIRTY, HALF_FOUR), (7, time(9), time(12))])
    fill(session, confirmed=3)
    online = upcoming(make_course(title="Online safety"), days_ahead=40, online_url="https://meet.example/x")
    db.session.commit()
    first_day = uk_date(session.start_on)
    second_day = uk_date(session.start_on + timedelta(days=7))
    rows = cell_texts(page(client))
    assert rows[0][1:] == ["Level 2", f"{first_day}, 9:30am to 4:30pm {second_day}, 9am to midday",
                           "Town Hall", "9 places left"]
    assert rows[1][1:] == ["", uk_date(online.start_on), "Online", "10 places left"]


@pytest.mark.parametrize("capacity, confirmed, waiting, list_open, label", [
    (5, 4, 0, True, "1 place left"),
    (5, 0, 0, True, "5 places left"),
    (5, 5, 0, True, "Waiting list"),
    (5, 4, 1, True, "Waiting list"),  # someone waits: a newcomer would wait too
    (5, 5, 0, False, "Full"),
    (5, 4, 1, False, "Full"),
])
def test_places_left_waiting_list_or_full(ctx, client, capacity, confirmed, waiting, list_open, label):
    session = upcoming(capacity=capacity, is_waitlist_open=list_open)
    fill(session, confirmed, waiting)
    db.session.commit()
    assert cell_texts(page(client))[0][-1] == label


def test_cancelled_and_late_cancelled_bookings_free_their_places(ctx, client):
    session = upcoming(capacity=2)
    make_booking(session, status=BookingStatus.CANCELLED)
    make_booking(session, status=BookingStatus.LATE_CANCELLED)
    make_booking(session)
    db.session.commit()
    assert cell_texts(page(client))[0][-1] == "1 place left"


def test_an_empty_programme_says_so(client):
    assert "No sessions are scheduled yet." in page(client)


# -- filters ----------------------------------------------------------------------------------

@pytest.fixture
def varied(ctx):
    """Four sessions to filter: levels 1, 2, none; two venues and online;
    two months."""
    hall, library = Venue(name="Town Hall"), Venue(name="Library")
    db.session.add_all([hall, library])
    basics = make_course(code="SG1", title="Basics", level=1)
    neglect = make_course(code="NEG", title="Neglect", level=2)
    recruit = make_course(code="SSR", title="Safer recruitment")
    first_of_next_month = (uk_today().replace(day=1) + timedelta(days=32)).replace(day=1)
    ahead = (first_of_next_month - uk_today()).days
    sessions = {
        "basics-hall": upcoming(basics, days_ahead=ahead, venue=hall),
        "basics-online": upcoming(basics, days_ahead=ahead + 2, online_url="https://meet.example/a"),
        "neglect-library": upcoming(neglect, days_ahead=ahead + 40, venue=library),
        "recruit-hall": upcoming(recruit, days_ahead=ahead + 41, venue=hall),
    }
    db.session.commit()
    return {"month": f"{first_of_next_month:%Y-%m}", "hall": hall.id, "library": library.id,
            **{name: s.ref for name, s in sessions.items()}}


def refs(html: str) -> list[str]:
    return re.findall(r"Reference (\S+)</span>", html)


@pytest.mark.parametrize("query, expected", [
    ("level=1", ["basics-hall", "basics-online"]),
    ("level=2", ["neglect-library"]),
    ("level=none", ["recruit-hall"]),
    ("course=sg1", ["basics-hall", "basics-online"]),
    ("course=NEG", ["neglect-library"]),
    ("month={month}", ["basics-hall", "basics-online"]),
    ("venue={hall}", ["basics-hall", "recruit-hall"]),
    ("venue=online", ["basics-online"]),
    ("level=1&venue={hall}&month={month}", ["basics-hall"]),
    ("level=banana&month=2027-13&venue=x", ["basics-hall", "basics-online", "neglect-library",
                                            "recruit-hall"]),  # nonsense is ignored
])
def test_filters(client, varied, query, expected):
    html = page(client, "/sessions?" + query.format(**varied))
    assert refs(html) == [varied[name] for name in expected]


def test_the_filter_form_keeps_its_values_and_offers_what_is_on(client, varied):
    html = page(client, f"/sessions?level=2&course=neg&venue={varied['library']}&month={varied['month']}")
    assert '<form method="get" action="/sessions"' in html
    assert re.search(r'<option value="2"\s+selected>Level 2</option>', html)
    assert re.search(r'<option value="neg"\s+selected>Neglect</option>', html)
    assert re.search(rf'<option value="{varied["library"]}"\s+selected>Library</option>', html)
    assert re.search(rf'<option value="{varied["month"]}"\s+selected>', html)
    assert '<label class="govuk-label" for="course">' in html
    assert "Clear filters" in html
    assert "No sessions match your filters." in page(client, "/sessions?course=nothing")


# -- pages -------------------------------------------------------------------------------------

def test_sixty_sessions_make_three_pages_of_at_most_25(ctx, client):
    course = make_course(title="Paged")
    for n in range(60):
        upcoming(course, days_ahead=1 + n, ref=f"P{n:03d}")
    db.session.commit()
    first = page(client)
    assert refs(first) == [f"P{n:03d}" for n in range(25)]
    assert "Showing 1 to 25 of 60 sessions" in first
    assert 'aria-label="Page 3"' in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = page(client, "/sessions?page=3")
    assert refs(last) == [f"P{n:03d}" for n in range(50, 60)]
    assert "Showing 51 to 60 of 60 sessions" in last and 'rel="next"' not in last
    assert refs(page(client, "/sessions?page=99")) == refs(last)  # past the end: the last page
    assert refs(page(client, "/sessions?page=x")) == refs(first)


def test_page_links_keep_the_filters(ctx, client):
    course = make_course(code="PG", title="Paged")
    for n in range(30):
        upcoming(course, days_ahead=1 + n)
    db.session.commit()
    html = page(client, "/sessions?course=pg")
    assert 'href="/sessions?page=2&amp;course=pg"' in html


# -- a constant number of SQL statements -----------------------------------------------------

@contextmanager
def statements(engine):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(app, client, url="/sessions") -> int:
    """SQL statements run by one request, after a warm-up request."""
    client.get(url)
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen)


def bulk_programme(count: int, first_ref: int = 0) -> None:
    """``count`` upcoming sessions, each with two days, a venue or a link,
    and a few confirmed and waiting bookings, written with bulk inserts."""
    agency = make_agency()
    courses = [make_course(code=f"B{first_ref}-{n}", title=f"Bulk course {n}", level=n % 3 + 1)
               for n in range(5)]
    venues = [Venue(name=f"Bulk venue {first_ref}-{n}") for n in range(4)]
    db.session.add_all(venues)
    db.session.flush()
    people = list(db.session.scalars(insert(Person).returning(Person.id), [
        {"email": f"bulk{first_ref}-{n}@example.org", "first_name": "Bulk", "last_name": str(n),
         "agency_id": agency.id, "role": Role.PRACTITIONER} for n in range(12)]))
    today, now = uk_today(), datetime.now(timezone.utc)
    course_ids, venue_ids = cycle([c.id for c in courses]), cycle([v.id for v in venues] + [None])
    rows = []
    for n in range(count):
        start = today + timedelta(days=1 + n % 300)
        venue_id = next(venue_ids)
        rows.append({"ref": f"BULK-{first_ref + n:05d}", "course_id": next(course_ids),
                     "start_on": start, "end_on": start + timedelta(days=7), "venue_id": venue_id,
                     "online_url": None if venue_id else "https://meet.example/bulk",
                     "capacity": 10, "status": SessionStatus.SCHEDULED, "is_waitlist_open": True,
                     "created_at": now, "updated_at": now})
    ids = list(db.session.scalars(insert(TrainingSession).returning(TrainingSession.id), rows))
    db.session.execute(insert(SessionDay), [
        {"session_id": sid, "day_on": row["start_on"] + timedelta(days=offset),
         "starts_at": NINE_THIRTY, "ends_at": HALF_FOUR}
        for sid, row in zip(ids, rows) for offset in (0, 7)])
    bookings = []
    for i, sid in enumerate(ids):
        taken = i % 13  # 0 to 12 bookings: some sessions full with people waiting
        for k in range(taken):
            status = CONFIRMED if k < 10 else WAITLISTED
            bookings.append({"session_id": sid, "person_id": people[k], "agency_id": agency.id,
                             "status": status, "waitlist_order": k if status is WAITLISTED else None,
                             "source": "test", "created_at": now, "updated_at": now})
    db.session.execute(insert(Booking), bookings)
    db.session.commit()


# The count, the page (course and venue joined), its days, its booking
# counts, and the filter form's levels, courses, months and venues; SQLite
# adds the transaction's BEGIN IMMEDIATE. A query per row would show here.
PINNED = {"sqlite": 9, "postgresql": 8}


def test_the_programme_runs_the_same_sql_for_5_or_60_sessions(app, client, backend):
    with app.app_context():
        bulk_programme(5)
    few = queries_for(app, client)
    with app.app_context():
        bulk_programme(55, first_ref=5)
    many = queries_for(app, client)
    assert few == many == PINNED[backend]
    filtered = queries_for(app, client, "/sessions?level=2&venue=online&page=2")
    assert filtered == many


def test_two_thousand_upcoming_sessions_render_with_the_same_sql(app, client, backend):
    with app.app_context():
        bulk_programme(2000)
    html = page(client)
    assert "Showing 1 to 25 of 2000 sessions" in html
    assert len(refs(html)) == 25
    assert queries_for(app, client) == PINNED[backend]
    assert queries_for(app, client, "/sessions?page=80") == PINNED[backend]


def test_a_signed_in_visitor_adds_only_the_login_lookup(app, client):
    with app.app_context():
        bulk_programme(30)
        user = make_user()
        db.session.commit()
        login_as(client, user)
    signed_in = queries_for(app, client)
    with app.app_context():
        bulk_programme(30, first_ref=30)
    assert queries_for(app, client) == signed_in


# -- one session --------------------------------------------------------------------------------

@pytest.fixture
def agency(ctx):
    return make_agency("Programme Agency")


def test_the_session_page_shows_the_course_days_venue_and_trainers(ctx, client):
    course = make_course(title="Domestic abuse", level=2)
    course.description = "What domestic abuse is.\n\nHow it affects children."
    course.audience = "Anyone working with families."
    course.learning_outcomes = "- Spot the signs\n- Know who to tell"
    venue = Venue(name="Civic Centre", address="Main Road\nTown AB1 2CD",
                  accessibility_notes="Step-free access; hearing loop")
    session = upcoming(course, venue=venue, capacity=8,
                       days=[(0, NINE_THIRTY, HALF_FOUR), (1, NINE_THIRTY, time(13))])
    session.trainers = [make_person(first_name="Tess", last_name="Trainer"),
                        make_person(first_name="Tom", last_name="Teacher")]
    fill(session, confirmed=2)
    db.session.commit()
    html = page(client, f"/sessions/{session.ref.lower()}")  # the reference in any case
    assert html.count("<h1") == 1 and ">Domestic abuse</h1>" in html
    assert "Level 2 course" in html
    for line in day_lines(session):
        assert line in html
    assert "Civic Centre<br>Main Road<br>Town AB1 2CD" in html
    assert "Step-free access; hearing loop" in html
    assert "6 places left" in html
    assert "Tess Trainer, Tom Teacher" in html
    assert '<p class="govuk-body">What domestic abuse is.</p>' in html
    assert "Anyone working with families." in html
    assert "<li>Spot the signs</li>" in html


def test_an_unknown_reference_is_not_found(client):
    assert client.get("/sessions/NOPE-1").status_code == 404


def test_anonymous_visitors_are_asked_to_sign_in_to_book(ctx, client):
    upcoming(ref="SG1-2701-001")
    db.session.commit()
    html = page(client, "/sessions/sg1-2701-001")
    assert 'href="/login?next=/sessions/SG1-2701-001"' in html
    assert "Sign in to book" in html
    assert "/sessions/SG1-2701-001/book" not in html


def test_a_signed_in_person_gets_a_book_button_with_csrf(app, ctx, client, agency):
    app.config["WTF_CSRF_ENABLED"] = True
    session = upcoming()
    user = make_user(agency=agency)
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    form = re.search(r'<form method="post" action="/sessions/[^"]+/book".*?</form>', html, re.S).group(0)
    assert f'action="/sessions/{session.ref}/book"' in form
    assert 'name="csrf_token"' in form and "Book a place" in form
    assert "Sign in to book" not in html


def test_booking_from_the_page_shows_the_outcome(ctx, client, agency):
    session = upcoming(capacity=1)
    user = make_user(agency=agency)
    db.session.commit()
    login_as(client, user)
    response = client.post(f"/sessions/{session.ref}/book", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your place is confirmed" in html  # the flash message
    assert "You are booked on this session" in html
    assert f'href="/sessions/{session.ref}/cancel"' in html and "Cancel your booking" in html
    assert "Book a place" not in html


def test_a_waitlisted_person_sees_their_position(ctx, client, agency):
    session = upcoming(capacity=1)
    fill(session, confirmed=1, waiting=2)
    user = make_user(agency=agency)
    make_booking(session, user, status=WAITLISTED, waitlist_order=3)
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    assert "You are booked on the waiting list: you are number 3." in html
    assert "Cancel your booking" in html


def test_a_full_session_offers_its_waiting_list(ctx, client, agency):
    session = upcoming(capacity=1)
    fill(session, confirmed=1)
    user = make_user(agency=agency)
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    assert "Join the waiting list" in html and "Waiting list" in html


@pytest.mark.parametrize("arrange, message", [
    (dict(capacity=1, is_waitlist_open=False, full=True),
     "This session is full and its waiting list is closed."),
    (dict(status=SessionStatus.CANCELLED), "This session has been cancelled."),
    (dict(booking_closes_on=-1), "Booking for this session has closed."),
    (dict(booking_opens_on=5), "Booking opens on "),
    (dict(days_ahead=0), "This session has already started or taken place."),
])
def test_the_page_says_why_booking_is_not_possible(ctx, client, agency, arrange, message):
    arrange = dict(arrange)
    full = arrange.pop("full", False)
    for key in ("booking_closes_on", "booking_opens_on"):
        if key in arrange:
            arrange[key] = uk_today() + timedelta(days=arrange[key])
    session = upcoming(**arrange)
    if full:
        fill(session, confirmed=1)
    user = make_user(agency=agency)
    db.session.commit()
    for who in ("anonymous", "signed in"):
        if who == "signed in":
            login_as(client, user)
        html = page(client, f"/sessions/{session.ref}")
        assert message in html, who
        assert "Book a place" not in html and "Sign in to book" not in html, who


def test_an_agency_at_its_cap_is_offered_the_waiting_list(ctx, client, agency):
    session = upcoming(capacity=10, agency_cap=1)
    colleague, user = make_user(agency=agency), make_user(agency=agency)
    make_booking(session, colleague)
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    assert "Your agency already has 1 confirmed place on this session" in html
    assert "Join the waiting list" in html
    session.is_waitlist_open = False
    db.session.commit()
    html = page(client, f"/sessions/{session.ref}")
    assert "Your agency already has 1 confirmed place" in html and "Join the waiting list" not in html


def test_a_missing_prerequisite_is_named(ctx, client, agency):
    basics = make_course(title="Safeguarding basics")
    advanced = make_course(title="Advanced practice")
    advanced.prerequisites = [basics]
    session = upcoming(advanced)
    user = make_user(agency=agency)
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    assert "This course needs Safeguarding basics first." in html
    assert "Book a place" not in html
    # Once attended, the button is back.
    attended = make_session(basics)
    make_booking(attended, user, attendance=Attendance.ATTENDED)
    db.session.commit()
    assert "Book a place" in page(client, f"/sessions/{session.ref}")


def test_a_person_without_an_agency_is_asked_to_add_one(ctx, client):
    session = upcoming()
    user = make_user()
    user.agency = None
    db.session.commit()
    login_as(client, user)
    html = page(client, f"/sessions/{session.ref}")
    assert "Add your agency to your account before booking." in html
    assert 'href="/account"' in html


def test_the_meeting_link_is_only_for_confirmed_delegates(ctx, client, agency):
    session = upcoming(capacity=1, online_url="https://meet.example/secret-room",
                       joining_instructions="Passcode 4321")
    confirmed, waiting, other = (make_user(agency=agency) for _ in range(3))
    make_booking(session, confirmed)
    make_booking(session, waiting, status=WAITLISTED, waitlist_order=1)
    db.session.commit()
    assert "secret-room" not in page(client, f"/sessions/{session.ref}")
    for person, sees in ((other, False), (waiting, False), (confirmed, True)):
        login_as(client, person)
        html = page(client, f"/sessions/{session.ref}")
        assert ("https://meet.example/secret-room" in html) is sees
        assert ("Passcode 4321" in html) is sees
    assert "secret-room" not in page(client, "/sessions")
    assert "secret-room" not in page(client, "/sessions.ics")


def test_a_meeting_link_that_is_not_a_web_address_is_never_a_link(ctx, client, agency):
    session = upcoming(online_url="javascript:alert(1)")
    user = make_user(agency=agency)
    make_booking(session, user)
    db.session.commit()
    login_as(client, user)
    assert "javascript:" not in page(client, f"/sessions/{session.ref}")


def test_names_and_text_are_escaped(ctx, client):
    course = make_course(title="<script>alert(1)</script> O'Brien")
    session = upcoming(course, venue=Venue(name="Zoë's <b>hall</b>"))
    db.session.commit()
    for url in ("/sessions", f"/sessions/{session.ref}"):
        html = page(client, url)
        assert "<script>alert(1)" not in html and "<b>hall" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien" in html


# -- a trainer's sessions -------------------------------------------------------------------

def test_a_trainer_sees_only_the_sessions_they_deliver(ctx, client, agency):
    trainer = make_user(Role.TRAINER, agency)
    colleague = make_user(Role.TRAINER, agency)
    mine = upcoming(make_course(title="Mine soon"), capacity=12)
    fill(mine, confirmed=4, waiting=1)
    mine.trainers = [trainer, colleague]
    done = make_session(make_course(title="Mine last month"),
                        start_on=uk_today() - timedelta(days=30))
    done.trainers = [trainer]
    old = make_session(make_course(title="Mine last year"), start_on=uk_today() - timedelta(days=365))
    old.trainers = [trainer]
    theirs = upcoming(make_course(title="Theirs"))
    theirs.trainers = [colleague]
    db.session.commit()
    login_as(client, trainer)
    html = page(client, "/my-sessions")
    assert "Mine soon" in html and "Mine last month" in html
    assert "Mine last year" not in html and "Theirs" not in html
    assert f'href="/sessions/{mine.ref}"' in html
    assert "4 of 12" in html
    assert 'href="/my-sessions"' in page(client, "/")  # in the navigation and on the home page


def test_a_trainer_is_not_offered_a_place_on_their_own_session(ctx, client, agency):
    trainer = make_user(Role.TRAINER, agency)
    session = upcoming(online_url="https://meet.example/room")
    session.trainers = [trainer]
    db.session.commit()
    login_as(client, trainer)
    html = page(client, f"/sessions/{session.ref}")
    assert "You are a trainer on this session." in html and 'href="/my-sessions"' in html
    assert "Book a place" not in html


def test_my_sessions_is_for_trainers_and_coordinators(ctx, client, agency):
    practitioner = make_user(agency=agency)
    coordinator = make_user(Role.COORDINATOR, agency)
    db.session.commit()
    assert client.get("/my-sessions").status_code == 302
    login_as(client, practitioner)
    assert client.get("/my-sessions").status_code == 403
    login_as(client, coordinator)
    assert "You are not down to deliver any sessions." in page(client, "/my-sessions")
