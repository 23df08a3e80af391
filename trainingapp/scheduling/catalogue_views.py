"""The course catalogue and venues pages (/manage/courses, /manage/venues)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..courses.models import Course, Venue
from ..extensions import db
from . import bp, catalogue
from .forms import ActiveForm, CourseForm, VenueForm
from .views import COORDINATOR, current_actor, show_problems


# -- courses -------------------------------------------------------------------------

@bp.get("/courses")
@COORDINATOR
def courses():
    """The catalogue: active courses, then retired ones."""
    rows = db.session.scalars(select(Course).order_by(func.lower(Course.code))).all()
    return render_template("scheduling/courses.html",
                           active=[c for c in rows if c.is_active],
                           retired=[c for c in rows if not c.is_active])


def _course_form(course: Course | None) -> CourseForm:
    if request.method == "GET" and course is not None:
        form = CourseForm(obj=course, level="" if course.level is None else str(course.level),
                          prerequisites=[c.id for c in course.prerequisites])
    else:
        form = CourseForm()
    others = db.session.execute(select(Course.id, Course.code, Course.title)
                                .where(Course.id != (course.id if course else -1))
                                .order_by(func.lower(Course.code))).all()
    form.prerequisites.choices = [(c.id, f"{c.code}: {c.title}") for c in others]
    return form


def _course_data(form: CourseForm) -> catalogue.CourseData:
    return catalogue.CourseData(
        code=form.code.data, title=form.title.data, duration_days=form.duration_days.data,
        level=int(form.level.data) if form.level.data else None,
        learning_hours=form.learning_hours.data, capacity=form.capacity.data,
        description=form.description.data, audience=form.audience.data,
        learning_outcomes=form.learning_outcomes.data, prerequisite_ids=form.prerequisites.data or [])


@bp.route("/courses/new", methods=["GET", "POST"])
@COORDINATOR
def new_course():
    form = _course_form(None)
    if form.validate_on_submit():
        try:
            course = catalogue.save_course(_course_data(form), current_actor())
        except catalogue.SchedulingError as error:
            show_problems(form, error.problems)
        else:
            flash(f"Course {course.code} added to the catalogue.", "success")
            return redirect(url_for("scheduling.courses"))
    return render_template("scheduling/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@COORDINATOR
def edit_course(course_id: int):
    course = db.session.get(Course, course_id) or abort(404)
    form = _course_form(course)
    if form.validate_on_submit():
        try:
            catalogue.save_course(_course_data(form), current_actor(), course)
        except catalogue.SchedulingError as error:
            show_problems(form, error.problems)
        else:
            flash(f"Course {course.code} saved.", "success")
            return redirect(url_for("scheduling.courses"))
    return render_template("scheduling/course_form.html", form=form, course=course,
                           active_form=ActiveForm())


@bp.post("/courses/<int:course_id>/active")
@COORDINATOR
def course_active(course_id: int):
    """Retire the course, or bring a retired one back."""
    course = db.session.get(Course, course_id) or abort(404)
    if ActiveForm().validate_on_submit():
        catalogue.set_course_active(course, not course.is_active, current_actor())
        flash(f"Course {course.code} is {'back in the catalogue' if course.is_active else 'retired'}.",
              "success")
    return redirect(url_for("scheduling.courses"))


# -- venues --------------------------------------------------------------------------

@bp.get("/venues")
@COORDINATOR
def venues():
    rows = db.session.scalars(select(Venue).order_by(func.lower(Venue.name))).all()
    return render_template("scheduling/venues.html", venues=rows)


def _save_venue(venue: Venue | None):
    form = VenueForm(obj=venue) if request.method == "GET" else VenueForm()
    if form.validate_on_submit():
        data = catalogue.VenueData(name=form.name.data, address=form.address.data,
                                  accessibility_notes=form.accessibility_notes.data,
                                  capacity=form.capacity.data)
        try:
            saved = catalogue.save_venue(data, current_actor(), venue)
        except catalogue.SchedulingError as error:
            show_problems(form, error.problems)
        else:
            flash(f"Venue {saved.name} saved.", "success")
            return redirect(url_for("scheduling.venues"))
    return render_template("scheduling/venue_form.html", form=form, venue=venue)


@bp.route("/venues/new", methods=["GET", "POST"])
@COORDINATOR
def new_venue():
    return _save_venue(None)


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@COORDINATOR
def edit_venue(venue_id: int):
    return _save_venue(db.session.get(Venue, venue_id) or abort(404))
