"""Registers (issue: attendance): the session's trainers and the coordinator
mark who came, every change audited; a trainer of another session gets 404;
nothing before the first day or for a cancelled session; marking the session
as run makes its attendance count in the reports and towards compliance; a
person marked as not attending is e-mailed, and their manager copied where
their agency approves bookings."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import (login_as, make_agency, make_booking, make_course, make_person,
                             make_session, make_user)
from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.bookings.models import Booking, BookingStatus
from trainingapp.courses.models import SessionStatus, TrainingSession
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.reports import queries
from trainingapp.types import uk_today

ATTENDED, PARTIAL, DNA = "attended", "partial", "did_not_attend"


@pytest.fixture
def home(ctx):
    return make_agency("Acorn Services")


@pytest.fixture
def trainer(home):
    return make_user(Role.TRAINER, home, email="trainer@example.org", first_name="Tess")


def held(trainer, days_ago=1, length=1, status=SessionStatus.SCHEDULED, course=None, **kwargs):
    start = uk_today() - timedelta(days=days_ago)
    session = make_session(course=course or make_course(title="Foundation", level=2),
                           start_on=start, end_on=start + timedelta(days=length - 1),
                           status=status, **kwargs)
    session.trainers.append(trainer)
    db.session.flush()
    return session


def delegates(session, agency, *names):
    people = [make_person(agency, first_name=first, last_name=last) for first, last in names]
    return [make_booking(session, person) for person in people]


def marks(session) -> dict[str, str | None]:
    db.session.expire_all()
    return {b.person.last_name: b.attendance.value if b.attendance else None
            for b in db.session.scalars(select(Booking).where(Booking.session_id == session.id)
                                        .order_by(Booking.id))}


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def post_register(client, session, values: dict, **extra):
    data = {f"attendance-{booking.id}": value for booking, value in values.items()}
    data.update(extra)
    return client.post(f"/sessions/{session.ref}/register", data=data)


def mails_to(email) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email)
                                   .order_by(OutboxMessage.id)))


# -- taking the register -----------------------------------------------------------------

def test_trainer_marks_the_register_and_every_change_is_audited(client, home, trainer):
    session = held(trainer, ref="REG-1")
    a, b, c = delegates(session, home, ("Ann", "Adams"), ("Bob", "Brown"), ("Cat", "Clark"))
    make_booking(session, make_person(home, last_name="Waiting"), status=BookingStatus.WAITLISTED)
    db.session.commit()
    login_as(client, trainer)

    page = client.get("/sessions/REG-1/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ann Adams" in html and "Waiting" not in html  # confirmed bookings only
    assert html.count('type="radio"') == 9

    response = post_register(client, session, {a: ATTENDED, b: PARTIAL})
    assert response.status_code == 303
    assert marks(session) == {"Adams": ATTENDED, "Brown": PARTIAL, "Clark": None, "Waiting": None}
    entries = audit_entries("register_marked")
    assert [(e.target_id, e.actor_id, e.details["attendance"], e.details["previous"])
            for e in entries] == [(a.id, trainer.id, ATTENDED, None), (b.id, trainer.id, PARTIAL, None)]
    assert all(e.agency_id == home.id and e.details["session"] == "REG-1" for e in entries)

    # Pre-filled when already taken.
    html = client.get("/sessions/REG-1/register").get_data(as_text=True)
    assert re.search(rf'id="attendance-{a.id}"[^>]*value="attended" checked', html)
    assert re.search(rf'id="attendance-{b.id}-2"[^>]*value="partial" checked', html)
    assert "1 attended, 1 attended part, 0 did not attend, 1 not marked" in html

    # Saving the same marks again changes (and audits) nothing; a correction is one entry.
    post_register(client, session, {a: ATTENDED, b: PARTIAL})
    assert len(audit_entries("register_marked")) == 2
    post_register(client, session, {a: ATTENDED, b: ATTENDED, c: ATTENDED})
    entries = audit_entries("register_marked")
    assert [(e.target_id, e.details["attendance"], e.details["previous"]) for e in entries[2:]] == [
        (b.id, ATTENDED, PARTIAL), (c.id, ATTENDED, None)]
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).status is SessionStatus.SCHEDULED


def test_a_trainer_of_another_session_gets_404_and_changes_nothing(client, home, trainer):
    held(trainer, ref="MINE-1")
    other_trainer = make_user(Role.TRAINER, home)
    theirs = held(other_trainer, ref="THEIRS-1")
    booking, = delegates(theirs, home, ("Ann", "Adams"))
    db.session.commit()
    login_as(client, trainer)
    assert client.get("/sessions/MINE-1/register").status_code == 200
    assert client.get("/sessions/THEIRS-1/register").status_code == 404
    assert post_register(client, theirs, {booking: DNA}).status_code == 404
    assert marks(theirs) == {"Adams": None}
    assert mails_to(booking.person.email) == []
    assert audit_entries("access_denied")[-1].details["session"] == "THEIRS-1"
    assert client.get("/sessions/NOPE/register").status_code == 404


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.AGENCY_MANAGER])
def test_practitioners_and_managers_are_refused(client, home, trainer, role):
    session = held(trainer, ref="REG-2")
    booking, = delegates(session, home, ("Ann", "Adams"))
    user = make_user(role, home)
    db.session.commit()
    login_as(client, user)
    assert client.get("/sessions/REG-2/register").status_code == 403
    assert post_register(client, session, {booking: ATTENDED}).status_code == 403
    assert marks(session) == {"Adams": None}


def test_the_coordinator_takes_any_register(client, home, trainer):
    session = held(trainer, ref="REG-3")
    booking, = delegates(session, home, ("Ann", "Adams"))
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, coordinator)
    page = client.get("/sessions/REG-3/register").get_data(as_text=True)
    assert f"/manage/sessions/{session.id}" in page  # back to the coordinator's session page
    assert post_register(client, session, {booking: ATTENDED}).status_code == 303
    assert marks(session) == {"Adams": ATTENDED}
    assert audit_entries("register_marked")[0].actor_id == coordinator.id


def test_no_register_before_the_first_day(client, home, trainer):
    session = held(trainer, days_ago=-1, ref="SOON-1")
    booking, = delegates(session, home, ("Ann", "Adams"))
    db.session.commit()
    login_as(client, trainer)
    page = client.get("/sessions/SOON-1/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You can take the register from the first day of the session" in html
    assert 'type="radio"' not in html
    response = post_register(client, session, {booking: ATTENDED})
    assert response.status_code == 409
    assert marks(session) == {"Adams": None}
    assert audit_entries("register_marked") == []


def test_no_register_for_a_cancelled_session(client, home, trainer):
    session = held(trainer, status=SessionStatus.CANCELLED, ref="GONE-1")
    booking, = delegates(session, home, ("Ann", "Adams"))
    db.session.commit()
    login_as(client, trainer)
    html = client.get("/sessions/GONE-1/register").get_data(as_text=True)
    assert "This session was cancelled, so it has no register." in html
    assert post_register(client, session, {booking: ATTENDED}).status_code == 409
    assert marks(session) == {"Adams": None}


def test_tampered_marks_change_nothing(client, home, trainer):
    session = held(trainer, ref="REG-4")
    booking, = delegates(session, home, ("Ann", "Adams"))
    elsewhere = held(trainer, ref="REG-5")
    stranger, = delegates(elsewhere, home, ("Sam", "Stranger"))
    db.session.commit()
    login_as(client, trainer)
    assert post_register(client, session, {booking: "present"}).status_code == 400
    response = post_register(client, session, {booking: ATTENDED, stranger: DNA})
    assert response.status_code == 303  # refused with a message, nothing saved
    assert marks(session) == {"Adams": None} and marks(elsewhere) == {"Stranger": None}
    # Fields a trainer cannot set through the form are ignored.
    post_register(client, session, {booking: ATTENDED}, status="cancelled", role="admin",
                  agency_id=str(make_agency().id))
    db.session.expire_all()
    assert marks(session) == {"Adams": ATTENDED}
    assert db.session.get(Booking, booking.id).status is BookingStatus.CONFIRMED
    assert db.session.get(Person, trainer.id).role is Role.TRAINER


# -- marking the session as run --------------------------------------------------------------

def test_marking_as_run_needs_every_delegate_marked(client, home, trainer):
    session = held(trainer, ref="RUN-1")
    a, b = delegates(session, home, ("Ann", "Adams"), ("Bob", "Brown"))
    db.session.commit()
    login_as(client, trainer)
    assert "mark the session as run" in client.get("/sessions/RUN-1/register").get_data(as_text=True)

    response = post_register(client, session, {a: ATTENDED}, mark_run="y")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Mark every delegate before marking the session as run (1 not marked yet)." in html
    assert "govuk-error-summary" in html
    assert re.search(rf'id="attendance-{a.id}"[^>]*value="attended" checked', html)  # kept
    assert marks(session) == {"Adams": None, "Brown": None}  # nothing saved

    response = post_register(client, session, {a: ATTENDED, b: PARTIAL}, mark_run="y")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).status is SessionStatus.COMPLETED
    completed, = audit_entries("session_completed")
    assert (completed.actor_id, completed.target_id) == (trainer.id, session.id)
    # Still correctable once run.
    html = client.get("/sessions/RUN-1/register").get_data(as_text=True)
    assert "This session is marked as run" in html and "mark the session as run" not in html
    post_register(client, session, {b: ATTENDED})
    assert marks(session) == {"Adams": ATTENDED, "Brown": ATTENDED}


def test_a_session_is_not_run_before_its_last_day(client, home, trainer):
    session = held(trainer, days_ago=0, length=2, ref="TWO-DAY")
    booking, = delegates(session, home, ("Ann", "Adams"))
    db.session.commit()
    login_as(client, trainer)
    html = client.get("/sessions/TWO-DAY/register").get_data(as_text=True)
    assert 'type="radio"' in html and "mark the session as run" not in html
    response = post_register(client, session, {booking: ATTENDED}, mark_run="y")
    assert response.status_code == 400
    assert "cannot be marked as run yet" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).status is SessionStatus.SCHEDULED


def test_a_run_session_counts_in_activity_and_compliance(client, home, trainer):
    course = make_course("FND", "Foundation", level=2)
    session = held(trainer, course=course, ref="RUN-2")
    ann = make_person(home, required_level=2, last_name="Adams")
    bob = make_person(home, required_level=2, last_name="Brown")
    a, b = make_booking(session, ann), make_booking(session, bob)
    db.session.commit()
    today = uk_today()

    def figures():
        db.session.expire_all()
        (row,), _ = queries.activity(session.start_on, session.start_on)
        compliant = {r.level: r.staff_compliant for r in queries.compliance(today, home.id, 90)}
        return (row.sessions_run, row.attended, row.partial, row.delegates, compliant["2"],
                queries.person_compliance(ann.id, today).is_in_date)

    login_as(client, trainer)
    post_register(client, session, {a: ATTENDED, b: PARTIAL})
    assert figures() == (0, 0, 0, 0, 0, False)  # marked, but not yet run
    post_register(client, session, {}, mark_run="y")
    assert figures() == (1, 1, 1, 1, 1, True)


# -- did not attend -------------------------------------------------------------------------

def test_did_not_attend_mails_the_person_and_copies_their_manager(client, trainer):
    approving = make_agency("Approving Trust")
    approving.requires_booking_approval = True
    relaxed = make_agency("Relaxed Services")
    make_user(Role.AGENCY_MANAGER, approving, email="boss@example.org")
    make_user(Role.AGENCY_MANAGER, relaxed, email="relaxed@example.org")
    session = held(trainer, course=make_course("FND", "Foundation", level=2), ref="DNA-1")
    zoe = make_booking(session, make_person(approving, email="zoe@example.org", first_name="Zoë",
                                            last_name="<script>alert(1)</script>"))
    sian = make_booking(session, make_person(relaxed, email="sian@example.org", first_name="Siân",
                                             last_name="O'Brien"))
    db.session.commit()
    login_as(client, trainer)

    response = post_register(client, session, {zoe: DNA, sian: DNA})
    assert response.status_code == 303
    message, = mails_to("zoe@example.org")
    assert message.subject == "We missed you: Foundation"
    assert "Hello Zoë," in message.body_text
    assert "http://localhost/sessions?course=fnd" in message.body_text  # book again
    assert "&lt;script&gt;" not in message.body_text
    copy, = mails_to("boss@example.org")
    assert copy.subject == "Zoë <script>alert(1)</script>: did not attend: Foundation"
    assert "Zoë &lt;script&gt;alert(1)&lt;/script&gt;" in copy.body_html
    assert "<script>" not in copy.body_html
    assert len(mails_to("sian@example.org")) == 1
    assert mails_to("relaxed@example.org") == []  # that agency does not approve bookings

    # Saved again, or changed to another mark: no second message.
    post_register(client, session, {zoe: DNA, sian: ATTENDED})
    assert len(mails_to("zoe@example.org")) == 1 and len(mails_to("boss@example.org")) == 1


def test_no_mail_when_the_marks_are_not_saved(client, home, trainer):
    session = held(trainer, ref="DNA-2")
    a, b = delegates(session, home, ("Ann", "Adams"), ("Bob", "Brown"))
    db.session.commit()
    login_as(client, trainer)
    assert post_register(client, session, {a: DNA}, mark_run="y").status_code == 400
    assert mails_to(a.person.email) == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


# -- walk-ins -----------------------------------------------------------------------------

def test_the_coordinator_adds_a_walk_in_beyond_capacity(client, home, trainer):
    session = held(trainer, ref="WALK-1", capacity=1)
    delegates(session, home, ("Ann", "Adams"))
    walker = make_person(home, email="walker@example.org", last_name="Walker")
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()

    login_as(client, trainer)
    assert client.post("/sessions/WALK-1/register/walk-in",
                       data={"email": "walker@example.org"}).status_code == 403
    login_as(client, coordinator)
    response = client.post("/sessions/WALK-1/register/walk-in", data={"email": " Walker@Example.org "})
    assert response.status_code == 303
    assert marks(session) == {"Adams": None, "Walker": None}
    booking = db.session.scalar(select(Booking).where(Booking.person_id == walker.id))
    assert (booking.status, booking.source, booking.agency_id) == (
        BookingStatus.CONFIRMED, "walk_in", home.id)
    assert audit_entries("walk_in_added")[0].target_id == booking.id
    again = client.post("/sessions/WALK-1/register/walk-in", data={"email": "walker@example.org"})
    assert again.status_code == 409
    assert "Walker is already on the register." in again.get_data(as_text=True)
    unknown = client.post("/sessions/WALK-1/register/walk-in", data={"email": "nobody@example.org"})
    assert unknown.status_code == 404 and "Nobody has that e-mail address" in unknown.get_data(as_text=True)


# -- names ------------------------------------------------------------------------------------

def test_names_are_escaped_on_the_register(client, home, trainer):
    session = held(trainer, ref="NAMES-1")
    delegates(session, home, ("Zoë", "<script>alert(1)</script>"), ("Siân", "O'Brien"))
    db.session.commit()
    login_as(client, trainer)
    html = client.get("/sessions/NAMES-1/register").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "Zoë &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Siân O&#39;Brien" in html


# -- links and the demo ---------------------------------------------------------------------------

def test_registers_are_linked_from_my_sessions_and_the_session_page(client, home, trainer):
    past = held(trainer, ref="LINK-1")
    held(trainer, days_ago=-7, ref="LINK-2")
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, trainer)
    html = client.get("/my-sessions").get_data(as_text=True)
    assert "/sessions/LINK-1/register" in html and "/sessions/LINK-2/register" not in html
    login_as(client, coordinator)
    html = client.get(f"/manage/sessions/{past.id}").get_data(as_text=True)
    assert "/sessions/LINK-1/register" in html


def test_the_demo_trainer_can_take_yesterdays_register(app, client, ctx, backend):
    if backend != "sqlite":
        pytest.skip("the demo data set is the same on every database; once is enough")
    from trainingapp.demo import services as demo

    accounts = {role: email for role, email, _ in demo.load()}
    trainer = db.session.scalar(select(Person).where(Person.email == accounts["trainer"]))
    waiting = [s for s in trainer.delivers
               if s.status is SessionStatus.SCHEDULED and s.start_on <= uk_today()]
    assert len(waiting) == 1
    session = waiting[0]
    bookings = [b for b in session.bookings if b.status is BookingStatus.CONFIRMED]
    trainer.session_token = "demo-trainer-session"  # signed in, as after the login form
    db.session.commit()
    login_as(client, trainer)
    assert f"/sessions/{session.ref}/register" in client.get("/my-sessions").get_data(as_text=True)
    html = client.get(f"/sessions/{session.ref}/register").get_data(as_text=True)
    assert html.count('type="radio"') == 3 * len(bookings) and "mark the session as run" in html
    response = post_register(client, session, {b: ATTENDED for b in bookings}, mark_run="y")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).status is SessionStatus.COMPLETED
