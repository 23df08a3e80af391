"""Registers, training records, certificates and the agency's staff list.

- ``/sessions/<ref>/register``: the session's trainers, coordinators and
  admins (a trainer of another session gets 404, like a session that does
  not exist).
- ``/training`` and its certificates: the signed-in person's own record.
  A certificate can also be downloaded by the person's agency manager (the
  person's current agency) and by coordinators; anyone else gets 404.
- ``/agency/staff``: an agency manager's staff with their compliance and
  required levels; admins and coordinators choose an agency with
  ``?agency=<id>``.

The rules are in services.py and reports/queries.py; these views translate
HTTP to those calls.
"""
from __future__ import annotations

from collections import Counter

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..access import agency, check_agency, deny, logged_in, roles
from ..agencies.models import Person, Role
from ..bookings.agency_views import _choose, _chosen_agency, _scope
from ..courses.models import TrainingSession
from ..extensions import db
from ..mail.services import send_after_commit
from ..reports import queries
from ..types import uk_today
from . import bp, certificates, services
from .forms import MARK_LABELS, RegisterForm, RequiredLevelForm, WalkInForm, marks_from

REGISTER_TAKERS = (Role.TRAINER, Role.COORDINATOR)
MANAGERS = (Role.AGENCY_MANAGER, Role.COORDINATOR)


def _actor() -> Person:
    return current_user._get_current_object()


# -- registers ---------------------------------------------------------------------------

def _register_session(ref: str) -> TrainingSession:
    """The session, if the user may take its register: 404 for a trainer
    who does not deliver it, the same as for a session that does not exist."""
    session = db.session.scalar(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.venue),
                 selectinload(TrainingSession.days), selectinload(TrainingSession.trainers))
        .where(func.lower(TrainingSession.ref) == ref.strip().lower())) or abort(404)
    if current_user.role is Role.TRAINER and current_user.id not in {t.id for t in session.trainers}:
        deny(404, session=session.ref)
    return session


def _back_link(session: TrainingSession) -> tuple[str, str]:
    if current_user.role is Role.TRAINER:
        return url_for("programme.my_sessions"), "Back to my sessions"
    return url_for("scheduling.session", session_id=session.id), "Back to the session"


def _radio_items(current) -> list[dict]:
    return [{"value": mark.value, "text": label, "checked": mark is current}
            for mark, label in MARK_LABELS.items()]


def _register_page(session: TrainingSession, form: RegisterForm, shown: dict | None = None,
                   walk_in: WalkInForm | None = None, problem=None, status: int = 200):
    """The register as saved, or with the marks just posted (``shown``)
    when they could not be saved."""
    bookings = [] if problem else services.delegates(session.id)
    marks = {b.id: b.attendance for b in bookings}
    marks.update({k: v for k, v in (shown or {}).items() if k in marks})
    tally = Counter(marks.values())
    counts = {mark.value: tally[mark] for mark in MARK_LABELS} | {"unmarked": tally[None]}
    is_coordinator = current_user.role in (Role.COORDINATOR, Role.ADMIN)
    back_href, back_text = _back_link(session)
    return render_template(
        "attendance/register.html", session=session, form=form, bookings=bookings, marks=marks,
        counts=counts, radio_items=_radio_items, problem=problem,
        can_mark_run=not problem and services.can_mark_run(session),
        walk_in=(walk_in or WalkInForm(formdata=None)) if is_coordinator and not problem else None,
        back_href=back_href, back_text=back_text), status


@bp.route("/sessions/<ref>/register", methods=["GET", "POST"])
@roles(*REGISTER_TAKERS)
def register(ref: str):
    """Take (or correct) the register: a mark per confirmed delegate, and
    optionally mark the session as run (see services.py)."""
    session = _register_session(ref)
    form = RegisterForm()
    problem = services.why_no_register(session)
    if problem:
        return _register_page(session, form, problem=problem,
                              status=problem.status if request.method == "POST" else 200)
    if request.method == "GET":
        return _register_page(session, form)
    if not form.validate_on_submit():
        abort(400)
    marks, bad = marks_from(request.form)
    if bad:
        abort(400)
    try:
        result = services.take_register(session.id, marks, _actor(), mark_run=form.mark_run.data)
    except services.RegisterError as error:
        db.session.rollback()
        if error.code in ("unmarked", "cannot_mark_run"):
            form.mark_run.errors = [error.message]
            return _register_page(session, form, shown=marks, status=400)
        flash(error.message, "info")
        return redirect(url_for("attendance.register", ref=session.ref), code=303)
    send_after_commit()
    flash(_saved_message(result), "success")
    return redirect(url_for("attendance.register", ref=session.ref), code=303)


