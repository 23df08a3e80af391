from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent, or sent.

    Written in the same transaction as the change that causes it, so a
    message is never lost when SMTP is down and never sent for a change that
    rolled back. The sender delivers after commit and retries failures with
    back-off until ``MAIL_MAX_ATTEMPTS``.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[Optional[str]] = mapped_column(Text)
    # Optional iCalendar attachment (booking invites and cancellations).
    ics: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    failed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
