"""The coordinator's pages, all under /manage. Views translate HTTP to a
service call, flash and redirect; the rules live in services.py."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..access import roles
from ..agencies.models import Person, Role
from ..bookings.services import places
from ..courses.models import Course, SessionStatus, TrainingSession, Venue
from ..extensions import db
from ..forms import positive_int
from ..mail.services import send_after_commit
from ..reports import queries
from ..reports.services import financial_year, quarter
from ..types import EARLIEST_YEAR, LATEST_YEAR, uk_today
from . import bp, services
from .forms import CancelSessionForm, ChooseCourseForm, DuplicateForm, SessionForm

COORDINATOR = roles(Role.COORDINATOR)


def current_actor() -> Person:
    return current_user._get_current_object()


def show_problems(form, problems: list[services.Problem], rows: list | None = None) -> None:
    """Put each service problem on the form field it is about."""
    for problem in problems:
        if problem.index is not None and rows is not None:
            entry = form.days.entries[rows[problem.index]] if rows else form.days.entries[0]
            field = entry.form[problem.field if problem.field in entry.form else "day_on"]
        else:
            field = getattr(form, problem.field, None) or form.submit
        field.errors = list(field.errors) + [problem.message]
    if rows is not None:
        _refresh_day_errors(form)


def _refresh_day_errors(form: SessionForm) -> None:
    entries = [entry.errors for entry in form.days.entries]
    form.days.errors = entries if any(entries) else []


# -- sessions ------------------------------------------------------------------------

def _session_or_404(session_id: int) -> TrainingSession:
    return db.session.get(TrainingSession, session_id) or abort(404)


def _plan_initial(plan: services.SessionPlan) -> dict:
    return {
        "ref": plan.ref, "capacity": plan.capacity, "venue": plan.venue_id or 0,
        "online_url": plan.online_url, "trainers": plan.trainer_ids,
        "days": [{"day_on": d.day_on, "starts_at": d.starts_at, "ends_at": d.ends_at} for d in plan.days],
        "booking_opens_on": plan.booking_opens_on, "booking_closes_on": plan.booking_closes_on,
        "cancellation_cutoff_on": plan.cancellation_cutoff_on,
        "waitlist": "open" if plan.is_waitlist_open else "closed", "agency_cap": plan.agency_cap,
        "joining_instructions": plan.joining_instructions,
    }


def _session_form(initial: dict | None, current: TrainingSession | None = None) -> SessionForm:
    form = SessionForm(**initial) if request.method == "GET" and initial else SessionForm()
    venues = db.session.execute(select(Venue.id, Venue.name, Venue.capacity)
                                .order_by(func.lower(Venue.name))).all()
    form.venue.choices = [(0, "No venue: an online session")] + [
        (v.id, v.name + (f" (holds {v.capacity})" if v.capacity else "")) for v in venues]
    trainers = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .where(Person.role == Role.TRAINER, Person.is_active)
        .order_by(func.lower(Person.last_name), func.lower(Person.first_name))).all()
    form.trainers.choices = [(t.id, f"{t.first_name} {t.last_name}") for t in trainers]
    offered = {t.id for t in trainers}
    form.trainers.choices += [(t.id, t.full_name) for t in (current.trainers if current else [])
                              if t.id not in offered]
    if request.method == "POST" and form.add_day.data and len(form.days) < form.days.max_entries:
        form.days.append_entry()
    _label_days(form)
    return form


def _label_days(form: SessionForm) -> None:
    """Name each day's fields after the day, so every message says which."""
    for number, entry in enumerate(form.days.entries, start=1):
        entry.form.day_on.label.text = f"Day {number} date"
        entry.form.starts_at.label.text = f"Day {number} start time"
        entry.form.ends_at.label.text = f"Day {number} end time"


