from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit
from ..access import deny, logged_in, roles
from ..agencies.models import Role
from ..courses.models import TrainingSession
from ..extensions import db
from ..mail.services import send_after_commit
from . import approvals, bp, services
from .forms import BookForm, CancelForm
from .models import Booking, BookingStatus


def _session_or_404(ref: str) -> TrainingSession:
    session = db.session.scalar(
        select(TrainingSession).where(func.lower(TrainingSession.ref) == ref.strip().lower()))
    return session or abort(404)


@bp.post("/sessions/<ref>/book")
@logged_in
def book(ref: str):
    """Book the signed-in person on the session (contract section 3)."""
    session = _session_or_404(ref)
    if not BookForm().validate_on_submit():
        abort(400)
    person = current_user._get_current_object()
    if approvals.needs_approval(person):
        return _request_place(session, person)
    try:
        booking = services.book(session.id, person)
    except services.BookingError as error:
        return render_template("bookings/refused.html", session=session, error=error), error.status
    send_after_commit()
    if booking.status is BookingStatus.CONFIRMED:
        flash("Your place is confirmed. We have e-mailed you the details.", "success")
    else:
        position = services.waitlist_position(booking)
        flash(f"The session is full, so you are on the waiting list: number {position}. "
              "We will e-mail you if a place comes up.", "info")
    return redirect(url_for("programme.session", ref=session.ref), code=303)


def _request_place(session: TrainingSession, person):
    """Their agency approves bookings: ask the manager instead of booking."""
    try:
        approvals.request_place(session.id, person)
    except services.BookingError as error:
        return render_template("bookings/refused.html", session=session, error=error), error.status
    send_after_commit()
    flash("Your request has been sent to your manager. It does not hold a place yet: "
          "we will e-mail you when they decide.", "success")
    return redirect(url_for("programme.session", ref=session.ref), code=303)


@bp.get("/sessions/<ref>/cancel")
@logged_in
def cancel_confirm(ref: str):
    """Say whether cancelling now is on time or late, before confirming."""
    session = _session_or_404(ref)
    booking = services.active_booking(session.id, current_user.id) or abort(404)
    return render_template("bookings/cancel.html", session=session, booking=booking,
                           late=services.is_late(session), form=CancelForm())


@bp.post("/sessions/<ref>/cancel")
@logged_in
def cancel(ref: str):
    session = _session_or_404(ref)
    booking = services.active_booking(session.id, current_user.id) or abort(404)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("bookings/cancel.html", session=session, booking=booking,
                               late=services.is_late(session), form=form), 400
    try:
        booking = services.cancel(booking.id, current_user._get_current_object(), form.reason.data)
    except services.BookingError as error:
        return render_template("bookings/refused.html", session=session, error=error), error.status
    send_after_commit()
    late = booking.status is BookingStatus.LATE_CANCELLED
    flash("Your booking is cancelled" + (" (a late cancellation)." if late else "."), "success")
    return redirect(url_for("programme.session", ref=session.ref), code=303)


@bp.get("/bookings")
@logged_in
def mine():
    """The signed-in person's bookings: upcoming (with waiting-list
    positions) and past."""
    from sqlalchemy.orm import joinedload

    from ..types import uk_today

    bookings = db.session.scalars(
        select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
        .options(joinedload(Booking.session).joinedload(TrainingSession.course),
                 joinedload(Booking.session).joinedload(TrainingSession.venue))
        .where(Booking.person_id == current_user.id)
        .order_by(TrainingSession.start_on.desc(), Booking.id.desc())
    ).unique().all()
    today = uk_today()
    upcoming = [b for b in reversed(bookings) if b.session.end_on >= today
                and b.session.status.value == "scheduled"]
    past = [b for b in bookings if b not in upcoming]
    positions = {b.id: services.waitlist_position(b) for b in upcoming
                 if b.status is BookingStatus.WAITLISTED}
    return render_template("bookings/mine.html", upcoming=upcoming, past=past, positions=positions)


@bp.get("/bookings/<int:booking_id>/invite.ics")
@logged_in
def invite(booking_id: int):
    """A calendar invitation for one's own booking; a cancelled place gets
    METHOD:CANCEL with the same UID, so calendars remove the event."""
    from flask import Response

    from ..programme.calendar import session_ics

    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.person_id != current_user.id:
        abort(404)
    method = "REQUEST" if booking.is_active else "CANCEL"
    body = session_ics(booking.session, method=method, attendee_email=current_user.email)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{booking.session.ref}.ics"',
        "Cache-Control": "no-store"})


@bp.get("/sessions/<ref>/delegates.csv")
@roles(Role.COORDINATOR, Role.TRAINER)
def delegates_csv(ref: str):
    """Every booking of the session as the contract's delegates report,
    byte for byte what ``flask --app wsgi report delegates --session REF``
    prints. For the coordinator and the session's own trainers: another
    trainer gets 404, as for a session that does not exist."""
    from ..reports import exports, queries  # reports imports bookings: import when used

    session = _session_or_404(ref)
    if current_user.role is Role.TRAINER and current_user.id not in {t.id for t in session.trainers}:
        deny(404, session=session.ref)
    rows = queries.delegates(session.id)
    body = exports.to_csv(exports.DELEGATE_COLUMNS, exports.delegate_table(rows))
    audit.record_alone("export", actor_id=current_user.id, agency_id=current_user.agency_id,
                       target_type="session", target_id=session.id, report="delegates",
                       format="csv", rows=len(rows), ref=session.ref)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{session.ref}-delegates.csv"',
        "Cache-Control": "no-store"})
