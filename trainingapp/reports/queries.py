"""Every figure the board publishes, computed in SQL.

Each function runs one statement (or a few), takes explicit filters, returns
plain rows and never commits. The CLI, the web pages and the downloads all
call these, so a figure can only be counted one way.

Common rules (contract section 5): a session belongs to a period when its
``start_on`` is in it; "run" sessions are those ``completed``; booking
counts look only at run sessions; a booking's sector is the sector of the
agency recorded on the booking.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from dateutil.relativedelta import relativedelta
from sqlalchemy import Integer, and_, case, cast, distinct, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..agencies.models import Agency, Person, Role, Sector
from ..attendance.models import TrainingRecord
from ..bookings.models import Attendance, Booking, BookingStatus
from ..courses.models import Course, Level, SessionDay, SessionStatus, TrainingSession, session_trainers
from ..extensions import db


def ci_key(text: str | None) -> tuple[str, str]:
    """Case-insensitive ordering, the same on every database."""
    return ((text or "").casefold(), text or "")


def _in_period(start: date | None, end: date | None):
    conditions = []
    if start is not None:
        conditions.append(TrainingSession.start_on >= start)
    if end is not None:
        conditions.append(TrainingSession.start_on <= end)
    return and_(True, *conditions)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_RUN = TrainingSession.status == SessionStatus.COMPLETED
_CONFIRMED = Booking.status == BookingStatus.CONFIRMED
_ATTENDED = and_(_CONFIRMED, Booking.attendance == Attendance.ATTENDED)


# -- activity -------------------------------------------------------------------

@dataclass
class ActivityRow:
    course_code: str
    course_title: str
    level: int | None
    sessions_planned: int = 0
    sessions_run: int = 0
    sessions_cancelled: int = 0
    places_offered: int = 0
    attended: int = 0
    partial: int = 0
    did_not_attend: int = 0
    late_cancelled: int = 0
    delegates: int = 0


def activity(start: date | None, end: date | None) -> tuple[list[ActivityRow], ActivityRow]:
    """Per course with a session starting in the period, and a TOTAL row.

    sessions_planned counts sessions of any status; sessions_run completed
    ones; sessions_cancelled cancelled ones. places_offered sums the capacity
    of run sessions. attended/partial/did_not_attend count confirmed bookings
    on run sessions by register mark; late_cancelled counts late-cancelled
    bookings on run sessions. delegates counts distinct people marked
    attended on a run session (on TOTAL, across all courses; the other TOTAL
    columns are sums).
    """
    period = _in_period(start, end)
    per_session = (
        select(
            TrainingSession.course_id.label("course_id"),
            func.count().label("planned"),
            _count_if(_RUN).label("run"),
            _count_if(TrainingSession.status == SessionStatus.CANCELLED).label("cancelled"),
            func.coalesce(func.sum(case((_RUN, TrainingSession.capacity), else_=0)), 0).label("places"),
        )
        .where(period)
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    per_booking = (
        select(
            TrainingSession.course_id.label("course_id"),
            _count_if(_ATTENDED).label("attended"),
            _count_if(and_(_CONFIRMED, Booking.attendance == Attendance.PARTIAL)).label("partial"),
            _count_if(and_(_CONFIRMED, Booking.attendance == Attendance.DID_NOT_ATTEND)).label("dna"),
            _count_if(Booking.status == BookingStatus.LATE_CANCELLED).label("late"),
            func.count(distinct(case((_ATTENDED, Booking.person_id)))).label("delegates"),
        )
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(period, _RUN)
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    statement = (
        select(
            Course.code, Course.title, Course.level,
            per_session.c.planned, per_session.c.run, per_session.c.cancelled, per_session.c.places,
            func.coalesce(per_booking.c.attended, 0), func.coalesce(per_booking.c.partial, 0),
            func.coalesce(per_booking.c.dna, 0), func.coalesce(per_booking.c.late, 0),
            func.coalesce(per_booking.c.delegates, 0),
        )
        .join(per_session, per_session.c.course_id == Course.id)
        .outerjoin(per_booking, per_booking.c.course_id == Course.id)
    )
    rows = sorted(
        (ActivityRow(*(int(v) if i >= 3 else v for i, v in enumerate(r)))
         for r in db.session.execute(statement)),
        key=lambda r: ci_key(r.course_code),
    )
    total = ActivityRow("TOTAL", "", None)
    for name in ("sessions_planned", "sessions_run", "sessions_cancelled", "places_offered",
                 "attended", "partial", "did_not_attend", "late_cancelled"):
        setattr(total, name, sum(getattr(r, name) for r in rows))
    total.delegates = int(db.session.scalar(
        select(func.count(distinct(Booking.person_id)))
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(period, _RUN, _ATTENDED)
    ))
    return rows, total


# -- sectors --------------------------------------------------------------------

@dataclass
class SectorRow:
    sector: str
    course_code: str
    attended: int
    partial: int
    did_not_attend: int
    delegates: int


def sectors(start: date | None, end: date | None) -> list[SectorRow]:
    """Confirmed bookings on run sessions in the period by the sector of the
    booking's agency and course: one row per (sector, course) with a non-zero
    count, then an ``ALL`` row per sector (sums; delegates distinct across
    the sector's courses). Ordered by sector, course_code, ALL last."""
    base = (
        select(Sector.name.label("sector"))
        .select_from(Booking)
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .join(Agency, Booking.agency_id == Agency.id)
        .join(Sector, Agency.sector_id == Sector.id)
        .where(_in_period(start, end), _RUN, _CONFIRMED, Booking.attendance.is_not(None))
    )
    counts = (
        _count_if(Booking.attendance == Attendance.ATTENDED),
        _count_if(Booking.attendance == Attendance.PARTIAL),
        _count_if(Booking.attendance == Attendance.DID_NOT_ATTEND),
        func.count(distinct(case((Booking.attendance == Attendance.ATTENDED, Booking.person_id)))),
    )
    by_course = (
        base.join(Course, TrainingSession.course_id == Course.id)
        .add_columns(Course.code, literal(0).label("is_all"), *counts)
        .group_by(Sector.id, Sector.name, Course.id, Course.code)
    )
    by_sector = (
        base.add_columns(literal("ALL"), literal(1).label("is_all"), *counts)
        .group_by(Sector.id, Sector.name)
    )
    rows = sorted(
        db.session.execute(union_all(by_course, by_sector)).all(),
        key=lambda r: (ci_key(r[0]), r[2], ci_key(r[1])),
    )
    return [SectorRow(r[0], r[1], *(int(v) for v in r[3:])) for r in rows]


# -- compliance -----------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months; a day missing from the target
    month becomes that month's last day (29 Feb 2012 + 36 months = 28 Feb
    2015)."""
    return day + relativedelta(months=months)


def earliest_in_date(on: date, validity_months: int) -> date:
    """The earliest completion date still in date on ``on``: the smallest c
    with ``on < add_months(c, validity_months)``. Expiry is monotonic in c, so
    the condition in SQL is simply ``completed_on >= this``."""
    c = on - relativedelta(months=validity_months)
    while add_months(c, validity_months) > on:
        c -= timedelta(days=1)
    while add_months(c, validity_months) <= on:
        c += timedelta(days=1)
    return c


@dataclass
class ComplianceRow:
    agency: str
    sector: str
    level: str
    staff_required: int
    staff_compliant: int
    target: Decimal

    @property
    def percent(self) -> Decimal:
        """100 x compliant / required, one decimal, half rounded up."""
        exact = Decimal(100 * self.staff_compliant) / Decimal(self.staff_required)
        return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def status(self) -> str:
        if self.percent >= self.target:
            return "green"
        if self.percent >= self.target - 10:
            return "amber"
        return "red"


def qualifying_records():
    """Every record that can make a person compliant: training records, plus
    each ``attended`` confirmed booking on a completed session of a course
    with a level (completed on the session's last day). ``partial`` does
    not qualify."""
    from_bookings = (
        select(Booking.person_id.label("person_id"), Course.level.label("level"),
               TrainingSession.end_on.label("completed_on"))
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .where(_RUN, _ATTENDED, Course.level.is_not(None))
    )
    from_records = select(TrainingRecord.person_id, TrainingRecord.level, TrainingRecord.completed_on)
    return union_all(from_records, from_bookings).subquery("records")


def compliance(on: date, agency_id: int | None, default_target) -> list[ComplianceRow]:
    """Per agency (the person's current agency) and required level, how many
    staff hold a record in date on ``on`` at or above their required level,
    then an ``ALL`` row per agency. An agency with nobody required has no
    rows. Record expiry: completed_on + the record level's validity months;
    a record is in date when completed_on <= on < expiry."""
    levels = db.session.execute(select(Level.number, Level.validity_months)).all()
    records = qualifying_records()
    earliest = case(
        *((records.c.level == number, earliest_in_date(on, months)) for number, months in levels),
        else_=None,
    )
    best = (
        select(records.c.person_id, func.max(records.c.level).label("best"))
        .where(records.c.completed_on <= on, records.c.completed_on >= earliest)
        .group_by(records.c.person_id)
        .subquery("best")
    )
    statement = (
        select(
            Agency.name, Sector.name, Agency.compliance_target, Person.required_level,
            func.count(Person.id),
            _count_if(best.c.best >= Person.required_level),
        )
        .join(Agency, Person.agency_id == Agency.id)
        .join(Sector, Agency.sector_id == Sector.id)
        .outerjoin(best, best.c.person_id == Person.id)
        .where(Person.required_level.is_not(None))
        .group_by(Agency.id, Agency.name, Sector.name, Agency.compliance_target, Person.required_level)
    )
    if agency_id is not None:
        statement = statement.where(Agency.id == agency_id)
    default = Decimal(str(default_target))
    rows: list[ComplianceRow] = []
    totals: dict[str, ComplianceRow] = {}
    for name, sector, target, level, required, compliant in db.session.execute(statement):
        target = default if target is None else Decimal(target)
        rows.append(ComplianceRow(name, sector, str(level), int(required), int(compliant), target))
        total = totals.setdefault(name, ComplianceRow(name, sector, "ALL", 0, 0, target))
        total.staff_required += int(required)
        total.staff_compliant += int(compliant)
    rows.extend(totals.values())
    rows.sort(key=lambda r: (ci_key(r.agency), r.level == "ALL", r.level))
    return rows


# -- one person's or one agency's staff's compliance ---------------------------

EXPIRING_MONTHS = 3  # "expiring soon": in date now, out of date within this many months

# A person's standing on a day, from the best record they hold (see PersonCompliance).
IN_DATE, EXPIRING, OUT_OF_DATE, NOT_TRAINED, NOT_REQUIRED = (
    "in_date", "expiring", "out_of_date", "not_trained", "not_required")


@dataclass(frozen=True)
class PersonCompliance:
    """Whether a person is in date on a day, by the rules of ``compliance``.

    A record *counts* when its level is at least the person's required level
    (any level when none is required) and it was completed on or before the
    day. The *best* record is the counting record that stays in date longest:
    ``level``, ``completed_on`` and ``expires_on`` describe it (None when no
    record counts). ``is_in_date`` is exactly what ``compliance`` counts as
    compliant for a person with a required level. ``status``:
    ``in_date``; ``expiring`` (in date, but expiring within EXPIRING_MONTHS
    calendar months); ``out_of_date`` (only expired records count);
    ``not_trained`` (no record counts); ``not_required`` (no required level:
    the compliance report does not count them).
    """

    person_id: int
    first_name: str
    last_name: str
    email: str
    job_title: str | None
    is_active: bool
    required_level: int | None
    level: int | None
    completed_on: date | None
    expires_on: date | None
    is_in_date: bool
    status: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _latest_per_level(on: date, people):
    """Subquery (person_id, level, completed_on, validity_months): for each
    person in ``people`` (a select of ids) and each level, their latest
    qualifying record completed on or before ``on``. The latest record of a
    level is the one that expires last, so it alone decides whether the
    person holds an in-date record of that level."""
    records = qualifying_records()
    latest = (
        select(records.c.person_id, records.c.level,
               func.max(records.c.completed_on).label("completed_on"))
        .where(records.c.completed_on <= on, records.c.person_id.in_(people))
        .group_by(records.c.person_id, records.c.level)
        .subquery("latest")
    )
    return (
        select(latest, Level.validity_months)
        .join(Level, Level.number == latest.c.level)
        .subquery("latest_per_level")
    )


def _standings(on: date, people) -> list[PersonCompliance]:
    """The standing of each person in ``people`` on ``on``, ordered by name:
    ONE statement (people left-joined to their latest record per counting
    level); expiry dates are then worked out with ``add_months`` and the
    in-date test with ``earliest_in_date``, the same rule ``compliance``
    applies in SQL."""
    latest = _latest_per_level(on, people)
    counts = latest.c.level >= func.coalesce(Person.required_level, 1)
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email, Person.job_title,
               Person.is_active, Person.required_level,
               latest.c.level, latest.c.completed_on, latest.c.validity_months)
        .outerjoin(latest, and_(latest.c.person_id == Person.id, counts))
        .where(Person.id.in_(people))
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name), Person.id,
                  latest.c.level)
    ).all()
    soon = add_months(on, EXPIRING_MONTHS)
    standings = []
    for _, person_rows in groupby(rows, key=lambda row: row.id):
        person_rows = list(person_rows)
        best: dict = {}
        for row in person_rows:
            if row.level is None:
                continue  # no counting record at all (the outer join's empty row)
            expires = add_months(row.completed_on, row.validity_months)
            # The best record stays in date longest; on a tie, the higher level.
            if not best or (expires, row.level) > (best["expires"], best["level"]):
                best = {"level": row.level, "completed_on": row.completed_on, "expires": expires,
                        "in_date": row.completed_on >= earliest_in_date(on, row.validity_months)}
        standings.append(_standing(tuple(person_rows[0])[:7], best, soon))
    return standings


def _standing(person, best: dict, soon: date) -> PersonCompliance:
    required = person[6]
    in_date = bool(best) and best["in_date"]
    if required is None:
        status = NOT_REQUIRED
    elif not best:
        status = NOT_TRAINED
    elif not in_date:
        status = OUT_OF_DATE
    elif best["expires"] <= soon:
        status = EXPIRING
    else:
        status = IN_DATE
    return PersonCompliance(*person, level=best.get("level"),
                            completed_on=best.get("completed_on"),
                            expires_on=best.get("expires"), is_in_date=in_date, status=status)


def person_compliance(person_id: int, on: date) -> PersonCompliance | None:
    """One person's standing on ``on`` (None when there is no such person):
    whether they hold a qualifying record in date at or above their required
    level, and the expiry of their best record. Records and the in-date rule
    are those of ``compliance`` (``qualifying_records``, completed_on <= on <
    completed_on + the record level's validity), so for a person with a
    required level ``is_in_date`` is exactly what the compliance report
    counts. One SQL statement."""
    standings = _standings(on, [person_id])
    return standings[0] if standings else None


def staff_compliance(agency_id: int, on: date) -> list[PersonCompliance]:
    """The standing on ``on`` of everyone whose current agency is
    ``agency_id`` (every account, as the compliance report counts them),
    ordered by last name then first name: ``person_compliance`` for the
    whole agency in ONE SQL statement, however many staff."""
    return _standings(on, select(Person.id).where(Person.agency_id == agency_id))


# -- delegates ------------------------------------------------------------------

STATUS_ORDER = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED,
                BookingStatus.LATE_CANCELLED, BookingStatus.CANCELLED)


def delegates(session_id: int):
    """Every booking of one session, any status: confirmed, waitlisted (by
    queue position 1, 2, ...), late_cancelled, cancelled; then by e-mail.
    The agency is the one recorded on the booking."""
    waiting = Booking.status == BookingStatus.WAITLISTED
    position = case(
        (waiting, func.row_number().over(
            partition_by=Booking.status,
            order_by=(Booking.waitlist_order, Booking.id))),
        else_=None,
    ).label("waitlist_position")
    rank = case(*((Booking.status == s, i) for i, s in enumerate(STATUS_ORDER)))
    inner = (
        select(Person.email, Person.first_name, Person.last_name, Agency.name.label("agency"),
               Booking.status, position, Booking.attendance, rank.label("rank"))
        .join(Person, Booking.person_id == Person.id)
        .join(Agency, Booking.agency_id == Agency.id)
        .where(Booking.session_id == session_id)
        .subquery()
    )
    return db.session.execute(
        select(inner.c.email, inner.c.first_name, inner.c.last_name, inner.c.agency,
               inner.c.status, inner.c.waitlist_position, inner.c.attendance)
        .order_by(inner.c.rank, inner.c.waitlist_position, inner.c.email)
    ).all()


# -- the programme (coordinator's view) -------------------------------------------

class day_span(FunctionElement):
    """``end - start + 1`` in days, for two date columns, on every database."""

    type = Integer()
    name = "day_span"
    inherit_cache = True


@compiles(day_span, "sqlite")
def _day_span_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(julianday({end}) - julianday({start}) AS INTEGER) + 1)"


@compiles(day_span)
def _day_span_default(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({end}) - ({start}) + 1)"  # PostgreSQL: date - date is a whole number of days


def session_days():
    """Subquery (session_id, days): how many training days each session
    runs. Its SessionDay rows when it has any, else every day from start_on
    to end_on (imported history has no day rows)."""
    day_rows = (select(SessionDay.session_id, func.count().label("n"))
                .group_by(SessionDay.session_id).subquery("day_rows"))
    return (
        select(TrainingSession.id.label("session_id"),
               func.coalesce(day_rows.c.n, day_span(TrainingSession.start_on,
                                                    TrainingSession.end_on)).label("days"))
        .outerjoin(day_rows, day_rows.c.session_id == TrainingSession.id)
        .subquery("session_days")
    )


def programme(start: date | None, end: date | None):
    """Every session starting in the period, any status, soonest first:
    id, ref, start_on, end_on, status, capacity, course code and title,
    confirmed (bookings now confirmed) and waiting (now waitlisted). One
    statement; the page adds up its own totals from these rows."""
    counts = (
        select(Booking.session_id,
               _count_if(Booking.status == BookingStatus.CONFIRMED).label("confirmed"),
               _count_if(Booking.status == BookingStatus.WAITLISTED).label("waiting"))
        .where(Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
        .group_by(Booking.session_id)
        .subquery("counts")
    )
    return db.session.execute(
        select(TrainingSession.id, TrainingSession.ref, TrainingSession.start_on,
               TrainingSession.end_on, TrainingSession.status, TrainingSession.capacity,
               Course.code.label("course_code"), Course.title.label("course_title"),
               func.coalesce(counts.c.confirmed, 0).label("confirmed"),
               func.coalesce(counts.c.waiting, 0).label("waiting"))
        .join(Course, TrainingSession.course_id == Course.id)
        .outerjoin(counts, counts.c.session_id == TrainingSession.id)
        .where(_in_period(start, end))
        .order_by(TrainingSession.start_on, TrainingSession.ref)
    ).all()


def trainer_days(start: date | None, end: date | None):
    """The training pool: everyone with the trainer role, and anyone else who
    delivered a run session in the period, with their current agency, the
    number of run (completed) sessions starting in the period they were a
    trainer on, and the training days of those sessions (``session_days``).
    Ordered by last name, first name."""
    days = session_days()
    delivered = (
        select(session_trainers.c.person_id,
               func.count().label("sessions"),
               cast(func.sum(days.c.days), Integer).label("days"))
        .join(TrainingSession, TrainingSession.id == session_trainers.c.session_id)
        .join(days, days.c.session_id == TrainingSession.id)
        .where(_in_period(start, end), _RUN)
        .group_by(session_trainers.c.person_id)
        .subquery("delivered")
    )
    return db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email,
               Agency.name.label("agency"),
               func.coalesce(delivered.c.sessions, 0).label("sessions"),
               func.coalesce(delivered.c.days, 0).label("days"))
        .outerjoin(Agency, Person.agency_id == Agency.id)
        .outerjoin(delivered, delivered.c.person_id == Person.id)
        .where((Person.role == Role.TRAINER) | delivered.c.person_id.is_not(None))
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name), Person.id)
    ).all()


def in_kind_days(start: date | None, end: date | None):
    """Each agency's in-kind contribution: the training days its trainers
    delivered on run (completed) sessions starting in the period. A session
    of 2 days with two trainers from the same agency counts 4 days for it.
    Days per session as in ``session_days``; the agency is the trainer's
    current one (trainers without an agency come under a blank name).
    Columns: agency_id, agency, trainers (distinct people), sessions
    (distinct), days. Agencies with nothing delivered have no row; ordered
    by agency name."""
    days = session_days()
    return db.session.execute(
        select(Agency.id.label("agency_id"), Agency.name.label("agency"),
               func.count(distinct(session_trainers.c.person_id)).label("trainers"),
               func.count(distinct(TrainingSession.id)).label("sessions"),
               cast(func.sum(days.c.days), Integer).label("days"))
        .select_from(session_trainers)
        .join(TrainingSession, TrainingSession.id == session_trainers.c.session_id)
        .join(days, days.c.session_id == TrainingSession.id)
        .join(Person, Person.id == session_trainers.c.person_id)
        .outerjoin(Agency, Person.agency_id == Agency.id)
        .where(_in_period(start, end), _RUN)
        .group_by(Agency.id, Agency.name)
        .order_by(func.lower(Agency.name))
    ).all()
