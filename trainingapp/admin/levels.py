"""``/admin/levels``: the three intercollegiate levels, their names, how
many months their training stays in date (36 unless an admin changes it)
and the learning hours they need. The rules are in courses/levels.py."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import FieldList, Form, FormField, StringField, SubmitField
from wtforms.validators import ValidationError

from ..access import roles
from ..agencies.models import Role
from ..courses import levels as rules
from ..forms import positive_int
from . import bp


# The messages name the level: the summary lists all three levels' errors.
def _name(form, field) -> None:
    if not (field.data or "").strip():
        raise ValidationError(f"Enter a name for level {form.level_number}")
    if len(field.data) > 100:
        raise ValidationError(f"Level {form.level_number} name must be 100 characters or fewer")


def _months(form, field) -> None:
    text = (field.data or "").strip()
    label = f"Level {form.level_number} validity"
    if not text:
        raise ValidationError(f"Enter the level {form.level_number} validity in months, like 36")
    months = positive_int(text) if text != "0" else 0
    if months is None:
        raise ValidationError(f"{label} must be a whole number of months, like 36")
    if not rules.MIN_VALIDITY_MONTHS <= months <= rules.MAX_VALIDITY_MONTHS:
        raise ValidationError(f"{label} must be between {rules.MIN_VALIDITY_MONTHS} and "
                              f"{rules.MAX_VALIDITY_MONTHS} months")


def _hours(form, field) -> None:
    text = (field.data or "").strip()
    if not text:
        return
    label = f"Level {form.level_number} required learning hours"
    try:
        hours = Decimal(text)
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite():
        raise ValidationError(f"{label} must be a number, like 12 or 12.5")
    if not 0 <= hours <= rules.MAX_REQUIRED_HOURS or hours != round(hours, 2):
        raise ValidationError(f"{label} must be between 0 and {rules.MAX_REQUIRED_HOURS}, "
                              "with at most two decimal places")


class LevelForm(Form):
    """One level's settings; ``level_number`` is set by the view."""

    level_number = 0
    name = StringField("Name", widget=GovTextInput(), validators=[_name])
    validity_months = StringField("Validity in months", widget=GovTextInput(),
                                  description="How long training at this level stays in date, "
                                              "from 1 to 120 months",
                                  validators=[_months])
    required_hours = StringField("Required learning hours (optional)", widget=GovTextInput(),
                                 description="Over the validity period; leave blank for none",
                                 validators=[_hours])

    def settings(self) -> rules.LevelSettings:
        hours = (self.required_hours.data or "").strip()
        return rules.LevelSettings(self.level_number, self.name.data.strip(),
                                   int(self.validity_months.data.strip()),
                                   Decimal(hours) if hours else None)


class LevelsForm(FlaskForm):
    levels = FieldList(FormField(LevelForm), min_entries=1, max_entries=3)
    submit = SubmitField("Save levels", widget=GovSubmitInput())


def _hours_text(hours: Decimal | None) -> str:
    return "" if hours is None else f"{hours.normalize():f}"


@bp.route("/levels", methods=["GET", "POST"])
@roles(Role.ADMIN)
def levels():
    """Every level's settings on one form; saving changes those that differ."""
    stored = rules.levels()
    form = LevelsForm(data={"levels": [
        {"name": level.name, "validity_months": str(level.validity_months),
         "required_hours": _hours_text(level.required_hours)} for level in stored]})
    while len(form.levels.entries) < len(stored):
        form.levels.append_entry()
    del form.levels.entries[len(stored):]
    for entry, level in zip(form.levels.entries, stored):
        entry.form.level_number = level.number
    if form.validate_on_submit():
        try:
            changed = rules.change_levels([entry.form.settings() for entry in form.levels.entries],
                                          current_user._get_current_object())
        except rules.LevelError as error:
            form.submit.errors = [error.message]
        else:
            flash("Levels saved: the compliance figures now use them." if changed
                  else "No changes to save.", "success" if changed else "info")
            return redirect(url_for("admin.levels"), code=303)
    return render_template("admin/levels.html", form=form, levels=stored), \
        400 if form.errors else 200
