"""The agency manager's booking pages (issue 5): their staff's bookings with
waiting-list positions, booking several staff at once, cancelling on a
staff member's behalf and substituting a colleague, for their own agency
only."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from trainingapp.agencies.models import Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings import services, staff as staff_service
from trainingapp.bookings.models import Attendance, Booking, BookingRequest, BookingStatus
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.types import uk_today
from tests.factories import (login_as, make_agency, make_booking, make_course, make_session,
                             make_user)

CONFIRMED, WAITLISTED = BookingStatus.CONFIRMED, BookingStatus.WAITLISTED
CANCELLED, LATE = BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED
B_SECRETS = (b"Brambleworth", b"bramble", b"Bramble Trust")


def upcoming(capacity=2, days_ahead=30, **kwargs):
    return make_session(start_on=uk_today() + timedelta(days=days_ahead), capacity=capacity,
                        status=SessionStatus.SCHEDULED, **kwargs)


def mails_to(email) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject)
                                   .where(OutboxMessage.to_address == email)
                                   .order_by(OutboxMessage.id)))


def statuses(session) -> dict[str, str]:
    db.session.expire_all()
    return {b.person.email: b.status.value for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session.id).order_by(Booking.id))}


def confirmed_count(session) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status == CONFIRMED))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def home(ctx):
    return make_agency("Acorn Services")


@pytest.fixture
def manager(home):
    return make_user(Role.AGENCY_MANAGER, home, email="boss@example.org", first_name="Bo")


@pytest.fixture
def other(ctx):
    """Agency B: none of its names may reach agency A's manager."""
    return make_agency("Bramble Trust")


def staff(agency, n, prefix="p"):
    return [make_user(agency=agency, email=f"{prefix}{i}@example.org", first_name=f"Staff{i}")
            for i in range(n)]


def bramble(other, n=1):
    return [make_user(agency=other, email=f"bramble{i}@example.org",
                      first_name="Bartholomew", last_name=f"Brambleworth{i}") for i in range(n)]


# -- staff bookings --------------------------------------------------------------------

def test_staff_bookings_show_status_and_waiting_positions_and_no_other_agency(client, home,
                                                                               manager, other):
    soon = upcoming(capacity=1, days_ahead=5, ref="SOON-1")
    later = upcoming(capacity=3, days_ahead=50, ref="LATER-1")
    past = make_session(make_course("OLD", "Old course"), uk_today() - timedelta(days=20))
    long_ago = make_session(make_course("ANCIENT", "Ancient course"), date(2015, 1, 1))
    a, b, c = staff(home, 3)
    holding, queueing = bramble(other, 2)
    make_booking(soon, holding)                                   # B holds the place
    make_booking(soon, queueing, status=WAITLISTED, waitlist_order=1)
    make_booking(soon, a, status=WAITLISTED, waitlist_order=2)    # behind B: number 2
    make_booking(soon, b, status=WAITLISTED, waitlist_order=3)    # number 3
    make_booking(later, c)
    make_booking(later, b, status=CANCELLED)
    make_booking(past, c, attendance=Attendance.ATTENDED)
    make_booking(long_ago, a, attendance=Attendance.ATTENDED)
    db.session.commit()
    login_as(client, manager)
    page = client.get("/agency/bookings").data.decode()
    assert "Waiting list: number 2" in page and "Waiting list: number 3" in page
    assert "Place confirmed" in page and "Cancelled" in page
    assert "Old course" in page and "Attended" in page
    assert "Ancient course" not in page                            # not recent
    for secret in B_SECRETS:
        assert secret.decode() not in page
    assert f"/agency/bookings/{db.session.scalar(select(Booking.id).where(Booking.person_id == c.id, Booking.session_id == later.id))}/substitute" in page


def test_waiting_positions_come_from_one_query(home, manager, other):
    sessions = [upcoming(capacity=0) for _ in range(4)]
    people = staff(home, 3)
    for session in sessions:
        make_booking(session, make_user(agency=other), status=WAITLISTED, waitlist_order=1)
        for order, person in enumerate(people, start=2):
            make_booking(session, person, status=WAITLISTED, waitlist_order=order)
    db.session.commit()
    agency_id = home.id
    db.session.expire_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        upcoming_rows, recent = staff_service.staff_bookings(agency_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects
    assert sorted(r.position for r in upcoming_rows) == [2] * 4 + [3] * 4 + [4] * 4
    assert recent == []


def test_coordinators_choose_an_agency_and_managers_cannot(client, home, manager, other):
    session = upcoming()
    theirs, = bramble(other)
    make_booking(session, theirs)
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, coordinator)
    assert b"Choose an agency" in client.get("/agency/bookings").data
    assert b"Brambleworth0" in client.get(f"/agency/bookings?agency={other.id}").data
    login_as(client, manager)
    response = client.get(f"/agency/bookings?agency={other.id}")
    assert response.status_code == 404
    assert all(s not in response.data for s in B_SECRETS)


