from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from ..courses.models import TrainingSession


class Role(enum.Enum):
    """What a person may do in the app (contract section 2)."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TRAINER = "trainer"
    AGENCY_MANAGER = "agency_manager"
    PRACTITIONER = "practitioner"


class Sector(db.Model):
    """A sector of the partnership (Health, Police, Voluntary Sector, ...).

    The board's figures are broken down by sector: a booking counts for the
    sector of the agency recorded on the booking.
    """

    __tablename__ = "sectors"
    __table_args__ = (Index("uq_sectors_name_ci", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))

    agencies: Mapped[list[Agency]] = relationship(back_populates="sector")

    def __repr__(self) -> str:
        return f"<Sector {self.name!r}>"


class Agency(db.Model):
    """A partner agency whose staff attend training.

    ``compliance_target`` is the percentage of staff the agency aims to have
    trained in date at their required level; when blank the board default
    (config ``COMPLIANCE_DEFAULT_TARGET``) applies.
    """

    __tablename__ = "agencies"
    __table_args__ = (Index("uq_agencies_name_ci", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"), index=True)
    compliance_target: Mapped[Optional[Decimal]] = mapped_column(Numeric(5, 2))
    requires_booking_approval: Mapped[bool] = mapped_column(default=False)

    sector: Mapped[Sector] = relationship(back_populates="agencies")
    people: Mapped[list[Person]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.name!r}>"


class Person(db.Model):
    """Someone who works for a partner agency: a practitioner who books
    training, and optionally a user who logs in (``password_hash`` set).

    ``required_level`` is the intercollegiate level (1-3) their role needs;
    the compliance report counts only people who have one.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case: e-mail addresses are matched case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"), index=True)
    job_title: Mapped[Optional[str]] = mapped_column(String(200))
    required_level: Mapped[Optional[int]] = mapped_column(ForeignKey("levels.number"))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.PRACTITIONER)
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    # Part of the login cookie's identity: changing it (logout, password
    # change, deactivation) ends every session of this person at once.
    session_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    email_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person's details were erased (on request, or by the
    # retention rule): see trainingapp/privacy. Their bookings and records
    # stay, under the placeholder name, so the board's figures never change.
    erased_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    agency: Mapped[Optional[Agency]] = relationship(back_populates="people")
    delivers: Mapped[list[TrainingSession]] = relationship(
        secondary="session_trainers", back_populates="trainers"
    )

    # Flask-Login's user interface. The cookie carries the session token, not
    # the id, so rotating the token signs the person out everywhere.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def can_log_in(self) -> bool:
        return bool(self.is_active and self.password_hash and self.email_confirmed_at)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Person {self.email!r}>"