def _read_plan(form: SessionForm, course_id: int) -> tuple[services.SessionPlan | None, list[int]]:
    """The plan the form describes and, for each of its days, the form row
    it came from; (None, rows) when a day is half filled in."""
    days, rows, complete = [], [], True
    for row, entry in enumerate(form.days.entries):
        day = entry.form
        if day.is_blank:
            continue
        for subfield, what in ((day.day_on, "date"), (day.starts_at, "start time"),
                               (day.ends_at, "end time")):
            if subfield.data is None and not subfield.errors:
                subfield.errors = list(subfield.errors) + [f"Enter the {subfield.label.text.lower()}"]
                complete = False
        if day.day_on.data and day.starts_at.data and day.ends_at.data:
            days.append(services.DayPlan(day.day_on.data, day.starts_at.data, day.ends_at.data,
                                         label=f"Day {row + 1}"))
            rows.append(row)
    _refresh_day_errors(form)
    if not complete or form.errors:
        return None, rows
    plan = services.SessionPlan(
        ref=form.ref.data, course_id=course_id, days=days, capacity=form.capacity.data,
        venue_id=form.venue.data or None, online_url=(form.online_url.data or "").strip() or None,
        trainer_ids=list(form.trainers.data or []),
        booking_opens_on=form.booking_opens_on.data, booking_closes_on=form.booking_closes_on.data,
        cancellation_cutoff_on=form.cancellation_cutoff_on.data,
        is_waitlist_open=form.waitlist.data != "closed", agency_cap=form.agency_cap.data,
        joining_instructions=form.joining_instructions.data)
    return plan, rows


def _submit(form: SessionForm, course_id: int, save) -> object | None:
    """Validate and save through ``save(plan)``; None when the form is to
    be shown again (with its errors, or with a day added)."""
    if request.method != "POST" or form.add_day.data:
        return None
    if not form.validate_on_submit():
        _read_plan(form, course_id)  # also flag half-filled days
        return None
    plan, rows = _read_plan(form, course_id)
    if plan is None:
        return None
    if not plan.days:
        form.days.entries[0].form.day_on.errors = ["Enter at least one day, with its date and times"]
        _refresh_day_errors(form)
        return None
    try:
        return save(plan)
    except services.SchedulingError as error:
        show_problems(form, error.problems, rows)
        return None


@bp.route("/sessions/new", methods=["GET", "POST"])
@COORDINATOR
def new_session():
    """Schedule a session: first choose the course, then its details. With
    ``from`` and ``weeks`` the form starts as a copy of that session."""
    original = None
    if request.args.get("from"):
        original_id = positive_int(request.args.get("from"))
        original = (db.session.get(TrainingSession, original_id) if original_id else None) or abort(404)
        course = original.course
    else:
        choose = ChooseCourseForm(request.args if "course" in request.args else None)
        choose.course.choices = [(0, "Select a course")] + [
            (c.id, f"{c.code}: {c.title}") for c in db.session.scalars(
                select(Course).where(Course.is_active).order_by(func.lower(Course.code)))]
        if "course" not in request.args or not choose.validate() or not choose.course.data:
            if "course" in request.args and not choose.course.errors:
                choose.course.errors = ["Select a course"]
            return render_template("scheduling/choose_course.html", form=choose)
        course = db.session.get(Course, choose.course.data)

    if request.method == "GET":
        if original is not None:
            weeks = request.args.get("weeks", type=int) or 4
            plan = services.proposal_from(original, max(1, min(weeks, 104)))
        else:
            first_year = uk_today().year
            plan = services.SessionPlan(ref=services.suggest_ref(course, first_year), course_id=course.id,
                                        days=[], capacity=course.capacity or 0)
        initial = _plan_initial(plan)
        initial["capacity"] = plan.capacity or None
        initial["days"] = initial["days"] or [{}] * max(1, course.duration_days)
        form = _session_form(initial)
    else:
        form = _session_form(None)
    session = _submit(form, course.id, lambda plan: services.schedule_session(
        plan, current_actor(), duplicated_from=original))
    if session is not None:
        flash(f"Session {session.ref} scheduled.", "success")
        return redirect(url_for("scheduling.session", session_id=session.id))
    return render_template("scheduling/session_form.html", form=form, course=course, session=None,
                           original=original)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@COORDINATOR
