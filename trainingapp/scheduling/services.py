"""Scheduling use cases: sessions, their cancellation, the programme's
figures (the course catalogue and venues are in catalogue.py).

Each use case is one transaction: it checks every rule, raises
:class:`SchedulingError` having written nothing, or writes, audits, queues
any e-mail and commits. A :class:`SchedulingError` lists every problem
found, each naming the input it is about, so a form can show them all at
once.

A session's days are the truth about when it runs; ``start_on`` and
``end_on`` are kept equal to its first and last day (reports and the
import use them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..agencies.models import Person, Role
from ..bookings.models import ACTIVE_STATUSES, Booking, BookingRequest, BookingStatus, RequestStatus
from ..bookings.services import fill_from_waitlist, lock_session, tell_session_changed
from ..courses.models import (
    REF_PATTERN,
    Course,
    SessionDay,
    SessionStatus,
    TrainingSession,
    Venue,
    session_trainers,
)
from ..extensions import db
from ..mail.services import queue_mail
from ..programme.calendar import session_ics
from ..reports import queries
from ..types import uk_today, utcnow

AT_RISK_DAYS = 14
REF_LENGTH = TrainingSession.ref.type.length


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``field`` names the input it is about; for a day of a
    session, ``index`` is the day's position in the plan."""

    field: str
    message: str
    code: str
    index: int | None = None


