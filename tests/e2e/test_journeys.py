"""The account journeys in a real browser: register, confirm by e-mail,
sign in, reset a password, sign out. Mail goes through a real SMTP server and
the tests follow the links in the messages it received."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import (
    NEW_PASSWORD,
    add_agencies,
    add_user,
    expect_signed_in_as,
    heading,
    people_with_email,
    register,
    sign_in,
)
from tests.factories import PASSWORD, make_agency, make_person
from trainingapp.accounts.views import LOGIN_FAILED
from trainingapp.extensions import db

CONFIRM_SUBJECT = "Confirm your e-mail address"


def confirm_from_email(page, live, email: str) -> None:
    page.goto(live.inbox.link(email, CONFIRM_SUBJECT, "/confirm/"))
    expect(heading(page)).to_have_text("Confirm your email address")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your email address is confirmed. You can now sign in.")
    expect(heading(page)).to_have_text("Sign in")


def test_register_confirm_and_sign_in(page, live):
    add_agencies(live, "Northshire Police", "Riverside NHS Trust")

    register(page, "Robin", "Ashdown", "robin.ashdown@riverside.example", "Riverside NHS Trust",
             "Health visitor")

    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_text("robin.ashdown@riverside.example")).to_be_visible()
    [person] = people_with_email(live, "robin.ashdown@riverside.example")
    assert person["confirmed"] is False
    assert (person["first_name"], person["agency"], person["job_title"]) == (
        "Robin", "Riverside NHS Trust", "Health visitor")

    # Before confirming, the account cannot sign in.
    sign_in(page, "robin.ashdown@riverside.example", NEW_PASSWORD)
    expect(page.locator(".govuk-error-summary")).to_contain_text(LOGIN_FAILED)

    confirm_from_email(page, live, "robin.ashdown@riverside.example")
    assert people_with_email(live, "robin.ashdown@riverside.example")[0]["confirmed"] is True

    sign_in(page, "robin.ashdown@riverside.example", NEW_PASSWORD)
    expect_signed_in_as(page, "Robin")
    expect(page).to_have_url(live.url + "/")


def test_registering_with_an_imported_email_claims_that_record(page, live):
    def imported():
        agency = make_agency("Northshire Police")
        make_agency("Riverside NHS Trust")
        person = make_person(agency, email="sam.okafor@example.org", first_name="Samuel",
                             last_name="Okafor")
        db.session.commit()
        return person.id

    person_id = live.db(imported)

    register(page, "Sam", "Okafor", "Sam.Okafor@example.org", "Riverside NHS Trust",
             "School nurse")
    expect(heading(page)).to_have_text("Check your email")

    # Nothing changes until the mailbox owner confirms.
    [before] = people_with_email(live, "sam.okafor@example.org")
    assert (before["id"], before["first_name"], before["agency"], before["confirmed"]) == (
        person_id, "Samuel", "Northshire Police", False)

    confirm_from_email(page, live, "sam.okafor@example.org")

    [after] = people_with_email(live, "sam.okafor@example.org")
    assert after["id"] == person_id
    assert (after["first_name"], after["last_name"], after["agency"], after["job_title"]) == (
        "Sam", "Okafor", "Riverside NHS Trust", "School nurse")
    assert after["confirmed"] and after["has_password"]

    sign_in(page, "sam.okafor@example.org", NEW_PASSWORD)
    expect_signed_in_as(page, "Sam")


def test_login_errors_and_safe_next_redirects(page, live):
    user = add_user(live, first_name="Alex")

    for email, password in ((user.email, "not the right password"),
                            ("nobody@example.org", PASSWORD)):
        sign_in(page, email, password)
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("There is a problem")
        expect(summary.get_by_role("link", name=LOGIN_FAILED)).to_be_visible()
        expect(page).to_have_title(re.compile(r"^Error: Sign in"))
        expect(page.locator("#email")).to_have_value(email)

    sign_in(page, user.email)
    expect_signed_in_as(page, "Alex")

    page.context.clear_cookies()
    sign_in(page, user.email, next="/account")
    expect(page).to_have_url(live.url + "/account")
    expect(heading(page)).to_have_text("Your account")

    page.context.clear_cookies()
    sign_in(page, user.email, next="https://evil.example/")
    expect(page).to_have_url(live.url + "/")
    expect_signed_in_as(page, "Alex")


def test_password_reset_by_emailed_link_works_once(page, live):
    user = add_user(live, first_name="Jo")

    page.goto("/login")
    page.get_by_role("link", name="I have forgotten my password").click()
    expect(heading(page)).to_have_text("Reset your password")
    page.locator("#email").fill(user.email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(heading(page)).to_have_text("Check your email")

    link = live.inbox.link(user.email, "Reset your password", "/password/reset/")
    page.goto(link)
    expect(heading(page)).to_have_text("Set a new password")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your password has been reset")
    live.inbox.wait_for(user.email, "Your password has been changed")

    sign_in(page, user.email, PASSWORD)
    expect(page.locator(".govuk-error-summary")).to_contain_text(LOGIN_FAILED)
    sign_in(page, user.email, NEW_PASSWORD)
    expect_signed_in_as(page, "Jo")

    page.goto(link)
    expect(heading(page)).to_have_text("This link does not work")
    expect(page.get_by_text("This link has already been used")).to_be_visible()


def test_sign_out_from_the_navigation(page, live):
    user = add_user(live, first_name="Chris")
    sign_in(page, user.email)
    expect_signed_in_as(page, "Chris")

    page.get_by_role("navigation").get_by_role("link", name="Sign out").click()
    expect(heading(page)).to_have_text("Sign out")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(live.url + "/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign in")).to_be_visible()

    page.goto("/account")
    expect(page).to_have_url(re.compile(re.escape(live.url) + r"/login\?next=%2Faccount$"))
    expect(heading(page)).to_have_text("Sign in")
