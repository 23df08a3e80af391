"""The login and registration forms used with the keyboard alone: the skip
link is the first Tab stop and moves focus to the main content, every stop
shows a visible focus indicator, and the forms submit from the keyboard."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.helpers import NEW_PASSWORD, add_agencies, add_user, heading, people_with_email
from tests.factories import PASSWORD

# What has focus, and whether it shows: GOV.UK marks focus with a yellow
# outline or background plus a box-shadow; an element with neither is
# focused invisibly.
FOCUSED = r"""() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
                  && !/^rgba\(.*,\s*0\)$/.test(style.outlineColor) && style.outlineColor !== "transparent";
  return {
    id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || "").trim(),
    focusVisible: el.matches(":focus-visible"),
    indicator: outline || style.boxShadow !== "none",
    onScreen: box.width > 1 && box.height > 1,
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page: Page) -> dict:
    state = focused(page)
    assert state["focusVisible"] and state["indicator"] and state["onScreen"], (
        f"focus is not visible on {state}")
    return state


def tab_to(page: Page, element_id: str, most: int = 3) -> None:
    """Press Tab until the element has focus, checking each stop on the way
    shows its focus (a password field's "Show" button is one such stop)."""
    stops = []
    for _ in range(most):
        page.keyboard.press("Tab")
        state = assert_focus_visible(page)
        stops.append(state["id"] or f"{state['tag']} {state['text']!r}")
        if state["id"] == element_id:
            return
    raise AssertionError(f"#{element_id} not reached by Tab; focus went to {stops}")


def skip_to_main_content(page: Page) -> None:
    page.keyboard.press("Tab")
    state = assert_focus_visible(page)
    assert (state["tag"], state["text"]) == ("a", "Skip to main content"), state
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main-content"


def test_sign_in_with_the_keyboard_only(page, live):
    user = add_user(live, first_name="Kim")
    page.goto("/login")

    skip_to_main_content(page)
    tab_to(page, "email", most=1)
    page.keyboard.type(user.email)
    tab_to(page, "password", most=1)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Hello, Kim")


def test_empty_sign_in_errors_are_reachable_by_keyboard(page, live):
    page.goto("/login")
    skip_to_main_content(page)
    tab_to(page, "email", most=1)
    page.keyboard.press("Enter")

    # GOV.UK's error summary takes focus, and its links lead to the fields.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#email")).to_be_focused()


def test_register_with_the_keyboard_only(page, live):
    add_agencies(live, "Northshire Police", "Riverside NHS Trust", "Westfield Council")
    page.goto("/register")

    skip_to_main_content(page)
    for field, value in (("first_name", "Lee"), ("last_name", "Marsh"),
                         ("email", "lee.marsh@westfield.example")):
        tab_to(page, field, most=1)
        page.keyboard.type(value)
    tab_to(page, "agency", most=1)
    page.keyboard.press("ArrowDown")  # first agency in the list
    expect(page.locator("#agency option:checked")).to_have_text("Northshire Police")
    page.keyboard.type("West")  # type-ahead picks by name
    expect(page.locator("#agency option:checked")).to_have_text("Westfield Council")
    tab_to(page, "job_title", most=1)
    page.keyboard.type("Youth worker")
    tab_to(page, "password", most=1)
    page.keyboard.type(NEW_PASSWORD)
    tab_to(page, "password_again", most=2)  # past the "Show" button
    page.keyboard.type(NEW_PASSWORD)
    tab_to(page, "submit", most=2)
    page.keyboard.press("Space")

    expect(heading(page)).to_have_text("Check your email")
    [person] = people_with_email(live, "lee.marsh@westfield.example")
    assert (person["first_name"], person["last_name"], person["agency"], person["job_title"]) == (
        "Lee", "Marsh", "Westfield Council", "Youth worker")
