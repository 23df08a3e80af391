"""Data protection (shared/reliability.md, "Audit and data protection"): a
person downloads everything held about them; an admin erases someone and
afterwards their name and e-mail address are nowhere, while every published
figure stays the same; the retention rule anonymises only people with no
recent activity, and a second run changes nothing."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import JSON, Enum, String, Text, cast, func, or_, select

from tests.factories import (
    PASSWORD,
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
from trainingapp.accounts.services import record_failed_login, request_password_reset
from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry, record
from trainingapp.bookings import approvals
from trainingapp.bookings import services as bookings
from trainingapp.bookings.models import (
    Attendance,
    Booking,
    BookingStatus,
    RequestStatus,
)
from trainingapp.courses.models import SessionStatus, TrainingSession
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.mail.services import deliver_due
from trainingapp.privacy import services as privacy
from trainingapp.types import uk_today

FIRST, LAST = "Zoë", "O'Brien <script>alert(1)</script>"
EMAIL = "zoe.obrien@riverside.example.org"
FULL = f"{FIRST} {LAST}"
COMPLETED, SCHEDULED = SessionStatus.COMPLETED, SessionStatus.SCHEDULED
REPORTS = [
    ["activity", "--from", "2011-04-01", "--to", "2012-03-31"],
    ["activity", "--from", "2000-01-01", "--to", "2100-12-31"],
    ["sectors", "--from", "2011-04-01", "--to", "2012-03-31"],
    ["sectors", "--from", "2000-01-01", "--to", "2100-12-31"],
    ["compliance", "--on", "2012-03-31"],
    ["compliance", "--on", "2013-06-01"],
]


def needles(*texts: str) -> set[str]:
    """Each text as typed, HTML-escaped (e-mail bodies, pages) and
    JSON-escaped (audit details as stored)."""
    found = set()
    for text in texts:
        found |= {text, str(escape(text)), json.dumps(text)[1:-1]}
    return found


ZOE_NEEDLES = needles(EMAIL, FULL, LAST, FIRST)


@dataclass
class World:
    zoe: int
    admin: int
    coordinator: int
    manager: int
    colleague: int
    sessions: list[str]
    session_ids: list[int]


@pytest.fixture
def world(app) -> World:
    """Zoë, who moved from the police to a GP surgery that approves its
    staff's bookings: history in 2011-12 under both agencies, a training
    record, a place passed to her by a colleague and then cancelled with a
    reason, a declined request, a failed sign-in, sent and unsent e-mails,
    and her name in other people's e-mails, notes and the audit log."""
    today = uk_today()
    with app.app_context():
        police = make_agency("Northshire Police", sector="Police")
        surgery = make_agency("Riverside Surgery", sector="Health", target=80)
        surgery.requires_booking_approval = True
        zoe = make_user(Role.PRACTITIONER, police, email=EMAIL, first_name=FIRST, last_name=LAST,
                        required_level=2)
        zoe.job_title = "Practice nurse"
        admin = make_user(Role.ADMIN, surgery, first_name="Ada", last_name="Admin")
        coordinator = make_user(Role.COORDINATOR, surgery, first_name="Cory", last_name="Coord")
        manager = make_user(Role.AGENCY_MANAGER, surgery, first_name="Mona", last_name="Manager")
        colleague = make_user(Role.PRACTITIONER, surgery, first_name="Sam", last_name="Colleague",
                              required_level=1)
        others = [make_person(police, required_level=1, first_name="Olly"),
                  make_person(surgery, required_level=2, first_name="Olga")]

        l1 = make_course("L1", "Basic awareness", level=1)
        l2 = make_course("L2", "Working together", level=2, duration_days=2)
        s1 = make_session(l1, date(2011, 5, 10), ref="S-2011-A")
        s2 = make_session(l2, date(2011, 9, 6), date(2011, 9, 7), ref="S-2011-B")
        s3 = make_session(l1, date(2012, 2, 14), ref="S-2012-C")
        attended(s1, zoe)                                   # booked from the police
        for person in others:
            attended(s1, person)
        late = make_booking(s3, zoe, status=BookingStatus.LATE_CANCELLED)
        late.cancel_reason = f"{FULL} has a court date"
        attended(s3, others[0])
        make_booking(s3, others[1], attendance=Attendance.DID_NOT_ATTEND)
        make_record(zoe, 2, date(2010, 11, 1), provider=f"{FULL}'s old employer", title="E-learning")
        make_record(others[1], 3, date(2011, 1, 1))
        zoe.agency = surgery                                 # she moves to the surgery
        db.session.flush()
        attended(s2, zoe)                                   # booked from the surgery
        make_booking(s2, colleague, attendance=Attendance.PARTIAL)
        u1 = make_session(l2, today + timedelta(days=30), today + timedelta(days=31),
                          status=SCHEDULED, ref="U-NEXT-1")
        u2 = make_session(l1, today + timedelta(days=40), status=SCHEDULED, ref="U-NEXT-2")
        record("demo_data_loaded", accounts=[EMAIL, "someone@example.org"])
        record("note", actor_id=admin.id, target_type="person", target_id=zoe.id,
               said=f"Spoke to {FULL.upper()} about her records")
        db.session.commit()
        ids = [zoe.id, admin.id, coordinator.id, manager.id, colleague.id]
        sessions = [s.ref for s in (s1, s2, s3, u1, u2)]
        session_ids = [s.id for s in (s1, s2, s3, u1, u2)]

    with app.app_context():
        zoe, manager, colleague = (db.session.get(Person, i) for i in (ids[0], ids[3], ids[4]))
        sam_booking = bookings.book(session_ids[3], colleague, manager)
        bookings.substitute(sam_booking.id, zoe, manager)   # "Substituted by Zoë ..."
        hers = db.session.scalar(select(Booking).where(Booking.person_id == zoe.id,
                                                       Booking.session_id == session_ids[3]))
        bookings.cancel(hers.id, zoe, reason=f"Sorry, {FIRST} is ill")
        request = approvals.request_place(session_ids[4], zoe)
        approvals.decline(request.id, manager, reason=f"{FULL} is on leave that week")
        record_failed_login(EMAIL.upper())
        deliver_due()                                        # console backend: all sent
        request_password_reset(EMAIL)                        # one left unsent
    return World(*ids, sessions=sessions, session_ids=session_ids)


