"""Uploading an agency's people.csv (``/agency/staff/import``): the agency
manager's way to add and update their own staff in bulk (contract section
4, last point). Admins and coordinators choose the agency with
``?agency=<id>``; a manager's own agency is the only one they can use.

The journey is the coordinator's import (scheduling/import_views.py): check
the file and preview what would change, with nothing written; then confirm.
The file waits on the server between the two (scheduling/uploads.py), tied
to the agency it was checked for. The rules are in imports/staff.py.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from ..access import agency
from ..agencies.models import Agency, Person, Role
from ..bookings.agency_views import _choose, _chosen_agency, _scope
from ..imports.services import ImportFailed
from ..imports.staff import FILE, import_staff
from ..scheduling import uploads
from ..scheduling.forms import ConfirmImportForm, DiscardImportForm
from . import bp

MANAGERS = (Role.AGENCY_MANAGER, Role.COORDINATOR)
# Which agency the staged upload was checked for (its files are uploads').
SESSION_KEY = "staff_import"


class StaffUploadForm(FlaskForm):
    people = FileField("people.csv", widget=GovFileInput(),
                       validators=[FileRequired("Choose your people.csv file")])
    submit = SubmitField("Check file", widget=GovSubmitInput())


def _actor() -> Person:
    return current_user._get_current_object()


def _urls(chosen: Agency) -> dict:
    scope = _scope(chosen.id)
    return {"confirm_url": url_for("attendance.confirm_staff_import", **scope),
            "discard_url": url_for("attendance.discard_staff_import", **scope),
            "again_url": url_for("attendance.import_staff", **scope),
            "again_text": "Upload the file again", "caption": chosen.name}


def _forget() -> None:
    session.pop(SESSION_KEY, None)
    uploads.discard()


def _staged(chosen: Agency) -> dict[str, bytes] | None:
    """The file checked for this agency in this session, or None."""
    saved, staged = session.get(SESSION_KEY), session.get(uploads.SESSION_KEY)
    if not isinstance(saved, dict) or not isinstance(staged, dict) \
            or saved.get("agency") != chosen.id or saved.get("token") != staged.get("token"):
        return None
    sources = uploads.load(current_user.id)
    return sources if sources is not None and set(sources) == {FILE} else None


@bp.route("/agency/staff/import", methods=["GET", "POST"], endpoint="import_staff")
@agency(*MANAGERS)
def import_staff_page():
    """Upload people.csv; nothing is written until confirmed."""
    chosen = _chosen_agency()
    if chosen is None:
        return _choose("attendance.import_staff")
    form = StaffUploadForm()
    if form.validate_on_submit():
        storage = form.people.data
        name = PurePosixPath((storage.filename or "").replace("\\", "/")).name
        if name.lower() != FILE:
            form.people.errors = [(f"Choose a file called people.csv: this page imports staff "
                                   f"only, and {name or 'the file chosen'} is not people.csv")]
        else:
            try:
                data = uploads.read_limited(FILE, storage.stream)
            except uploads.UploadTooLarge as error:
                form.people.errors = [str(error)]
            else:
                return _preview(chosen, data)
    else:
        _forget()
    return render_template("attendance/staff_import.html", form=form, agency=chosen,
                           scope=_scope(chosen.id)), 400 if form.errors else 200


def _problems_page(chosen: Agency, problems):
    _forget()
    return render_template("scheduling/preview.html", results=None, problems=problems,
                           files=[FILE], form=DiscardImportForm(), **_urls(chosen)), 422


def _preview(chosen: Agency, data: bytes):
    try:
        result = import_staff(data, chosen, _actor(), dry_run=True)
    except ImportFailed as failed:
        return _problems_page(chosen, failed.problems)
    token = uploads.stash({FILE: data}, current_user.id)
    session[SESSION_KEY] = {"token": token, "agency": chosen.id}
    return render_template("scheduling/preview.html", results=[result], problems=[], files=[FILE],
                           form=ConfirmImportForm(), discard_form=DiscardImportForm(),
                           **_urls(chosen))


@bp.post("/agency/staff/import/confirm")
@agency(*MANAGERS)
def confirm_staff_import():
    chosen = _chosen_agency()
    if chosen is None:
        return redirect(url_for("attendance.import_staff"), code=303)
    again = url_for("attendance.import_staff", **_scope(chosen.id))
    sources = _staged(chosen)
    if not ConfirmImportForm().validate_on_submit() or sources is None:
        flash("Upload the file again: the checked file is no longer available.", "info")
        return redirect(again, code=303)
    try:
        result = import_staff(sources[FILE], chosen, _actor(), dry_run=False)
    except ImportFailed as failed:
        # Something changed since the preview; show what is wrong now.
        return _problems_page(chosen, failed.problems)
    _forget()
    flash(f"Staff imported for {chosen.name}: {result.created} added, {result.updated} updated, "
          f"{result.unchanged} unchanged.", "success")
    return redirect(url_for("attendance.staff", **_scope(chosen.id)), code=303)


@bp.post("/agency/staff/import/discard")
@agency(*MANAGERS)
def discard_staff_import():
    chosen = _chosen_agency()
    _forget()
    scope = _scope(chosen.id) if chosen is not None else {}
    return redirect(url_for("attendance.import_staff", **scope), code=303)
