"""Read-only queries behind the public programme, the feed and "My sessions".

Every page here runs a fixed number of SQL statements, however many
sessions there are: sessions come one page at a time with their course and
venue joined and their days loaded in one ``selectin`` query, and booking
counts come from one grouped query over the page's sessions
(``booking_counts``). ``tests/test_programme.py`` pins the count.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..bookings.models import Booking, BookingStatus
from ..bookings.services import Places
from ..courses.models import Course, Level, SessionStatus, TrainingSession, Venue, session_trainers
from ..extensions import db
from ..forms import positive_int
from ..types import LATEST_YEAR, in_year_range
from .formatting import plural

PER_PAGE = 25
ONLINE = "online"  # the venue filter's value for sessions without a venue but with a link
NO_LEVEL = "none"  # the level filter's value for courses outside the levels
# The feed keeps sessions for a while after they end, so subscribed
# calendars do not lose last week's course.
FEED_PAST_DAYS = 31
RECENT_DAYS = 91  # "My sessions": recent means the last three months


# -- booking counts -------------------------------------------------------------------

def booking_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(confirmed, waitlisted) per session id, in one grouped query.
    Sessions with no active bookings are absent (read them as (0, 0))."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Booking.session_id,
               func.sum(case((Booking.status == BookingStatus.CONFIRMED, 1), else_=0)),
               func.sum(case((Booking.status == BookingStatus.WAITLISTED, 1), else_=0)))
        .where(Booking.session_id.in_(session_ids),
               Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
        .group_by(Booking.session_id))
    return {session_id: (int(confirmed), int(waiting)) for session_id, confirmed, waiting in rows}


def availability(session: TrainingSession, places: Places) -> str:
    """What the programme says about places: "3 places left" while a place
    is free and nobody waits (contract section 3: while anyone waits, a
    newcomer is waitlisted), else "Waiting list" when its list is open,
    else "Full"."""
    if places.free > 0 and places.waiting == 0:
        return plural(places.free, "place") + " left"
    return "Waiting list" if session.is_waitlist_open else "Full"


@dataclass(frozen=True)
class Row:
    session: TrainingSession
    places: Places

    @property
    def availability(self) -> str:
        return availability(self.session, self.places)


def _rows(sessions: list[TrainingSession]) -> list[Row]:
    counts = booking_counts([s.id for s in sessions])
    return [Row(s, Places(s.capacity, *counts.get(s.id, (0, 0)))) for s in sessions]


def _with_details(statement: Select) -> Select:
    """Course and venue joined into the same query, days in one more."""
    return statement.options(joinedload(TrainingSession.course), joinedload(TrainingSession.venue),
                             selectinload(TrainingSession.days))


# -- the public programme ---------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The programme's filters, as given in the query string. A value that
    is not one of the offered choices is ignored (no filter), never an
    error page."""

    level: str = ""  # "1", "2", "3", NO_LEVEL or ""
    course: str = ""  # course code, lower case
    month: str = ""  # YYYY-MM
    venue: str = ""  # venue id, ONLINE or ""

    @classmethod
    def from_args(cls, args) -> Filters:
        def arg(name: str) -> str:
            return (args.get(name) or "").strip()[:60]

        level = arg("level").lower()
        venue = arg("venue").lower()
        month = arg("month")
        return cls(
            level=level if level in ("1", "2", "3", NO_LEVEL) else "",
            course=arg("course").lower(),
            month=month if _month_start(month) else "",
            venue=venue if venue == ONLINE or positive_int(venue) else "",
        )

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _month_start(value: str) -> date | None:
    """The first day of the month ``YYYY-MM``; None when it is not one, or
    not in a year the programme can have (so the month after it exists)."""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        first = date(int(year), int(month), 1)
    except ValueError:
        return None
    return first if in_year_range(first) else None


def _month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def upcoming(today: date) -> Select:
    """Scheduled sessions that start today or later."""
    return select(TrainingSession).where(TrainingSession.status == SessionStatus.SCHEDULED,
                                         TrainingSession.start_on >= today)


def _filtered(filters: Filters, today: date) -> Select:
    statement = upcoming(today).join(TrainingSession.course)
    if filters.level == NO_LEVEL:
        statement = statement.where(Course.level.is_(None))
    elif filters.level:
        statement = statement.where(Course.level == int(filters.level))
    if filters.course:
        statement = statement.where(func.lower(Course.code) == filters.course)
    if filters.month:
        first = _month_start(filters.month)
        # Sessions running at any time in the month, not only starting in it.
        statement = statement.where(TrainingSession.start_on <= _month_end(first),
                                    TrainingSession.end_on >= first)
    if filters.venue == ONLINE:
        statement = statement.where(TrainingSession.venue_id.is_(None),
                                    TrainingSession.online_url.is_not(None))
    elif filters.venue:
        statement = statement.where(TrainingSession.venue_id == positive_int(filters.venue))
    return statement


