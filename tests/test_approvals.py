"""Booking approval (issue 5, agency manager): where an agency approves
bookings, a practitioner's booking becomes a request that holds no place;
the manager approves (booking like a new booking at that moment) or
declines; requests expire once booking closes; managers are copied on
their staff's confirmations and cancellations."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings import approvals, services
from trainingapp.bookings.models import Booking, BookingRequest, BookingStatus, RequestStatus
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.types import uk_today
from tests.factories import login_as, make_agency, make_booking, make_session, make_user

PENDING, APPROVED, DECLINED, EXPIRED = (RequestStatus.PENDING, RequestStatus.APPROVED,
                                        RequestStatus.DECLINED, RequestStatus.EXPIRED)


def upcoming(capacity=2, days_ahead=30, **kwargs):
    return make_session(start_on=uk_today() + timedelta(days=days_ahead), capacity=capacity,
                        status=SessionStatus.SCHEDULED, **kwargs)


def mails_to(email) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject)
                                   .where(OutboxMessage.to_address == email)
                                   .order_by(OutboxMessage.id)))


def body_to(email) -> str:
    return db.session.scalars(select(OutboxMessage.body_text)
                              .where(OutboxMessage.to_address == email)
                              .order_by(OutboxMessage.id.desc())).first()


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def requests() -> list[BookingRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(BookingRequest).order_by(BookingRequest.id)))


@pytest.fixture
def home(ctx):
    """An agency that approves bookings, its two managers (one inactive
    account is not asked) and its staff."""
    agency = make_agency("Approving Agency")
    agency.requires_booking_approval = True
    make_user(Role.AGENCY_MANAGER, agency, email="boss@example.org", first_name="Bo")
    gone = make_user(Role.AGENCY_MANAGER, agency, email="gone@example.org")
    gone.is_active = False
    return agency


def _manager() -> Person:
    return db.session.scalar(select(Person).where(Person.email == "boss@example.org"))


@pytest.fixture
def other(ctx):
    """Another approving agency, with a manager and staff of its own."""
    agency = make_agency("Bramble Trust")
    agency.requires_booking_approval = True
    make_user(Role.AGENCY_MANAGER, agency, email="bramble-boss@example.org",
              first_name="Brenda", last_name="Bramblemanager")
    return agency


def staff(agency, n, prefix="p"):
    return [make_user(agency=agency, email=f"{prefix}{i}@example.org") for i in range(n)]


def ask(session, person) -> BookingRequest:
    return approvals.request_place(session.id, person)


# -- asking ----------------------------------------------------------------------------

def test_a_practitioner_booking_creates_a_request_not_a_booking(client, home):
    session = upcoming(ref="ASK-1")
    person, = staff(home, 1)
    db.session.commit()
    login_as(client, person)
    response = client.post("/sessions/ASK-1/book", follow_redirects=True)
    assert response.status_code == 200
    assert b"Your request has been sent to your manager" in response.data
    assert count(Booking) == 0
    request, = requests()
    assert (request.status, request.person_id, request.agency_id, request.session_id,
            request.requested_by_id) == (PENDING, person.id, home.id, session.id, person.id)
    assert mails_to(person.email) == ["Your request has been sent to your manager: A course"]
    assert mails_to("boss@example.org") == [f"Approval needed: {person.full_name}, A course"]
    assert "/agency/approvals" in body_to("boss@example.org")
    assert mails_to("gone@example.org") == []
    assert actions() == ["request"]


def test_one_pending_request_per_person_and_session(client, home):
    upcoming(ref="ASK-2")
    person, = staff(home, 1)
    db.session.commit()
    login_as(client, person)
    client.post("/sessions/ASK-2/book")
    again = client.post("/sessions/ASK-2/book")
    assert again.status_code == 409 and b"already asked your manager" in again.data
    assert len(requests()) == 1


def test_the_database_refuses_a_second_pending_request(home):
    session = upcoming()
    person, = staff(home, 1)
    db.session.add(BookingRequest(session_id=session.id, person_id=person.id, agency_id=home.id))
    db.session.commit()
    db.session.add(BookingRequest(session_id=session.id, person_id=person.id, agency_id=home.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(BookingRequest(session_id=session.id, person_id=person.id, agency_id=home.id,
                                  status=DECLINED))
    db.session.commit()  # decided ones are history, any number of them


def test_a_request_is_refused_when_booking_would_be(home):
    closed = upcoming()
    closed.booking_closes_on = uk_today() - timedelta(days=1)
    full = upcoming(capacity=1)
    full.is_waitlist_open = False
    person, someone = staff(home, 2)
    make_booking(full, someone)
    for session, code in ((closed, "closed"), (full, "full")):
        with pytest.raises(services.BookingError) as refused:
            ask(session, person)
        assert refused.value.code == code
    booked = upcoming()
    make_booking(booked, person)
    with pytest.raises(services.BookingError) as refused:
        ask(booked, person)
    assert refused.value.code == "already_booked"
    assert requests() == []


def test_a_pending_request_holds_no_place(home):
    session = upcoming(capacity=1)
    asking, booking = staff(home, 2)
    ask(session, asking)
    other_agency = make_agency("Free Booking Agency")
    walk_in = make_user(agency=other_agency)
    assert services.book(session.id, walk_in).status is BookingStatus.CONFIRMED


def test_agencies_without_approval_and_managers_book_directly(client, home):
    upcoming(ref="DIRECT-1")
    free = make_agency("No Approval Agency")
    practitioner = make_user(agency=free, email="free@example.org")
    db.session.commit()
    login_as(client, practitioner)
    assert client.post("/sessions/DIRECT-1/book").status_code == 303
    login_as(client, _manager())
    assert client.post("/sessions/DIRECT-1/book").status_code == 303
    assert sorted(b.person.email for b in db.session.scalars(select(Booking))) == [
        "boss@example.org", "free@example.org"]
    assert requests() == []


# -- approving -------------------------------------------------------------------------

def test_approving_books_a_free_place(client, home):
    session = upcoming(ref="OK-1")
    person, = staff(home, 1)
    request = ask(session, person)
    manager = _manager()
    db.session.commit()
    login_as(client, manager)
    response = client.post(f"/agency/approvals/{request.id}/approve", follow_redirects=True)
    assert b"has a confirmed place" in response.data
    request, = requests()
    booking = request.booking
    assert request.status is APPROVED and request.decided_by_id == manager.id
    assert request.decided_at is not None
    assert (booking.person_id, booking.status, booking.booked_by_id) == (
        person.id, BookingStatus.CONFIRMED, manager.id)
    assert mails_to(person.email)[-1] == "Your place is confirmed: A course"
    assert actions() == ["request", "approve", "book"]


def test_approving_when_the_session_has_filled_waitlists_like_a_new_booking(client, home):
    session = upcoming(capacity=1, ref="FULL-1")
    person, early = staff(home, 2)
    request = ask(session, person)
    services.book(session.id, make_user(agency=make_agency("Quick Agency")))  # takes the place
    db.session.commit()
    login_as(client, _manager())
    response = client.post(f"/agency/approvals/{request.id}/approve", follow_redirects=True)
    assert b"is on the waiting list (number 1)" in response.data
    request, = requests()
    assert request.status is APPROVED and request.booking.status is BookingStatus.WAITLISTED
    assert services.waitlist_position(request.booking) == 1
    assert mails_to(person.email)[-1] == "You are on the waiting list: A course"


def test_approving_when_booking_is_refused_declines_with_the_reason(client, home):
    session = upcoming(capacity=1, ref="SHUT-1")
    session.is_waitlist_open = True
    person, = staff(home, 1)
    request = ask(session, person)
    services.book(session.id, make_user(agency=make_agency("Quick Agency")))
    session.is_waitlist_open = False
    db.session.commit()
    login_as(client, _manager())
    response = client.post(f"/agency/approvals/{request.id}/approve", follow_redirects=True)
    assert b"could not be booked: This session is full and its waiting list is closed." \
        in response.data
    request, = requests()
    assert request.status is DECLINED and request.booking_id is None
    assert request.note == "Approved, but not booked: This session is full and its waiting list is closed."
    assert mails_to(person.email)[-1] == "Your request was not approved: A course"
    assert "waiting list is closed" in body_to(person.email)
    assert db.session.scalar(select(func.count()).select_from(Booking)
                             .where(Booking.person_id == person.id)) == 0


def test_a_request_is_decided_once(client, home):
    session = upcoming(ref="ONCE-1")
    person, = staff(home, 1)
    request = ask(session, person)
    db.session.commit()
    login_as(client, _manager())
    client.post(f"/agency/approvals/{request.id}/approve")
    again = client.post(f"/agency/approvals/{request.id}/approve", follow_redirects=True)
    assert b"already been dealt with" in again.data
    assert client.post(f"/agency/approvals/{request.id}/decline").status_code == 303
    assert count(Booking) == 1 and requests()[0].status is APPROVED


def test_declining_tells_the_person_why(client, home):
    session = upcoming(ref="NO-1")
    person, = staff(home, 1)
    request = ask(session, person)
    manager = _manager()
    db.session.commit()
    login_as(client, manager)
    page = client.get(f"/agency/approvals/{request.id}/decline")
    assert page.status_code == 200 and f"Decline {person.full_name}" in page.data.decode()
    response = client.post(f"/agency/approvals/{request.id}/decline",
                           data={"reason": "Rota is full that week"}, follow_redirects=True)
    assert b"Declined: we have told" in response.data
    request, = requests()
    assert (request.status, request.note, request.decided_by_id) == (
        DECLINED, "Rota is full that week", manager.id)
    assert mails_to(person.email)[-1] == "Your request was not approved: A course"
    assert "Rota is full that week" in body_to(person.email)
    assert count(Booking) == 0
    assert actions() == ["request", "decline"]


def test_extra_form_fields_change_nothing(client, home, other):
    session = upcoming(ref="EXTRA-1")
    person, = staff(home, 1)
    request = ask(session, person)
    db.session.commit()
    login_as(client, _manager())
    client.post(f"/agency/approvals/{request.id}/approve",
                data={"status": "declined", "agency_id": other.id, "role": "admin",
                      "person_id": 1, "booking_id": 5})
    request, = requests()
    assert request.status is APPROVED and request.agency_id == home.id
    assert request.booking.person_id == person.id and request.booking.agency_id == home.id
    assert _manager().role is Role.AGENCY_MANAGER


def test_the_approvals_page_lists_pending_requests_with_places_left(client, home):
    soon = upcoming(capacity=3, days_ahead=10, ref="LIST-1")
    later = upcoming(capacity=1, days_ahead=40, ref="LIST-2")
    a, b = staff(home, 2)
    make_booking(soon, make_user(agency=make_agency("Elsewhere")))
    make_booking(later, make_user(agency=make_agency("Elsewhere 2")))
    ask(soon, a)
    ask(later, b)
    db.session.commit()
    login_as(client, _manager())
    page = client.get("/agency/approvals").data.decode()
    assert "Waiting for your decision (2)" in page
    assert page.index(a.full_name) < page.index(b.full_name)   # soonest session first
    assert re.search(r"LIST-1.*?--numeric\">2</td>", page, re.S)
    assert re.search(r"LIST-2.*?--numeric\">0 <span[^>]*>\(waiting list\)", page, re.S)


def test_practitioners_cannot_use_the_approval_pages(client, home):
    session = upcoming()
    person, = staff(home, 1)
    request = ask(session, person)
    db.session.commit()
    login_as(client, person)
    assert client.get("/agency/approvals").status_code == 403
    assert client.post(f"/agency/approvals/{request.id}/approve").status_code == 403
    assert client.get(f"/agency/approvals/{request.id}/decline").status_code == 403
    assert requests()[0].status is PENDING


def test_another_agencys_manager_gets_404_and_none_of_its_names(client, home, other):
    session = upcoming(ref="SECRET-1")
    theirs = make_user(agency=other, email="bramble-staff@example.org",
                       first_name="Bartholomew", last_name="Brambleworth")
    request = ask(session, theirs)
    db.session.commit()
    login_as(client, _manager())
    for method, url in (("GET", f"/agency/approvals?agency={other.id}"),
                        ("POST", f"/agency/approvals/{request.id}/approve"),
                        ("GET", f"/agency/approvals/{request.id}/decline"),
                        ("POST", f"/agency/approvals/{request.id}/decline")):
        response = client.open(url, method=method, data={"reason": "x"})
        assert response.status_code == 404, url
        for secret in (b"Brambleworth", b"bramble-staff@example.org", b"Bramble Trust",
                       b"Bramblemanager"):
            assert secret not in response.data, url
    own = client.get("/agency/approvals").data
    assert b"Brambleworth" not in own and b"Bramble" not in own
    assert requests()[0].status is PENDING and count(Booking) == 0


def test_coordinators_choose_an_agency(client, home, other):
    session = upcoming()
    theirs = make_user(agency=other, first_name="Bartholomew", last_name="Brambleworth")
    request = ask(session, theirs)
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, coordinator)
    chooser = client.get("/agency/approvals")
    assert chooser.status_code == 200 and b"Choose an agency" in chooser.data
    assert b"Brambleworth" in client.get(f"/agency/approvals?agency={other.id}").data
    assert client.get("/agency/approvals?agency=99999").status_code == 404
    client.post(f"/agency/approvals/{request.id}/approve")
    assert requests()[0].status is APPROVED


# -- expiry ----------------------------------------------------------------------------

def test_requests_expire_once_booking_closes_or_the_session_starts(home):
    today = uk_today()
    open_ = upcoming(days_ahead=10)
    closed = upcoming(days_ahead=10)
    closes_today = upcoming(days_ahead=10)
    tomorrow = upcoming(days_ahead=1)
    people = staff(home, 5)
    for session, person in zip((open_, closed, closes_today, tomorrow), people):
        ask(session, person)
    starting = upcoming(days_ahead=2)
    ask(starting, people[4])
    closed.booking_closes_on = today - timedelta(days=1)
    closes_today.booking_closes_on = today
    db.session.commit()
    assert approvals.expire_requests(today) == 1
    assert [r.status for r in requests()] == [PENDING, EXPIRED, PENDING, PENDING, PENDING]
    # Two days on: the session that was a day away has started, the one two
    # days away is starting today; the one closing "today" has closed.
    assert approvals.expire_requests(today + timedelta(days=2)) == 3
    assert [r.status for r in requests()] == [PENDING, EXPIRED, EXPIRED, EXPIRED, EXPIRED]
    assert approvals.expire_requests(today + timedelta(days=2)) == 0   # safe to run twice
    expired = requests()[1]
    assert expired.decided_at is not None and expired.decided_by_id is None
    assert mails_to(people[1].email)[-1] == "Your request has expired: A course"
    assert actions().count("expire") == 4


def test_cancelled_sessions_requests_expire(home):
    session = upcoming()
    person, = staff(home, 1)
    ask(session, person)
    session.status = SessionStatus.CANCELLED
    db.session.commit()
    assert approvals.expire_requests() == 1


def test_the_approvals_page_hides_requests_that_can_no_longer_be_approved(client, home):
    session = upcoming(ref="LATE-1")
    person, = staff(home, 1)
    ask(session, person)
    session.booking_closes_on = uk_today() - timedelta(days=1)
    db.session.commit()
    login_as(client, _manager())
    page = client.get("/agency/approvals").data.decode()
    assert "no requests waiting" in page
    assert requests()[0].status is PENDING   # a GET changes nothing


def test_approving_an_expired_request_says_so(client, home):
    session = upcoming(ref="LATE-2")
    person, = staff(home, 1)
    request = ask(session, person)
    session.booking_closes_on = uk_today() - timedelta(days=1)
    db.session.commit()
    login_as(client, _manager())
    response = client.post(f"/agency/approvals/{request.id}/approve", follow_redirects=True)
    assert b"This request has expired" in response.data
    assert requests()[0].status is EXPIRED and count(Booking) == 0


def test_send_reminders_expires_requests(runner, home):
    session = upcoming()
    person, = staff(home, 1)
    ask(session, person)
    session.booking_closes_on = uk_today() - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 booking requests expired" in result.output
    assert "0 booking requests expired" in runner.invoke(args=["send-reminders"]).output


# -- managers are copied ---------------------------------------------------------------

def copies(email) -> list[str]:
    return [s for s in mails_to(email) if ": place" in s or ": booking" in s]


def test_managers_get_copies_of_confirmations_promotions_and_cancellations(home, other):
    session = upcoming(capacity=1)
    first, second = staff(home, 2)
    manager = _manager()
    a = services.book(session.id, first, actor=manager)
    services.book(session.id, second, actor=manager)     # waitlisted: no copy
    services.cancel(a.id, first, "Ill")                    # cancelled, second promoted
    assert copies("boss@example.org") == [
        f"{first.full_name}: place confirmed: A course",
        f"{first.full_name}: booking cancelled: A course",
        f"{second.full_name}: place confirmed from the waiting list: A course",
    ]
    body = body_to("boss@example.org")
    assert second.full_name in body and "/agency/bookings" in body
    assert copies("gone@example.org") == []                  # inactive account
    assert copies("bramble-boss@example.org") == []          # another agency's manager


def test_no_copies_where_the_agency_does_not_approve_bookings(home):
    free = make_agency("Free Agency")
    make_user(Role.AGENCY_MANAGER, free, email="free-boss@example.org")
    person = make_user(agency=free)
    booking = services.book(upcoming().id, person)
    services.cancel(booking.id, person)
    assert mails_to("free-boss@example.org") == []


def test_a_managers_own_booking_is_not_copied_to_themselves(home):
    manager = _manager()
    services.book(upcoming().id, manager)
    assert mails_to("boss@example.org") == ["Your place is confirmed: A course"]
