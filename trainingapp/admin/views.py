from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..access import roles
from ..accounts.services import AccountError, administer
from ..agencies.models import Agency, Person, Role
from ..extensions import db
from . import bp
from .forms import PersonAdminForm

PER_PAGE = 50


@bp.get("/people")
@roles(Role.ADMIN)
def people():
    """Everyone the service knows, with search by name or e-mail and a role
    filter."""
    query = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    statement = select(Person).outerjoin(Agency, Person.agency_id == Agency.id)
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(or_(func.lower(Person.email).like(like),
                                        func.lower(Person.first_name + " " + Person.last_name).like(like)))
    if role in {r.value for r in Role}:
        statement = statement.where(Person.role == Role(role))
    page = db.paginate(statement.order_by(func.lower(Person.last_name), Person.email),
                       per_page=PER_PAGE, error_out=False)
    return render_template("admin/people.html", page=page, q=query, role=role, roles=list(Role))


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def person(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    form = PersonAdminForm()
    agencies = db.session.execute(select(Agency.id, Agency.name)).all()
    form.agency.choices = [(0, "No agency")] + sorted(((a.id, a.name) for a in agencies), key=lambda a: a[1].casefold())
    if request.method == "GET":
        form.role.data = person.role.value
        form.agency.data = person.agency_id or 0
        form.active.data = "yes" if person.is_active else "no"
    if form.validate_on_submit():
        try:
            administer(current_user._get_current_object(), person, Role(form.role.data),
                       form.agency.data or None, form.active.data == "yes")
        except AccountError as exc:
            form.role.errors.append(str(exc))
        else:
            flash(f"Changes to {person.full_name} saved.", "success")
            return redirect(url_for("admin.people"))
    return render_template("admin/person.html", form=form, person=person)