@dataclass
class Page:
    rows: list[Row]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_item(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_item(self) -> int:
        return min(self.number * self.per_page, self.total)


def programme_page(filters: Filters, page: int, today: date, per_page: int = PER_PAGE) -> Page:
    """One page of upcoming scheduled sessions, soonest first, with their
    places. Three statements: the count, the page (course and venue
    joined), its days; plus the grouped booking counts."""
    statement = _filtered(filters, today)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    sessions = db.session.scalars(
        _with_details(statement)
        .order_by(TrainingSession.start_on, TrainingSession.ref)
        .limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(_rows(list(sessions)), page, total, per_page)


@dataclass
class Choices:
    """What the filter form offers: only values that find something."""

    levels: list[tuple[str, str]] = field(default_factory=list)
    courses: list[tuple[str, str]] = field(default_factory=list)
    months: list[tuple[str, str]] = field(default_factory=list)
    venues: list[tuple[str, str]] = field(default_factory=list)

    def items(self, name: str, any_text: str) -> list[dict]:
        """The options of one select, as the govukSelect macro takes them."""
        return [{"value": "", "text": any_text}] + [
            {"value": value, "text": text} for value, text in getattr(self, name)]


def filter_choices(today: date) -> Choices:
    """The filter form's options, from the upcoming programme (four
    statements, whatever its size)."""
    sessions = upcoming(today).subquery()
    choices = Choices()
    levels = db.session.execute(select(Level.number, Level.name).order_by(Level.number)).all()
    choices.levels = [(str(n), name) for n, name in levels] + [(NO_LEVEL, "Other courses")]
    courses = db.session.execute(
        select(Course.code, Course.title)
        .where(Course.id.in_(select(sessions.c.course_id)))
        .order_by(func.lower(Course.title), Course.code)).all()
    titles = [title for _, title in courses]
    # Two courses may share a title (e.g. re-run variants): add the code.
    choices.courses = [(code.lower(), title if titles.count(title) == 1 else f"{title} ({code})")
                       for code, title in courses]
    first, last = db.session.execute(
        select(func.min(sessions.c.start_on), func.max(sessions.c.end_on))).one()
    if first is not None:
        # Months the filter accepts only: a (mistaken) session in 9999 has
        # no month after it to step to.
        month, last = first.replace(day=1), min(last, date(LATEST_YEAR, 12, 31))
        while month <= last and len(choices.months) < 36:
            choices.months.append((f"{month:%Y-%m}", f"{month:%B %Y}"))
            month = (month + timedelta(days=32)).replace(day=1)
    venues = db.session.execute(
        select(Venue.id, Venue.name).where(Venue.id.in_(select(sessions.c.venue_id)))
        .order_by(func.lower(Venue.name))).all()
    choices.venues = [(str(venue_id), name) for venue_id, name in venues] + [(ONLINE, "Online")]
    return choices


# -- one session ----------------------------------------------------------------------

def session_by_ref(ref: str) -> TrainingSession | None:
    """The session with this reference, matched case-insensitively."""
    return db.session.scalar(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.venue),
                 selectinload(TrainingSession.days), selectinload(TrainingSession.trainers))
        .where(func.lower(TrainingSession.ref) == ref.strip().lower()))


# -- the feed --------------------------------------------------------------------------

def feed_sessions(today: date) -> list[TrainingSession]:
    """The sessions in the iCalendar feed: every session, in any status,
    that ends on or after ``today`` minus FEED_PAST_DAYS (cancelled ones
    stay, marked cancelled, so subscribers' calendars drop them)."""
    return list(db.session.scalars(
        _with_details(select(TrainingSession))
        .where(TrainingSession.end_on >= today - timedelta(days=FEED_PAST_DAYS))
        .order_by(TrainingSession.start_on, TrainingSession.ref)).unique())


# -- a trainer's sessions ---------------------------------------------------------------

def delivered_by(person_id: int, today: date) -> tuple[list[Row], list[Row]]:
    """(upcoming, recent) sessions the person is a trainer on: upcoming
    are those not yet over, soonest first; recent ended in the last
    RECENT_DAYS, latest first. Any status (a cancelled one says so)."""
    mine = select(session_trainers.c.session_id).where(session_trainers.c.person_id == person_id)
    sessions = list(db.session.scalars(
        _with_details(select(TrainingSession))
        .where(TrainingSession.id.in_(mine),
               TrainingSession.end_on >= today - timedelta(days=RECENT_DAYS))
        .order_by(TrainingSession.start_on, TrainingSession.ref)).unique())
    rows = _rows(sessions)
    upcoming_rows = [r for r in rows if r.session.end_on >= today]
    recent_rows = [r for r in reversed(rows) if r.session.end_on < today]
    return upcoming_rows, recent_rows

