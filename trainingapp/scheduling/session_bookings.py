"""The coordinator's session page and its bookings, under
/manage/sessions/<id>: the booking list (confirmed, waiting with positions,
cancelled) and what the coordinator can do to it. The rules are in
``bookings/coordination.py``; these views translate HTTP to those calls,
flash the outcome and redirect back to the session page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..agencies.models import Person
from ..bookings import coordination, services as booking_services, staff
from ..bookings.models import Booking, BookingStatus
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from ..forms import positive_int
from ..mail.services import send_after_commit
from ..types import uk_today
from . import bp
from .forms import (ActionForm, AddPersonForm, CapacityForm, CoordinatorCancelForm, MessageForm,
                    MoveForm, QueueForm, WaitlistForm)
from .services import SchedulingError
from .views import COORDINATOR, _session_or_404, current_actor


def _back(training: TrainingSession):
    return redirect(url_for("scheduling.session", session_id=training.id), code=303)


def _booking_or_404(training: TrainingSession, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.session_id != training.id:
        abort(404)
    return booking


def _can_change(training: TrainingSession) -> bool:
    return training.status is SessionStatus.SCHEDULED and training.start_on > uk_today()


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _label(person: Person) -> str:
    agency = person.agency.name if person.agency else "no agency"
    return f"{person.full_name} ({person.email}), {agency}"


def _outcome(booking: Booking, name: str, where: str = "") -> str:
    if booking.status is BookingStatus.CONFIRMED:
        return f"{name} has a confirmed place{where}."
    position = booking_services.waitlist_position(booking)
    return f"The session is full, so {name} is on the waiting list{where}: number {position}."


def _session_page(training: TrainingSession, capacity_form: CapacityForm | None = None,
                  status: int = 200):
    if capacity_form is None:
        capacity_form = CapacityForm(formdata=None, capacity=training.capacity)
    return render_template(
        "scheduling/session.html", session=training, places=booking_services.places(training),
        bookings=coordination.booking_list(training.id), can_change=_can_change(training),
        capacity_form=capacity_form, form=capacity_form if capacity_form.errors else None,
        csv_url=url_for("bookings.delegates_csv", ref=training.ref)), status


@bp.get("/sessions/<int:session_id>")
@COORDINATOR
def session(session_id: int):
    """The session, its booking list and what can be done to it."""
    return _session_page(_session_or_404(session_id))


# -- the session's settings ------------------------------------------------------------

@bp.post("/sessions/<int:session_id>/capacity")
@COORDINATOR
def session_capacity(session_id: int):
    """Raise or lower the places; raising gives the earliest waiting a place."""
    training = _session_or_404(session_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        return _session_page(training, form, 400)
    before = training.capacity
    try:
        promoted = coordination.set_capacity(training.id, form.capacity.data, current_actor())
    except SchedulingError as error:
        db.session.rollback()
        form.capacity.errors = [problem.message for problem in error.problems]
        return _session_page(_session_or_404(session_id), form, 409)
    except booking_services.BookingError as error:
        flash(error.message, "info")
        return _back(training)
    send_after_commit()
    message = f"Capacity changed from {before} to {form.capacity.data}."
    if promoted:
        message += f" {_people(len(promoted))} from the waiting list " \
                   f"{'has' if len(promoted) == 1 else 'have'} been given a place and told by e-mail."
    flash(message, "success")
    return _back(training)


@bp.post("/sessions/<int:session_id>/waitlist")
@COORDINATOR
def session_waitlist(session_id: int):
    """Open or close the waiting list."""
    training = _session_or_404(session_id)
    form = WaitlistForm()
    if not form.validate_on_submit():
        abort(400)
    is_open = form.state.data == "open"
    try:
        coordination.set_waitlist_open(training.id, is_open, current_actor())
    except booking_services.BookingError as error:
        flash(error.message, "info")
        return _back(training)
    flash("The waiting list is open." if is_open else
          "The waiting list is closed: once the session is full, nobody else can book. "
          "People already waiting keep their places in the queue.", "success")
    return _back(training)


@bp.route("/sessions/<int:session_id>/message", methods=["GET", "POST"])
@COORDINATOR
def message_session(session_id: int):
    """E-mail everyone booked or waiting."""
    training = _session_or_404(session_id)
    places = booking_services.places(training)
    form = MessageForm()
    if form.validate_on_submit():
        told = coordination.message_everyone(training.id, form.subject.data, form.message.data,
                                             current_actor())
        send_after_commit()
        flash(f"Your message has been sent to {_people(told)}.", "success")
        return _back(training)
    return render_template("scheduling/message.html", form=form, session=training,
                           places=places), 400 if form.errors else 200


# -- one person's booking --------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/bookings/add", methods=["GET", "POST"])
@COORDINATOR
def add_booking(session_id: int):
    """Find someone by name or e-mail and book them (no approval needed)."""
    training = _session_or_404(session_id)
    query = request.args.get("q", "").strip()[:100]
    form = AddPersonForm()
    refused = None
    if request.method == "POST":
        raw = request.form.get("person", "")
        person_id = positive_int(raw)
        chosen = db.session.get(Person, person_id) if person_id else None
        form.person.choices = [(chosen.id, chosen.full_name)] if chosen and chosen.is_active else []
    if form.validate_on_submit():
        name = chosen.full_name
        try:
            booking = coordination.add_person(training.id, chosen, current_actor())
        except booking_services.BookingError as error:
            db.session.rollback()
            form.person.errors, refused = [error.message], error
        else:
            send_after_commit()
            flash(_outcome(booking, name), "success")
            return _back(training)
    elif form.person.errors:
        # Not one of the people offered (a stale or tampered form).
        form.person.errors = ["Select the person to book"]
    found = coordination.find_people(query) if query else []
    booked = staff.holds_active_booking(training.id)
    form.person.choices = [(p.id, _label(p)) for p in found if p.id not in booked]
    status = refused.status if refused else 400 if form.errors else 200
    return render_template("scheduling/add_booking.html", form=form, session=training, q=query,
                           found=found, booked=booked,
                           problem=booking_services.why_not_bookable(training)), status


@bp.route("/sessions/<int:session_id>/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@COORDINATOR
def move_booking(session_id: int, booking_id: int):
    """Move a booking to another session, of any course."""
    training = _session_or_404(session_id)
    booking = _booking_or_404(training, booking_id)
    if not booking.is_active:
        flash("This booking is already cancelled.", "info")
        return _back(training)
    targets = coordination.move_targets(booking)
    form = MoveForm()
    form.to_session.choices = [(0, "Select a session")] + [
        (s.id, f"{s.ref}: {s.course.title}, {s.start_on:%-d %B %Y}, "
               + (f"{left} {'place' if left == 1 else 'places'} left" if left else
                  "full: waiting list" if s.is_waitlist_open else "full, waiting list closed"))
        for s, left in targets]
    if form.validate_on_submit():
        name = booking.person.full_name
        try:
            moved = coordination.move(booking.id, form.to_session.data, current_actor())
        except booking_services.BookingError as error:
            db.session.rollback()
            form.to_session.errors = [error.message]
        else:
            send_after_commit()
            flash(_outcome(moved, name, f" on {moved.session.ref}") + " We have e-mailed them.",
                  "success")
            return _back(training)
    return render_template("scheduling/move_booking.html", form=form, session=training,
                           booking=booking, targets=targets), 400 if form.errors else 200


@bp.route("/sessions/<int:session_id>/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@COORDINATOR
def cancel_booking(session_id: int, booking_id: int):
    """Cancel for someone; the cut-off rule applies as if they cancelled."""
    training = _session_or_404(session_id)
    booking = _booking_or_404(training, booking_id)
    if not booking.is_active:
        flash("This booking is already cancelled.", "info")
        return _back(training)
    form = CoordinatorCancelForm()
    if form.validate_on_submit():
        name = booking.person.full_name
        try:
            cancelled = staff.cancel_for(booking.id, current_actor(), form.reason.data)
        except booking_services.BookingError as error:
            flash(error.message, "info")
            return _back(training)
        send_after_commit()
        late = cancelled.status is BookingStatus.LATE_CANCELLED
        flash(f"{name}'s booking is cancelled" + (" (a late cancellation)." if late else "."),
              "success")
        return _back(training)
    return render_template("scheduling/cancel_booking.html", form=form, session=training,
                           booking=booking, late=booking_services.is_late(training)), \
        400 if form.errors else 200


@bp.post("/sessions/<int:session_id>/bookings/<int:booking_id>/queue")
@COORDINATOR
def reorder_booking(session_id: int, booking_id: int):
    """Move a waiting booking up or down the list, or to a position."""
    training = _session_or_404(session_id)
    booking = _booking_or_404(training, booking_id)
    form = QueueForm()
    if not form.validate_on_submit():
        flash(form.position.errors[0] if form.position.errors else "Choose where to move them.",
              "info")
        return _back(training)
    name = booking.person.full_name
    step = {"up": -1, "down": 1}.get(form.direction.data or "", 0)
    if form.position.data is None and not step:
        flash("Enter the position to move them to.", "info")
        return _back(training)
    try:
        position = coordination.reorder(booking.id, training.id, current_actor(),
                                        position=form.position.data if not step else None,
                                        step=step)
    except booking_services.BookingError as error:
        flash(error.message, "info")
        return _back(training)
    flash(f"{name} is now number {position} on the waiting list.", "success")
    return _back(training)


@bp.post("/sessions/<int:session_id>/bookings/<int:booking_id>/promote")
@COORDINATOR
def promote_booking(session_id: int, booking_id: int):
    """Give a waiting person a free place by hand."""
    training = _session_or_404(session_id)
    booking = _booking_or_404(training, booking_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = booking.person.full_name
    try:
        coordination.promote(booking.id, training.id, current_actor())
    except booking_services.BookingError as error:
        flash(error.message, "info")
        return _back(training)
    send_after_commit()
    flash(f"{name} has been given a place and told by e-mail.", "success")
    return _back(training)
