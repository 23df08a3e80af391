"""Erasure and retention: the person goes, the history stays.

Erasing a person replaces their name, e-mail address and job title with a
placeholder ("Erased" / "person 12", ``erased-12@invalid``), removes their
sign-in, and scrubs the places where their name or address was written
down: e-mails to them (unsent ones are deleted, sent ones keep only the
subject and dates), e-mails to others, audit entry details, booking
request notes, the reasons they gave for cancelling, and free text that
names them. Bookings, attendance, the agency recorded on each booking and
training records are kept, so every report figure stays the same.

Someone with an upcoming booking, or who is to deliver an upcoming
session, cannot be erased: cancel the booking (or choose another trainer)
first, so the waiting list moves on and nobody is booked under a name that
no longer exists. Each erasure is one transaction and is audited as
``person_erased`` with the person's id only.

The retention rule (``apply_retention``) erases everyone whose last
activity is more than ``RETENTION_YEARS`` years old; erased people carry
``erased_at`` and are never erased twice.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from markupsafe import escape
from sqlalchemy import Text, cast, exists, func, or_, select

from .. import audit
from ..agencies.models import Person, Role
from ..attendance.models import TrainingRecord
from ..audit import AuditEntry
from ..bookings.models import ACTIVE_STATUSES, Booking, BookingRequest, RequestStatus
from ..courses.models import (
    Course,
    SessionStatus,
    TrainingSession,
    Venue,
    session_trainers,
)
from ..extensions import db
from ..mail.models import OutboxMessage
from ..types import UK, uk_today, utcnow

ERASED_FIRST_NAME = "Erased"
TYPED_REMOVED = "(removed)"

# Cancel reasons the app writes itself about the session, not the person.
SYSTEM_CANCEL_REASONS = ("Session cancelled: ", "Moved to ", "Substituted by ")

# Free text where anyone may have written a person's name or address. Names
# the reports print (agency, sector, course title) are not in this list.
FREE_TEXT = (
    (Booking, ("cancel_reason",)),
    (BookingRequest, ("note",)),
    (TrainingRecord, ("provider", "title")),
    (TrainingSession, ("joining_instructions", "cancel_reason")),
    (Course, ("description", "audience", "learning_outcomes")),
    (Venue, ("address", "accessibility_notes")),
    (OutboxMessage, ("to_address", "subject", "body_text", "body_html", "ics", "last_error")),
)


class PrivacyError(Exception):
    """Why a person cannot be erased now, with a code tests can check."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def erased_email(person_id: int) -> str:
    """A unique address that identifies no one (``.invalid`` never resolves)."""
    return f"erased-{person_id}@invalid"


def erased_last_name(person_id: int) -> str:
    return f"person {person_id}"


@dataclass
class Erasure:
    """What one erasure changed, for the CLI and the audit entry."""

    person_id: int
    messages_deleted: int = 0
    messages_blanked: int = 0
    reasons_blanked: int = 0
    requests_withdrawn: int = 0
    mentions_scrubbed: int = 0
    audit_entries_scrubbed: int = 0
    bookings_kept: int = 0
    records_kept: int = 0

    def counts(self) -> dict[str, int]:
        return {name: value for name, value in vars(self).items() if name != "person_id"}

    def __str__(self) -> str:
        return (f"Person {self.person_id} erased: name, e-mail and job title replaced, sign-in "
                f"removed. E-mails to them: {self.messages_deleted} unsent deleted, "
                f"{self.messages_blanked} sent blanked. Scrubbed: {self.reasons_blanked} "
                f"cancel reasons or notes, {self.mentions_scrubbed} other texts, "
                f"{self.audit_entries_scrubbed} audit entries; {self.requests_withdrawn} pending "
                f"requests withdrawn. Kept: {self.bookings_kept} bookings, "
                f"{self.records_kept} training records.")


# -- finding a person in text ------------------------------------------------------------

