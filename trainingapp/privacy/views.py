"""Subject access downloads and the admin's erasure page. Every URL of the
feature is here; the account and admin pages link to them."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import audit
from ..access import logged_in, roles
from ..agencies.models import Person, Role
from ..extensions import db
from ..programme.formatting import short_date
from ..types import UK
from . import bp, export, services
from .forms import EraseForm


@bp.app_template_filter("uk_day")
def uk_day(moment) -> str:
    """A UTC timestamp as its day in the UK: 5 January 2027."""
    return short_date(moment.astimezone(UK).date())


def _download(person: Person, filename: str) -> Response:
    """The person's data as an attachment, audited in a transaction of its
    own (the request only read until now)."""
    body = export.to_json(export.subject_access(person))
    audit.record_alone("subject_access_export", actor_id=current_user.id,
                       agency_id=current_user.agency_id, target_type="person",
                       target_id=person.id, bytes=len(body))
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.get("/account/my-data.json")
@logged_in
def my_data():
    """The signed-in person's own data: no id in the URL, so nobody can ask
    for someone else's."""
    return _download(current_user._get_current_object(), "my-data.json")


@bp.get("/admin/people/<int:person_id>/data.json")
@roles(Role.ADMIN)
def person_data(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    return _download(person, f"person-{person.id}-data.json")


@bp.route("/admin/people/<int:person_id>/erase", methods=["GET", "POST"])
@roles(Role.ADMIN)
def erase(person_id: int):
    """What erasure does, and a form that asks for the person's e-mail
    address before it does it. Refused (409) for the admin themselves, an
    erased person, or someone with an upcoming booking."""
    person = db.session.get(Person, person_id) or abort(404)
    actor = current_user._get_current_object()
    form = EraseForm()
    try:
        services.check_erasable(person, actor)
        if form.validate_on_submit():
            if form.email.data.strip().lower() == person.email.lower():
                services.erase_person(person, actor)
                flash(f"Person {person.id}'s details have been erased.", "success")
                return redirect(url_for("admin.person", person_id=person.id))
            form.email.errors.append("That is not this person's email address")
    except services.PrivacyError as exc:
        upcoming = services.upcoming_bookings(person.id) if exc.code == "upcoming_bookings" else []
        return render_template("privacy/erase.html", person=person, form=form, problem=exc,
                               upcoming=upcoming), 409 if request.method == "POST" else 200
    return render_template("privacy/erase.html", person=person, form=form, problem=None,
                           upcoming=[])
