"""The agency manager's booking pages, all under ``/agency``.

Managers see and act for their own agency only; admins and coordinators
choose an agency with ``?agency=<id>``. Anything belonging to another
agency answers 404, the same as something that does not exist, and shows
none of its names (``check_agency``). The rules are in approvals.py,
staff.py and services.py; these views translate HTTP to those calls.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..access import agency, check_agency, deny
from ..agencies.models import Agency, Person, Role
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..forms import positive_int
from ..mail.services import send_after_commit
from ..types import UK, uk_today
from . import approvals, bp, services, staff
from .forms import ApproveForm, BookStaffForm, DeclineForm, StaffCancelForm, SubstituteForm
from .models import Booking, BookingRequest, BookingStatus, RequestStatus

MANAGERS = (Role.AGENCY_MANAGER, Role.COORDINATOR)


# -- which agency ---------------------------------------------------------------------

def _actor() -> Person:
    return current_user._get_current_object()


def _chosen_agency() -> Agency | None:
    """The agency the page is about: a manager's own (another ``?agency=``
    answers 404); for admins and coordinators the one in ``?agency=``, or
    None when they have not chosen yet."""
    raw = request.args.get("agency", "").strip()
    if current_user.role is Role.AGENCY_MANAGER:
        if raw and raw != str(current_user.agency_id):
            deny(404, agency=raw[:20])
        agency_id = current_user.agency_id
    elif not raw:
        return None
    else:
        agency_id = positive_int(raw) or -1
    check_agency(agency_id)
    return db.session.get(Agency, agency_id) or abort(404)


def _scope(agency_id: int) -> dict:
    """URL arguments that keep an admin's or coordinator's choice of agency."""
    return {} if current_user.role is Role.AGENCY_MANAGER else {"agency": agency_id}


def _choose(endpoint: str):
    agencies = db.session.scalars(select(Agency).order_by(func.lower(Agency.name))).all()
    return render_template("bookings/agency_choose.html", agencies=agencies, endpoint=endpoint)


def _staff_booking(booking_id: int) -> Booking:
    """A booking of one of the user's staff (404 for anyone else's)."""
    booking = db.session.get(Booking, booking_id) or abort(404)
    check_agency(booking.person.agency_id)
    return booking


# -- approvals ------------------------------------------------------------------------

@bp.get("/agency/approvals", endpoint="approvals")
@agency(*MANAGERS)
def approvals_page():
    """Pending requests of the agency's staff, with places left now, and the
    latest decisions. Requests that can no longer be approved are not
    listed; marking them expired is left to ``send-reminders`` (a GET never
    changes data)."""
    chosen = _chosen_agency()
    if chosen is None:
        return _choose("bookings.approvals")
    return render_template("bookings/approvals.html", agency=chosen, scope=_scope(chosen.id),
                           pending=approvals.pending_for(chosen.id),
                           decided=approvals.recent_decisions(chosen.id),
                           day=lambda moment: f"{moment.astimezone(UK):%-d %B %Y}")


def _request_or_404(request_id: int) -> BookingRequest:
    booking_request = db.session.get(BookingRequest, request_id) or abort(404)
    check_agency(booking_request.agency_id)
    return booking_request


@bp.post("/agency/approvals/<int:request_id>/approve")
@agency(*MANAGERS)
def approve_request(request_id: int):
    booking_request = _request_or_404(request_id)
    back = url_for("bookings.approvals", **_scope(booking_request.agency_id))
    if not ApproveForm().validate_on_submit():
        abort(400)
    name = booking_request.person.full_name
    try:
        decided = approvals.approve(request_id, _actor())
    except services.BookingError as error:
        send_after_commit()  # an expired request tells the person
        flash(error.message, "info")
        return redirect(back, code=303)
    send_after_commit()
    if decided.booking is None:
        flash(f"{name} could not be booked: {decided.note.removeprefix(approvals.REFUSED)} "
              "The request is closed and they have been told.", "info")
    elif decided.booking.status is BookingStatus.CONFIRMED:
        flash(f"Approved: {name} has a confirmed place.", "success")
    else:
        position = services.waitlist_position(decided.booking)
        flash(f"Approved: the session is full, so {name} is on the waiting list "
              f"(number {position}).", "success")
    return redirect(back, code=303)


@bp.route("/agency/approvals/<int:request_id>/decline", methods=["GET", "POST"])
@agency(*MANAGERS)
def decline_request(request_id: int):
    booking_request = _request_or_404(request_id)
    back = url_for("bookings.approvals", **_scope(booking_request.agency_id))
    if request.method == "GET" and booking_request.status is not RequestStatus.PENDING:
        flash("This request has already been dealt with.", "info")
        return redirect(back, code=303)
    form = DeclineForm()
    if form.validate_on_submit():
        name = booking_request.person.full_name
        try:
            approvals.decline(request_id, _actor(), form.reason.data)
        except services.BookingError as error:
            send_after_commit()
            flash(error.message, "info")
            return redirect(back, code=303)
        send_after_commit()
        flash(f"Declined: we have told {name}.", "success")
        return redirect(back, code=303)
    return render_template("bookings/decline.html", form=form, booking_request=booking_request,
                           back=back), 400 if form.errors else 200


# -- staff bookings -------------------------------------------------------------------

@bp.get("/agency/bookings")
@agency(*MANAGERS)
def staff_bookings():
    """Every booking of the agency's staff on sessions to come and from the
    last three months, with waiting-list positions."""
    chosen = _chosen_agency()
    if chosen is None:
        return _choose("bookings.staff_bookings")
    upcoming, recent = staff.staff_bookings(chosen.id)
    return render_template("bookings/staff.html", agency=chosen, scope=_scope(chosen.id),
                           upcoming=upcoming, recent=recent,
                           recent_days=staff.RECENT_DAYS)


@bp.route("/agency/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@agency(*MANAGERS)
def cancel_for_staff(booking_id: int):
    """Cancel a staff member's booking on their behalf; the cut-off rule
    applies as if they cancelled themselves."""
    booking = _staff_booking(booking_id)
    back = url_for("bookings.staff_bookings", **_scope(booking.person.agency_id))
    if not booking.is_active:
        flash("This booking is already cancelled.", "info")
        return redirect(back, code=303)
    form = StaffCancelForm()
    if form.validate_on_submit():
        name = booking.person.full_name
        try:
            cancelled = staff.cancel_for(booking.id, _actor(), form.reason.data)
        except services.BookingError as error:
            return render_template("bookings/staff_refused.html", error=error, back=back), error.status
        send_after_commit()
        late = cancelled.status is BookingStatus.LATE_CANCELLED
        flash(f"{name}'s booking is cancelled" + (" (a late cancellation)." if late else "."),
              "success")
        return redirect(back, code=303)
    return render_template("bookings/staff_cancel.html", form=form, booking=booking, back=back,
                           late=services.is_late(booking.session)), \
        400 if form.errors else 200


@bp.route("/agency/bookings/<int:booking_id>/substitute", methods=["GET", "POST"])
@agency(*MANAGERS)
def substitute(booking_id: int):
    """Pass a confirmed place to a colleague from the same agency."""
    booking = _staff_booking(booking_id)
    agency_id = booking.person.agency_id
    back = url_for("bookings.staff_bookings", **_scope(agency_id))
    form = SubstituteForm()
    query = request.args.get("q", "")
    everyone = staff.staff(agency_id)
    form.colleague.choices = [(p.id, _label(p)) for p in everyone if p.id != booking.person_id]
    if request.method == "POST":
        _only_own_staff([request.form.get("colleague", "")], agency_id)
    if form.validate_on_submit():
        colleague = staff.staff_member(agency_id, form.colleague.data) or abort(404)
        name = booking.person.full_name
        try:
            services.substitute(booking.id, colleague, _actor())
        except services.BookingError as error:
            return render_template("bookings/staff_refused.html", error=error, back=back), error.status
        send_after_commit()
        flash(f"{colleague.full_name} now has {name}'s place. We have e-mailed them both.",
              "success")
        return redirect(back, code=303)
    taken = staff.holds_active_booking(booking.session_id)
    shown = {p.id for p in staff.staff(agency_id, query)} - taken
    form.colleague.choices = [c for c in form.colleague.choices if c[0] in shown]
    return render_template("bookings/substitute.html", form=form, booking=booking, back=back,
                           q=query, scope=_scope(agency_id)), \
        400 if form.errors else 200


def _label(person: Person) -> str:
    return f"{person.full_name}, {person.job_title}" if person.job_title else person.full_name


def _only_own_staff(raw_ids: list[str], agency_id: int) -> None:
    """A submitted person of another agency answers 404 (not a form error
    that would confirm they exist)."""
    for raw in raw_ids:
        if not raw:
            continue
        person_id = positive_int(raw)
        person = db.session.get(Person, person_id) if person_id else None
        if person is not None and person.agency_id != agency_id:
            deny(404, person_id=person.id)


# -- book several staff at once --------------------------------------------------------

def _bookable_sessions() -> list[tuple[TrainingSession, int]]:
    today = uk_today()
    sessions = [s for s in db.session.scalars(
        select(TrainingSession).options(joinedload(TrainingSession.course))
        .where(TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.start_on > today)
        .order_by(TrainingSession.start_on, TrainingSession.ref))
        if services.why_not_bookable(s, today) is None]
    left = approvals.places_left({s.id for s in sessions})
    return [(s, left.get(s.id, 0)) for s in sessions]


@bp.route("/agency/book", methods=["GET", "POST"])
@agency(*MANAGERS)
def book_staff():
    """Pick a session, tick staff, book them all: each person's outcome."""
    chosen = _chosen_agency()
    if chosen is None:
        return _choose("bookings.book_staff")
    scope = _scope(chosen.id)
    ref = request.args.get("session", "").strip()
    session = db.session.scalar(select(TrainingSession).where(
        func.lower(TrainingSession.ref) == ref.lower())) if ref else None
    if session is None:
        if request.method == "POST":
            abort(404)
        return render_template("bookings/book_staff.html", agency=chosen, scope=scope,
                               sessions=_bookable_sessions(), session=None,
                               unknown=bool(ref))
    query = request.args.get("q", "")
    taken = staff.holds_active_booking(session.id)
    everyone = staff.staff(chosen.id)
    form = BookStaffForm()
    form.people.choices = [(p.id, _label(p)) for p in everyone]
    if request.method == "POST":
        _only_own_staff(request.form.getlist("people"), chosen.id)
    if form.validate_on_submit():
        by_id = {p.id: p for p in everyone}
        people = [by_id[i] for i in form.people.data]
        outcomes = staff.book_many(session.id, people, _actor())
        send_after_commit()
        return render_template("bookings/book_staff_done.html", agency=chosen, scope=scope,
                               session=session, outcomes=outcomes)
    shown = {p.id for p in staff.staff(chosen.id, query)} - taken
    form.people.choices = [c for c in form.people.choices if c[0] in shown]
    booked = [p for p in everyone if p.id in taken]
    return render_template("bookings/book_staff.html", agency=chosen, scope=scope, form=form,
                           session=session, problem=services.why_not_bookable(session),
                           places=services.places(session), booked=booked, q=query,
                           ), 400 if form.errors else 200
