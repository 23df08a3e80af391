from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from ..agencies.models import Person


class TrainingRecord(db.Model):
    """Training a person completed outside this programme's sessions
    (e-learning, an agency's own course, history from a spreadsheet).

    Compliance also counts every attended session of a course with a level;
    those are not copied here but read from the bookings.
    ``source`` says where the record came from (``import``, ``manual``).
    """

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    level: Mapped[int] = mapped_column(ForeignKey("levels.number"))
    completed_on: Mapped[date]
    hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 2))
    provider: Mapped[Optional[str]] = mapped_column(String(200))
    title: Mapped[Optional[str]] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
