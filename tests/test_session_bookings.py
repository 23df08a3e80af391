"""The coordinator's hand on a session's bookings (issue 5, "Coordinator"):
the booking list, adding a person, moving a booking, cancelling for
someone, reordering and promoting from the waiting list, capacity, closing
the waiting list, e-mailing everyone, and the delegates CSV. Through HTTP as
a coordinator, with the rules checked in the database, the outbox and the
audit log."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings import coordination, services
from trainingapp.bookings.models import Booking, BookingRequest, BookingStatus
from trainingapp.courses.models import SessionStatus, TrainingSession
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.reports import exports, queries
from trainingapp.types import uk_today
from tests.factories import (login_as, make_agency, make_booking, make_course, make_person,
                             make_session, make_user)

CONFIRMED, WAITLISTED = BookingStatus.CONFIRMED, BookingStatus.WAITLISTED
CANCELLED, LATE = BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED
SOON = uk_today() + timedelta(days=40)


@pytest.fixture
def coordinator(app, client):
    with app.app_context():
        user = make_user(Role.COORDINATOR, first_name="Cora")
        db.session.commit()
        login_as(client, user)
        return user.id


def upcoming(capacity: int = 2, days_ahead: int = 30, **kwargs) -> TrainingSession:
    return make_session(start_on=uk_today() + timedelta(days=days_ahead), capacity=capacity,
                        status=SessionStatus.SCHEDULED, **kwargs)


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def status_of(app, booking_id: int) -> BookingStatus:
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def mails(app, email: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.subject)
                                       .where(OutboxMessage.to_address == email)
                                       .order_by(OutboxMessage.id)))


def audits(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                       .order_by(AuditEntry.id)))


def queue(app, session_id: int) -> list[tuple[str, int]]:
    """(e-mail, waitlist_order) of the waiting bookings, in promotion order."""
    with app.app_context():
        return [(b.person.email, b.waitlist_order) for b in db.session.scalars(
            select(Booking).where(Booking.session_id == session_id, Booking.status == WAITLISTED)
            .order_by(Booking.waitlist_order, Booking.id))]


def follow(client, response) -> str:
    assert response.status_code in (302, 303), text(response)
    return text(client.get(response.headers["Location"]))


# -- the booking list ---------------------------------------------------------------

def test_the_session_page_lists_confirmed_waiting_with_positions_and_cancelled(app, client,
                                                                              coordinator):
    with app.app_context():
        session = upcoming(capacity=2)
        agency = make_agency("Riverside Trust")
        make_booking(session, make_person(agency, first_name="Zoë", last_name="Hart"))
        make_booking(session, make_person(agency, first_name="Asha", last_name="O'Brien"))
        make_booking(session, make_person(agency, first_name="Wyn", last_name="Later"),
                     status=WAITLISTED, waitlist_order=7)
        make_booking(session, make_person(agency, first_name="Wes", last_name="First"),
                     status=WAITLISTED, waitlist_order=3)
        gone = make_booking(session, make_person(agency, first_name="Cal", last_name="Gone"),
                            status=CANCELLED)
        gone.cancel_reason = "Off sick"
        db.session.commit()
        session_id = session.id
    page = client.get(f"/manage/sessions/{session_id}").get_data(as_text=True)
    assert "Asha O&#39;Brien" in page and "Zoë Hart" in page
    assert "Confirmed (2 of 2 places)" in page and "Waiting list (2)" in page
    assert page.index("Wes First") < page.index("Wyn Later")  # promotion order
    assert "Cancelled (1)" in page and "Off sick" in page
    assert "Give a place" not in page  # no free place
    assert f"/sessions/{session_id}/bookings/add" in page


def test_the_booking_list_is_one_query(ctx):
    session = upcoming(capacity=3)
    agency = make_agency()
    for n in range(8):
        status = CONFIRMED if n < 3 else WAITLISTED if n < 6 else CANCELLED
        make_booking(session, make_person(agency), status=status,
                     waitlist_order=n if status is WAITLISTED else None)
    db.session.commit()
    session_id = session.id
    db.session.expire_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        listed = coordination.booking_list(session_id)
        names = [(i.booking.person.full_name, i.booking.agency.name, i.position)
                 for i in listed.confirmed + listed.waiting + listed.cancelled]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(names) == 8
    assert [i.position for i in listed.waiting] == [1, 2, 3]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


# -- adding a person ----------------------------------------------------------------

def test_add_a_person_found_by_name_or_email(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=1)
        agency = make_agency("Orchard Services")
        agency.requires_booking_approval = True  # a coordinator needs nobody's approval
        first = make_person(agency, email="sian.evans@orchard.example", first_name="Siân",
                            last_name="Evans")
        second = make_person(agency, email="sam.evans@orchard.example", first_name="Sam",
                             last_name="Evans")
        db.session.commit()
        session_id, first_id, second_id = session.id, first.id, second.id
    found = text(client.get(f"/manage/sessions/{session_id}/bookings/add?q=evans"))
    assert "Siân Evans (sian.evans@orchard.example), Orchard Services" in found
    assert "Sam Evans" in found
    assert "sam.evans" in text(client.get(f"/manage/sessions/{session_id}/bookings/add?q=SAM.EV"))

    page = follow(client, client.post(f"/manage/sessions/{session_id}/bookings/add",
                                      data={"person": str(first_id)}))
    assert "Siân Evans has a confirmed place." in page
    page = follow(client, client.post(f"/manage/sessions/{session_id}/bookings/add",
                                      data={"person": str(second_id)}))
    assert "The session is full, so Sam Evans is on the waiting list: number 1." in page
    with app.app_context():
        bookings = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        assert [(b.person_id, b.status, b.booked_by_id, b.source) for b in bookings] == [
            (first_id, CONFIRMED, coordinator, "coordinator"),
            (second_id, WAITLISTED, coordinator, "coordinator")]
        assert db.session.scalar(select(func.count()).select_from(BookingRequest)) == 0
    assert mails(app, "sian.evans@orchard.example") == ["Your place is confirmed: A course"]
    assert [(a.actor_id, a.details["status"]) for a in audits(app, "coordinator_add")] == [
        (coordinator, "confirmed"), (coordinator, "waitlisted")]
    # Already booked: not offered again, and refused with the reason if posted.
    assert "already booked or waiting" in text(
        client.get(f"/manage/sessions/{session_id}/bookings/add?q=evans"))
    refused = client.post(f"/manage/sessions/{session_id}/bookings/add",
                          data={"person": str(first_id)})
    assert refused.status_code == 409
    assert "Siân Evans is already booked on this session." in text(refused)


def test_adding_to_a_full_session_with_a_closed_list_says_why(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=1)
        session.is_waitlist_open = False
        make_booking(session)
        person = make_person()
        db.session.commit()
        session_id, person_id = session.id, person.id
    response = client.post(f"/manage/sessions/{session_id}/bookings/add",
                           data={"person": str(person_id)})
    assert response.status_code == 409
    assert "This session is full and its waiting list is closed." in text(response)
    assert "There is a problem" in text(response)


# -- moving a booking ---------------------------------------------------------------

def test_move_to_another_course_promotes_the_earliest_waiting_on_the_old_session(app, client,
                                                                                 coordinator):
    with app.app_context():
        old = upcoming(capacity=1, days_ahead=1)  # after the cut-off: still not late
        new = upcoming(capacity=5, course=make_course("OTHER", "Another course"), ref="NEW-01")
        mover = make_booking(old, make_person(email="mover@example.org"))
        waiting = make_booking(old, make_person(email="next@example.org"), status=WAITLISTED,
                               waitlist_order=1)
        later = make_booking(old, make_person(email="later@example.org"), status=WAITLISTED,
                             waitlist_order=2)
        db.session.commit()
        ids = (old.id, new.id, mover.id, waiting.id, later.id)
    old_id, new_id, mover_id, waiting_id, later_id = ids
    form = text(client.get(f"/manage/sessions/{old_id}/bookings/{mover_id}/move"))
    assert "NEW-01: Another course" in form and "5 places left" in form

    page = follow(client, client.post(f"/manage/sessions/{old_id}/bookings/{mover_id}/move",
                                      data={"to_session": str(new_id)}))

    assert "has a confirmed place on NEW-01" in page
    with app.app_context():
        original = db.session.get(Booking, mover_id)
        assert (original.status, original.cancel_reason) == (CANCELLED, "Moved to NEW-01")
        moved = db.session.scalar(select(Booking).where(Booking.session_id == new_id))
        assert (moved.person_id, moved.status, moved.source) == (original.person_id, CONFIRMED, "move")
    assert status_of(app, waiting_id) is CONFIRMED
    assert status_of(app, later_id) is WAITLISTED
    assert mails(app, "mover@example.org") == ["Your booking is cancelled: A course",
                                               "Your booking has moved: Another course"]
    with app.app_context():
        cancelled, moved_mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "mover@example.org")
            .order_by(OutboxMessage.id)).all()
        assert "METHOD:CANCEL" in cancelled.ics and "moved your booking to Another course" in \
            cancelled.body_text
        assert "METHOD:REQUEST" in moved_mail.ics and "Your place on it is confirmed" in \
            moved_mail.body_text
    assert mails(app, "next@example.org") == ["A place has come up for you: A course"]
    [entry] = audits(app, "move")
    assert (entry.actor_id, entry.details["to_session"], entry.details["now"]) == (
        coordinator, "NEW-01", "confirmed")


def test_moving_to_a_full_session_joins_its_waiting_list(ctx):
    actor = make_user(Role.COORDINATOR)
    old, new = upcoming(capacity=3), upcoming(capacity=1)
    make_booking(new)
    booking = make_booking(old, make_person(email="w@example.org"))
    db.session.commit()
    moved = coordination.move(booking.id, new.id, actor)
    assert moved.status is WAITLISTED and services.waitlist_position(moved) == 1
    [cancelled, moved_mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "w@example.org")
        .order_by(OutboxMessage.id)).all()
    assert "METHOD:CANCEL" in cancelled.ics  # the old place leaves their calendar
    assert "waiting list (number 1)" in moved_mail.body_text and moved_mail.ics is None


@pytest.mark.parametrize("target", ["same", "booked", "cancelled", "closed_full"])
def test_a_refused_move_leaves_the_booking_as_it_was(ctx, target):
    actor = make_user(Role.COORDINATOR)
    old = upcoming(capacity=3)
    person = make_person()
    booking = make_booking(old, person)
    new = old if target == "same" else upcoming(capacity=1)
    if target == "booked":
        make_booking(new, person, status=WAITLISTED, waitlist_order=1)
    elif target == "cancelled":
        new.status = SessionStatus.CANCELLED
    elif target == "closed_full":
        new.is_waitlist_open = False
        make_booking(new)
    db.session.commit()
    with pytest.raises(services.BookingError) as refused:
        coordination.move(booking.id, new.id, actor)
    assert refused.value.code == {"same": "same_session", "booked": "already_booked",
                                  "cancelled": "cancelled", "closed_full": "full"}[target]
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status is CONFIRMED
    assert db.session.scalar(select(func.count()).select_from(Booking)
                             .where(Booking.person_id == person.id, Booking.status == CONFIRMED)) == 1
    assert db.session.scalars(select(AuditEntry.action)).all() == []


def test_a_move_locks_both_sessions_lower_id_first(ctx, monkeypatch):
    actor = make_user(Role.COORDINATOR)
    low, high = upcoming(), upcoming()
    booking = make_booking(high)
    db.session.commit()
    taken = []
    real = coordination.lock_session
    monkeypatch.setattr(coordination, "lock_session",
                        lambda session_id: taken.append(session_id) or real(session_id))
    coordination.move(booking.id, low.id, actor)
    assert taken == [low.id, high.id]


# -- cancelling for someone -----------------------------------------------------------

@pytest.mark.parametrize("days_ahead, late", [(30, False), (1, True)])
def test_cancel_on_someones_behalf_follows_the_cut_off(app, client, coordinator, days_ahead, late):
    with app.app_context():
        session = upcoming(capacity=1, days_ahead=days_ahead)
        booking = make_booking(session, make_person(first_name="Dee", last_name="Lane",
                                                    email="dee@example.org"))
        waiting = make_booking(session, status=WAITLISTED, waitlist_order=1)
        db.session.commit()
        session_id, booking_id, waiting_id = session.id, booking.id, waiting.id
    url = f"/manage/sessions/{session_id}/bookings/{booking_id}/cancel"
    screen = text(client.get(url))
    assert ("will be recorded as a late cancellation" in screen) is late
    assert ("so it is not a late cancellation" in screen) is not late

    page = follow(client, client.post(url, data={"reason": "Rota changed"}))

    assert "Dee Lane&#39;s booking is cancelled" in page
    assert ("booking is cancelled (a late cancellation)." in page) is late
    with app.app_context():
        cancelled = db.session.get(Booking, booking_id)
        assert (cancelled.status, cancelled.cancel_reason) == (LATE if late else CANCELLED,
                                                               "Rota changed")
    assert status_of(app, waiting_id) is CONFIRMED
    assert mails(app, "dee@example.org")[-1] == "Your booking is cancelled: A course"
    assert [a.actor_id for a in audits(app, "cancel_on_behalf")] == [coordinator]


# -- the waiting list by hand -------------------------------------------------------

def test_reordering_the_waiting_list_renumbers_it(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=1)
        make_booking(session)
        ids = [make_booking(session, make_person(email=f"w{n}@example.org"), status=WAITLISTED,
                            waitlist_order=order).id
               for n, order in enumerate((5, 9, 12, 40), start=1)]
        db.session.commit()
        session_id = session.id
    url = f"/manage/sessions/{session_id}/bookings/{{}}/queue"

    page = follow(client, client.post(url.format(ids[3]), data={"position": "1"}))
    assert "is now number 1 on the waiting list" in page
    assert queue(app, session_id) == [("w4@example.org", 1), ("w1@example.org", 2),
                                      ("w2@example.org", 3), ("w3@example.org", 4)]

    client.post(url.format(ids[0]), data={"direction": "down"})
    client.post(url.format(ids[2]), data={"direction": "up"})
    assert [email for email, _ in queue(app, session_id)] == [
        "w4@example.org", "w2@example.org", "w3@example.org", "w1@example.org"]
    client.post(url.format(ids[1]), data={"position": "99"})  # to the end
    client.post(url.format(ids[3]), data={"direction": "up"})  # already first: stays
    assert queue(app, session_id) == [("w4@example.org", 1), ("w3@example.org", 2),
                                      ("w1@example.org", 3), ("w2@example.org", 4)]
    assert [(a.details["before"], a.details["after"]) for a in audits(app, "waitlist_reorder")] == [
        (4, 1), (2, 3), (4, 3), (2, 4), (1, 1)]
    # The next free place follows the new order.
    with app.app_context():
        services.cancel(db.session.scalar(select(Booking.id).where(Booking.status == CONFIRMED)),
                        db.session.get(Person, coordinator))
    assert status_of(app, ids[3]) is CONFIRMED


def test_reordering_someone_not_waiting_is_refused(app, client, coordinator):
    with app.app_context():
        session = upcoming()
        booking = make_booking(session)
        db.session.commit()
        session_id, booking_id = session.id, booking.id
    page = follow(client, client.post(f"/manage/sessions/{session_id}/bookings/{booking_id}/queue",
                                      data={"position": "1"}))
    assert "Only someone on the waiting list can be moved in it." in page


def test_promote_by_hand_only_into_a_free_place(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=2)
        session.agency_cap = 1  # the automatic rule passes over a second from one agency
        agency = make_agency()
        make_booking(session, make_person(agency))
        capped = make_booking(session, make_person(agency, email="capped@example.org"),
                              status=WAITLISTED, waitlist_order=1)
        db.session.commit()
        session_id, capped_id = session.id, capped.id
    assert "Give a place" in text(client.get(f"/manage/sessions/{session_id}"))
    url = f"/manage/sessions/{session_id}/bookings/{capped_id}/promote"

    page = follow(client, client.post(url))

    assert "has been given a place and told by e-mail" in page
    assert status_of(app, capped_id) is CONFIRMED
    assert mails(app, "capped@example.org") == ["A place has come up for you: A course"]
    [entry] = audits(app, "promote")
    assert (entry.actor_id, entry.details["by_hand"]) == (coordinator, True)

    # Now full: nobody can be promoted, whatever their position.
    with app.app_context():
        full = db.session.get(TrainingSession, session_id)
        waiting = make_booking(full, status=WAITLISTED, waitlist_order=2)
        db.session.commit()
        waiting_id = waiting.id
    page = follow(client, client.post(f"/manage/sessions/{session_id}/bookings/{waiting_id}/promote"))
    assert "No place is free on this session: raise the capacity first" in page
    assert "Give a place" not in page
    assert status_of(app, waiting_id) is WAITLISTED


# -- capacity and the waiting list --------------------------------------------------

def test_raising_capacity_promotes_the_earliest_waiting_at_once(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=1)
        make_booking(session)
        first = make_booking(session, make_person(email="first@example.org"), status=WAITLISTED,
                             waitlist_order=1)
        second = make_booking(session, status=WAITLISTED, waitlist_order=2)
        db.session.commit()
        session_id, first_id, second_id = session.id, first.id, second.id

    page = follow(client, client.post(f"/manage/sessions/{session_id}/capacity",
                                      data={"capacity": "2"}))

    assert "Capacity changed from 1 to 2. 1 person from the waiting list has been given a place" in page
    assert (status_of(app, first_id), status_of(app, second_id)) == (CONFIRMED, WAITLISTED)
    assert mails(app, "first@example.org") == ["A place has come up for you: A course"]
    [entry] = audits(app, "capacity_changed")
    assert (entry.details["before"], entry.details["after"], entry.details["promoted"]) == (1, 2, 1)


def test_lowering_capacity_below_the_confirmed_places_is_refused(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=5)
        for _ in range(3):
            make_booking(session)
        db.session.commit()
        session_id = session.id
    response = client.post(f"/manage/sessions/{session_id}/capacity", data={"capacity": "2"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#capacity"' in page  # the error summary links to the field
    assert "Capacity cannot be less than the 3 places already confirmed" in page
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).capacity == 5
    assert audits(app, "capacity_changed") == []
    assert "Capacity must be 1 or more" in text(
        client.post(f"/manage/sessions/{session_id}/capacity", data={"capacity": "0"}))
    follow(client, client.post(f"/manage/sessions/{session_id}/capacity", data={"capacity": "3"}))
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).capacity == 3


def test_closing_the_waiting_list_then_booking_a_full_session_is_refused(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=1)
        make_booking(session)
        waiting = make_booking(session, status=WAITLISTED, waitlist_order=1)
        newcomer = make_user()
        db.session.commit()
        session_id, waiting_id, newcomer_id = session.id, waiting.id, newcomer.id

    page = follow(client, client.post(f"/manage/sessions/{session_id}/waitlist",
                                      data={"state": "closed"}))

    assert "The waiting list is closed" in page and "Open the waiting list" in page
    assert status_of(app, waiting_id) is WAITLISTED  # those waiting keep their place
    with app.app_context():
        with pytest.raises(services.BookingError) as refused:
            services.book(session_id, db.session.get(Person, newcomer_id))
        assert refused.value.code == "full"
    follow(client, client.post(f"/manage/sessions/{session_id}/waitlist", data={"state": "open"}))
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).is_waitlist_open is True
    assert [a.action for a in audits(app, "waitlist_closed") + audits(app, "waitlist_opened")] == [
        "waitlist_closed", "waitlist_opened"]


def test_a_session_that_has_run_offers_no_changes(app, client, coordinator):
    with app.app_context():
        session = make_session(status=SessionStatus.COMPLETED, capacity=1)
        make_booking(session)
        waiting = make_booking(session, status=WAITLISTED, waitlist_order=1)
        db.session.commit()
        session_id, waiting_id = session.id, waiting.id
    page = text(client.get(f"/manage/sessions/{session_id}"))
    assert "Change capacity" not in page and "Add a person" not in page
    page = follow(client, client.post(f"/manage/sessions/{session_id}/capacity", data={"capacity": "4"}))
    assert "already started, taken place or been cancelled" in page
    follow(client, client.post(f"/manage/sessions/{session_id}/bookings/{waiting_id}/promote"))
    assert status_of(app, waiting_id) is WAITLISTED


# -- e-mail everyone -----------------------------------------------------------------

def test_email_everyone_booked_or_waiting_one_message_each(app, client, coordinator):
    with app.app_context():
        session = upcoming(capacity=2)
        for n in range(2):
            make_booking(session, make_person(email=f"c{n}@example.org"))
        make_booking(session, make_person(email="w@example.org"), status=WAITLISTED, waitlist_order=1)
        make_booking(session, make_person(email="gone@example.org"), status=CANCELLED)
        make_booking(upcoming(), make_person(email="elsewhere@example.org"))
        db.session.commit()
        session_id = session.id
    url = f"/manage/sessions/{session_id}/message"
    assert "3 people will each get their own e-mail" in text(client.get(url))
    assert "Enter a subject" in text(client.post(url, data={"subject": " ", "message": "x"}))

    page = follow(client, client.post(url, data={
        "subject": "Room change", "message": "We are in Room 2.\n\n<b>Bring</b> a pen."}))

    assert "Your message has been sent to 3 people." in page
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.to_address)).all()
        assert [(m.to_address, m.subject) for m in sent] == [
            ("c0@example.org", "Room change"), ("c1@example.org", "Room change"),
            ("w@example.org", "Room change")]
        assert "We are in Room 2." in sent[0].body_text and "<b>Bring</b> a pen." in sent[0].body_text
        assert "&lt;b&gt;Bring&lt;/b&gt; a pen." in sent[0].body_html
        assert "place on the waiting list" in sent[2].body_text
    [entry] = audits(app, "session_message")
    assert (entry.actor_id, entry.details["told"], entry.details["subject"]) == (
        coordinator, 3, "Room change")


# -- the delegates CSV ----------------------------------------------------------------

def test_delegates_csv_is_the_cli_report_byte_for_byte(app, client, runner, coordinator):
    with app.app_context():
        session = upcoming(capacity=1, ref="CSV-01")
        agency = make_agency("=Formula Agency")
        make_booking(session, make_person(agency, first_name="Zoë", last_name="O'Brien"))
        make_booking(session, make_person(agency), status=WAITLISTED, waitlist_order=2)
        make_booking(session, make_person(agency), status=LATE)
        db.session.commit()
        session_id = session.id
    with app.app_context():
        cli = runner.invoke(args=["report", "delegates", "--session", "CSV-01"])
    assert cli.exit_code == 0, cli.output

    response = client.get("/sessions/csv-01/delegates.csv")

    assert response.status_code == 200
    assert response.data == cli.stdout_bytes
    assert response.data.startswith(b"\xef\xbb\xbf" + ",".join(exports.DELEGATE_COLUMNS).encode())
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="CSV-01-delegates.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert len(queries.delegates(session_id)) == 3
    assert [a.details["report"] for a in audits(app, "export")] == ["delegates"]
    assert 'href="/sessions/CSV-01/delegates.csv"' in client.get(
        f"/manage/sessions/{session_id}").get_data(as_text=True)


@pytest.mark.parametrize("who, expected", [
    ("own_trainer", 200), ("other_trainer", 404), ("practitioner", 403),
    ("agency_manager", 403), ("admin", 200), ("anonymous", 302),
])
def test_delegates_csv_access(app, client, who, expected):
    with app.app_context():
        session = upcoming(ref="ACC-01")
        make_booking(session)
        own = make_user(Role.TRAINER)
        session.trainers = [own]
        other_session = upcoming()
        other = make_user(Role.TRAINER)
        other_session.trainers = [other]
        users = {"own_trainer": own, "other_trainer": other,
                 "practitioner": make_user(Role.PRACTITIONER),
                 "agency_manager": make_user(Role.AGENCY_MANAGER), "admin": make_user(Role.ADMIN)}
        db.session.commit()
        if who in users:
            login_as(client, users[who])
    response = client.get("/sessions/ACC-01/delegates.csv")
    assert response.status_code == expected
    if who == "anonymous":
        assert response.headers["Location"].startswith("/login?next=")
    if expected != 200:
        assert b"@example.org" not in response.data
    assert client.get("/sessions/NOPE/delegates.csv").status_code == (
        expected if expected in (302, 403) else 404)


@pytest.mark.parametrize("role", [Role.TRAINER, Role.PRACTITIONER, Role.AGENCY_MANAGER])
def test_only_coordinators_manage_a_sessions_bookings(app, client, role):
    with app.app_context():
        session = upcoming()
        booking = make_booking(session, status=WAITLISTED, waitlist_order=1)
        user = make_user(role)
        db.session.commit()
        login_as(client, user)
        session_id, booking_id = session.id, booking.id
    base = f"/manage/sessions/{session_id}"
    for method, path in (("GET", ""), ("GET", "/bookings/add"), ("GET", "/message"),
                         ("POST", "/capacity"), ("POST", "/waitlist"),
                         ("POST", f"/bookings/{booking_id}/promote"),
                         ("POST", f"/bookings/{booking_id}/queue"),
                         ("GET", f"/bookings/{booking_id}/move"),
                         ("POST", f"/bookings/{booking_id}/cancel")):
        assert client.open(base + path, method=method).status_code == 403, path
    assert status_of(app, booking_id) is WAITLISTED


def test_a_booking_of_another_session_is_not_found(app, client, coordinator):
    with app.app_context():
        session, other = upcoming(), upcoming()
        booking = make_booking(other, status=WAITLISTED, waitlist_order=1)
        db.session.commit()
        session_id, booking_id = session.id, booking.id
    for method, action in (("GET", "move"), ("GET", "cancel"), ("POST", "promote"),
                           ("POST", "queue")):
        url = f"/manage/sessions/{session_id}/bookings/{booking_id}/{action}"
        assert client.open(url, method=method).status_code == 404, action


# -- the session form ----------------------------------------------------------------

def test_enter_in_the_session_form_saves_rather_than_adding_a_day(app, client, coordinator):
    """Browsers submit with the first submit button when Enter is pressed in
    a text box: that must be a (hidden) "Save session", before "Add another
    day"."""
    with app.app_context():
        course_id = make_course("L1").id
        db.session.commit()
    page = client.get(f"/manage/sessions/new?course={course_id}").get_data(as_text=True)
    form = page[page.index("<form method=\"post\""):]
    first = form.index('type="submit"')
    first_submit = form[form.rindex("<", 0, first):form.index("</button>", first)]
    assert 'name="submit"' in first_submit and first_submit.endswith(">Save session")
    assert 'aria-hidden="true"' in first_submit and 'tabindex="-1"' in first_submit
    assert form.index('name="submit"') < form.index('name="add_day"')
    # What the browser then sends: the save button's name, not add_day.
    response = client.post(f"/manage/sessions/new?course={course_id}", data={
        "ref": "ENTER-01", "venue": "0", "online_url": "https://meet.example.org/x",
        "capacity": "8", "waitlist": "open", "submit": "y",
        "days-0-day_on": [str(SOON.day), str(SOON.month), str(SOON.year)],
        "days-0-starts_at": "9:30", "days-0-ends_at": "12:00"})
    assert response.status_code == 302, text(response)
    with app.app_context():
        assert db.session.scalar(select(TrainingSession.ref)) == "ENTER-01"