def _saved_message(result: services.RegisterResult) -> str:
    if result.changed == 0:
        text = "Register saved: no marks changed."
    else:
        text = f"Register saved: {result.changed} {'mark' if result.changed == 1 else 'marks'} changed."
    if result.not_attended:
        n = len(result.not_attended)
        text += (f" We have e-mailed the {n} {'person' if n == 1 else 'people'} who did not "
                 "attend, with a link to book again.")
    if result.marked_run:
        text += " The session is marked as run."
    return text


@bp.post("/sessions/<ref>/register/walk-in")
@roles(Role.COORDINATOR)
def add_walk_in(ref: str):
    """Add someone who came without a booking (found by e-mail address)."""
    session = _register_session(ref)
    form = WalkInForm()
    if not form.validate_on_submit():
        problem = services.why_no_register(session)
        return _register_page(session, RegisterForm(formdata=None), walk_in=form, problem=problem,
                              status=400)
    try:
        booking = services.add_walk_in(session.id, form.email.data, _actor())
    except services.RegisterError as error:
        db.session.rollback()
        form.email.errors = [error.message]
        problem = services.why_no_register(session)
        return _register_page(session, RegisterForm(formdata=None), walk_in=form, problem=problem,
                              status=error.status)
    flash(f"{booking.person.full_name} is now on the register. Mark their attendance below.",
          "success")
    return redirect(url_for("attendance.register", ref=session.ref), code=303)


# -- your training -------------------------------------------------------------------------

@bp.get("/training")
@logged_in
def training():
    """The signed-in person's training record: sessions attended, other
    training, their required level and whether they are in date today."""
    person = _actor()
    today = uk_today()
    return render_template(
        "attendance/training.html", person=person, today=today,
        standing=queries.person_compliance(person.id, today),
        attended=services.attended_bookings(person.id),
        records=services.training_records(person.id))


@bp.get("/training/certificates/<int:booking_id>.pdf")
@logged_in
def certificate(booking_id: int):
    """A certificate of attendance as a PDF download."""
    booking = services.certificate_booking(booking_id) or abort(404)
    if booking.person_id != current_user.id:
        if current_user.role not in (Role.ADMIN, Role.COORDINATOR, Role.AGENCY_MANAGER):
            deny(404, booking_id=booking.id)
        check_agency(booking.person.agency_id)  # a manager: their own staff only
    pdf = certificates.certificate_pdf(booking, current_app.config["BOARD_NAME"], uk_today())
    name = certificates.filename(booking)
    audit.record_alone("certificate_downloaded", actor_id=current_user.id,
                       agency_id=booking.agency_id, target_type="booking", target_id=booking.id,
                       person_id=booking.person_id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the agency's staff ----------------------------------------------------------------------

STATUS_TEXT = {
    queries.IN_DATE: ("In date", "govuk-tag--green"),
    queries.EXPIRING: ("Expiring soon", "govuk-tag--yellow"),
    queries.OUT_OF_DATE: ("Out of date", "govuk-tag--red"),
    queries.NOT_TRAINED: ("Not trained", "govuk-tag--grey"),
    queries.NOT_REQUIRED: ("No level required", "govuk-tag--grey"),
}


@bp.app_template_global()
def compliance_tag(status: str) -> dict:
    """Parameters for govukTag: the status in words (never colour alone)."""
    text, classes = STATUS_TEXT[status]
    return {"text": text, "classes": classes}


@bp.get("/agency/staff")
@agency(*MANAGERS)
def staff():
    """Everyone in the agency with their required level and whether they
    are in date today, from one query (``queries.staff_compliance``)."""
    chosen = _chosen_agency()
    if chosen is None:
        return _choose("attendance.staff")
    today = uk_today()
    standings = queries.staff_compliance(chosen.id, today)
    counts = Counter(s.status for s in standings)
    required = sum(1 for s in standings if s.required_level is not None)
    return render_template(
        "attendance/staff.html", agency=chosen, scope=_scope(chosen.id), standings=standings,
        counts=counts, required=required, today=today, form=None,
        expiring_months=queries.EXPIRING_MONTHS, level_form=RequiredLevelForm(formdata=None))


@bp.post("/agency/staff/<int:person_id>/level")
@agency(*MANAGERS)
def set_level(person_id: int):
    """Set a staff member's required level (1, 2, 3 or none)."""
    person = db.session.get(Person, person_id) or abort(404)
    check_agency(person.agency_id)
    form = RequiredLevelForm()
    if not form.validate_on_submit():
        abort(400)
    changed = services.set_required_level(person, form.level_number, _actor())
    level = form.level_number
    if changed:
        flash(f"{person.full_name}'s required level is now "
              f"{f'level {level}' if level else 'none'}.", "success")
    scope = {} if current_user.role is Role.AGENCY_MANAGER else {"agency": person.agency_id}
    return redirect(url_for("attendance.staff", **scope), code=303)
