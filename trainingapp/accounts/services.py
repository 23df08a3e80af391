"""Account use cases. Each one is a transaction: it checks, changes, audits,
queues any e-mail in the same transaction, and commits."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .. import audit
from ..agencies.models import Agency, Person, Role
from ..extensions import db
from ..mail.services import queue_mail
from ..types import utcnow
from . import tokens

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# zxcvbn scores 0-4; below 3 means the password is common or guessable.
MIN_PASSWORD_SCORE = 3
# Checked when the e-mail is unknown, so a wrong e-mail takes as long as a
# wrong password and the two cannot be told apart.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class PasswordError(ValueError):
    """The password or the accounts named cannot be used."""


class AccountError(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def password_problem(password: str, *user_inputs: str) -> str | None:
    """Why a new password is refused, or None. Length and a check against
    common and guessable passwords; no composition rules (NCSC, ASVS)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    inputs = [part for value in user_inputs if value for part in value.replace("@", " ").split()]
    if zxcvbn(password[:72], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        return ("Password is too common or easy to guess: try three or four random words "
                "together")
    return None


def check_password_rules(password: str, *user_inputs: str) -> None:
    problem = password_problem(password, *user_inputs)
    if problem:
        raise PasswordError(problem)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def set_passwords(emails, password: str) -> list[str]:
    """Give every named account the same new password, or change nothing
    when any e-mail is unknown or the password is too short or too long.
    This is the operator's tool (contract section 6): the guessability
    check applies where people choose their own password (registration,
    reset, change)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise PasswordError(f"the password must have {MIN_PASSWORD_LENGTH} to "
                            f"{MAX_PASSWORD_LENGTH} characters")
    wanted = [e.strip().lower() for e in emails]
    people = {p.email: p for p in db.session.scalars(select(Person).where(Person.email.in_(wanted)))}
    unknown = [e for e in wanted if e not in people]
    if unknown:
        raise PasswordError("unknown e-mail: " + ", ".join(unknown))
    for email in wanted:
        person = people[email]
        person.password_hash = hash_password(password)
        person.session_token = None
        if person.email_confirmed_at is None:
            person.email_confirmed_at = utcnow()
        audit.record("password_set", target_type="person", target_id=person.id, via="cli")
    db.session.commit()
    return wanted


def find_by_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == email.strip().lower()))


# -- signing in and out -----------------------------------------------------------

def authenticate(email: str, password: str) -> Person | None:
    """The person when the e-mail and password match an account that may log
    in; None otherwise (the caller shows one message for every failure)."""
    person = find_by_email(email)
    if person is None or not person.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(person.password_hash, password):
        return None
    if not person.can_log_in:
        return None
    return person


def record_failed_login(email: str) -> None:
    person = find_by_email(email)
    audit.record("login_failed", target_type="person", target_id=person.id if person else None,
                 agency_id=person.agency_id if person else None, email=email.strip().lower()[:254])
    db.session.commit()


def sign_in(person: Person) -> None:
    """Start a fresh session: nothing from the anonymous session survives
    (no session fixation), and the cookie carries the person's token."""
    session.clear()
    if not person.session_token:
        person.session_token = secrets.token_urlsafe(32)
    person.last_login_at = utcnow()
    audit.record("login", actor_id=person.id, agency_id=person.agency_id)
    db.session.commit()
    login_user(person)


def end_all_sessions(person: Person) -> None:
    """A new token: every cookie holding the old one stops working."""
    person.session_token = secrets.token_urlsafe(32)


def sign_out(person: Person) -> None:
    end_all_sessions(person)
    audit.record("logout", actor_id=person.id, agency_id=person.agency_id)
    db.session.commit()
    logout_user()
    session.clear()


# -- registration ------------------------------------------------------------------

@dataclass
class Registration:
    email: str
    first_name: str
    last_name: str
    agency_id: int
    job_title: str
    password: str


def register(data: Registration) -> None:
    """Ask the person to confirm their e-mail address; the same answer
    whatever the address (no account enumeration).

    - A new address gets an unconfirmed account.
    - A person already imported by e-mail (no login yet) claims that record:
      the password and the details they gave are applied when they confirm,
      so a stranger cannot change someone's record.
    - An address with an account already gets an e-mail saying so.
    """
    email = data.email.strip().lower()
    agency = db.session.get(Agency, data.agency_id)
    if agency is None:
        raise AccountError("Select your agency from the list", "unknown_agency")
    person = find_by_email(email)
    if person is not None and person.email_confirmed_at is not None and person.password_hash:
        queue_mail(email, "account_exists", "You already have an account",
                   person=person, login_url=url_for("accounts.login", _external=True),
                   reset_url=url_for("accounts.forgot_password", _external=True))
        db.session.commit()
        return
    details = {"first_name": data.first_name.strip(), "last_name": data.last_name.strip(),
               "agency_id": agency.id, "job_title": data.job_title.strip() or None}
    if person is None:
        person = Person(email=email, role=Role.PRACTITIONER, **details)
        db.session.add(person)
        db.session.flush()
        audit.record("register", target_type="person", target_id=person.id, agency_id=agency.id)
        pending = {}
    else:
        audit.record("register_claim", target_type="person", target_id=person.id,
                     agency_id=person.agency_id)
        pending = {"details": details}
    # The password travels in the signed link and is set only on
    # confirmation: whoever registers an address that is not theirs cannot
    # give its owner's record (or a fresh account) a password they know.
    token = tokens.make(person, tokens.CONFIRM, password_hash=hash_password(data.password), **pending)
    queue_mail(email, "confirm_email", "Confirm your e-mail address", person=person,
               first_name=details["first_name"],
               confirm_url=url_for("accounts.confirm_email", token=token, _external=True))
    db.session.commit()


def confirm_email(token: str) -> Person:
    person, data = tokens.read(token, tokens.CONFIRM)
    details = data.get("details") or {}
    if details and db.session.get(Agency, details.get("agency_id")) is not None:
        for name, value in details.items():
            setattr(person, name, value)
    if data.get("password_hash"):
        person.password_hash = data["password_hash"]
        end_all_sessions(person)
    person.email_confirmed_at = utcnow()
    audit.record("email_confirmed", actor_id=person.id, agency_id=person.agency_id,
                 target_type="person", target_id=person.id)
    db.session.commit()
    return person


# -- passwords -----------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """E-mail a reset link when the address has an account; say nothing
    either way."""
    person = find_by_email(email)
    if person is None or not person.is_active or not person.password_hash:
        return
    token = tokens.make(person, tokens.RESET)
    queue_mail(person.email, "password_reset", "Reset your password", person=person,
               reset_url=url_for("accounts.reset_password", token=token, _external=True),
               minutes=tokens.MAX_AGE[tokens.RESET] // 60)
    audit.record("password_reset_requested", target_type="person", target_id=person.id,
                 agency_id=person.agency_id)
    db.session.commit()


def check_reset_token(token: str) -> Person:
    return tokens.read(token, tokens.RESET)[0]


def reset_password(token: str, password: str) -> Person:
    person = check_reset_token(token)
    check_password_rules(password, person.email, person.first_name, person.last_name)
    person.password_hash = hash_password(password)
    if person.email_confirmed_at is None:
        person.email_confirmed_at = utcnow()  # they have just proved the mailbox is theirs
    end_all_sessions(person)
    audit.record("password_reset", actor_id=person.id, agency_id=person.agency_id,
                 target_type="person", target_id=person.id)
    queue_mail(person.email, "password_changed", "Your password has been changed", person=person)
    db.session.commit()
    return person


def change_password(person: Person, current: str, new: str) -> None:
    if not check_password_hash(person.password_hash or _DUMMY_HASH, current):
        raise AccountError("Your current password is not correct", "wrong_password")
    check_password_rules(new, person.email, person.first_name, person.last_name)
    person.password_hash = hash_password(new)
    end_all_sessions(person)
    audit.record("password_changed", actor_id=person.id, agency_id=person.agency_id,
                 target_type="person", target_id=person.id)
    queue_mail(person.email, "password_changed", "Your password has been changed", person=person)
    db.session.commit()
    login_user(person)  # this session goes on with the new token


# -- profile and administration ----------------------------------------------------

# Who may move themselves to another agency. Everyone else's access
# depends on their agency (a manager sees that agency's staff), so only an
# admin moves them.
SELF_MOVING_ROLES = (Role.PRACTITIONER, Role.TRAINER)


def may_change_own_agency(person: Person) -> bool:
    return person.role in SELF_MOVING_ROLES


def update_profile(person: Person, first_name: str, last_name: str, job_title: str,
                   agency_id: int | None = None) -> None:
    """Change the person's details. A new agency applies to bookings made
    from now on; earlier bookings keep the agency they were made from.
    ``agency_id`` None keeps the agency."""
    agency = db.session.get(Agency, agency_id if agency_id is not None else person.agency_id)
    if agency is None:
        raise AccountError("Select your agency from the list", "unknown_agency")
    if agency.id != person.agency_id and not may_change_own_agency(person):
        raise AccountError("Ask an administrator to move you to another agency", "agency_locked")
    if agency.id != person.agency_id:
        audit.record("agency_changed", actor_id=person.id, agency_id=agency.id,
                     target_type="person", target_id=person.id,
                     old_agency_id=person.agency_id, new_agency_id=agency.id)
    person.first_name, person.last_name = first_name.strip(), last_name.strip()
    person.job_title = job_title.strip() or None
    person.agency_id = agency.id
    db.session.commit()


def administer(actor: Person, person: Person, role: Role, agency_id: int | None,
               is_active: bool) -> None:
    """An admin gives a role, moves someone to an agency, or (de)activates
    an account. Deactivating signs them out everywhere at once."""
    if person.id == actor.id and (role is not Role.ADMIN or not is_active):
        raise AccountError("You cannot remove your own admin role or deactivate yourself",
                           "self_demotion")
    if agency_id is not None and db.session.get(Agency, agency_id) is None:
        raise AccountError("Select an agency from the list", "unknown_agency")
    if role is Role.AGENCY_MANAGER and agency_id is None:
        raise AccountError("An agency manager needs an agency", "manager_without_agency")
    if role is not person.role:
        audit.record("role_changed", actor_id=actor.id, agency_id=agency_id,
                     target_type="person", target_id=person.id,
                     old=person.role.value, new=role.value)
    if is_active != person.is_active:
        audit.record("account_activated" if is_active else "account_deactivated",
                     actor_id=actor.id, agency_id=agency_id, target_type="person",
                     target_id=person.id)
        if not is_active:
            end_all_sessions(person)
    if agency_id != person.agency_id:
        audit.record("agency_changed", actor_id=actor.id, agency_id=agency_id,
                     target_type="person", target_id=person.id,
                     old_agency_id=person.agency_id, new_agency_id=agency_id)
    person.role, person.agency_id, person.is_active = role, agency_id, is_active
    db.session.commit()
