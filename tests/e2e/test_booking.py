"""A practitioner's booking journeys in a real browser, with axe on every
page: booking a place, joining the waiting list, cancelling late, and the
person waiting being promoted (the e-mail reaches the test SMTP server)."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.helpers import sign_in
from tests.e2e.test_accessibility import Audit
from tests.factories import make_agency, make_course, make_session, make_user
from trainingapp.bookings.models import Booking
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.types import uk_today


def arrange(live) -> dict:
    def work():
        agency = make_agency("Riverside Nursery")
        first = make_user(agency=agency, email="amara@riverside.example", first_name="Amara")
        second = make_user(agency=agency, email="zoe@riverside.example", first_name="Zoë",
                           last_name="O'Brien")
        course = make_course("SEC", "Somebody Else's Child", level=2)
        # Tomorrow: the cancellation cut-off has passed, so cancelling is late.
        session = make_session(course, start_on=uk_today() + timedelta(days=1), capacity=1,
                               status=SessionStatus.SCHEDULED, ref="SEC-NEXT")
        db.session.commit()
        return {"first": first.email, "second": second.email, "session": session.id}

    return live.db(work)


def statuses(live, session_id) -> dict[str, str]:
    def work():
        rows = db.session.scalars(select(Booking).where(Booking.session_id == session_id))
        return {b.person.email: b.status.value for b in rows}

    return live.db(work)


def test_book_wait_cancel_late_and_promote(page, live, browser):
    people = arrange(live)
    audit = Audit(page)

    # The first practitioner books the only place.
    sign_in(page, people["first"])
    audit.visit("/sessions/SEC-NEXT", "session page, bookable")
    page.get_by_role("button", name="Book a place").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your place is confirmed")
    audit.check("session page, booked")
    live.inbox.wait_for(people["first"], "Your place is confirmed: Somebody Else's Child")
    audit.visit("/bookings", "my bookings")
    expect(page.get_by_role("main")).to_contain_text("Place confirmed")

    # The second joins the waiting list, in a browser of their own.
    other = browser.new_context(base_url=live.url)
    second = other.new_page()
    second.csp_errors = []
    sign_in(second, people["second"])
    second.goto("/sessions/SEC-NEXT")
    second.get_by_role("button", name="Join the waiting list").click()
    expect(second.locator(".govuk-notification-banner")).to_contain_text("waiting list: number 1")
    second_audit = Audit(second)
    second_audit.check("session page, waiting")

    # The first cancels after the cut-off: the screen says it is late first.
    page.goto("/sessions/SEC-NEXT/cancel")
    expect(page.get_by_role("main")).to_contain_text("recorded as a late cancellation")
    audit.check("cancel page, late")
    page.get_by_label("Why are you cancelling? (optional)").fill("Off sick")
    page.get_by_role("button", name="Cancel my booking").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("a late cancellation")

    # The place goes to the person waiting, who is told by e-mail.
    assert statuses(live, people["session"]) == {people["first"]: "late_cancelled",
                                                 people["second"]: "confirmed"}
    mail = live.inbox.wait_for(people["second"], "A place has come up for you: Somebody Else's Child")
    assert "Zoë" in mail.get_body(("plain",)).get_content()
    second.goto("/bookings")
    expect(second.get_by_role("main")).to_contain_text("Place confirmed")
    second_audit.check("my bookings, promoted")
    other.close()
    audit.assert_clean()
    second_audit.assert_clean()
