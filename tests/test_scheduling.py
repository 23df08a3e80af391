"""The coordinator's scheduling pages (issue 4): the course catalogue,
venues, sessions (schedule, edit, duplicate, cancel), through HTTP as a
coordinator. Every refused input shows its message and saves nothing."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from trainingapp.agencies.models import Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings.models import Booking, BookingStatus
from trainingapp.courses.models import Course, SessionDay, SessionStatus, TrainingSession, Venue
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.types import uk_today
from tests.factories import login_as, make_booking, make_course, make_session, make_user

SOON = uk_today() + timedelta(days=40)


@pytest.fixture
def coordinator(app, client):
    with app.app_context():
        user = make_user(Role.COORDINATOR)
        db.session.commit()
        login_as(client, user)
        return user.id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def day_fields(index: int, day: date, start: str = "09:30", end: str = "16:30") -> dict:
    return {f"days-{index}-day_on": [str(day.day), str(day.month), str(day.year)],
            f"days-{index}-starts_at": start, f"days-{index}-ends_at": end}


def session_form(ref: str = "TEST-01", days=((SOON, "09:30", "16:30"),), venue: int = 0,
                 online_url: str = "https://meet.example.org/abc", capacity="20", trainers=(),
                 **extra) -> dict:
    data = {"ref": ref, "venue": str(venue), "online_url": online_url, "capacity": str(capacity),
            "trainers": [str(t) for t in trainers], "waitlist": "open"}
    for index, (day, start, end) in enumerate(days):
        data.update(day_fields(index, day, start, end))
    data.update(extra)
    return data


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


# -- courses -------------------------------------------------------------------------

def test_create_a_course_with_prerequisites(app, client, coordinator):
    with app.app_context():
        basic = make_course("L1", "Basic awareness", level=1).id
        db.session.commit()
    response = client.post("/manage/courses/new", data={
        "code": "L2-FOUND", "title": "Foundation", "level": "2", "duration_days": "2",
        "learning_hours": "6.5", "capacity": "24", "description": "What it covers",
        "audience": "Front-line staff", "learning_outcomes": "Spot the signs",
        "prerequisites": [str(basic)]})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.code == "L2-FOUND"))
        assert (course.level, course.duration_days, str(course.learning_hours), course.capacity) == \
            (2, 2, "6.50", 24)
        assert course.audience == "Front-line staff"
        assert [c.code for c in course.prerequisites] == ["L1"]
    assert "course_created" in audit_actions(app)
    page = text(client.get("/manage/courses"))
    assert "L2-FOUND" in page and "Active courses" in page


def test_course_codes_are_unique_whatever_their_case(app, client, coordinator):
    with app.app_context():
        make_course("L1")
        db.session.commit()
    response = client.post("/manage/courses/new", data={"code": "l1", "title": "Again",
                                                        "duration_days": "1"})
    assert response.status_code == 200
    assert "A course with the code l1 already exists" in text(response)
    assert count(app, Course) == 1


def test_missing_course_fields_are_named(app, client, coordinator):
    response = client.post("/manage/courses/new", data={"code": "", "title": "", "duration_days": "0"})
    page = text(response)
    assert "There is a problem" in page
    assert "Enter a course code" in page and "Enter the course title" in page
    assert "Duration must be between 1 and 10 days" in page
    assert count(app, Course) == 0


def test_prerequisites_cannot_loop(app, client, coordinator):
    with app.app_context():
        a, b = make_course("A"), make_course("B")
        b.prerequisites = [a]
        db.session.commit()
        a_id, b_id = a.id, b.id
    page = text(client.get(f"/manage/courses/{a_id}"))
    assert "B: A course" in page and "A: A course" not in page  # not its own prerequisite
    response = client.post(f"/manage/courses/{a_id}", data={
        "code": "A", "title": "A course", "duration_days": "1", "prerequisites": [str(b_id)]})
    assert "B cannot be a prerequisite: it already needs A first" in text(response)
    with app.app_context():
        assert db.session.get(Course, a_id).prerequisites == []


def test_retire_and_bring_back_a_course(app, client, coordinator):
    with app.app_context():
        course_id = make_course("OLD").id
        db.session.commit()
    client.post(f"/manage/courses/{course_id}/active")
    with app.app_context():
        assert db.session.get(Course, course_id).is_active is False
    assert "Retired courses" in text(client.get("/manage/courses"))
    assert "OLD" not in text(client.get("/manage/sessions/new"))  # cannot be scheduled
    client.post(f"/manage/courses/{course_id}/active")
    with app.app_context():
        assert db.session.get(Course, course_id).is_active is True
    assert audit_actions(app)[-2:] == ["course_retired", "course_reactivated"]


# -- venues --------------------------------------------------------------------------

def test_venues_are_listed_created_and_edited_with_unique_names(app, client, coordinator):
    response = client.post("/manage/venues/new", data={
        "name": "Town Hall", "address": "1 High St", "accessibility_notes": "Step-free", "capacity": "30"})
    assert response.status_code == 302
    response = client.post("/manage/venues/new", data={"name": "town hall"})
    assert "A venue called town hall already exists" in text(response)
    with app.app_context():
        venue = db.session.scalar(select(Venue))
        assert (venue.name, venue.capacity, venue.accessibility_notes) == ("Town Hall", 30, "Step-free")
        venue_id = venue.id
    client.post(f"/manage/venues/{venue_id}", data={"name": "Town Hall Annexe", "capacity": "25"})
    page = text(client.get("/manage/venues"))
    assert "Town Hall Annexe" in page and "1 High St" not in page  # a blank address clears it
    assert count(app, Venue) == 1


# -- scheduling a session ------------------------------------------------------------

def test_schedule_a_two_day_session_on_days_that_do_not_follow(app, client, coordinator):
    with app.app_context():
        course = make_course("L2", "Foundation", level=2, duration_days=2)
        course.capacity = 18
        venue = Venue(name="Library", capacity=20)
        trainer = make_user(Role.TRAINER, first_name="Tia")
        db.session.add(venue)
        db.session.commit()
        course_id, venue_id, trainer_id = course.id, venue.id, trainer.id
    form = text(client.get(f"/manage/sessions/new?course={course_id}"))
    assert f'value="L2-{uk_today().year}-01"' in form  # a suggested reference
    assert "days-1-day_on" in form and "days-2-day_on" not in form  # as many days as the course
    assert 'value="18"' in form  # the course's capacity by default
    second = SOON + timedelta(days=7)
    response = client.post(f"/manage/sessions/new?course={course_id}", data=session_form(
        ref="L2-2099-01", days=[(second, "10:00", "15:00"), (SOON, "9.30", "4pm")], venue=venue_id,
        online_url="", capacity=18, trainers=[trainer_id]))
    assert response.status_code == 302, text(response)
    with app.app_context():
        session = db.session.scalar(select(TrainingSession))
        assert (session.ref, session.start_on, session.end_on) == ("L2-2099-01", SOON, second)
        assert [(d.day_on, d.starts_at, d.ends_at) for d in session.days] == [
            (SOON, time(9, 30), time(16, 0)), (second, time(10, 0), time(15, 0))]
        assert [t.id for t in session.trainers] == [trainer_id]
        assert session.status is SessionStatus.SCHEDULED and session.cutoff_on == SOON - timedelta(days=2)
        assert response.headers["Location"].endswith(f"/manage/sessions/{session.id}")
    assert "session_created" in audit_actions(app)
    page = text(client.get(response.headers["Location"]))
    assert "Session L2-2099-01" in page and "Tia" in page


def test_add_another_day_saves_nothing(app, client, coordinator):
    with app.app_context():
        course_id = make_course("C").id
        db.session.commit()
    response = client.post(f"/manage/sessions/new?course={course_id}",
                           data={**session_form(), "add_day": "Add another day"})
    assert "days-1-day_on" in response.get_data(as_text=True)
    assert count(app, TrainingSession) == 0


def test_every_bad_input_is_named_and_nothing_is_saved(app, client, coordinator):
    past = uk_today() - timedelta(days=1)
    with app.app_context():
        course = make_course("C", duration_days=3)
        venue = Venue(name="Small room", capacity=10)
        trainer = make_user(Role.TRAINER, first_name="Tom", last_name="Busy")
        other = make_session(course, start_on=SOON, status=SessionStatus.SCHEDULED, ref="OTHER-1")
        other.days = [SessionDay(day_on=SOON, starts_at=time(13, 0), ends_at=time(17, 0))]
        other.trainers = [trainer]
        make_session(course, start_on=SOON, ref="TAKEN", status=SessionStatus.SCHEDULED)
        db.session.add(venue)
        db.session.commit()
        course_id, venue_id, trainer_id = course.id, venue.id, trainer.id
    before = count(app, TrainingSession)
    response = client.post(f"/manage/sessions/new?course={course_id}", data=session_form(
        ref="taken", venue=venue_id, online_url="", capacity=12, trainers=[trainer_id],
        days=[(SOON, "09:30", "14:00"), (past, "09:30", "16:30"), (SOON + timedelta(days=1), "16:00", "10:00")]))
    page = text(response)
    assert response.status_code == 200
    for message in ("A session with the reference taken already exists",
                    "Day 2 must be today or in the future",
                    "Day 3 must end after it starts",
                    "Capacity must be 10 or fewer: Small room holds 10",
                    f"Tom Busy is already delivering OTHER-1 at that time on {SOON:%-d %B %Y}"):
        assert message in page, message
    assert count(app, TrainingSession) == before
    # The same date twice, and a day half filled in.
    response = client.post(f"/manage/sessions/new?course={course_id}", data={
        **session_form(days=[(SOON, "09:30", "12:00"), (SOON, "13:00", "16:00")])})
    assert "Day 2 is on the same date as day 1" in text(response)
    response = client.post(f"/manage/sessions/new?course={course_id}", data={
        **session_form(), **day_fields(1, SOON + timedelta(days=2), "", "nonsense")})
    page = text(response)
    assert "Enter the day 2 start time" in page and "Day 2 end time must be a time of day" in page
    # Neither a venue nor a link; no day at all.
    response = client.post(f"/manage/sessions/new?course={course_id}",
                           data=session_form(online_url=""))
    assert "Select a venue, or give the link of an online session" in text(response)
    response = client.post(f"/manage/sessions/new?course={course_id}", data=session_form(days=[]))
    assert "Enter at least one day, with its date and times" in text(response)
    assert count(app, TrainingSession) == before


def test_trainers_on_other_days_or_times_are_free(app, client, coordinator):
    with app.app_context():
        course = make_course("C")
        trainer = make_user(Role.TRAINER)
        other = make_session(course, start_on=SOON, status=SessionStatus.SCHEDULED, ref="AM")
        other.days = [SessionDay(day_on=SOON, starts_at=time(9, 0), ends_at=time(12, 0))]
        other.trainers = [trainer]
        db.session.commit()
        course_id, trainer_id = course.id, trainer.id
    response = client.post(f"/manage/sessions/new?course={course_id}", data=session_form(
        ref="PM", days=[(SOON, "12:00", "16:00")], trainers=[trainer_id]))
    assert response.status_code == 302, text(response)


# -- changing a session --------------------------------------------------------------

SAME_LINK = "https://meet.example.org/x"


def _scheduled(capacity: int = 5, **kwargs) -> TrainingSession:
    session = make_session(start_on=SOON, capacity=capacity, status=SessionStatus.SCHEDULED, **kwargs)
    session.online_url = SAME_LINK
    session.days = [SessionDay(day_on=SOON, starts_at=time(9, 30), ends_at=time(16, 30))]
    db.session.flush()
    return session


def test_capacity_cannot_go_below_the_confirmed_places(app, client, coordinator):
    with app.app_context():
        session = _scheduled(capacity=5)
        for _ in range(3):
            make_booking(session)
        db.session.commit()
        session_id, ref = session.id, session.ref
    response = client.post(f"/manage/sessions/{session_id}/edit", data=session_form(ref=ref, capacity=2))
    assert "Capacity cannot be less than the 3 places already confirmed" in text(response)
    assert 'href="#capacity"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).capacity == 5


def test_raising_capacity_gives_waiting_people_places(app, client, coordinator):
    with app.app_context():
        session = _scheduled(capacity=1)
        make_booking(session)
        waiting = make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=1)
        db.session.commit()
        session_id, ref, waiting_id, email = session.id, session.ref, waiting.id, waiting.person.email
    response = client.post(f"/manage/sessions/{session_id}/edit",
                           data=session_form(ref=ref, capacity=2, online_url=SAME_LINK))
    assert response.status_code == 302, text(response)
    with app.app_context():
        assert db.session.get(Booking, waiting_id).status is BookingStatus.CONFIRMED
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.to_address == email)) == 1
    assert "1 waiting person has been given a place" in text(client.get(response.headers["Location"]))


def test_editing_moves_days_and_keeps_start_and_end_in_step(app, client, coordinator):
    with app.app_context():
        session = _scheduled()
        db.session.commit()
        session_id, ref = session.id, session.ref
    later = SOON + timedelta(days=3)
    response = client.post(f"/manage/sessions/{session_id}/edit", data=session_form(
        ref=ref, days=[(later, "10:00", "12:00"), (SOON, "09:30", "16:30")]))
    assert response.status_code == 302, text(response)
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        assert (session.start_on, session.end_on, len(session.days)) == (SOON, later, 2)
    assert "session_updated" in audit_actions(app)


def test_duplicate_proposes_the_next_reference_and_shifted_days(app, client, coordinator):
    with app.app_context():
        course = make_course("DUP", duration_days=2)
        trainer = make_user(Role.TRAINER)
        session = make_session(course, start_on=SOON, end_on=SOON + timedelta(days=7),
                               status=SessionStatus.SCHEDULED, ref=f"DUP-{SOON.year}-01", capacity=12)
        session.online_url = "https://meet.example.org/dup"
        session.days = [SessionDay(day_on=SOON, starts_at=time(9, 30), ends_at=time(16, 30)),
                        SessionDay(day_on=SOON + timedelta(days=7), starts_at=time(9, 30),
                                   ends_at=time(13, 0))]
        session.trainers = [trainer]
        session.is_waitlist_open = False
        db.session.commit()
        session_id = session.id
    response = client.get(f"/manage/sessions/{session_id}/duplicate?weeks=2")
    assert response.status_code == 302
    form = client.get(response.headers["Location"])
    page = form.get_data(as_text=True)
    first = SOON + timedelta(weeks=2)
    ref = f"DUP-{first.year}-0{2 if first.year == SOON.year else 1}"
    assert f'value="{ref}"' in page
    assert f'value="{first.day}"' in page and 'value="13:00"' in page and 'value="12"' in page
    # Save the proposal as it stands: the form carries everything copied.
    second = first + timedelta(days=7)
    data = session_form(ref=ref, online_url="https://meet.example.org/dup", capacity=12,
                        trainers=[], days=[(first, "09:30", "16:30"), (second, "09:30", "13:00")],
                        waitlist="closed")
    with app.app_context():
        data["trainers"] = [str(t.id) for t in db.session.get(TrainingSession, session_id).trainers]
    response = client.post(f"/manage/sessions/new?from={session_id}", data=data)
    assert response.status_code == 302, text(response)
    with app.app_context():
        copy = db.session.scalar(select(TrainingSession).where(TrainingSession.ref == ref))
        assert (copy.start_on, copy.end_on, copy.is_waitlist_open) == (first, second, False)
        assert copy.course.code == "DUP" and len(copy.trainers) == 1
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "session_created"))
        assert entry.details["duplicated_from"] == f"DUP-{SOON.year}-01"


# -- cancelling a session ------------------------------------------------------------

def test_cancel_tells_everyone_booked_or_waiting_with_a_calendar_cancellation(app, client, coordinator):
    with app.app_context():
        session = _scheduled(capacity=1)
        confirmed = make_booking(session)
        waiting = make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=1)
        gone = make_booking(session, status=BookingStatus.CANCELLED)
        db.session.commit()
        session_id = session.id
        ids = (confirmed.id, waiting.id, gone.id)
        emails = {confirmed.person.email, waiting.person.email}
    page = text(client.get(f"/manage/sessions/{session_id}/cancel"))
    assert "All 1 confirmed and 1 waiting people will be e-mailed" in page
    response = client.post(f"/manage/sessions/{session_id}/cancel", data={"reason": ""})
    assert "Enter the reason for cancelling" in text(response)
    response = client.post(f"/manage/sessions/{session_id}/cancel", data={"reason": "Trainer ill"})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        assert session.status is SessionStatus.CANCELLED
        assert session.cancel_reason == "Trainer ill" and session.cancelled_at is not None
        statuses = [db.session.get(Booking, i).status for i in ids]
        assert statuses == [BookingStatus.CANCELLED] * 3  # never late: the board cancelled
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert {m.to_address for m in messages} == emails
        for message in messages:
            assert "METHOD:CANCEL" in message.ics
            assert f"UID:session-{session_id}@" in message.ics
            assert "Trainer ill" in message.body_text and "Trainer ill" in message.body_html
    assert "session_cancelled" in audit_actions(app)
    # A cancelled session cannot be cancelled or changed again.
    assert client.post(f"/manage/sessions/{session_id}/cancel", data={"reason": "x"}).status_code == 302
    assert client.get(f"/manage/sessions/{session_id}/edit").status_code == 302
    assert count(app, OutboxMessage) == 2


# -- access --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/manage/programme", "/manage/courses", "/manage/sessions/new",
                                  "/manage/venues", "/manage/trainers", "/manage/import"])
def test_practitioners_and_trainers_may_not_manage(app, client, path):
    assert client.get(path).status_code == 302  # to sign in
    for role in (Role.PRACTITIONER, Role.TRAINER, Role.AGENCY_MANAGER):
        with app.app_context():
            login_as(client, make_user(role))
            db.session.commit()
        assert client.get(path).status_code == 403, role


def test_changing_days_tells_everyone_booked_or_waiting_with_an_updated_invite(app, client,
                                                                              coordinator):
    with app.app_context():
        session = _scheduled(capacity=1)
        booked = make_booking(session)
        waiting = make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=1)
        gone = make_booking(session, status=BookingStatus.CANCELLED)
        db.session.commit()
        session_id, ref = session.id, session.ref
        emails = booked.person.email, waiting.person.email, gone.person.email
    # Same details (capacity only): nobody is told.
    client.post(f"/manage/sessions/{session_id}/edit",
                data=session_form(ref=ref, capacity=1, online_url=SAME_LINK))
    assert count(app, OutboxMessage) == 0
    later = SOON + timedelta(days=1)
    response = client.post(f"/manage/sessions/{session_id}/edit",
                           data=session_form(ref=ref, capacity=1, online_url=SAME_LINK,
                                             days=[(later, "10:00", "15:00")]))
    assert response.status_code == 302
    with app.app_context():
        mails = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
        assert set(mails) == {emails[0], emails[1]}
        assert mails[emails[0]].subject.startswith("Session details have changed")
        assert "METHOD:REQUEST" in mails[emails[0]].ics and f"session-{session_id}@" in mails[emails[0]].ics
        assert mails[emails[1]].ics is None     # waiting: no invitation yet
        assert "10:00 to 15:00" in mails[emails[0]].body_text
