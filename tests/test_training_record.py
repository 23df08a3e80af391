"""A person's own training record (/training), certificates of attendance,
and the agency manager's staff list with required levels (/agency/staff).

Whether someone is in date is worked out by ``queries.person_compliance`` /
``staff_compliance`` with the rules of the compliance report, and these
tests hold the two to the same answers, at the month-end edge too."""
from __future__ import annotations

import io
import random
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from tests.factories import (attended, login_as, make_agency, make_booking, make_course,
                             make_person, make_record, make_session, make_user)
from trainingapp.agencies.models import Person, Role
from trainingapp.attendance import views
from trainingapp.audit import AuditEntry
from trainingapp.bookings.models import Attendance
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.reports import queries

LEAP_DAY = date(2012, 2, 29)  # + 36 months = 28 February 2015 (no 29th)


@pytest.fixture
def home(ctx):
    return make_agency("Acorn Services")


def on_day(monkeypatch, day: date) -> None:
    """The pages' "today"."""
    monkeypatch.setattr(views, "uk_today", lambda: day)


def compliant_on(agency, day: date) -> int:
    rows = queries.compliance(day, agency.id, 90)
    return next((r.staff_compliant for r in rows if r.level == "ALL"), 0)


def standing_text(html: str) -> str:
    block = re.search(r'id="standing">(.*?)</dd>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


# -- /training ---------------------------------------------------------------------------------

def test_your_training_lists_attended_sessions_and_other_records(client, home, monkeypatch):
    on_day(monkeypatch, date(2013, 6, 1))
    me = make_user(agency=home, required_level=2)
    foundation = make_course("FND", "Foundation", level=2)
    foundation.learning_hours = Decimal("6.50")
    awareness = make_course("AW", "Awareness briefing")
    attended(make_session(foundation, date(2012, 5, 1), date(2012, 5, 2)), me)
    attended(make_session(awareness, date(2012, 9, 3)), me)
    make_booking(make_session(make_course(title="Partly there"), date(2012, 10, 1)), me,
                 attendance=Attendance.PARTIAL)
    make_booking(make_session(make_course(title="Not run yet"), date(2013, 5, 1),
                              status=SessionStatus.SCHEDULED), me, attendance=Attendance.ATTENDED)
    attended(make_session(make_course(title="Someone else's"), date(2012, 1, 1)), make_person(home))
    make_record(me, 1, date(2011, 3, 1), provider="Acorn e-learning", title="Level 1 e-learning",
                hours=Decimal("2"))
    db.session.commit()
    login_as(client, me)

    html = client.get("/training").get_data(as_text=True)
    assert "Foundation" in html and "Awareness briefing" in html and "Level 1 e-learning" in html
    assert "Acorn e-learning" in html and "6.5" in html and "No level" in html
    assert "1 May 2012 to 2 May 2012" in html
    assert "Partly there" not in html and "Not run yet" not in html and "Someone else" not in html
    assert html.index("Awareness briefing") < html.index("Foundation")  # latest first
    assert "Level your role needs" in html and "Level 2" in html
    assert standing_text(html) == ("In date Your best record: level 2, completed on 2 May 2012. "
                                   "It expires on 2 May 2015.")
    assert html.count("/training/certificates/") == 2


def test_the_month_end_edge_agrees_with_the_compliance_report(client, home, monkeypatch):
    me = make_user(agency=home, required_level=2)
    make_record(me, 2, LEAP_DAY)
    # The same edge through an attended session ending on the leap day.
    colleague = make_user(agency=home, required_level=2)
    attended(make_session(make_course(level=2), LEAP_DAY - timedelta(days=1), LEAP_DAY), colleague)
    db.session.commit()

    for person in (me, colleague):
        login_as(client, person)
        on_day(monkeypatch, date(2015, 2, 27))
        html = client.get("/training").get_data(as_text=True)
        assert standing_text(html) == (
            "Expiring soon Your best record: level 2, completed on 29 February 2012. "
            "It expires on 28 February 2015. Book a refresher soon.")
        assert queries.person_compliance(person.id, date(2015, 2, 27)).is_in_date

        on_day(monkeypatch, date(2015, 2, 28))
        html = client.get("/training").get_data(as_text=True)
        assert standing_text(html) == ("Out of date Your best record: level 2, completed on "
                                       "29 February 2012. It expired on 28 February 2015.")
        assert not queries.person_compliance(person.id, date(2015, 2, 28)).is_in_date
        assert "/sessions?level=2" in html  # find a course to get back in date
    assert compliant_on(home, date(2015, 2, 27)) == 2
    assert compliant_on(home, date(2015, 2, 28)) == 0


def test_standings_agree_with_the_compliance_report_on_many_days(ctx):
    rng = random.Random(20120229)
    agencies = [make_agency(f"Agency {n}") for n in range(3)]
    courses = {level: make_course(level=level) for level in (1, 2, 3)}
    for n in range(60):
        person = make_person(rng.choice(agencies), required_level=rng.choice([None, 1, 2, 3]))
        for _ in range(rng.randint(0, 3)):
            level = rng.choice([1, 2, 3])
            done = date(2010, 1, 1) + timedelta(days=rng.randint(0, 2500))
            if rng.random() < 0.5:
                make_record(person, level, done)
            else:
                make_booking(make_session(courses[level], done), person,
                             attendance=rng.choice(list(Attendance)))
    db.session.commit()
    for day in [date(2012, 2, 29), date(2013, 1, 31), date(2014, 6, 30), date(2015, 2, 28),
                date(2016, 3, 1)]:
        report = {r.agency: r.staff_compliant for r in queries.compliance(day, None, 90)
                  if r.level == "ALL"}
        for agency in agencies:
            standings = queries.staff_compliance(agency.id, day)
            ours = sum(s.is_in_date for s in standings if s.required_level is not None)
            assert ours == report.get(agency.name, 0), (agency.name, day)
            for s in standings[:5]:
                assert queries.person_compliance(s.person_id, day) == s


def test_not_trained_and_no_required_level(client, home, monkeypatch):
    on_day(monkeypatch, date(2014, 1, 1))
    me = make_user(agency=home, required_level=3)
    make_record(me, 2, date(2013, 1, 1))  # below the level required
    nobody = make_user(agency=home)
    db.session.commit()
    login_as(client, me)
    assert standing_text(client.get("/training").get_data(as_text=True)) == (
        "Not trained You have no training at level 3 or above yet.")
    login_as(client, nobody)
    html = client.get("/training").get_data(as_text=True)
    assert standing_text(html) == "No level required"
    assert "Not set: your agency manager sets it" in html


# -- certificates ----------------------------------------------------------------------------

@pytest.fixture
def certified(home):
    """Zoë O'Brien <script> attended a run level 2 session; her certificate."""
    trainer = make_user(Role.TRAINER, home, first_name="Siân", last_name="Trainer")
    course = make_course("FND", "Foundation – A Shared Responsibility", level=2)
    course.learning_hours = Decimal("6.50")
    session = make_session(course, date(2012, 2, 28), date(2012, 2, 29), ref="FND-2012-03")
    session.trainers.append(trainer)
    zoe = make_user(agency=home, first_name="Zoë", last_name="O'Brien <script>alert(1)</script>",
                    email="zoe@example.org")
    return attended(session, zoe)


def pdf_text(data: bytes) -> tuple[int, str]:
    """Pages, and the text with line breaks (wrapping) as single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_certificate_prints_the_names_exactly(client, home, certified, app):
    db.session.commit()
    login_as(client, certified.person)
    response = client.get(f"/training/certificates/{certified.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-FND-2012-03-{certified.id}.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    pages, text = pdf_text(response.data)
    assert pages == 1
    assert "Zoë O'Brien <script>alert(1)</script>" in text
    assert "Foundation – A Shared Responsibility" in text
    assert "Level 2" in text and "Learning hours: 6.5 hours" in text
    assert "Tuesday 28 February 2012 to Wednesday 29 February 2012" in text
    assert "Delivered by Siân Trainer" in text
    assert app.config["BOARD_NAME"] in text
    assert f"Certificate reference: FND-2012-03-{certified.id}" in text
    entry, = actions("certificate_downloaded")
    assert (entry.actor_id, entry.target_id, entry.details["person_id"]) == (
        certified.person_id, certified.id, certified.person_id)


def test_who_may_download_a_certificate(client, home, certified):
    colleague = make_user(agency=home)
    own_manager = make_user(Role.AGENCY_MANAGER, home)
    other_manager = make_user(Role.AGENCY_MANAGER, make_agency("Bramble Trust"))
    trainer = make_user(Role.TRAINER, make_agency("Trainers"))
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    url = f"/training/certificates/{certified.id}.pdf"
    for person, status in [(colleague, 404), (other_manager, 404), (trainer, 404),
                           (own_manager, 200), (coordinator, 200), (certified.person, 200)]:
        login_as(client, person)
        response = client.get(url)
        assert response.status_code == status, person.role
        if status == 404:
            assert "Zoë".encode() not in response.data and b"Foundation" not in response.data
    assert len(actions("certificate_downloaded")) == 3
    assert len(actions("access_denied")) == 3
    # The manager of the person's *current* agency: after a move, the new one.
    certified.person.agency = make_agency("New Home")
    new_manager = make_user(Role.AGENCY_MANAGER, certified.person.agency)
    db.session.commit()
    login_as(client, own_manager)
    assert client.get(url).status_code == 404
    login_as(client, new_manager)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("change", ["partial", "not_run", "waitlisted"])
def test_no_certificate_without_attendance_on_a_run_session(client, home, certified, change):
    from trainingapp.bookings.models import BookingStatus

    if change == "partial":
        certified.attendance = Attendance.PARTIAL
    elif change == "not_run":
        certified.session.status = SessionStatus.SCHEDULED
    else:
        certified.status = BookingStatus.WAITLISTED
    db.session.commit()
    login_as(client, certified.person)
    assert client.get(f"/training/certificates/{certified.id}.pdf").status_code == 404
    assert client.get("/training/certificates/999999.pdf").status_code == 404


# -- the agency's staff ------------------------------------------------------------------------

def test_the_staff_list_shows_each_status(client, home, monkeypatch):
    on_day(monkeypatch, date(2015, 1, 15))
    manager = make_user(Role.AGENCY_MANAGER, home, first_name="Mo", last_name="Manager")
    fresh = make_person(home, required_level=2, first_name="Fay", last_name="Fresh")
    make_record(fresh, 3, date(2014, 1, 1))
    soon = make_person(home, required_level=2, first_name="Sid", last_name="Soon")
    make_record(soon, 2, LEAP_DAY)  # expires 28 February 2015
    old = make_person(home, required_level=1, first_name="Olu", last_name="Old")
    make_record(old, 1, date(2011, 1, 1))
    make_person(home, required_level=3, first_name="Nia", last_name="New")
    make_person(make_agency("Bramble Trust"), first_name="Bart", last_name="Brambleworth")
    db.session.commit()
    login_as(client, manager)
    html = client.get("/agency/staff").get_data(as_text=True)
    rows = {m.group(1): " ".join(re.sub(r"<[^>]+>", " ", m.group(2)).split())
            for m in re.finditer(r'<tr class="govuk-table__row" id="person-(\d+)">(.*?)</tr>', html, re.S)}
    text = {name: next(v for v in rows.values() if v.startswith(name))
            for name in ("Fay Fresh", "Sid Soon", "Olu Old", "Nia New", "Mo Manager")}
    assert "In date Level 3, expires 1 January 2017" in text["Fay Fresh"]
    assert "Expiring soon Level 2, expires 28 February 2015" in text["Sid Soon"]
    assert "Out of date Level 1, expired 1 January 2014" in text["Olu Old"]
    assert "Not trained None" in text["Nia New"]
    assert "No level required" in text["Mo Manager"]
    assert "Brambleworth" not in html
    assert "2 of 4</strong> staff with a required level are in date (50.0%)" in html
    assert compliant_on(home, date(2015, 1, 15)) == 2
    assert re.search(r'<option value="2" selected>Level 2</option>', html)


def _statements_for(client, url: str) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements)


def test_the_staff_list_takes_the_same_queries_for_5_or_50_staff(client, home):
    manager = make_user(Role.AGENCY_MANAGER, home)
    course = make_course(level=2)
    session = make_session(course, date(2013, 5, 1))

    def add_staff(n):
        for i in range(n):
            person = make_person(home, required_level=(i % 3) + 1)
            make_record(person, (i % 3) + 1, date(2012, 1, 1) + timedelta(days=i))
            attended(session, person)
        db.session.commit()

    add_staff(5)
    login_as(client, manager)
    few = _statements_for(client, "/agency/staff")
    add_staff(45)
    many = _statements_for(client, "/agency/staff")
    assert few == many


def test_managers_see_only_their_agency_and_coordinators_choose(client, home):
    other = make_agency("Bramble Trust")
    make_person(other, first_name="Bart", last_name="Brambleworth")
    manager = make_user(Role.AGENCY_MANAGER, home)
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, manager)
    response = client.get(f"/agency/staff?agency={other.id}")
    assert response.status_code == 404 and b"Bramble" not in response.data
    login_as(client, coordinator)
    assert b"Choose an agency" in client.get("/agency/staff").data
    assert b"Brambleworth" in client.get(f"/agency/staff?agency={other.id}").data
    practitioner = make_user(agency=home)
    db.session.commit()
    login_as(client, practitioner)
    assert client.get("/agency/staff").status_code == 403


def test_setting_a_required_level_is_audited_and_ignores_other_fields(client, home):
    manager = make_user(Role.AGENCY_MANAGER, home)
    person = make_person(home, required_level=1)
    other = make_agency("Bramble Trust")
    theirs = make_person(other, required_level=1)
    db.session.commit()
    login_as(client, manager)

    response = client.post(f"/agency/staff/{person.id}/level",
                           data={"level": "3", "agency_id": str(other.id), "role": "admin",
                                 "required_level": "2"})
    assert response.status_code == 303 and response.headers["Location"] == "/agency/staff"
    db.session.expire_all()
    changed = db.session.get(Person, person.id)
    assert (changed.required_level, changed.agency_id, changed.role) == (3, home.id, Role.PRACTITIONER)
    entry, = actions("required_level_changed")
    assert (entry.actor_id, entry.agency_id, entry.target_id, entry.details) == (
        manager.id, home.id, person.id, {"previous": 1, "level": 3})

    client.post(f"/agency/staff/{person.id}/level", data={"level": ""})
    db.session.expire_all()
    assert db.session.get(Person, person.id).required_level is None
    client.post(f"/agency/staff/{person.id}/level", data={"level": ""})  # no change, no entry
    assert len(actions("required_level_changed")) == 2

    assert client.post(f"/agency/staff/{person.id}/level", data={"level": "4"}).status_code == 400
    assert client.post(f"/agency/staff/{theirs.id}/level", data={"level": "3"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Person, theirs.id).required_level == 1
    assert len(actions("required_level_changed")) == 2


def test_a_coordinator_sets_a_level_in_any_agency(client, home):
    person = make_person(home)
    coordinator = make_user(Role.COORDINATOR, make_agency("Board"))
    db.session.commit()
    login_as(client, coordinator)
    response = client.post(f"/agency/staff/{person.id}/level", data={"level": "2"})
    assert response.headers["Location"] == f"/agency/staff?agency={home.id}"
    db.session.expire_all()
    assert db.session.get(Person, person.id).required_level == 2


def test_navigation_offers_your_training_and_staff(client, home):
    practitioner = make_user(agency=home)
    manager = make_user(Role.AGENCY_MANAGER, home)
    db.session.commit()
    login_as(client, practitioner)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/training"' in html and 'href="/agency/staff"' not in html
    login_as(client, manager)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/training"' in html and 'href="/agency/staff"' in html
