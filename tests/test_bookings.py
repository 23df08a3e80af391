"""Booking rules (contract section 3): places, waiting list, cancellation,
promotion, checked through the service and the HTTP routes."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from trainingapp.bookings import services
from trainingapp.bookings.models import Attendance, Booking, BookingStatus
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.types import uk_today
from tests.factories import login_as, make_agency, make_booking, make_course, make_session, make_user

CONFIRMED, WAITLISTED = BookingStatus.CONFIRMED, BookingStatus.WAITLISTED


def upcoming(capacity=2, days_ahead=30, **kwargs):
    start = uk_today() + timedelta(days=days_ahead)
    return make_session(start_on=start, capacity=capacity, status=SessionStatus.SCHEDULED, **kwargs)


def statuses(session) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(b.person.email, b.status.value) for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session.id).order_by(Booking.id))]


def mails_to(email) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject)
                                   .where(OutboxMessage.to_address == email)
                                   .order_by(OutboxMessage.id)))


@pytest.fixture
def agency(ctx):
    return make_agency("Booking Agency")


def people(agency, n):
    return [make_user(agency=agency, email=f"p{i}@example.org") for i in range(n)]


def test_confirmed_while_places_are_free_then_waitlisted_in_order(agency):
    session = upcoming(capacity=2)
    a, b, c, d = people(agency, 4)
    results = [services.book(session.id, p) for p in (a, b, c, d)]
    assert [r.status for r in results] == [CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
    assert [services.waitlist_position(r) for r in results] == [None, None, 1, 2]
    assert mails_to(a.email) == ["Your place is confirmed: A course"]
    assert mails_to(c.email) == ["You are on the waiting list: A course"]


def test_a_person_holds_at_most_one_active_booking(agency):
    session = upcoming()
    person, = people(agency, 1)
    services.book(session.id, person)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, person)
    assert refused.value.code == "already_booked"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_the_database_refuses_a_second_active_booking(agency):
    from sqlalchemy.exc import IntegrityError

    session = upcoming()
    person, = people(agency, 1)
    make_booking(session, person)
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_booking(session, person, status=WAITLISTED, waitlist_order=1)
    db.session.rollback()
    make_booking(session, person, status=BookingStatus.CANCELLED)  # inactive ones are fine


@pytest.mark.parametrize("change, code", [
    (dict(status=SessionStatus.CANCELLED), "cancelled"),
    (dict(status=SessionStatus.COMPLETED), "past"),
    (dict(days_ahead=0), "past"),
    (dict(days_ahead=-3), "past"),
])
def test_cancelled_past_or_started_sessions_cannot_be_booked(agency, change, code):
    change = dict(change)  # parameters are shared between backends
    days = change.pop("days_ahead", 30)
    session = upcoming(days_ahead=days)
    for name, value in change.items():
        setattr(session, name, value)
    person, = people(agency, 1)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, person)
    assert refused.value.code == code
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_booking_window(agency):
    session = upcoming()
    person, = people(agency, 1)
    session.booking_opens_on = uk_today() + timedelta(days=1)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, person)
    assert refused.value.code == "not_open"
    session.booking_opens_on = None
    session.booking_closes_on = uk_today() - timedelta(days=1)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, person)
    assert refused.value.code == "closed"


def test_full_with_the_waiting_list_closed(agency):
    session = upcoming(capacity=1)
    session.is_waitlist_open = False
    a, b = people(agency, 2)
    services.book(session.id, a)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, b)
    assert refused.value.code == "full"


def test_prerequisites_must_have_been_attended(agency):
    foundation = make_course("FND", "Foundation")
    advanced = make_course("ADV", "Advanced")
    advanced.prerequisites.append(foundation)
    person, = people(agency, 1)
    session = upcoming(course=advanced)
    with pytest.raises(services.BookingError) as refused:
        services.book(session.id, person)
    assert refused.value.code == "prerequisite_missing" and "Foundation" in refused.value.message
    make_booking(make_session(foundation, date(2020, 1, 1)), person, attendance=Attendance.PARTIAL)
    with pytest.raises(services.BookingError):
        services.book(session.id, person)
    make_booking(make_session(foundation, date(2021, 1, 1)), person, attendance=Attendance.ATTENDED)
    assert services.book(session.id, person).status is CONFIRMED


def test_agency_cap_waitlists_the_agency_beyond_its_share(agency):
    other = make_agency("Other Agency")
    session = upcoming(capacity=5)
    session.agency_cap = 1
    a1, a2 = people(agency, 2)
    o1 = make_user(agency=other, email="o1@example.org")
    assert services.book(session.id, a1).status is CONFIRMED
    assert services.book(session.id, a2).status is WAITLISTED
    # a2 waits for their agency's turn; the free place is another agency's.
    assert services.book(session.id, o1).status is CONFIRMED


def test_freed_place_goes_to_the_earliest_waiting_at_once(agency):
    session = upcoming(capacity=1)
    a, b, c = people(agency, 3)
    first = services.book(session.id, a)
    services.book(session.id, b)
    services.book(session.id, c)
    cancelled = services.cancel(first.id, a, "Off sick")
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.cancel_reason == "Off sick"
    assert statuses(session) == [("p0@example.org", "cancelled"), ("p1@example.org", "confirmed"),
                                 ("p2@example.org", "waitlisted")]
    assert mails_to(b.email)[-1] == "A place has come up for you: A course"
    promoted = db.session.scalar(select(Booking).where(Booking.person_id == b.id))
    assert promoted.promoted_at is not None and promoted.waitlist_order is None
    assert services.waitlist_position(
        db.session.scalar(select(Booking).where(Booking.person_id == c.id))) == 1


def test_cancelling_after_the_cut_off_is_late(agency):
    session = upcoming(capacity=1, days_ahead=2)           # cut-off: today
    late = upcoming(capacity=1, days_ahead=1)              # cut-off: yesterday
    a, b = people(agency, 2)
    on_time = services.book(session.id, a)
    too_late = services.book(late.id, b)
    assert not services.is_late(session) and services.is_late(late)
    assert services.cancel(on_time.id, a).status is BookingStatus.CANCELLED
    assert services.cancel(too_late.id, b).status is BookingStatus.LATE_CANCELLED


def test_cancelling_twice_or_a_past_session_is_refused(agency):
    session = upcoming()
    person, = people(agency, 1)
    booking = services.book(session.id, person)
    services.cancel(booking.id, person)
    with pytest.raises(services.BookingError) as refused:
        services.cancel(booking.id, person)
    assert refused.value.code == "already_cancelled"


def test_booking_records_the_agency_at_the_time(agency):
    session = upcoming()
    person, = people(agency, 1)
    booking = services.book(session.id, person)
    person.agency = make_agency("Later Agency")
    db.session.commit()
    db.session.refresh(booking)
    assert booking.agency_id == agency.id


# -- through HTTP ------------------------------------------------------------------

def test_book_and_cancel_over_http(client, agency):
    session = upcoming(capacity=1, ref="HTTP-1")
    a, b = people(agency, 2)
    db.session.commit()
    login_as(client, a)
    response = client.post("/sessions/http-1/book")
    assert response.status_code == 303 and response.headers["Location"].endswith("/sessions/HTTP-1")
    again = client.post("/sessions/HTTP-1/book")
    assert again.status_code == 409 and b"You are already booked" in again.data
    page = client.get("/sessions/HTTP-1/cancel")
    assert b"not a late cancellation" in page.data
    assert client.post("/sessions/HTTP-1/cancel", data={"reason": "Clash"}).status_code == 303
    assert statuses(session) == [("p0@example.org", "cancelled")]
    assert client.get("/sessions/HTTP-1/cancel").status_code == 404   # nothing left to cancel


def test_extra_form_fields_change_nothing(client, agency):
    upcoming(capacity=1, ref="HTTP-2")
    a, = people(agency, 1)
    other = make_agency("Someone Else")
    db.session.commit()
    login_as(client, a)
    client.post("/sessions/HTTP-2/book", data={"status": "confirmed", "agency_id": other.id,
                                               "person_id": 999, "capacity": 99})
    booking = db.session.scalar(select(Booking))
    assert (booking.person_id, booking.agency_id) == (a.id, agency.id)


def test_booking_unknown_or_cancelled_sessions_over_http(client, agency):
    session = upcoming(ref="GONE-1")
    session.status = SessionStatus.CANCELLED
    a, = people(agency, 1)
    db.session.commit()
    login_as(client, a)
    assert client.post("/sessions/NOPE/book").status_code == 404
    response = client.post("/sessions/GONE-1/book")
    assert response.status_code == 409 and b"This session has been cancelled." in response.data
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_booking_needs_sign_in_and_csrf(app, client, agency):
    upcoming(ref="CSRF-1")
    a, = people(agency, 1)
    db.session.commit()
    response = client.post("/sessions/CSRF-1/book")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(client, a)
    assert client.post("/sessions/CSRF-1/book").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_reminders_go_once_to_confirmed_delegates_of_sessions_coming_up(runner, agency):
    soon = upcoming(capacity=1, days_ahead=2)
    later = upcoming(capacity=1, days_ahead=10)
    a, b, c = people(agency, 3)
    services.book(soon.id, a)
    services.book(soon.id, b)          # waitlisted: no reminder
    services.book(later.id, c)         # too far ahead
    result = runner.invoke(args=["send-reminders", "--days", "3"])
    assert result.exit_code == 0 and "1 reminders queued" in result.output
    assert mails_to(a.email)[-1] == "Reminder: A course is coming up"
    again = runner.invoke(args=["send-reminders", "--days", "3"])
    assert "0 reminders queued" in again.output
    assert [m for m in mails_to(b.email) + mails_to(c.email) if m.startswith("Reminder")] == []


def test_my_bookings_lists_upcoming_with_positions_and_past(client, agency):
    session = upcoming(capacity=1, ref="MINE-1")
    other, me = people(agency, 2)
    services.book(session.id, other)
    services.book(session.id, me)
    old = make_session(make_course("OLD", "Old course"), date(2020, 5, 1))
    make_booking(old, me, attendance=Attendance.ATTENDED)
    db.session.commit()
    login_as(client, me)
    page = client.get("/bookings").data.decode()
    assert "Waiting list: number 1" in page
    assert "Old course" in page and "Attended" in page
    assert "/sessions/MINE-1/cancel" in page


def test_invites_only_for_ones_own_bookings(client, agency):
    session = upcoming(ref="ICS-1")
    me, other = people(agency, 2)
    mine = services.book(session.id, me)
    theirs = services.book(session.id, other)
    db.session.commit()
    login_as(client, me)
    response = client.get(f"/bookings/{mine.id}/invite.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"METHOD:REQUEST" in response.data
    assert client.get(f"/bookings/{theirs.id}/invite.ics").status_code == 404
    services.cancel(mine.id, me)
    assert b"METHOD:CANCEL" in client.get(f"/bookings/{mine.id}/invite.ics").data


def test_booking_mails_carry_an_invite_and_a_matching_cancellation(agency):
    session = upcoming(capacity=1)
    a, b = people(agency, 2)
    first = services.book(session.id, a)
    services.book(session.id, b)
    services.cancel(first.id, a)

    def ics(email):
        return [m.ics for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == email).order_by(OutboxMessage.id))]

    confirmed, cancelled = ics(a.email)
    assert "METHOD:REQUEST" in confirmed and "METHOD:CANCEL" in cancelled
    uid = re.search(r"UID:(\S+)", confirmed).group(1)
    assert f"UID:{uid}" in cancelled
    waitlisted, promoted = ics(b.email)
    assert waitlisted is None and "METHOD:REQUEST" in promoted


def test_a_place_nobody_waiting_may_take_goes_to_the_newcomer(agency):
    other = make_agency("Other Agency")
    session = upcoming(capacity=2)
    session.agency_cap = 1
    a1, a2 = people(agency, 2)
    b1 = make_user(agency=other, email="b1@example.org")
    assert services.book(session.id, a1).status is CONFIRMED
    assert services.book(session.id, a2).status is WAITLISTED   # their agency is at its cap
    assert services.book(session.id, b1).status is CONFIRMED    # the free place is not a2's to take
    c1 = make_user(agency=other, email="c1@example.org")
    assert services.book(session.id, c1).status is WAITLISTED   # full now