# -- booking several staff -------------------------------------------------------------

def test_book_several_staff_with_an_outcome_each(client, home, manager):
    needs = make_course("NEEDS", "Foundation")
    course = make_course("ADV", "Advanced")
    session = upcoming(capacity=2, ref="MULTI-1", course=course)
    a, b, c, d = staff(home, 4)
    for person in (a, b, c):
        make_booking(make_session(needs, date(2020, 1, 1)), person, attendance=Attendance.ATTENDED)
    course.prerequisites.append(needs)
    db.session.commit()
    login_as(client, manager)
    page = client.get("/agency/book?session=MULTI-1").data.decode()
    assert 'action="/agency/book?session=MULTI-1"' in page and "Staff0 " in page
    response = client.post("/agency/book?session=MULTI-1",
                           data={"people": [a.id, b.id, c.id, d.id]})
    body = response.data.decode()
    assert response.status_code == 200
    assert re.search(r"Staff0 .*?Place confirmed", body, re.S)
    assert re.search(r"Staff2 .*?Waiting list: number 1", body, re.S)
    assert re.search(r"Staff3 .*?Not booked: This course needs Foundation first.", body, re.S)
    assert "2 confirmed, 1 on the waiting list, 1 not booked" in body
    # Each booking is its own transaction: the refusal undid nothing.
    assert statuses(session) == {"p0@example.org": "confirmed", "p1@example.org": "confirmed",
                                 "p2@example.org": "waitlisted"}
    booking = db.session.scalar(select(Booking).where(Booking.person_id == a.id,
                                                      Booking.session_id == session.id))
    assert booking.booked_by_id == manager.id
    assert mails_to(a.email)[-1] == "Your place is confirmed: Advanced"


def test_booking_staff_skips_approval(client, home, manager):
    home.requires_booking_approval = True
    upcoming(ref="MULTI-2")
    a, = staff(home, 1)
    db.session.commit()
    login_as(client, manager)
    client.post("/agency/book?session=MULTI-2", data={"people": [a.id]})
    assert db.session.scalar(select(Booking.status).where(Booking.person_id == a.id)) is CONFIRMED
    assert db.session.scalar(select(func.count()).select_from(BookingRequest)) == 0


def test_booking_staff_refuses_nobody_selected_and_lists_who_is_booked(client, home, manager):
    session = upcoming(ref="MULTI-3")
    a, b = staff(home, 2)
    make_booking(session, a)
    db.session.commit()
    login_as(client, manager)
    response = client.post("/agency/book?session=MULTI-3", data={})
    assert response.status_code == 400 and b"Select at least one person to book" in response.data
    assert b"govuk-error-summary" in response.data
    page = client.get("/agency/book?session=MULTI-3").data.decode()
    assert "Already booked or waiting (1)" in page
    assert f'value="{a.id}"' not in page and f'value="{b.id}"' in page
    search = client.get("/agency/book?session=MULTI-3&q=nobody-like-this").data.decode()
    assert "Nobody who can still be booked matches" in search


def test_booking_another_agencys_person_is_404_and_books_nobody(client, home, manager, other):
    upcoming(ref="MULTI-4")
    a, = staff(home, 1)
    theirs, = bramble(other)
    db.session.commit()
    login_as(client, manager)
    response = client.post("/agency/book?session=MULTI-4", data={"people": [a.id, theirs.id]})
    assert response.status_code == 404
    assert all(s not in response.data for s in B_SECRETS)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    response = client.post(f"/agency/book?session=MULTI-4&agency={other.id}",
                           data={"people": [theirs.id]})
    assert response.status_code == 404


def test_booking_staff_ignores_extra_fields(client, home, manager, other):
    upcoming(ref="MULTI-5")
    a, = staff(home, 1)
    db.session.commit()
    login_as(client, manager)
    client.post("/agency/book?session=MULTI-5",
                data={"people": [a.id], "agency_id": other.id, "status": "waitlisted",
                      "role": "admin"})
    booking = db.session.scalar(select(Booking))
    assert (booking.agency_id, booking.status) == (home.id, CONFIRMED)
    db.session.refresh(manager)
    assert manager.role is Role.AGENCY_MANAGER


