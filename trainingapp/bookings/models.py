from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from ..agencies.models import Agency, Person
    from ..courses.models import TrainingSession


class BookingStatus(enum.Enum):
    """``confirmed`` holds a place; ``waitlisted`` queues for one. Both are
    *active*: a person has at most one active booking per session.
    ``cancelled`` was given up before the session's cut-off,
    ``late_cancelled`` after it (the board reports late cancellations)."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"


ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


class Attendance(enum.Enum):
    """What the register says of a confirmed delegate on a run session.
    Only ``attended`` counts towards figures and compliance."""

    ATTENDED = "attended"
    PARTIAL = "partial"
    DID_NOT_ATTEND = "did_not_attend"


_ACTIVE_SQL = "status IN ('confirmed', 'waitlisted')"


class Booking(db.Model):
    """A person's place (or place in the queue) on a training session.

    ``agency_id`` is the person's agency *when they booked*: figures by agency
    and sector use it, so a move to another agency does not rewrite history.
    ``waitlist_order`` orders the waiting list (lowest is promoted first); it
    is only set while the booking is waitlisted and need not be gap-free:
    positions 1, 2, ... are computed from it.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        # At most one active booking per person and session, enforced by the
        # database so no race can create a second.
        Index(
            "uq_bookings_active_person",
            "session_id",
            "person_id",
            unique=True,
            sqlite_where=db.text(_ACTIVE_SQL),
            postgresql_where=db.text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    waitlist_order: Mapped[Optional[int]]
    attendance: Mapped[Optional[Attendance]] = mapped_column(str_enum(Attendance))
    booked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(20), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    promoted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="bookings")
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    agency: Mapped[Agency] = relationship()
    booked_by: Mapped[Optional[Person]] = relationship(foreign_keys=[booked_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class RequestStatus(enum.Enum):
    """A staff member's request for a place, where their agency approves
    bookings. A pending request holds no place."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


_PENDING_SQL = "status = 'pending'"


class BookingRequest(db.Model):
    """A request waiting for the agency manager's decision. Approving books
    exactly like a new booking (a place, or the waiting list, at that
    moment); requests expire when the session's booking closes."""

    __tablename__ = "booking_requests"
    __table_args__ = (
        Index(
            "uq_booking_requests_pending_person",
            "session_id",
            "person_id",
            unique=True,
            sqlite_where=db.text(_PENDING_SQL),
            postgresql_where=db.text(_PENDING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus),
                                                  default=RequestStatus.PENDING)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"))
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    agency: Mapped[Agency] = relationship()
    requested_by: Mapped[Optional[Person]] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[Person]] = relationship(foreign_keys=[decided_by_id])
    booking: Mapped[Optional[Booking]] = relationship()