def _bounded(needle: str, is_email: bool) -> str:
    """A pattern for ``needle`` that does not match inside a longer name or
    address ("Pat Person1" is not in "Pat Person12")."""
    if is_email:
        return r"(?<![\w.+-])" + re.escape(needle) + r"(?![\w-]|\.\w)"
    left = r"(?<!\w)" if re.match(r"\w", needle) else ""
    right = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
    return left + re.escape(needle) + right


class _Scrubber:
    """Finds a person's e-mail address and full name in text, as typed and
    as HTML-escaped in e-mail bodies, and puts the placeholders in their
    place. Matching ignores case.

    ``typed`` are texts the person wrote (their reasons for cancelling):
    where a text names them, those are removed too, so the copy of a
    cancellation sent to their manager no longer says why."""

    def __init__(self, email: str, full_name: str, new_email: str, new_name: str,
                 typed: Iterable[str] = ()):
        self._patterns: list[tuple[re.Pattern, str]] = []
        self._typed = [re.compile(re.escape(variant))
                       for text in sorted({t.strip() for t in typed if len(t.strip()) >= 3},
                                          key=len, reverse=True)
                       for variant in dict.fromkeys((text, str(escape(text))))]
        for old, new, is_email in ((email, new_email, True), (full_name, new_name, False)):
            old = old.strip()
            if not old:
                continue
            for variant in sorted({old, str(escape(old))}, key=len, reverse=True):
                self._patterns.append((re.compile(_bounded(variant, is_email), re.IGNORECASE),
                                       str(escape(new)) if variant != old else new))
        self.sql_needles = _sql_needles(email, full_name)

    def text(self, value: str | None) -> str | None:
        if not value:
            return value
        named = 0
        for pattern, new in self._patterns:
            value, found = pattern.subn(lambda _match, new=new: new, value)
            named += found
        if named:
            for pattern in self._typed:
                value = pattern.sub(TYPED_REMOVED, value)
        return value

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.json(v) for k, v in value.items()}
        return value


def _sql_needles(*texts: str) -> set[str] | None:
    """What SQL looks for to pick the rows that may mention the person;
    Python then matches exactly. An ASCII text is looked for as typed,
    HTML-escaped and JSON-escaped (ILIKE ignores ASCII case only). Other
    text is looked for by its longest ASCII run, which every spelling and
    case of "ZOË O'BRIEN" shares ("BRIEN"); None (every row) when a text
    has no such run of three or more."""
    needles = set()
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if text.isascii():
            needles |= {text, str(escape(text)), json.dumps(text)[1:-1]}
            continue
        runs = re.findall(r"[A-Za-z0-9]{3,}", text)
        if not runs:
            return None
        needles.add(max(runs, key=len))
    return needles


def _mentions(columns: Iterable, needles: set[str] | None):
    if needles is None:
        return or_(*(column.is_not(None) for column in columns))
    return or_(*(column.icontains(needle, autoescape=True)
                 for column in columns for needle in sorted(needles)))


def _scrub_free_text(scrubber: _Scrubber) -> int:
    changed = 0
    for model, names in FREE_TEXT:
        columns = [getattr(model, name) for name in names]
        for row in db.session.scalars(select(model).where(_mentions(columns, scrubber.sql_needles))):
            before = [getattr(row, name) for name in names]
            for name, value in zip(names, before):
                setattr(row, name, scrubber.text(value))
            changed += before != [getattr(row, name) for name in names]
    return changed


def _scrub_audit(scrubber: _Scrubber) -> int:
    """Audit entries are otherwise never changed; erasure is the exception,
    and only for the name and address inside their details."""
    changed = 0
    details = cast(AuditEntry.details, Text)
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.details.is_not(None), _mentions([details], scrubber.sql_needles))):
        scrubbed = scrubber.json(entry.details)
        if scrubbed != entry.details:
            entry.details = scrubbed  # a new object, so the change is seen
            changed += 1
    return changed


# -- erasure -----------------------------------------------------------------------------

def upcoming_bookings(person_id: int, today: date | None = None) -> list[Booking]:
    """Active bookings on sessions that have not ended yet."""
    return list(db.session.scalars(
        select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(Booking.person_id == person_id, Booking.status.in_(ACTIVE_STATUSES),
               TrainingSession.status == SessionStatus.SCHEDULED,
               TrainingSession.end_on >= (today or uk_today()))
        .order_by(TrainingSession.start_on, Booking.id)))