def test_choosing_a_session_to_book(client, home, manager):
    upcoming(ref="PICK-1", course=make_course("PICK", "Pickable course"))
    shut = upcoming(ref="PICK-2", course=make_course("SHUT", "Closed course"))
    shut.booking_closes_on = uk_today() - timedelta(days=1)
    db.session.commit()
    login_as(client, manager)
    page = client.get("/agency/book").data.decode()
    assert "Pickable course" in page and "Closed course" not in page
    assert 'action="/agency/book"' in page
    assert b"could not find that session" in client.get("/agency/book?session=NOPE").data


# -- substitution ----------------------------------------------------------------------

def test_substitute_passes_the_place_without_a_late_cancellation(client, home, manager):
    session = upcoming(capacity=1, days_ahead=1, ref="SUB-1")    # after the cut-off
    holder, colleague, waiting = staff(home, 3)
    original = services.book(session.id, holder)
    queued = services.book(session.id, waiting)
    db.session.commit()
    login_as(client, manager)
    page = client.get(f"/agency/bookings/{original.id}/substitute").data.decode()
    assert colleague.full_name in page and waiting.full_name not in page  # already waiting
    response = client.post(f"/agency/bookings/{original.id}/substitute",
                           data={"colleague": colleague.id}, follow_redirects=True)
    assert f"{colleague.full_name} now has {holder.full_name}" in response.data.decode()
    assert statuses(session) == {"p0@example.org": "cancelled", "p2@example.org": "waitlisted",
                                 "p1@example.org": "confirmed"}
    assert confirmed_count(session) == 1
    db.session.refresh(original)
    assert original.cancel_reason == f"Substituted by {colleague.full_name}"
    assert db.session.scalar(select(func.count()).select_from(Booking)
                             .where(Booking.status == LATE)) == 0
    db.session.refresh(queued)
    assert services.waitlist_position(queued) == 1 and queued.promoted_at is None
    assert mails_to(holder.email)[-1] == "Your place has been passed to a colleague: A course"
    assert mails_to(colleague.email)[-1] == "Your place is confirmed: A course"
    assert "substitute" in actions()
    replacement = db.session.scalar(select(Booking).where(Booking.person_id == colleague.id))
    assert (replacement.booked_by_id, replacement.source) == (manager.id, "substitute")


def test_substitution_rules(home, manager, other):
    needs = make_course("NEEDS", "Foundation")
    course = make_course("ADV", "Advanced")
    session = upcoming(capacity=3, course=course)
    holder, booked, untrained, fine = staff(home, 4)
    theirs, = bramble(other)
    for person in (holder, booked, fine):
        make_booking(make_session(needs, date(2020, 1, 1)), person, attendance=Attendance.ATTENDED)
    course.prerequisites.append(needs)
    original = make_booking(session, holder)
    make_booking(session, booked, status=WAITLISTED, waitlist_order=1)
    db.session.commit()

    def refused(colleague, booking=original) -> str:
        with pytest.raises(services.BookingError) as error:
            services.substitute(booking.id, colleague, manager)
        db.session.rollback()
        return error.value.code

    assert refused(booked) == "already_booked"
    assert refused(untrained) == "prerequisite_missing"
    assert refused(theirs) == "not_colleague"
    assert refused(holder) == "not_colleague"
    waiting = db.session.scalar(select(Booking).where(Booking.person_id == booked.id,
                                                      Booking.session_id == session.id))
    assert refused(fine, waiting) == "not_confirmed"
    session.start_on = uk_today()
    db.session.commit()
    assert refused(fine) == "past"
    assert statuses(session)[holder.email] == "confirmed"


def test_substituting_another_agencys_booking_or_colleague_is_404(client, home, manager, other):
    session = upcoming(ref="SUB-2")
    mine, colleague = staff(home, 2)
    theirs, their_colleague = bramble(other, 2)
    my_booking = make_booking(session, mine)
    their_booking = make_booking(session, theirs)
    db.session.commit()
    login_as(client, manager)
    for method, url, data in (
            ("GET", f"/agency/bookings/{their_booking.id}/substitute", {}),
            ("POST", f"/agency/bookings/{their_booking.id}/substitute", {"colleague": colleague.id}),
            ("POST", f"/agency/bookings/{my_booking.id}/substitute", {"colleague": their_colleague.id}),
            ("GET", f"/agency/bookings/{their_booking.id}/cancel", {}),
            ("POST", f"/agency/bookings/{their_booking.id}/cancel", {"reason": "x"})):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, url
        assert all(s not in response.data for s in B_SECRETS), url
    assert statuses(session) == {mine.email: "confirmed", theirs.email: "confirmed"}


