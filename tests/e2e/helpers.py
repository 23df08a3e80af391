"""What the browser tests arrange and do: accounts in the database, and the
few form fillings every journey repeats."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import PASSWORD, make_agency, make_user
from trainingapp.agencies.models import Person, Role
from trainingapp.extensions import db

NEW_PASSWORD = "violet tractor humming lagoon"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    first_name: str


def add_agencies(live, *names: str) -> list[int]:
    def work():
        ids = [make_agency(name).id for name in names]
        db.session.commit()
        return ids

    return live.db(work)


def add_user(live, role: Role = Role.PRACTITIONER, first_name: str = "Pat", **kwargs) -> User:
    """A confirmed account that signs in with PASSWORD."""
    def work():
        person = make_user(role, first_name=first_name, **kwargs)
        db.session.commit()
        return User(person.id, person.email, person.first_name)

    return live.db(work)


def people_with_email(live, email: str) -> list[dict]:
    def work():
        people = db.session.scalars(select(Person).where(Person.email == email)).all()
        return [{"id": p.id, "first_name": p.first_name, "last_name": p.last_name,
                 "job_title": p.job_title, "agency": p.agency.name if p.agency else None,
                 "role": p.role, "confirmed": p.email_confirmed_at is not None,
                 "has_password": p.password_hash is not None} for p in people]

    return live.db(work)


def sign_in(page: Page, email: str, password: str = PASSWORD, next: str | None = None) -> None:
    page.goto("/login" + (f"?next={quote(next, safe='')}" if next else ""))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_signed_in_as(page: Page, first_name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {first_name}")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign out")).to_be_visible()


def register(page: Page, first_name: str, last_name: str, email: str, agency: str,
             job_title: str, password: str = NEW_PASSWORD) -> None:
    page.goto("/register")
    page.locator("#first_name").fill(first_name)
    page.locator("#last_name").fill(last_name)
    page.locator("#email").fill(email)
    page.locator("#agency").select_option(label=agency)
    page.locator("#job_title").fill(job_title)
    page.locator("#password").fill(password)
    page.locator("#password_again").fill(password)
    page.get_by_role("button", name="Create account").click()


def heading(page: Page):
    return page.get_by_role("heading", level=1)