# -- helpers --------------------------------------------------------------------------------

def stored_hits(texts: set[str]) -> list[str]:
    """Every text/JSON cell of every table that holds one of ``texts``, found
    twice: by ILIKE in SQL, and by reading every row (JSON decoded)."""
    hits = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                   and not isinstance(c.type, Enum)]
        for column in columns:
            as_text = cast(column, Text) if isinstance(column.type, JSON) else column
            found = db.session.execute(
                select(func.count()).select_from(table)
                .where(or_(*(as_text.icontains(t, autoescape=True) for t in texts)))).scalar()
            if found:
                hits.append(f"{table.name}.{column.name} (SQL)")
        for row in db.session.execute(select(table)).mappings():
            for name, value in row.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                if isinstance(value, str) and any(t.casefold() in value.casefold() for t in texts):
                    hits.append(f"{table.name}.{name} = {value[:120]!r}")
    return hits


def report_bytes(runner, args) -> bytes:
    result = runner.invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def delegate_rows(runner, ref) -> list[list[str]]:
    """The delegates report without the columns that name people."""
    text = report_bytes(runner, ["delegates", "--session", ref]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:3] == ["email", "first_name", "last_name"]
    return sorted(row[3:] for row in rows[1:])


def figures(app, runner, world) -> dict:
    with app.app_context():
        result = {" ".join(args): report_bytes(runner, args) for args in REPORTS}
        result.update({ref: delegate_rows(runner, ref) for ref in world.sessions})
    return result