# -- cancelling on someone's behalf ----------------------------------------------------

def test_a_manager_cancels_for_staff_following_the_cut_off(client, home, manager):
    early = upcoming(capacity=1, days_ahead=20, ref="CAN-1")
    late = upcoming(capacity=1, days_ahead=1, ref="CAN-2")
    a, b, waiting = staff(home, 3)
    on_time = services.book(early.id, a)
    services.book(early.id, waiting)
    too_late = services.book(late.id, b)
    db.session.commit()
    login_as(client, manager)
    assert b"not a late cancellation" in client.get(f"/agency/bookings/{on_time.id}/cancel").data
    assert b"late cancellation" in client.get(f"/agency/bookings/{too_late.id}/cancel").data
    response = client.post(f"/agency/bookings/{on_time.id}/cancel", data={"reason": "Rota"},
                           follow_redirects=True)
    assert f"{a.full_name}&#39;s booking is cancelled." in response.data.decode()
    client.post(f"/agency/bookings/{too_late.id}/cancel")
    assert statuses(early) == {a.email: "cancelled", waiting.email: "confirmed"}   # promoted
    assert statuses(late) == {b.email: "late_cancelled"}
    assert mails_to(a.email)[-1] == "Your booking is cancelled: A course"
    assert actions().count("cancel_on_behalf") == 2 and actions().count("cancel") == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cancel_on_behalf"))
    assert entry.actor_id == manager.id and entry.details["person_id"] == a.id


def test_cancelling_a_started_session_is_refused(client, home, manager):
    session = upcoming(ref="CAN-3")
    a, = staff(home, 1)
    booking = make_booking(session, a)
    session.start_on = uk_today()
    db.session.commit()
    login_as(client, manager)
    response = client.post(f"/agency/bookings/{booking.id}/cancel")
    assert response.status_code == 409 and b"already started" in response.data
    assert statuses(session) == {a.email: "confirmed"}
    assert "cancel_on_behalf" not in actions()


# -- who may use these pages -----------------------------------------------------------

MANAGER_PAGES = [
    ("GET", "/agency/bookings"), ("GET", "/agency/approvals"), ("GET", "/agency/book"),
    ("POST", "/agency/book?session=ROLE-1"),
    ("GET", "/agency/bookings/{booking}/cancel"), ("POST", "/agency/bookings/{booking}/cancel"),
    ("GET", "/agency/bookings/{booking}/substitute"),
    ("POST", "/agency/bookings/{booking}/substitute"),
]


def test_practitioners_cannot_use_manager_pages(client, home, manager):
    session = upcoming(ref="ROLE-1")
    me, colleague = staff(home, 2)
    booking = make_booking(session, me)
    db.session.commit()
    login_as(client, me)
    for method, url in MANAGER_PAGES:
        response = client.open(url.format(booking=booking.id), method=method,
                               data={"people": [colleague.id], "colleague": colleague.id})
        assert response.status_code == 403, url
    assert statuses(session) == {me.email: "confirmed"}


def test_navigation_and_home_for_managers(client, home, manager):
    practitioner, = staff(home, 1)
    db.session.commit()
    login_as(client, manager)
    home_page = client.get("/").data.decode()
    assert 'href="/agency/bookings"' in home_page and 'href="/agency/approvals"' in home_page
    assert "Staff bookings" in home_page and "Approvals" in home_page
    login_as(client, practitioner)
    assert "Staff bookings" not in client.get("/").data.decode()


def test_a_manager_without_an_agency_sees_nothing(client, ctx):
    loner = make_user(Role.AGENCY_MANAGER, make_agency("Temporary"))
    loner.agency_id = None
    db.session.commit()
    login_as(client, loner)
    assert client.get("/agency/bookings").status_code == 404


def test_substitution_respects_the_agency_cap_when_the_place_changes_agency(home, manager, other):
    session = upcoming(capacity=4)
    session.agency_cap = 1
    mover, colleague, already = staff(home, 3)
    original = make_booking(session, mover, agency=other)    # booked while at agency B
    make_booking(session, already)                           # agency A is at its cap
    db.session.commit()
    with pytest.raises(services.BookingError) as refused:
        services.substitute(original.id, colleague, manager)
    assert refused.value.code == "agency_cap"
