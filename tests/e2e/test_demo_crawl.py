"""Every page each demo account can reach, with the demo programme loaded:
axe-core finds 0 WCAG 2.2 A/AA violations and the console no CSP refusal.

Starting from the navigation, the crawl follows same-site links in the
main content one level deep (session pages, a coordinator's session page,
registers, forms), skipping downloads and anything that is not a plain
GET page. Real data shows what an empty database cannot: full tables, tags,
waiting lists, pagination."""
from __future__ import annotations

import pytest

from tests.e2e.helpers import sign_in
from tests.e2e.test_accessibility import Audit
from trainingapp.demo import services as demo

PASSWORD = "orchard lantern velvet harbour"
PER_ROLE = 30
SKIP = (".csv", ".xlsx", ".pdf", ".ics", "/logout", "mailto:")


@pytest.fixture
def demo_accounts(live, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    return live.db(demo.load)


def crawl(audit: Audit, start: list[str]) -> None:
    seen: set[str] = set()
    queue = list(dict.fromkeys(start))
    while queue and len(seen) < PER_ROLE:
        href = queue.pop(0).split("#")[0]
        if not href.startswith("/") or href in seen or any(s in href for s in SKIP):
            continue
        seen.add(href)
        audit.visit(href)
        if href in start:  # one level deep from the navigation
            queue += audit.links("main a[href^='/']")


@pytest.mark.parametrize("role", ["admin", "coordinator", "trainer", "agency_manager", "practitioner"])
def test_demo_pages_for_each_role(page, live, demo_accounts, role):
    email = next(e for r, e, _ in demo_accounts if r == role)
    sign_in(page, email, PASSWORD)
    audit = Audit(page)
    audit.visit("/", "home")
    crawl(audit, audit.links(".govuk-service-navigation a"))
    audit.assert_clean()
    assert len(audit.checked) >= 8, audit.checked