def signed_in(app, person_id):
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(Person, person_id))
    return client


def erase_on_the_web(app, world, typed=EMAIL):
    return signed_in(app, world.admin).post(f"/admin/people/{world.zoe}/erase",
                                            data={"email": typed})


# -- subject access -------------------------------------------------------------------------

def test_a_person_downloads_everything_held_about_them(app, world):
    response = signed_in(app, world.zoe).get("/account/my-data.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    data = json.loads(response.data.decode("utf-8"))
    assert FIRST.encode() in response.data  # names as written, not \u escapes
    person = data["person"]
    assert (person["email"], person["first_name"], person["last_name"]) == (EMAIL, FIRST, LAST)
    assert person["agency"] == "Riverside Surgery" and person["job_title"] == "Practice nurse"
    assert [(h["agency"], h["sector"], h["bookings"]) for h in data["agency_history"]] == [
        ("Northshire Police", "Police", 2), ("Riverside Surgery", "Health", 2)]
    by_ref = {b["session_ref"]: b for b in data["bookings"]}
    assert set(by_ref) == {"S-2011-A", "S-2011-B", "S-2012-C", "U-NEXT-1"}
    assert by_ref["S-2011-A"].items() >= {
        "course_code": "L1", "course_title": "Basic awareness", "start_on": "2011-05-10",
        "status": "confirmed", "attendance": "attended", "agency": "Northshire Police",
        "session_status": "completed"}.items()
    assert by_ref["S-2011-B"]["end_on"] == "2011-09-07"
    assert by_ref["S-2012-C"]["status"] == "late_cancelled"
    assert by_ref["U-NEXT-1"]["cancel_reason"] == f"Sorry, {FIRST} is ill"
    assert [(r["session_ref"], r["status"]) for r in data["booking_requests"]] == [
        ("U-NEXT-2", "declined")]
    assert [(r["level"], r["completed_on"]) for r in data["training_records"]] == [(2, "2010-11-01")]
    actions = {e["action"] for e in data["audit_entries"]}
    assert {"login_failed", "note", "substitute", "cancel", "request", "decline",
            "password_reset_requested"} <= actions
    subjects = [m["subject"] for m in data["emails"]]
    assert "Reset your password" in subjects and len(subjects) >= 5
    assert {m["status"] for m in data["emails"]} == {"sent", "waiting"}

    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "subject_access_export")).one()
        assert (entry.actor_id, entry.target_type, entry.target_id) == (world.zoe, "person", world.zoe)


def test_the_own_data_url_names_nobody_so_others_get_only_their_own(app, world):
    response = signed_in(app, world.colleague).get("/account/my-data.json")

    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["person"]["id"] == world.colleague
    assert not any(n.encode() in response.data for n in needles(EMAIL))


@pytest.mark.parametrize("who", ["zoe", "colleague", "manager", "coordinator"])
def test_only_admins_download_someone_elses_data(app, world, who):
    response = signed_in(app, getattr(world, who)).get(f"/admin/people/{world.zoe}/data.json")

    assert response.status_code == 403
    assert EMAIL.encode() not in response.data


def test_an_admin_downloads_anyones_data_and_it_is_audited(app, world):
    response = signed_in(app, world.admin).get(f"/admin/people/{world.zoe}/data.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="person-{world.zoe}-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.data)["person"]["email"] == EMAIL
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "subject_access_export")).one()
        assert (entry.actor_id, entry.target_id) == (world.admin, world.zoe)
    assert signed_in(app, world.admin).get("/admin/people/999999/data.json").status_code == 404


