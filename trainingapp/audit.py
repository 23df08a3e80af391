"""The append-only audit log: who did what to which record, and when.

Entries are added to the caller's transaction, so an audited change and its
entry commit (or roll back) together. Nothing updates or deletes them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"))
    agency_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agencies.id"))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[Optional[str]] = mapped_column(String(50))
    target_id: Mapped[Optional[int]]
    details: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)


def record(
    action: str,
    *,
    actor_id: int | None = None,
    agency_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        agency_id=agency_id,
        target_type=target_type,
        target_id=target_id,
        details=details or None,
    )
    db.session.add(entry)
    return entry


def record_alone(action: str, **kwargs: Any) -> None:
    """Record an entry in a transaction of its own, even inside a request
    that only reads (a refused request, a download). The read transaction
    ends first: on SQLite a GET reads in a deferred transaction, which must
    not turn into a writer half-way (see trainingapp/database.py)."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()
