from __future__ import annotations

import enum
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from ..agencies.models import Person
    from ..bookings.models import Booking

DEFAULT_VALIDITY_MONTHS = 36
# A session reference goes in URLs and file names: ASCII letters and digits,
# then also ".", "_" and "-" (compared ignoring case on every database).
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DEFAULT_CANCELLATION_CUTOFF_DAYS = 2


class Level(db.Model):
    """An intercollegiate safeguarding level (1, 2 or 3).

    Training at a level stays in date for ``validity_months`` calendar months
    after it was completed (admin-configurable, 36 by default).
    ``required_hours`` leaves room for a learning-hours rule (e.g. Level 3
    needs 12-16 hours over three years); no report uses it yet.
    """

    __tablename__ = "levels"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    validity_months: Mapped[int] = mapped_column(default=DEFAULT_VALIDITY_MONTHS)
    required_hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 2))


class Course(db.Model):
    """A course in the catalogue, run on one or more occasions (sessions).

    ``level`` is blank for courses outside the intercollegiate levels; only a
    course with a level gives attendees a compliance record.
    """

    __tablename__ = "courses"
    __table_args__ = (Index("uq_courses_code_ci", func.lower("code"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[Optional[int]] = mapped_column(ForeignKey("levels.number"))
    duration_days: Mapped[int] = mapped_column(default=1)
    learning_hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 2))
    capacity: Mapped[Optional[int]]
    description: Mapped[Optional[str]] = mapped_column(Text)
    # Who the course is for, and what delegates will be able to do after it.
    audience: Mapped[Optional[str]] = mapped_column(Text)
    learning_outcomes: Mapped[Optional[str]] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)

    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="course")
    prerequisites: Mapped[list[Course]] = relationship(
        secondary="course_prerequisites",
        primaryjoin="Course.id == course_prerequisites.c.course_id",
        secondaryjoin="Course.id == course_prerequisites.c.prerequisite_id",
    )

    def __repr__(self) -> str:
        return f"<Course {self.code!r}>"


class Venue(db.Model):
    __tablename__ = "venues"
    __table_args__ = (Index("uq_venues_name_ci", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[Optional[str]] = mapped_column(Text)
    accessibility_notes: Mapped[Optional[str]] = mapped_column(Text)
    capacity: Mapped[Optional[int]]


class SessionStatus(enum.Enum):
    """A session is planned as ``scheduled``; it ``completed`` once run
    (reports call these "run"), or was ``cancelled`` (still "planned")."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


course_prerequisites = Table(
    "course_prerequisites",
    db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("courses.id"), primary_key=True),
)

session_trainers = Table(
    "session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id"), primary_key=True),
)


class TrainingSession(db.Model):
    """One occasion of a course: what the board's report calls "a course
    planned" (any status) or "run" (completed).

    ``ref`` is the human-readable reference used in URLs and imports. A
    session belongs to a reporting period by its ``start_on``.
    Cancelling a booking after ``cancellation_cutoff_on`` (default: two days
    before the first day) is a late cancellation.
    """

    __tablename__ = "training_sessions"
    __table_args__ = (Index("uq_training_sessions_ref_ci", func.lower("ref"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    start_on: Mapped[date] = mapped_column(index=True)
    end_on: Mapped[date]
    venue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("venues.id"))
    capacity: Mapped[int]
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus), default=SessionStatus.SCHEDULED
    )
    cancellation_cutoff_on: Mapped[Optional[date]]
    is_waitlist_open: Mapped[bool] = mapped_column(default=True)
    # Booking window; blank means open from scheduling until the cut-off.
    booking_opens_on: Mapped[Optional[date]]
    booking_closes_on: Mapped[Optional[date]]
    # At most this many confirmed places per agency (a multi-agency mix).
    agency_cap: Mapped[Optional[int]]
    # An online session: the meeting link is shown to confirmed delegates only.
    online_url: Mapped[Optional[str]] = mapped_column(String(500))
    joining_instructions: Mapped[Optional[str]] = mapped_column(Text)
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="sessions")
    venue: Mapped[Optional[Venue]] = relationship()
    trainers: Mapped[list[Person]] = relationship(
        secondary=session_trainers, back_populates="delivers"
    )
    bookings: Mapped[list[Booking]] = relationship(back_populates="session")
    days: Mapped[list[SessionDay]] = relationship(
        back_populates="session", order_by="SessionDay.day_on", cascade="all, delete-orphan"
    )

    @property
    def cutoff_on(self) -> date:
        """Last day a booking can be cancelled without counting as late."""
        if self.cancellation_cutoff_on is not None:
            return self.cancellation_cutoff_on
        return self.start_on - timedelta(days=DEFAULT_CANCELLATION_CUTOFF_DAYS)

    def __repr__(self) -> str:
        return f"<TrainingSession {self.ref!r}>"


class SessionDay(db.Model):
    """One day of a session, with its times (UK local). A two-day course may
    run on days that are not consecutive. Imported history may have no day
    rows: then the session simply runs from ``start_on`` to ``end_on``."""

    __tablename__ = "session_days"
    __table_args__ = (UniqueConstraint("session_id", "day_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    day_on: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[time]
    ends_at: Mapped[time]

    session: Mapped[TrainingSession] = relationship(back_populates="days")