def check_erasable(person: Person, actor: Person | None = None) -> None:
    if person.erased_at is not None:
        raise PrivacyError(f"Person {person.id} has already been erased.", "already_erased")
    if actor is not None and actor.id == person.id:
        raise PrivacyError("You cannot erase your own account.", "self_erasure")
    upcoming = upcoming_bookings(person.id)
    if upcoming:
        refs = ", ".join(b.session.ref for b in upcoming)
        raise PrivacyError(f"Person {person.id} has {len(upcoming)} upcoming booking(s) "
                           f"({refs}): cancel them first.", "upcoming_bookings")
    delivering = db.session.scalars(
        select(TrainingSession.ref)
        .join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
        .where(session_trainers.c.person_id == person.id,
               TrainingSession.status == SessionStatus.SCHEDULED,
               TrainingSession.end_on >= uk_today())
        .order_by(TrainingSession.start_on)).all()
    if delivering:
        raise PrivacyError(f"Person {person.id} is the trainer of {len(delivering)} upcoming "
                           f"session(s) ({', '.join(delivering)}): choose another trainer first.",
                           "upcoming_sessions")


def _anonymise(person: Person) -> Erasure:
    """Everything an erasure changes, in the caller's transaction."""
    now = utcnow()
    new_email = erased_email(person.id)
    new_name = f"{ERASED_FIRST_NAME} {erased_last_name(person.id)}"
    clash = db.session.scalar(select(Person.id).where(Person.email == new_email,
                                                      Person.id != person.id))
    if clash is not None:
        raise PrivacyError(f"Another account already uses {new_email}.", "placeholder_taken")
    bookings = db.session.scalars(select(Booking).where(Booking.person_id == person.id)).all()
    typed = [b.cancel_reason for b in bookings
             if b.cancel_reason and not b.cancel_reason.startswith(SYSTEM_CANCEL_REASONS)]
    scrubber = _Scrubber(person.email, person.full_name, new_email, new_name, typed)
    result = Erasure(person.id)

    to_them = func.lower(func.trim(OutboxMessage.to_address)) == person.email.strip().lower()
    for message in db.session.scalars(select(OutboxMessage).where(to_them)):
        if message.sent_at is None:
            db.session.delete(message)
            result.messages_deleted += 1
        else:
            message.to_address, message.body_text = new_email, ""
            message.body_html = message.ics = message.last_error = None
            result.messages_blanked += 1

    for booking in bookings:
        if booking.cancel_reason and not booking.cancel_reason.startswith(SYSTEM_CANCEL_REASONS):
            booking.cancel_reason = None
            result.reasons_blanked += 1
    for request in db.session.scalars(select(BookingRequest)
                                      .where(BookingRequest.person_id == person.id)):
        if request.note:
            request.note = None
            result.reasons_blanked += 1
        if request.status is RequestStatus.PENDING:
            request.status, request.decided_at = RequestStatus.WITHDRAWN, now
            result.requests_withdrawn += 1
    result.bookings_kept = len(bookings)
    result.records_kept = db.session.scalar(
        select(func.count()).where(TrainingRecord.person_id == person.id))

    db.session.flush()
    result.mentions_scrubbed = _scrub_free_text(scrubber)
    result.audit_entries_scrubbed = _scrub_audit(scrubber)

    person.first_name, person.last_name = ERASED_FIRST_NAME, erased_last_name(person.id)
    person.email, person.job_title = new_email, None
    person.password_hash = person.session_token = None
    person.email_confirmed_at = person.last_login_at = None
    person.is_active, person.role, person.erased_at = False, Role.PRACTITIONER, now
    db.session.flush()
    return result


def erase_person(person: Person, actor: Person | None = None, *, via: str = "web") -> Erasure:
    """Erase one person on request (an admin's page, or the CLI with no
    actor). One transaction; raises PrivacyError and changes nothing when
    the person cannot be erased now."""
    check_erasable(person, actor)
    agency_id = person.agency_id
    result = _anonymise(person)
    audit.record("person_erased", actor_id=actor.id if actor else None, agency_id=agency_id,
                 target_type="person", target_id=person.id, via=via, **result.counts())
    db.session.commit()
    return result