def test_downloads_and_erasure_need_a_sign_in(app, world):
    client = app.test_client()
    for url in ("/account/my-data.json", f"/admin/people/{world.zoe}/data.json",
                f"/admin/people/{world.zoe}/erase"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    assert client.post(f"/admin/people/{world.zoe}/erase", data={"email": EMAIL}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, world.zoe).erased_at is None


# -- erasure --------------------------------------------------------------------------------

def test_after_erasure_her_name_and_email_are_nowhere_and_the_figures_are_unchanged(
        app, runner, world):
    before = figures(app, runner, world)
    with app.app_context():
        assert stored_hits(ZOE_NEEDLES)  # the test can see her

    response = erase_on_the_web(app, world)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{world.zoe}"
    with app.app_context():
        hits = stored_hits(ZOE_NEEDLES)
        assert hits == [], "\n".join(hits)
        zoe = db.session.get(Person, world.zoe)
        assert (zoe.first_name, zoe.last_name, zoe.email) == (
            "Erased", f"person {world.zoe}", f"erased-{world.zoe}@invalid")
        assert zoe.job_title is None and zoe.password_hash is None and zoe.session_token is None
        assert not zoe.is_active and zoe.role is Role.PRACTITIONER and zoe.erased_at is not None
        # What happened is kept, under the new name.
        assert zoe.agency.name == "Riverside Surgery" and zoe.required_level == 2
        kept = db.session.scalars(select(Booking).where(Booking.person_id == zoe.id)).all()
        assert len(kept) == 4
        assert {b.agency.name for b in kept} == {"Northshire Police", "Riverside Surgery"}
        assert sorted(b.attendance.value for b in kept if b.attendance) == ["attended", "attended"]
        # E-mails to her: the unsent one is gone, the sent ones keep subject and dates only.
        to_her = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == zoe.email)).all()
        assert to_her and all(m.sent_at and m.body_text == "" and m.body_html is None
                              and m.ics is None for m in to_her)
        assert "Reset your password" not in {m.subject for m in to_her}
        # The colleague's booking says who took the place, by the new name.
        reasons = db.session.scalars(select(Booking.cancel_reason).where(
            Booking.cancel_reason.like("Substituted by %"))).all()
        assert reasons == [f"Substituted by Erased person {world.zoe}"]
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "person_erased")).one()
        assert (entry.actor_id, entry.target_type, entry.target_id) == (
            world.admin, "person", world.zoe)
        assert entry.details["via"] == "web" and entry.details["messages_deleted"] == 1
    assert figures(app, runner, world) == before


def test_after_erasure_no_page_or_download_shows_her(app, world):
    assert erase_on_the_web(app, world).status_code == 302
    pages = {
        world.admin: ["/admin/people", "/admin/people?q=obrien", "/admin/people?q=zo",
                      f"/admin/people/{world.zoe}"],
        world.coordinator: [f"/manage/sessions/{i}" for i in world.session_ids]
        + [f"/sessions/{ref}/register" for ref in world.sessions]
        + [f"/sessions/{ref}/delegates.csv" for ref in world.sessions]
        + ["/manage/trainers", "/reports/activity.csv?from=2011-04-01&to=2012-03-31",
           "/reports/sectors.csv?from=2011-04-01&to=2012-03-31",
           "/reports/compliance.csv?on=2012-03-31", "/agency/approvals"],
        world.manager: ["/agency/staff", "/agency/bookings", "/agency/approvals",
                        "/reports/compliance.csv?on=2012-03-31"],
    }
    for person_id, urls in pages.items():
        client = signed_in(app, person_id)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.data.decode("utf-8")
            assert not [n for n in needles(EMAIL, FULL, LAST) if n.casefold() in body.casefold()], url
    staff = signed_in(app, world.manager).get("/agency/staff").data.decode()
    assert f"Erased person {world.zoe}" in staff


def test_an_erased_person_can_no_longer_sign_in(app, world):
    client = signed_in(app, world.zoe)
    assert client.get("/account").status_code == 200

    assert erase_on_the_web(app, world).status_code == 302

    assert client.get("/account").status_code == 302  # the old cookie stopped working
    response = app.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200 and b"Enter a correct email address" in response.data


