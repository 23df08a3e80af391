"""The coordinator's journey in a real browser, with axe on every page:
schedule a two-day session through the form (saved by pressing Enter),
add a delegate and look after the session's booking list, duplicate the
session, then cancel it with a reason: the delegate's e-mail reaches the
test SMTP server with a calendar cancellation (METHOD:CANCEL)."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.helpers import heading, sign_in
from tests.e2e.test_accessibility import Audit
from tests.factories import make_agency, make_course, make_person, make_user
from trainingapp.agencies.models import Person, Role
from trainingapp.bookings import services
from trainingapp.courses.models import TrainingSession, Venue
from trainingapp.extensions import db
from trainingapp.types import uk_today

FIRST_DAY = uk_today() + timedelta(days=30)
SECOND_DAY = FIRST_DAY + timedelta(days=7)


def arrange(live) -> dict:
    def work():
        course = make_course("L2-FOUND", "Foundation safeguarding", level=2, duration_days=2)
        course.capacity = 12
        db.session.add(Venue(name="Town Hall", capacity=20))
        coordinator = make_user(Role.COORDINATOR, email="cora@board.example", first_name="Cora")
        agency = make_agency("Riverside NHS Trust")
        delegate = make_person(agency, email="asha@riverside.example", first_name="Asha",
                               last_name="O'Brien")
        waiting = [make_person(agency, email=f"wait{n}@riverside.example", first_name=name,
                               last_name="Waits") for n, name in enumerate(("Siân", "Zoë", "Lee"))]
        db.session.commit()
        return {"coordinator": coordinator.email, "delegate": delegate.email,
                "waiting": [p.id for p in waiting]}

    return live.db(work)


def book_others(live, ref: str, person_ids: list[int]) -> None:
    """Fill the rest of the session behind the scenes (the booking pages
    have browser tests of their own)."""
    with live.app.test_request_context(base_url=live.url):  # e-mails link to the app
        try:
            session_id = db.session.scalar(select(TrainingSession.id)
                                           .where(TrainingSession.ref == ref))
            for person_id in person_ids:
                services.book(session_id, db.session.get(Person, person_id))
        finally:
            db.session.remove()


def fill_day(page: Page, index: int, day, starts: str, ends: str) -> None:
    page.locator(f"#days-{index}-day_on-day").fill(str(day.day))
    page.locator(f"#days-{index}-day_on-month").fill(str(day.month))
    page.locator(f"#days-{index}-day_on-year").fill(str(day.year))
    page.locator(f"#days-{index}-starts_at").fill(starts)
    page.locator(f"#days-{index}-ends_at").fill(ends)


def banner(page: Page):
    return page.locator(".govuk-notification-banner")


def test_schedule_look_after_bookings_duplicate_and_cancel(page, live):
    ids = arrange(live)
    sign_in(page, ids["coordinator"])
    expect(heading(page)).to_have_text("Hello, Cora")
    audit = Audit(page)

    # Schedule: choose the course, then the days, times, venue and capacity.
    page.goto("/manage/sessions/new")
    page.get_by_label("Which course is this session of?").select_option(
        label="L2-FOUND: Foundation safeguarding")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Schedule a session")
    audit.check("schedule a session")
    ref = page.locator("#ref").input_value()
    assert re.fullmatch(r"L2-FOUND-\d{4}-01", ref)
    fill_day(page, 0, FIRST_DAY, "9:30", "16:30")
    fill_day(page, 1, SECOND_DAY, "10:00", "15:00")
    page.get_by_label("Venue").select_option(label="Town Hall (holds 20)")
    page.locator("#capacity").fill("1")
    # Enter in a text box saves the session (it used to add another day).
    page.locator("#capacity").press("Enter")
    expect(banner(page)).to_contain_text(f"Session {ref} scheduled.")
    expect(heading(page)).to_have_text(f"Session {ref}")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text(f"{FIRST_DAY:%A %-d %B %Y}, 09:30 to 16:30")
    expect(summary).to_contain_text(f"{SECOND_DAY:%A %-d %B %Y}, 10:00 to 15:00")
    expect(summary).to_contain_text("Town Hall")
    session_url = page.url

    # Add a delegate: search, choose, book; the outcome is shown.
    page.get_by_role("link", name="Add a person").click()
    audit.check("add a person")
    page.get_by_label("Search people by name or email").fill("o'brien")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Asha O'Brien (asha@riverside.example), Riverside NHS Trust").check()
    page.get_by_role("button", name="Book this person").click()
    expect(banner(page)).to_contain_text("Asha O'Brien has a confirmed place.")
    live.inbox.wait_for(ids["delegate"], "Your place is confirmed: Foundation safeguarding")

    # A full session with a waiting list: reorder it by hand.
    book_others(live, ref, ids["waiting"])
    page.goto(session_url)
    waiting = page.get_by_role("table").filter(has_text="Waiting list (3)")
    expect(waiting).to_be_visible()
    audit.check("session page with its booking list")
    page.get_by_role("button", name=re.compile("^Up.*move Lee Waits up one place")).click()
    expect(banner(page)).to_contain_text("Lee Waits is now number 2 on the waiting list.")
    rows = page.get_by_role("table").filter(has_text="Waiting list (3)").locator("tbody tr")
    expect(rows.nth(0)).to_contain_text("Siân Waits")
    expect(rows.nth(1)).to_contain_text("Lee Waits")
    page.get_by_label("Capacity").fill("0")
    page.get_by_role("button", name="Change capacity").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Capacity must be 1 or more")
    audit.check("session page, capacity with an error")
    page.get_by_role("link", name="Move Asha O'Brien").click()
    expect(heading(page)).to_have_text("Move Asha O'Brien's booking")
    audit.check("move a booking")
    page.goto(session_url)
    page.get_by_role("link", name="Cancel Asha O'Brien's booking").click()
    expect(page.get_by_text("so it is not a late cancellation")).to_be_visible()
    audit.check("cancel a booking")
    page.goto(session_url)
    page.get_by_role("link", name="Cancel Zoë Waits's booking").click()
    page.get_by_label("Why is the booking being cancelled? (optional)").fill("Asked by phone")
    page.get_by_role("button", name="Cancel this booking").click()
    expect(banner(page)).to_contain_text("Zoë Waits's booking is cancelled.")
    expect(page.get_by_role("table").filter(has_text="Cancelled (1)")).to_contain_text("Asked by phone")
    audit.check("session page with a cancelled booking")
    page.get_by_role("link", name="E-mail everyone booked or waiting").click()
    audit.check("e-mail everyone")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    audit.check("e-mail everyone with errors")

    # Duplicate: four weeks later, every day moved on.
    page.goto(session_url)
    page.get_by_role("button", name="Duplicate session").click()
    audit.check("duplicate a session")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Schedule the next L2-FOUND session")
    expect(page.locator("#days-0-day_on-day")).to_have_value(str((FIRST_DAY + timedelta(weeks=4)).day))
    copy = page.locator("#ref").input_value()  # the next free reference
    assert copy.startswith("L2-FOUND-") and copy != ref
    page.get_by_role("button", name="Save session").click()
    expect(banner(page)).to_contain_text(f"Session {copy} scheduled.")
    expect(page.locator(".govuk-summary-list")).to_contain_text(
        f"{FIRST_DAY + timedelta(weeks=4):%A %-d %B %Y}, 09:30 to 16:30")

    # Cancel the first session with a reason: everyone is told.
    page.goto(session_url)
    page.get_by_role("button", name="Cancel session").click()
    audit.check("cancel a session")
    page.get_by_label("Reason for cancelling").fill("The trainer is unwell")
    page.get_by_role("button", name="Cancel session and tell delegates").click()
    expect(banner(page)).to_contain_text(f"Session {ref} is cancelled. 3 people were told by e-mail.")
    audit.check("cancelled session")
    mail = live.inbox.wait_for(ids["delegate"],
                               f"Cancelled: Foundation safeguarding on {FIRST_DAY:%-d %B %Y}")
    assert "The trainer is unwell" in mail.get_body(("plain",)).get_content()
    [invite] = list(mail.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    calendar = invite.get_content()
    assert "METHOD:CANCEL" in calendar and "STATUS:CANCELLED" in calendar
    audit.assert_clean()