def edit_session(session_id: int):
    training = _session_or_404(session_id)
    if training.status is not SessionStatus.SCHEDULED:
        flash(f"Session {training.ref} is {training.status.value}: it can no longer be changed.", "info")
        return redirect(url_for("scheduling.session", session_id=training.id))
    initial = _plan_initial(services.SessionPlan(
        ref=training.ref, course_id=training.course_id, capacity=training.capacity,
        days=[services.DayPlan(d.day_on, d.starts_at, d.ends_at) for d in training.days],
        venue_id=training.venue_id, online_url=training.online_url,
        trainer_ids=[t.id for t in training.trainers], booking_opens_on=training.booking_opens_on,
        booking_closes_on=training.booking_closes_on,
        cancellation_cutoff_on=training.cancellation_cutoff_on,
        is_waitlist_open=training.is_waitlist_open, agency_cap=training.agency_cap,
        joining_instructions=training.joining_instructions))
    if not initial["days"]:
        initial["days"] = [{"day_on": training.start_on}]
    form = _session_form(initial, training)
    promoted = _submit(form, training.course_id,
                       lambda plan: services.update_session(training, plan, current_actor()))
    if promoted is not None:
        send_after_commit()
        message = f"Session {training.ref} saved."
        if promoted:
            message += f" {len(promoted)} waiting {'person has' if len(promoted) == 1 else 'people have'} " \
                       "been given a place and told by e-mail."
        flash(message, "success")
        return redirect(url_for("scheduling.session", session_id=training.id))
    return render_template("scheduling/session_form.html", form=form, course=training.course,
                           session=training, original=None)


@bp.get("/sessions/<int:session_id>/duplicate")
@COORDINATOR
def duplicate_session(session_id: int):
    """Ask how many weeks later the copy runs, then open the prefilled form."""
    training = _session_or_404(session_id)
    form = DuplicateForm(request.args if "weeks" in request.args else None)
    if "weeks" in request.args and form.validate():
        return redirect(url_for("scheduling.new_session", **{"from": training.id, "weeks": form.weeks.data}))
    return render_template("scheduling/duplicate.html", form=form, session=training)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@COORDINATOR
def cancel_session(session_id: int):
    """Confirm, then cancel the session and tell everyone booked or waiting."""
    training = _session_or_404(session_id)
    if training.status is not SessionStatus.SCHEDULED:
        flash(f"Session {training.ref} is {training.status.value}: it cannot be cancelled.", "info")
        return redirect(url_for("scheduling.session", session_id=training.id))
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            told = services.cancel_session(training, form.reason.data, current_actor())
        except services.SchedulingError as error:
            show_problems(form, error.problems)
        else:
            send_after_commit()
            flash(f"Session {training.ref} is cancelled. {told} "
                  f"{'person was' if told == 1 else 'people were'} told by e-mail.", "success")
            return redirect(url_for("scheduling.session", session_id=training.id))
    return render_template("scheduling/cancel.html", form=form, session=training, places=places(training))


# -- programme and training pool ---------------------------------------------------

def _fy_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _year_choices() -> list[int]:
    # A session dated outside 1900-2999 is a slip in old data: no year for it.
    first, last = db.session.execute(
        select(func.min(TrainingSession.start_on), func.max(TrainingSession.start_on))
        .where(TrainingSession.start_on.between(date(EARLIEST_YEAR, 1, 1),
                                                date(LATEST_YEAR, 12, 31)))).one()
    this = _fy_of(uk_today())
    low = min(_fy_of(first) if first else this, this)
    high = max(_fy_of(last) if last else this, this)
    return list(range(high, low - 1, -1))


def _period_args(with_quarter: bool):
    years = _year_choices()
    year = request.args.get("year", type=int)
    if year not in years:
        year = _fy_of(uk_today())
    number = request.args.get("quarter", type=int) if with_quarter else None
    if number not in (1, 2, 3, 4):
        number = None
    start, end = quarter(year, number) if number else financial_year(year)
    return years, year, number, start, end


@bp.get("/programme")
@COORDINATOR
def programme():
    """The year's programme by financial year and quarter, with the figures
    the board asks for and the sessions at risk."""
    years, year, number, start, end = _period_args(with_quarter=True)
    figures = services.programme_figures(start, end, uk_today())
    return render_template("scheduling/programme.html", rows=figures.rows, at_risk=figures.at_risk,
                           totals=figures.totals, years=years, year=year, quarter=number, start=start, end=end)


@bp.get("/trainers")
@COORDINATOR
def trainers():
    """The training pool and each agency's in-kind contribution in a
    financial year."""
    years, year, _, start, end = _period_args(with_quarter=False)
    return render_template("scheduling/trainers.html", trainers=queries.trainer_days(start, end),
                           agencies=queries.in_kind_days(start, end), years=years, year=year)