def test_the_confirmation_page_asks_for_her_email_and_escapes_her_name(app, world):
    client = signed_in(app, world.admin)
    page = client.get(f"/admin/people/{world.zoe}/erase")
    assert page.status_code == 200
    assert escape(LAST).encode() in page.data and LAST.encode() not in page.data

    wrong = client.post(f"/admin/people/{world.zoe}/erase", data={"email": "zoe@wrong.example"})

    assert wrong.status_code == 200
    assert b"That is not this person&#39;s email address" in wrong.data
    with app.app_context():
        assert db.session.get(Person, world.zoe).email == EMAIL
    typed_loosely = client.post(f"/admin/people/{world.zoe}/erase",
                                data={"email": f"  {EMAIL.upper()} "})
    assert typed_loosely.status_code == 302


@pytest.mark.parametrize("who", ["zoe", "colleague", "manager", "coordinator"])
def test_only_admins_may_erase(app, world, who):
    client = signed_in(app, getattr(world, who))

    assert client.get(f"/admin/people/{world.zoe}/erase").status_code == 403
    assert client.post(f"/admin/people/{world.zoe}/erase", data={"email": EMAIL}).status_code == 403
    with app.app_context():
        assert db.session.get(Person, world.zoe).erased_at is None


def test_an_admin_cannot_erase_themselves(app, world):
    with app.app_context():
        admin_email = db.session.get(Person, world.admin).email
    client = signed_in(app, world.admin)

    page = client.get(f"/admin/people/{world.admin}/erase")
    response = client.post(f"/admin/people/{world.admin}/erase", data={"email": admin_email})

    assert b"You cannot erase your own account" in page.data and b'name="email"' not in page.data
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Person, world.admin).erased_at is None


def test_someone_with_an_upcoming_booking_is_not_erased_until_it_is_cancelled(app, world):
    with app.app_context():
        booking_id = bookings.book(world.session_ids[4], db.session.get(Person, world.colleague)).id
        colleague_email = db.session.get(Person, world.colleague).email

    response = signed_in(app, world.admin).post(f"/admin/people/{world.colleague}/erase",
                                                data={"email": colleague_email})

    assert response.status_code == 409
    assert b"upcoming booking" in response.data and b"U-NEXT-2" in response.data
    with app.app_context():
        with pytest.raises(privacy.PrivacyError) as refused:
            privacy.erase_person(db.session.get(Person, world.colleague))
        assert refused.value.code == "upcoming_bookings"
        assert db.session.get(Person, world.colleague).erased_at is None
    with app.app_context():
        bookings.cancel(booking_id, db.session.get(Person, world.colleague))
    assert signed_in(app, world.admin).post(f"/admin/people/{world.colleague}/erase",
                                            data={"email": colleague_email}).status_code == 302


def test_the_trainer_of_an_upcoming_session_is_not_erased(ctx, world):
    trainer = db.session.get(Person, world.colleague)
    session = db.session.get(TrainingSession, world.session_ids[4])
    session.trainers.append(trainer)
    db.session.commit()

    with pytest.raises(privacy.PrivacyError) as refused:
        privacy.erase_person(trainer)

    assert refused.value.code == "upcoming_sessions" and "U-NEXT-2" in str(refused.value)
    assert db.session.get(Person, world.colleague).erased_at is None


def test_a_person_is_erased_once(app, world):
    assert erase_on_the_web(app, world).status_code == 302

    page = signed_in(app, world.admin).get(f"/admin/people/{world.zoe}/erase")

    assert b"has already been erased" in page.data
    with app.app_context():
        with pytest.raises(privacy.PrivacyError) as refused:
            privacy.erase_person(db.session.get(Person, world.zoe))
        assert refused.value.code == "already_erased"


