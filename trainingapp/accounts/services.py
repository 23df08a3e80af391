"""Account use cases that change data (each one transaction)."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .. import audit
from ..agencies.models import Person
from ..extensions import db

MIN_PASSWORD_LENGTH = 12


class PasswordError(ValueError):
    """The password or the accounts named cannot be used."""


def check_password_rules(password: str) -> None:
    """At least 12 characters; no composition rules (NCSC, OWASP ASVS)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def set_passwords(emails: tuple[str, ...] | list[str], password: str) -> list[str]:
    """Give every named account the same new password, or change nothing
    when any e-mail is unknown or the password breaks the rules."""
    check_password_rules(password)
    wanted = [e.strip().lower() for e in emails]
    people = {p.email: p for p in db.session.scalars(select(Person).where(Person.email.in_(wanted)))}
    unknown = [e for e in wanted if e not in people]
    if unknown:
        raise PasswordError("unknown e-mail: " + ", ".join(unknown))
    for email in wanted:
        people[email].password_hash = hash_password(password)
        audit.record("password_set", target_type="person", target_id=people[email].id, via="cli")
    db.session.commit()
    return wanted