class SchedulingError(Exception):
    """A scheduling rule said no; nothing was written. ``message`` and
    ``code`` are those of the first problem; ``problems`` has them all."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message)
        self.problems = problems
        self.message, self.code = problems[0].message, problems[0].code


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise SchedulingError(problems)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- sessions ---------------------------------------------------------------------

@dataclass
class DayPlan:
    day_on: date
    starts_at: time
    ends_at: time
    label: str = ""  # how messages name the day ("Day 2"); by position if blank


@dataclass
class SessionPlan:
    """Everything the coordinator decides about one occasion of a course."""

    ref: str
    course_id: int
    days: list[DayPlan]
    capacity: int
    venue_id: int | None = None
    online_url: str | None = None
    trainer_ids: list[int] = field(default_factory=list)
    booking_opens_on: date | None = None
    booking_closes_on: date | None = None
    cancellation_cutoff_on: date | None = None
    is_waitlist_open: bool = True
    agency_cap: int | None = None
    joining_instructions: str | None = None


def confirmed_count(session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED))


def suggest_ref(course: Course, year: int) -> str:
    """The next free reference of the form CODE-YYYY-NN (NN counting the
    course's sessions referenced in that year)."""
    prefix = re.sub(r"[^A-Za-z0-9]+", "-", course.code).strip("-").upper() or "S"
    prefix = f"{prefix[:REF_LENGTH - 9]}-{year}-"
    taken = db.session.scalars(select(TrainingSession.ref).where(
        func.lower(TrainingSession.ref).like(prefix.lower() + "%"))).all()
    numbers = [int(ref[len(prefix):]) for ref in taken if ref[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _day_label(plan: SessionPlan, index: int) -> str:
    return plan.days[index].label or f"Day {index + 1}"


def _check_days(plan: SessionPlan, session: TrainingSession | None, today: date) -> list[Problem]:
    problems = []
    if not plan.days:
        return [Problem("days", "Enter at least one day, with its date and times", "no_days", 0)]
    already = {d.day_on for d in session.days} if session is not None else set()
    seen: dict[date, int] = {}
    for i, day in enumerate(plan.days):
        if day.day_on < today and day.day_on not in already:
            problems.append(Problem("day_on", f"{_day_label(plan, i)} must be today or in the future",
                                    "day_in_past", i))
        if day.day_on in seen:
            problems.append(Problem("day_on", f"{_day_label(plan, i)} is on the same date as "
                                    f"{_day_label(plan, seen[day.day_on]).lower()}", "duplicate_day", i))
        seen.setdefault(day.day_on, i)
        if day.ends_at <= day.starts_at:
            problems.append(Problem("ends_at", f"{_day_label(plan, i)} must end after it starts",
                                    "end_before_start", i))
    return problems


def _trainer_clashes(plan: SessionPlan, session_id: int | None) -> list[tuple[str, str, date]]:
    """(trainer's name, other session's ref, day) for each trainer already
    delivering another live session at an overlapping time on one of the
    plan's days. A session with no day rows is taken as busy all day, every
    day from its start to its end."""
    if not plan.trainer_ids or not plan.days:
        return []
    live = and_(TrainingSession.status != SessionStatus.CANCELLED,
                TrainingSession.id != (session_id or -1),
                session_trainers.c.person_id.in_(plan.trainer_ids))
    timed = (
        select(Person.first_name, Person.last_name, TrainingSession.ref, SessionDay.day_on)
        .select_from(session_trainers)
        .join(TrainingSession, TrainingSession.id == session_trainers.c.session_id)
        .join(SessionDay, SessionDay.session_id == TrainingSession.id)
        .join(Person, Person.id == session_trainers.c.person_id)
        .where(live, or_(*(and_(SessionDay.day_on == d.day_on, SessionDay.starts_at < d.ends_at,
                                SessionDay.ends_at > d.starts_at) for d in plan.days)))
    )
    untimed = (
        select(Person.first_name, Person.last_name, TrainingSession.ref, TrainingSession.start_on)
        .select_from(session_trainers)
        .join(TrainingSession, TrainingSession.id == session_trainers.c.session_id)
        .join(Person, Person.id == session_trainers.c.person_id)
        .where(live, ~exists().where(SessionDay.session_id == TrainingSession.id),
               or_(*(and_(TrainingSession.start_on <= d.day_on, TrainingSession.end_on >= d.day_on)
                     for d in plan.days)))
    )
    rows = db.session.execute(timed).all() + db.session.execute(untimed).all()
    return sorted({(f"{first} {last}", ref, day) for first, last, ref, day in rows})


def _check_plan(plan: SessionPlan, session: TrainingSession | None, today: date) -> list[Problem]:
    problems = []
    ref = plan.ref.strip()
    if not REF_PATTERN.fullmatch(ref) or len(ref) > REF_LENGTH:
        problems.append(Problem("ref", f"Reference must be {REF_LENGTH} characters or fewer: letters, "
                                "numbers, dots, hyphens and underscores only", "bad_ref"))
    elif db.session.scalar(select(TrainingSession.id).where(
            func.lower(TrainingSession.ref) == ref.lower(),
            TrainingSession.id != (session.id if session else -1))) is not None:
        problems.append(Problem("ref", f"A session with the reference {ref} already exists", "ref_taken"))
    course = db.session.get(Course, plan.course_id)
    if course is None or (session is None and not course.is_active):
        problems.append(Problem("course", "Select a course that is in the catalogue", "unknown_course"))
    problems += _check_days(plan, session, today)

    venue = db.session.get(Venue, plan.venue_id) if plan.venue_id else None
    if plan.venue_id and venue is None:
        problems.append(Problem("venue", "Select a venue from the list", "unknown_venue"))
    if venue is None and not plan.online_url:
        problems.append(Problem("venue", "Select a venue, or give the link of an online session",
                                "no_venue"))
    elif venue is not None and plan.online_url:
        problems.append(Problem("online_url", "Give a venue or an online link, not both",
                                "venue_and_link"))
    if venue is not None and venue.capacity is not None and plan.capacity > venue.capacity:
        problems.append(Problem("capacity", f"Capacity must be {venue.capacity} or fewer: "
                                f"{venue.name} holds {venue.capacity}", "above_venue_capacity"))
    if session is not None:
        confirmed = confirmed_count(session.id)
        if plan.capacity < confirmed:
            problems.append(Problem("capacity", f"Capacity cannot be less than the {confirmed} "
                                    "places already confirmed", "capacity_below_confirmed"))
    if plan.agency_cap is not None and plan.agency_cap > plan.capacity:
        problems.append(Problem("agency_cap", "The cap per agency cannot be more than the capacity",
                                "agency_cap_above_capacity"))

    first = min((d.day_on for d in plan.days), default=None)
    if first is not None:
        if plan.booking_opens_on and plan.booking_opens_on >= first:
            problems.append(Problem("booking_opens_on", "Booking must open before the first day",
                                    "opens_too_late"))
        if plan.booking_closes_on and plan.booking_closes_on >= first:
            problems.append(Problem("booking_closes_on", "Booking must close before the first day",
                                    "closes_too_late"))
        if plan.cancellation_cutoff_on and plan.cancellation_cutoff_on > first:
            problems.append(Problem("cancellation_cutoff_on",
                                    "The cancellation cut-off must be on or before the first day",
                                    "cutoff_too_late"))
    if plan.booking_opens_on and plan.booking_closes_on and plan.booking_closes_on < plan.booking_opens_on:
        problems.append(Problem("booking_closes_on", "Booking must close after it opens",
                                "closes_before_opens"))

    trainers = db.session.scalars(select(Person).where(Person.id.in_(plan.trainer_ids))).all()
    # Someone already training on the session may stay on it after losing the role.
    kept = {t.id for t in session.trainers} if session is not None else set()
    if any(t.role is not Role.TRAINER and t.id not in kept for t in trainers) \
            or len(trainers) != len(set(plan.trainer_ids)):
        problems.append(Problem("trainers", "Select trainers from the list", "not_a_trainer"))
    for name, other, day in _trainer_clashes(plan, session.id if session else None):
        problems.append(Problem("trainers", f"{name} is already delivering {other} at that time "
                                f"on {day:%-d %B %Y}", "trainer_double_booked"))
    return problems


def _write_plan(session: TrainingSession, plan: SessionPlan) -> None:
    trainers = list(db.session.scalars(select(Person).where(Person.id.in_(plan.trainer_ids))))
    session.ref = plan.ref.strip()
    session.venue_id = plan.venue_id or None
    session.online_url = _blank(plan.online_url)
    session.trainers = trainers
    session.booking_opens_on, session.booking_closes_on = plan.booking_opens_on, plan.booking_closes_on
    session.cancellation_cutoff_on = plan.cancellation_cutoff_on
    session.is_waitlist_open, session.agency_cap = plan.is_waitlist_open, plan.agency_cap
    session.joining_instructions = _blank(plan.joining_instructions)
    # Match days by date: the (session, day) pair is unique, and the unit of
    # work inserts before it deletes, so re-adding a removed date would clash.
    stored = {day.day_on: day for day in session.days}
    wanted = {day.day_on: day for day in plan.days}
    for day_on, day in stored.items():
        if day_on not in wanted:
            session.days.remove(day)
    for day_on, plan_day in wanted.items():
        day = stored.get(day_on)
        if day is None:
            session.days.append(SessionDay(day_on=day_on, starts_at=plan_day.starts_at,
                                           ends_at=plan_day.ends_at))
        else:
            day.starts_at, day.ends_at = plan_day.starts_at, plan_day.ends_at
    session.start_on, session.end_on = min(wanted), max(wanted)


def _audit_details(plan: SessionPlan) -> dict:
    return {"ref": plan.ref.strip(), "days": [d.day_on.isoformat() for d in plan.days],
            "capacity": plan.capacity, "venue_id": plan.venue_id, "trainers": sorted(plan.trainer_ids)}


def schedule_session(plan: SessionPlan, actor: Person, today: date | None = None,
                     duplicated_from: TrainingSession | None = None) -> TrainingSession:
    """Schedule a new occasion of a course (status ``scheduled``)."""
    _raise_if(_check_plan(plan, None, today or uk_today()))
    plan.days = sorted(plan.days, key=lambda d: d.day_on)
    session = TrainingSession(course_id=plan.course_id, capacity=plan.capacity,
                              status=SessionStatus.SCHEDULED, start_on=plan.days[0].day_on,
                              end_on=plan.days[-1].day_on)
    _write_plan(session, plan)
    db.session.add(session)
    db.session.flush()
    audit.record("session_created", actor_id=actor.id, target_type="session", target_id=session.id,
                 duplicated_from=duplicated_from.ref if duplicated_from else None,
                 **_audit_details(plan))
    db.session.commit()
    return session


def update_session(session: TrainingSession, plan: SessionPlan, actor: Person,
                   today: date | None = None) -> list[Booking]:
    """Change a scheduled session. Returns the waiting bookings promoted
    because the capacity went up (they are told by e-mail)."""
    session = lock_session(session.id)
    if session.status is not SessionStatus.SCHEDULED:
        raise SchedulingError([Problem("ref", f"This session is {session.status.value}: it cannot "
                                       "be changed", "not_scheduled")])
    plan.course_id = session.course_id
    _raise_if(_check_plan(plan, session, today or uk_today()))
    plan.days = sorted(plan.days, key=lambda d: d.day_on)
    before = _what_delegates_see(session)
    _write_plan(session, plan)
    promoted = change_capacity(session, plan.capacity)
    # A raised or removed agency cap lets people it held back take free places.
    promoted += fill_from_waitlist(session)
    told = 0
    if _what_delegates_see(session) != before:
        session.updated_at = utcnow()  # calendars see a new SEQUENCE
        told = tell_session_changed(session)
    audit.record("session_updated", actor_id=actor.id, target_type="session", target_id=session.id,
                 promoted=len(promoted), told=told, **_audit_details(plan))
    db.session.commit()
    return promoted


def _what_delegates_see(session: TrainingSession) -> tuple:
    """The details a change of which delegates must be told about."""
    db.session.flush()
    db.session.refresh(session, ["days"])
    return (tuple((d.day_on, d.starts_at, d.ends_at) for d in session.days), session.venue_id,
            session.online_url, session.joining_instructions)


def change_capacity(session: TrainingSession, capacity: int) -> list[Booking]:
    """Set a session's capacity: the one place it changes after scheduling.
    Never below the confirmed places; when it goes up, the earliest waiting
    people take the new places at once (the booking rules' own
    ``fill_from_waitlist``, in the caller's transaction and under its lock)."""
    confirmed = confirmed_count(session.id)
    if capacity < confirmed:
        raise SchedulingError([Problem("capacity", f"Capacity cannot be less than the {confirmed} "
                                       "places already confirmed", "capacity_below_confirmed")])
    raised = capacity > session.capacity
    session.capacity = capacity
    db.session.flush()
    return fill_from_waitlist(session) if raised else []


def proposal_from(session: TrainingSession, weeks: int) -> SessionPlan:
    """A plan for the next occasion: the same course, place, capacity,
    trainers, times and settings, every date ``weeks`` weeks later, and the
    next free reference. Nothing is saved."""
    shift = timedelta(weeks=weeks)
    days = [DayPlan(d.day_on + shift, d.starts_at, d.ends_at) for d in session.days]
    if not days:  # imported history: every day from start to end
        span = (session.end_on - session.start_on).days + 1
        days = [DayPlan(session.start_on + shift + timedelta(days=n), time(9, 30), time(16, 30))
                for n in range(span)]

    def moved(day: date | None) -> date | None:
        return day + shift if day else None

    return SessionPlan(
        ref=suggest_ref(session.course, days[0].day_on.year), course_id=session.course_id, days=days,
        capacity=session.capacity, venue_id=session.venue_id, online_url=session.online_url,
        trainer_ids=[t.id for t in session.trainers],
        booking_opens_on=moved(session.booking_opens_on),
        booking_closes_on=moved(session.booking_closes_on),
        cancellation_cutoff_on=moved(session.cancellation_cutoff_on),
        is_waitlist_open=session.is_waitlist_open, agency_cap=session.agency_cap,
        joining_instructions=session.joining_instructions)


# -- cancelling a session -----------------------------------------------------------

def cancel_session(session: TrainingSession, reason: str, actor: Person) -> int:
    """Cancel a scheduled session: the board, not the delegates, cancels, so
    every confirmed or waiting booking becomes ``cancelled`` (never late),
    and each of those people is e-mailed with a calendar cancellation that
    matches the invitation they had. Pending requests for a place expire.
    The session still counts as planned in the reports. Returns how many
    people were told."""
    reason = (reason or "").strip()
    if not reason:
        raise SchedulingError([Problem("reason", "Enter the reason for cancelling", "no_reason")])
    session = lock_session(session.id)
    if session.status is not SessionStatus.SCHEDULED:
        raise SchedulingError([Problem("reason", f"This session is already {session.status.value}",
                                       "not_scheduled")])
    now = utcnow()
    session.status, session.cancel_reason, session.cancelled_at = SessionStatus.CANCELLED, reason, now
    db.session.flush()
    bookings = db.session.scalars(
        select(Booking).options(selectinload(Booking.person))
        .where(Booking.session_id == session.id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.id)).all()
    subject = f"Cancelled: {session.course.title} on {session.start_on:%-d %B %Y}"
    for booking in bookings:
        was_waiting = booking.status is BookingStatus.WAITLISTED
        booking.status, booking.waitlist_order = BookingStatus.CANCELLED, None
        booking.cancelled_at, booking.cancel_reason = now, f"Session cancelled: {reason}"[:2000]
        ics = session_ics(session, method="CANCEL", attendee_email=booking.person.email,
                          attendee_name=booking.person.full_name, now=now)
        queue_mail(booking.person.email, "session_cancelled", subject, ics=ics,
                   person=booking.person, session=session, reason=reason, was_waiting=was_waiting)
    for request in db.session.scalars(select(BookingRequest).where(
            BookingRequest.session_id == session.id, BookingRequest.status == RequestStatus.PENDING)):
        request.status, request.decided_at = RequestStatus.EXPIRED, now
    audit.record("session_cancelled", actor_id=actor.id, target_type="session", target_id=session.id,
                 ref=session.ref, reason=reason, told=len(bookings))
    db.session.commit()
    return len(bookings)


# -- the programme ------------------------------------------------------------------

@dataclass
class ProgrammeFigures:
    rows: list
    at_risk: set[int]
    totals: dict[str, int]


def programme_figures(start: date, end: date, today: date) -> ProgrammeFigures:
    """The sessions starting in the period (one query) and the board's
    figures for it: planned (any status), run (completed), cancelled,
    places offered and booked so far (capacity and confirmed places of the
    sessions not cancelled), waiting. A session is *at risk* when it is
    scheduled, starts within ``AT_RISK_DAYS`` days from today and has fewer
    than half its places confirmed."""
    rows = queries.programme(start, end)
    soon = today + timedelta(days=AT_RISK_DAYS)
    at_risk = {r.id for r in rows if r.status is SessionStatus.SCHEDULED
               and today <= r.start_on <= soon and r.confirmed * 2 < r.capacity}
    live = [r for r in rows if r.status is not SessionStatus.CANCELLED]
    totals = {
        "planned": len(rows),
        "run": sum(r.status is SessionStatus.COMPLETED for r in rows),
        "cancelled": sum(r.status is SessionStatus.CANCELLED for r in rows),
        "places": sum(r.capacity for r in live),
        "booked": sum(r.confirmed for r in live),
        "waiting": sum(r.waiting for r in live),
        "at_risk": len(at_risk),
    }
    return ProgrammeFigures(rows, at_risk, totals)
