"""axe-core on every page a visitor and each role can reach: 0 violations of
WCAG 2.2 A and AA, and no Content-Security-Policy refusals in the console.

The pages are those linked from the service navigation and the footer, plus
the pages reached from them (sign in, registration, password reset, account
pages, an admin's person page), the error pages and forms showing their
validation errors."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.helpers import add_user, heading, sign_in
from trainingapp.agencies.models import Role

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
axe = Axe()


class Audit:
    """Runs axe on each page visited and keeps every problem, so one run
    reports them all."""

    def __init__(self, page: Page):
        self.page = page
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, what: str) -> None:
        self.page.wait_for_load_state("load")
        where = f"{what} ({self.page.url.split('/', 3)[-1] or '/'})"
        self.checked.append(where)
        results = axe.run(self.page, options=AXE_OPTIONS).response
        for violation in results["violations"]:
            nodes = "\n".join(
                f"      {', '.join(map(str, node['target']))}: "
                + " ".join(node.get("failureSummary", "").split())
                for node in violation["nodes"][:5])
            self.problems.append(
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}\n"
                f"    {violation['helpUrl']}\n{nodes}")
        self.problems += [f"{where}: console: {error}" for error in self.page.csp_errors]
        self.page.csp_errors.clear()

    def visit(self, path: str, what: str | None = None) -> None:
        self.page.goto(path)
        self.check(what or path)

    def submit_empty(self, path: str, button: str) -> None:
        self.page.goto(path)
        self.page.get_by_role("main").get_by_role("button", name=button).click()
        expect(self.page.locator(".govuk-error-summary")).to_be_visible()
        self.check(f"{path} with errors")

    def links(self, selector: str) -> list[str]:
        return self.page.locator(selector).evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")

    def assert_clean(self) -> None:
        assert not self.problems, (
            f"{len(self.problems)} accessibility problem(s) on {len(self.checked)} pages:\n\n"
            + "\n\n".join(self.problems))


def visit_navigation_and_footer(audit: Audit) -> None:
    audit.visit("/", "home")
    nav = audit.links(".govuk-service-navigation a")
    footer = audit.links(".govuk-footer a")
    assert nav and footer
    for href in dict.fromkeys(nav + footer):
        if href.startswith("mailto:"):
            continue
        assert href.startswith("/"), f"unexpected link {href}"
        audit.visit(href)


def test_pages_for_visitors(page, live):
    audit = Audit(page)
    visit_navigation_and_footer(audit)
    for path in ("/login", "/register", "/password/forgot", "/sessions"):
        audit.visit(path)
    audit.submit_empty("/login", "Sign in")
    audit.submit_empty("/register", "Create account")
    audit.submit_empty("/password/forgot", "Send me a reset link")
    audit.visit("/confirm/not-a-token", "confirm page")
    audit.visit("/password/reset/not-a-token", "link problem page")
    audit.visit("/no-such-page", "404 page")
    expect(heading(page)).to_have_text("Page not found")
    # The narrow layout collapses the service navigation behind a menu button.
    page.set_viewport_size({"width": 375, "height": 800})
    audit.visit("/", "home, narrow screen")
    page.get_by_role("button", name="Menu").click()
    audit.check("home, narrow screen, menu open")
    audit.assert_clean()


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_pages_for_each_role(page, live, role):
    user = add_user(live, role, first_name="Morgan")
    sign_in(page, user.email)
    expect(heading(page)).to_have_text("Hello, Morgan")

    audit = Audit(page)
    visit_navigation_and_footer(audit)
    for path in ("/account", "/account/password", "/logout", "/reports/compliance"):
        audit.visit(path)
    audit.submit_empty("/account/password", "Change password")
    if role is Role.ADMIN:
        audit.visit("/admin/people")
        audit.visit(f"/admin/people/{user.id}", "person edit page")
    else:
        audit.visit("/admin/people", "403 page")
        expect(heading(page)).to_have_text("You do not have access to this page")
    audit.visit("/no-such-page", "404 page")
    audit.assert_clean()
    assert len(audit.checked) >= 10
