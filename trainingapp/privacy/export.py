"""Subject access: everything the service holds about one person, as JSON.

The person downloads their own copy from their account page; an admin
downloads anyone's from the person's admin page (a request made by letter
or e-mail). Other people appear by id only, never by name.
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from ..agencies.models import Agency, Person
from ..attendance.models import TrainingRecord
from ..audit import AuditEntry
from ..bookings.models import Booking, BookingRequest
from ..courses.models import Course, TrainingSession, session_trainers
from ..extensions import db
from ..mail.models import OutboxMessage
from ..types import utcnow

ABOUT = ("Everything this training service holds about you: your details, the agency "
         "recorded on each of your bookings, your bookings and booking requests, your "
         "training records, the audit log entries about you or made by you, and the "
         "e-mails sent to you (subject and dates). Other people are shown by id only.")


def _session(session: TrainingSession, course: Course) -> dict[str, Any]:
    return {"session_ref": session.ref, "course_code": course.code, "course_title": course.title,
            "level": course.level, "start_on": session.start_on, "end_on": session.end_on,
            "session_status": session.status}


def _bookings(person_id: int) -> tuple[list[dict], list[dict], list[int]]:
    rows = db.session.execute(
        select(Booking, TrainingSession, Course, Agency)
        .join(TrainingSession, Booking.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .join(Agency, Booking.agency_id == Agency.id)
        .where(Booking.person_id == person_id)
        .order_by(TrainingSession.start_on, Booking.id)).all()
    bookings, history = [], {}
    for booking, session, course, agency in rows:
        bookings.append({
            "id": booking.id, **_session(session, course), "agency": agency.name,
            "status": booking.status, "attendance": booking.attendance,
            "booked_at": booking.created_at, "source": booking.source,
            "cancelled_at": booking.cancelled_at, "cancel_reason": booking.cancel_reason,
            "promoted_from_waiting_list_at": booking.promoted_at,
        })
        seen = history.setdefault(agency.id, {
            "agency": agency.name, "sector": agency.sector.name, "bookings": 0,
            "first_session_on": session.start_on, "last_session_on": session.start_on})
        seen["bookings"] += 1
        seen["last_session_on"] = max(seen["last_session_on"], session.start_on)
    return bookings, list(history.values()), [b["id"] for b in bookings]


def _requests(person_id: int) -> tuple[list[dict], list[int]]:
    rows = db.session.execute(
        select(BookingRequest, TrainingSession, Course)
        .join(TrainingSession, BookingRequest.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .where(BookingRequest.person_id == person_id)
        .order_by(BookingRequest.created_at, BookingRequest.id)).all()
    requests = [{"id": request.id, **_session(session, course), "status": request.status,
                 "requested_at": request.created_at, "decided_at": request.decided_at,
                 "note": request.note}
                for request, session, course in rows]
    return requests, [r["id"] for r in requests]


def subject_access(person: Person) -> dict[str, Any]:
    """Everything held about ``person``, as plain data (see :func:`to_json`)."""
    bookings, agency_history, booking_ids = _bookings(person.id)
    requests, request_ids = _requests(person.id)
    records = db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person.id)
                                 .order_by(TrainingRecord.completed_on, TrainingRecord.id))
    delivered = db.session.execute(
        select(TrainingSession, Course)
        .join(session_trainers, session_trainers.c.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .where(session_trainers.c.person_id == person.id)
        .order_by(TrainingSession.start_on, TrainingSession.id)).all()
    about_them = or_(
        and_(AuditEntry.target_type == "person", AuditEntry.target_id == person.id),
        and_(AuditEntry.target_type == "booking", AuditEntry.target_id.in_(booking_ids)),
        and_(AuditEntry.target_type == "booking_request", AuditEntry.target_id.in_(request_ids)))
    entries = db.session.scalars(select(AuditEntry)
                                 .where(or_(AuditEntry.actor_id == person.id, about_them))
                                 .order_by(AuditEntry.at, AuditEntry.id))
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(func.lower(func.trim(OutboxMessage.to_address)) == person.email.strip().lower())
        .order_by(OutboxMessage.created_at, OutboxMessage.id))
    return {
        "exported_at": utcnow(),
        "about": ABOUT,
        "person": {
            "id": person.id, "email": person.email, "first_name": person.first_name,
            "last_name": person.last_name, "job_title": person.job_title,
            "agency": person.agency.name if person.agency else None,
            "required_level": person.required_level, "role": person.role,
            "account_active": person.is_active, "has_password": bool(person.password_hash),
            "email_confirmed_at": person.email_confirmed_at,
            "last_login_at": person.last_login_at, "created_at": person.created_at,
            "erased_at": person.erased_at,
        },
        "agency_history": agency_history,
        "bookings": bookings,
        "booking_requests": requests,
        "training_records": [
            {"id": r.id, "level": r.level, "completed_on": r.completed_on, "hours": r.hours,
             "provider": r.provider, "title": r.title, "source": r.source,
             "recorded_at": r.created_at} for r in records],
        "sessions_delivered": [_session(session, course) for session, course in delivered],
        "audit_entries": [
            {"at": e.at, "action": e.action, "by_this_person": e.actor_id == person.id,
             "actor_id": e.actor_id, "target_type": e.target_type, "target_id": e.target_id,
             "details": e.details} for e in entries],
        "emails": [
            {"subject": m.subject, "queued_at": m.created_at, "sent_at": m.sent_at,
             "status": "sent" if m.sent_at else "failed" if m.failed_at else "waiting"}
            for m in messages],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot export {type(value).__name__}")


def to_json(data: dict[str, Any]) -> bytes:
    """UTF-8 JSON, names as written (Zoë, not Zo\\u00eb)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8") + b"\n"