def test_erasure_replaces_whole_names_and_addresses_only(ctx):
    """Erasing Pat Person1 leaves Pat Person12 and person1@example.org.uk alone."""
    one = make_person(email="person1@example.org", first_name="Pat", last_name="Person1")
    twelve = make_person(email="person12@example.org", first_name="Pat", last_name="Person12")
    booking = make_booking(make_session(), twelve, status=BookingStatus.CANCELLED)
    booking.cancel_reason = ("Pat Person12 swapped with Pat Person1; write to person12@example.org, "
                             "xperson1@example.org or person1@example.org.uk, not person1@example.org")
    record("note", said="PAT PERSON1 <person1@example.org>")
    db.session.commit()

    privacy.erase_person(one, via="test")

    assert booking.cancel_reason == (
        f"Pat Person12 swapped with Erased person {one.id}; write to person12@example.org, "
        f"xperson1@example.org or person1@example.org.uk, not erased-{one.id}@invalid")
    note = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "note")).one()
    assert note.details == {"said": f"Erased person {one.id} <erased-{one.id}@invalid>"}
    assert twelve.full_name == "Pat Person12"


# -- the command line -----------------------------------------------------------------------

def test_erase_person_command(app, runner, world):
    with app.app_context():
        result = runner.invoke(args=["erase-person", EMAIL])

    assert result.exit_code == 0, result.output
    assert f"Person {world.zoe} erased" in result.output
    assert "1 unsent deleted" in result.output and "Kept: 4 bookings, 1 training records" in result.output
    assert not any(n in result.output for n in needles(EMAIL, FULL))
    with app.app_context():
        hits = stored_hits(ZOE_NEEDLES)
        assert hits == [], "\n".join(hits)
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "person_erased")).one()
        assert entry.actor_id is None and entry.details["via"] == "cli"

    with app.app_context():
        again = runner.invoke(args=["erase-person", EMAIL])
    assert again.exit_code != 0 and "nothing was changed" in again.output


def test_erase_person_with_an_unknown_email_changes_nothing(app, runner, world):
    with app.app_context():
        before = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
                  for t in db.metadata.sorted_tables}

    with app.app_context():
        result = runner.invoke(args=["erase-person", "nobody@example.org"])

    assert result.exit_code != 0
    assert "no person with the e-mail address 'nobody@example.org'" in result.output
    with app.app_context():
        after = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
                 for t in db.metadata.sorted_tables}
        assert after == before
        assert db.session.scalar(select(func.count()).where(Person.erased_at.is_not(None))) == 0


# -- retention ------------------------------------------------------------------------------

def _ago(years: int, days: int = 0) -> date:
    return privacy.years_before(uk_today(), years) - timedelta(days=days)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


@pytest.fixture
def ageing(ctx):
    """People last active at different times (the retention period is 7
    years by default): only "idle" and "idle too" are past it."""
    from trainingapp.bookings.models import BookingRequest

    agency = make_agency("Old Agency", sector="Health")
    course = make_course("OLD", level=1)
    old_session = make_session(course, _ago(11))
    people = {}
    for name in ("idle", "idle_too", "on_the_day", "logged_in", "trained", "booked_ahead",
                 "trainer", "requested", "recent"):
        people[name] = make_person(agency, first_name=name.replace("_", " ").title(),
                                   last_name="O'Brien", required_level=1)
        people[name].created_at = _at(_ago(20))
    for name in ("idle", "idle_too", "on_the_day", "logged_in"):
        attended(old_session, people[name])
    make_record(people["idle_too"], 1, _ago(7, days=1))     # a day over the period
    make_record(people["on_the_day"], 1, _ago(7))            # exactly the period: kept
    people["logged_in"].last_login_at = _at(_ago(1))
    make_record(people["trained"], 1, _ago(4))
    make_booking(make_session(course, uk_today() + timedelta(days=30), status=SCHEDULED),
                 people["booked_ahead"])
    delivered = make_session(course, _ago(4, days=10))
    delivered.trainers.append(people["trainer"])
    db.session.add(BookingRequest(session=old_session, person=people["requested"],
                                  agency=agency, status=RequestStatus.DECLINED,
                                  created_at=_at(_ago(5))))
    people["recent"].created_at = _at(_ago(2))
    db.session.commit()
    return people