# -- retention ---------------------------------------------------------------------------

def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass
class Retention:
    years: int
    cutoff: date
    dry_run: bool
    people: list[tuple[int, date]] = field(default_factory=list)  # (id, last activity)

    def __str__(self) -> str:
        verb = "would be anonymised" if self.dry_run else "anonymised"
        return (f"{len(self.people)} {'person' if len(self.people) == 1 else 'people'} {verb} "
                f"(no activity since before {self.cutoff.isoformat()}, "
                f"RETENTION_YEARS={self.years}).")


def _as_day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UK).date()
    return value


def stale_people(years: int, today: date | None = None) -> list[tuple[int, date]]:
    """(id, last activity) of everyone not yet erased whose last activity is
    before the cut-off (``years`` before today) and who has no upcoming
    active booking. Activity is the latest of: the end of a session they
    booked (any status) or delivered as a trainer, a booking request, a
    training record's completion, their last sign-in, and when their record
    was created."""
    today = today or uk_today()
    cutoff = years_before(today, years)
    booked = (select(Booking.person_id.label("person_id"), func.max(TrainingSession.end_on).label("on"))
              .join(TrainingSession, Booking.session_id == TrainingSession.id)
              .group_by(Booking.person_id).subquery())
    delivered = (select(session_trainers.c.person_id, func.max(TrainingSession.end_on).label("on"))
                 .join(TrainingSession, session_trainers.c.session_id == TrainingSession.id)
                 .group_by(session_trainers.c.person_id).subquery())
    requested = (select(BookingRequest.person_id.label("person_id"),
                        func.max(BookingRequest.created_at).label("on"))
                 .group_by(BookingRequest.person_id).subquery())
    recorded = (select(TrainingRecord.person_id.label("person_id"),
                       func.max(TrainingRecord.completed_on).label("on"))
                .group_by(TrainingRecord.person_id).subquery())
    upcoming = exists().where(Booking.person_id == Person.id, Booking.status.in_(ACTIVE_STATUSES),
                              Booking.session_id == TrainingSession.id,
                              TrainingSession.status == SessionStatus.SCHEDULED,
                              TrainingSession.end_on >= today)
    rows = db.session.execute(
        select(Person.id, Person.created_at, Person.last_login_at, booked.c.on, delivered.c.on,
               requested.c.on, recorded.c.on)
        .outerjoin(booked, booked.c.person_id == Person.id)
        .outerjoin(delivered, delivered.c.person_id == Person.id)
        .outerjoin(requested, requested.c.person_id == Person.id)
        .outerjoin(recorded, recorded.c.person_id == Person.id)
        .where(Person.erased_at.is_(None), ~upcoming,
               Person.created_at < datetime.combine(cutoff, time(), UTC))
        .order_by(Person.id)).all()
    stale = []
    for person_id, *moments in rows:
        last = max(day for day in map(_as_day, moments) if day is not None)
        if last < cutoff:
            stale.append((person_id, last))
    return stale


def apply_retention(years: int, *, dry_run: bool = False, today: date | None = None) -> Retention:
    """Erase everyone :func:`stale_people` finds, each in a transaction of
    its own (a long run keeps what it has done if stopped). Running it again
    finds nobody new: erased people are skipped."""
    if years < 1:
        raise PrivacyError("The retention period must be at least one year.", "bad_years")
    today = today or uk_today()
    result = Retention(years, years_before(today, years), dry_run, stale_people(years, today))
    if dry_run:
        return result
    for person_id, last in result.people:
        person = db.session.get(Person, person_id)
        agency_id = person.agency_id
        erasure = _anonymise(person)
        audit.record("person_erased", agency_id=agency_id, target_type="person",
                     target_id=person_id, via="retention", years=years,
                     last_activity_on=last.isoformat(), **erasure.counts())
        db.session.commit()
    return result
