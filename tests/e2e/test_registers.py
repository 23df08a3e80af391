"""Registers and training records in a real browser: a trainer takes a
register with the keyboard alone (the person who did not attend gets the
e-mail), and axe finds nothing wrong on the register, /training and
/agency/staff."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.helpers import heading, sign_in
from tests.e2e.test_accessibility import Audit
from tests.e2e.test_keyboard import assert_focus_visible, focused, skip_to_main_content
from tests.factories import attended, make_agency, make_booking, make_course, make_person, \
    make_record, make_session, make_user
from trainingapp.agencies.models import Role
from trainingapp.bookings.models import Booking
from trainingapp.courses.models import SessionStatus, TrainingSession
from trainingapp.extensions import db
from trainingapp.types import uk_today


def arrange(live) -> dict:
    def work():
        agency = make_agency("Orchard Family Services")
        trainer = make_user(Role.TRAINER, agency, email="trainer@orchard.example", first_name="Tess")
        manager = make_user(Role.AGENCY_MANAGER, agency, email="manager@orchard.example",
                            first_name="Morgan")
        course = make_course("FND", "Foundation", level=2)
        course.learning_hours = Decimal("6")
        yesterday = uk_today() - timedelta(days=1)
        session = make_session(course, yesterday, status=SessionStatus.SCHEDULED, ref="FND-E2E")
        session.trainers.append(trainer)
        names = [("Zoë", "Hart"), ("Siân", "O'Brien"), ("Asha", "<script>alert(1)</script>")]
        people = [make_user(agency=agency, email=f"p{i}@orchard.example", first_name=first,
                            last_name=last, required_level=2)
                  for i, (first, last) in enumerate(names)]
        for person in people:
            make_booking(session, person)
        zoe = people[0]
        attended(make_session(course, date(2024, 3, 4)), zoe)
        make_record(zoe, 1, date(2023, 1, 10), provider="Orchard e-learning", title="Level 1 e-learning")
        make_person(agency, first_name="Lee", last_name="Ward")  # no account, no level
        db.session.commit()
        return {"trainer": trainer.email, "manager": manager.email, "zoe": zoe.email,
                "sian": people[1].email}

    with live.app.test_request_context(base_url=live.url):
        try:
            return work()
        finally:
            db.session.remove()


def tab_until(page, predicate, most: int = 25) -> dict:
    """Press Tab until ``predicate(focused state)``; every stop shows its focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        state = assert_focus_visible(page)
        if predicate(state):
            return state
    raise AssertionError(f"not reached by Tab; focus is on {focused(page)}")


def test_a_trainer_takes_the_register_with_the_keyboard_only(page, live):
    ids = arrange(live)
    sign_in(page, ids["trainer"])
    expect(heading(page)).to_have_text("Hello, Tess")
    page.get_by_role("navigation").get_by_role("link", name="My sessions").click()
    page.get_by_role("link", name="Take the register for Foundation").click()
    expect(heading(page)).to_have_text("Register for session FND-E2E")
    audit = Audit(page)
    audit.check("register")

    skip_to_main_content(page)
    # The delegates are listed by last name: Asha <script>, Zoë Hart, Siân O'Brien.
    # Asha: Tab enters the group on its first radio; Space marks "Attended".
    state = tab_until(page, lambda s: s["id"].startswith("attendance-"))
    assert (state["tag"], state["text"]) == ("input", "attended")  # the first choice
    page.keyboard.press("Space")
    # Zoë: the next Tab stop is the next person's group; arrows choose within it.
    tab_until(page, lambda s: s["id"].startswith("attendance-"), most=1)
    page.keyboard.press("ArrowRight")  # Attended part
    page.keyboard.press("ArrowRight")  # Did not attend
    # Siân: attended.
    tab_until(page, lambda s: s["id"].startswith("attendance-"), most=1)
    page.keyboard.press("Space")
    tab_until(page, lambda s: s["id"] == "mark_run", most=1)
    page.keyboard.press("Space")
    tab_until(page, lambda s: s["tag"] == "button", most=1)
    page.keyboard.press("Enter")

    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Register saved: 3 marks changed.")
    expect(banner).to_contain_text("The session is marked as run.")
    audit.check("register, saved")
    message = live.inbox.wait_for(ids["zoe"], "We missed you: Foundation")
    assert "/sessions?course=fnd" in message.get_body(("plain",)).get_content()

    def saved():
        session = db.session.scalar(select(TrainingSession).where(TrainingSession.ref == "FND-E2E"))
        marks = {b.person.first_name: b.attendance.value for b in db.session.scalars(
            select(Booking).where(Booking.session_id == session.id))}
        return session.status, marks

    status, marks = live.db(saved)
    assert status is SessionStatus.COMPLETED
    assert marks == {"Asha": "attended", "Zoë": "did_not_attend", "Siân": "attended"}
    audit.assert_clean()


def test_training_record_and_staff_pages_pass_axe(page, live):
    ids = arrange(live)
    audit = Audit(page)
    sign_in(page, ids["zoe"])
    page.get_by_role("navigation").get_by_role("link", name="Your training").click()
    expect(heading(page)).to_have_text("Your training")
    expect(page.locator("#standing")).to_contain_text("In date")
    audit.check("your training")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (PDF) certificate for Foundation").click()
    assert download.value.suggested_filename.startswith("certificate-")
    page.get_by_role("navigation").get_by_role("link", name="Sign out").click()
    page.get_by_role("main").get_by_role("button", name="Sign out").click()

    sign_in(page, ids["manager"])
    page.get_by_role("navigation").get_by_role("link", name="Staff", exact=True).click()
    expect(heading(page)).to_have_text("Staff")
    audit.check("staff")
    page.get_by_label("Required level for Lee Ward").select_option("3")
    page.get_by_role("button", name="Save required level for Lee Ward").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Lee Ward's required level is now level 3.")
    audit.check("staff, level saved")
    audit.assert_clean()