def test_retention_finds_only_people_inactive_for_the_period(ageing):
    assert privacy.stale_people(7) == [(ageing["idle"].id, _ago(11)),
                                       (ageing["idle_too"].id, _ago(7, days=1))]
    assert [p for p, _ in privacy.stale_people(3)] == [
        ageing[n].id for n in ("idle", "idle_too", "on_the_day", "trained", "trainer",
                               "requested")]


def test_retention_anonymises_them_once_and_keeps_the_figures(ageing, runner):
    reports = [["activity", "--from", "2000-01-01", "--to", "2100-12-31"],
               ["sectors", "--from", "2000-01-01", "--to", "2100-12-31"],
               ["compliance", "--on", _ago(10).isoformat()],
               ["compliance", "--on", _ago(7).isoformat()]]
    before = [report_bytes(runner, args) for args in reports]

    first = privacy.apply_retention(7)

    assert len(first.people) == 2
    assert str(first) == (f"2 people anonymised (no activity since before {_ago(7).isoformat()}, "
                          "RETENTION_YEARS=7).")
    erased = {p.id for p in db.session.scalars(select(Person).where(Person.erased_at.is_not(None)))}
    assert erased == {ageing["idle"].id, ageing["idle_too"].id}
    assert db.session.get(Person, ageing["idle"].id).full_name == f"Erased person {ageing['idle'].id}"
    assert db.session.get(Person, ageing["on_the_day"].id).full_name == "On The Day O'Brien"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person_erased")).all()
    assert sorted(e.target_id for e in entries) == sorted(erased)
    assert all(e.details["via"] == "retention" and e.actor_id is None for e in entries)
    assert not any("O'Brien" in json.dumps(e.details) for e in entries)
    assert [report_bytes(runner, args) for args in reports] == before

    second = privacy.apply_retention(7)

    assert second.people == []
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "person_erased")) == 2


def test_apply_retention_command(ageing, app, runner):
    dry = runner.invoke(args=["apply-retention", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "2 people would be anonymised" in dry.output and "RETENTION_YEARS=7" in dry.output
    assert f"person {ageing['idle'].id}: last activity {_ago(11).isoformat()}" in dry.output
    assert db.session.scalar(select(func.count()).where(Person.erased_at.is_not(None))) == 0

    wider = runner.invoke(args=["apply-retention", "--dry-run", "--years", "3"])
    assert "6 people would be anonymised" in wider.output and "RETENTION_YEARS=3" in wider.output

    app.config["RETENTION_YEARS"] = 30
    assert "0 people would be anonymised" in runner.invoke(args=["apply-retention", "--dry-run"]).output
    app.config["RETENTION_YEARS"] = 7

    run = runner.invoke(args=["apply-retention"])
    assert run.exit_code == 0 and "2 people anonymised" in run.output
    again = runner.invoke(args=["apply-retention"])
    assert again.exit_code == 0 and "0 people anonymised" in again.output

    assert runner.invoke(args=["apply-retention", "--years", "0"]).exit_code != 0
    assert db.session.scalar(select(func.count()).where(Person.erased_at.is_not(None))) == 2


def test_retention_years_comes_from_the_environment(monkeypatch, tmp_path):
    from tests.conftest import BASE_CONFIG
    from trainingapp import create_app

    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    assert create_app(config).config["RETENTION_YEARS"] == 7
    monkeypatch.setenv("RETENTION_YEARS", "10")
    assert create_app(config).config["RETENTION_YEARS"] == 10
    monkeypatch.setenv("RETENTION_YEARS", "ten")
    with pytest.raises(ValueError, match="RETENTION_YEARS must be a whole number"):
        create_app(config)
