"""E-mails to agency managers about their staff's bookings.

Where an agency *requires booking approval* its managers keep control of
their staff's time, so each active agency manager of the booking's agency
gets their own copy (template ``mail/manager_copy``) whenever a staff
booking is confirmed, promoted from the waiting list, cancelled, passed
to a colleague, moved to another session by the coordinator, or marked as
not attended on the register. Agencies
that do not approve bookings are not copied: their managers see
everything on the staff bookings page instead, without a message for
every booking. A manager booking for themselves gets no copy
of their own booking.

Messages are queued in the caller's transaction (``queue_mail``), like
every other booking e-mail; this module never commits.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from ..agencies.models import Agency, Person, Role
from ..extensions import db
from ..mail.services import queue_mail

# The person's template -> what the manager's copy says happened.
COPIED = {
    "booking_confirmed": "place confirmed",
    "booking_promoted": "place confirmed from the waiting list",
    "booking_cancelled": "booking cancelled",
    "booking_substituted": "place passed to a colleague",
    "booking_moved": "booking moved to another session",
    "booking_not_attended": "did not attend",
}


def active_managers(agency_id: int) -> list[Person]:
    """The agency's managers who can act on a message (active accounts)."""
    return list(db.session.scalars(
        select(Person).where(Person.agency_id == agency_id, Person.role == Role.AGENCY_MANAGER,
                             Person.is_active.is_(True))
        .order_by(Person.id)))


def copy_managers(booking, template: str) -> None:
    """Queue a copy of a staff booking e-mail for the agency's managers (see
    the module docstring for when). Called from ``services._tell``."""
    what = COPIED.get(template)
    if what is None:
        return
    managers = db.session.scalars(
        select(Person).join(Agency, Person.agency_id == Agency.id)
        .where(Agency.id == booking.agency_id, Agency.requires_booking_approval.is_(True),
               Person.role == Role.AGENCY_MANAGER, Person.is_active.is_(True),
               Person.id != booking.person_id)
        .order_by(Person.id)).all()
    if not managers:
        return
    person, session = booking.person, booking.session
    subject = f"{person.full_name}: {what}: {session.course.title}"
    for manager in managers:
        queue_mail(manager.email, "manager_copy", subject, manager=manager, person=person,
                   booking=booking, session=session, what=what,
                   staff_url=url_for("bookings.staff_bookings", _external=True))


def ask_managers(request) -> int:
    """Queue "approval needed" for each active manager of the request's
    agency; returns how many were told."""
    managers = active_managers(request.agency_id)
    person, session = request.person, request.session
    for manager in managers:
        queue_mail(manager.email, "manager_request",
                   f"Approval needed: {person.full_name}, {session.course.title}",
                   manager=manager, person=person, session=session, request=request,
                   approvals_url=url_for("bookings.approvals", _external=True))
    return len(managers)
