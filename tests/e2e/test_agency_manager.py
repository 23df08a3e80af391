"""An agency manager's journeys in a real browser, with axe on every page:
approving a request (the person gets the e-mail), booking several staff
at once, and passing a place to a colleague."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.e2e.helpers import heading, sign_in
from tests.e2e.test_accessibility import Audit
from tests.factories import make_agency, make_session, make_user
from trainingapp.agencies.models import Role
from trainingapp.bookings import approvals, services
from trainingapp.courses.models import SessionStatus
from trainingapp.extensions import db
from trainingapp.types import uk_today


def arrange(live) -> dict:
    def work():
        agency = make_agency("Orchard Family Services")
        agency.requires_booking_approval = True
        manager = make_user(Role.AGENCY_MANAGER, agency, email="manager@orchard.example",
                            first_name="Morgan")
        asking = make_user(agency=agency, email="asha@orchard.example", first_name="Asha",
                           last_name="O'Brien")
        holder = make_user(agency=agency, email="sian@orchard.example", first_name="Siân",
                           last_name="Evans")
        colleague = make_user(agency=agency, email="zoe@orchard.example", first_name="Zoë",
                              last_name="Hart")
        spare = make_user(agency=agency, email="lee@orchard.example", first_name="Lee",
                          last_name="Ward")
        session = make_session(start_on=uk_today() + timedelta(days=20), capacity=3,
                               status=SessionStatus.SCHEDULED, ref="ORCH-1")
        db.session.commit()
        approvals.request_place(session.id, asking)
        booking = services.book(session.id, holder, actor=manager)
        return {"manager": manager.email, "booking": booking.id, "colleague": colleague.full_name,
                "spare": spare.full_name}

    with live.app.test_request_context(base_url=live.url):  # e-mails link to the app
        try:
            return work()
        finally:
            db.session.remove()


def test_approve_book_several_and_substitute(page, live):
    ids = arrange(live)
    sign_in(page, ids["manager"])
    expect(heading(page)).to_have_text("Hello, Morgan")
    audit = Audit(page)

    page.get_by_role("navigation").get_by_role("link", name="Approvals").click()
    expect(heading(page)).to_have_text("Approvals")
    audit.check("approvals")
    page.get_by_role("button", name="Approve Asha O'Brien").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Approved: Asha O'Brien has a confirmed place.")
    audit.check("approvals after approving")
    live.inbox.wait_for("asha@orchard.example", "Your place is confirmed: A course")

    page.get_by_role("navigation").get_by_role("link", name="Staff bookings").click()
    audit.check("staff bookings")
    page.get_by_role("link", name="Book staff on a session").click()
    audit.check("book staff: choose a session")
    page.get_by_role("button", name="Continue").click()
    audit.check("book staff: choose people")
    page.get_by_role("button", name="Book selected staff").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    audit.check("book staff with errors")
    page.get_by_label(ids["spare"]).check()
    page.get_by_role("button", name="Book selected staff").click()
    expect(heading(page)).to_have_text("Booking results")
    expect(page.get_by_role("table")).to_contain_text("Lee Ward")
    audit.check("booking results")

    page.goto(f"/agency/bookings/{ids['booking']}/substitute")
    expect(heading(page)).to_have_text("Send a colleague instead of Siân Evans")
    audit.check("substitute")
    page.get_by_role("button", name="Pass the place on").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    audit.check("substitute with errors")
    page.get_by_label(ids["colleague"]).check()
    page.get_by_role("button", name="Pass the place on").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Zoë Hart now has Siân Evans's place.")
    live.inbox.wait_for("sian@orchard.example", "Your place has been passed to a colleague: A course")
    live.inbox.wait_for("zoe@orchard.example", "Your place is confirmed: A course")

    page.get_by_role("link", name=re.compile("^Cancel Asha O'Brien's booking")).click()
    expect(heading(page)).to_have_text("Cancel Asha O'Brien's place")
    audit.check("cancel for a member of staff")
    audit.assert_clean()
