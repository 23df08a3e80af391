"""Forms for registers and required levels (GOV.UK Design System widgets).

The register's marks are one radio group per delegate, named
``attendance-<booking id>``; their number depends on the session, so the
view reads them (``marks_from``) and this form carries the rest.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from ..bookings.models import Attendance
from ..forms import positive_int

MARK_PREFIX = "attendance-"
MARK_LABELS = {
    Attendance.ATTENDED: "Attended",
    Attendance.PARTIAL: "Attended part",
    Attendance.DID_NOT_ATTEND: "Did not attend",
}


_VALUES = {a.value for a in Attendance}


class RegisterForm(FlaskForm):
    mark_run = BooleanField(
        "All delegates are marked: mark the session as run", widget=GovCheckboxInput(),
        description="Their attendance then counts in the reports and towards compliance.")
    submit = SubmitField("Save the register", widget=GovSubmitInput())


def marks_from(formdata) -> tuple[dict[int, Attendance], list[str]]:
    """The marks posted for these bookings, and the names of any fields
    that were not a valid mark (a tampered form). A booking with no field
    is left out: it keeps its mark."""
    marks, bad = {}, []
    for name in formdata:
        if not name.startswith(MARK_PREFIX):
            continue
        booking_id = positive_int(name.removeprefix(MARK_PREFIX))
        values = formdata.getlist(name)
        if booking_id is None or len(values) != 1 or values[0] not in _VALUES:
            bad.append(name)
            continue
        marks[booking_id] = Attendance(values[0])
    return marks, bad


class WalkInForm(FlaskForm):
    email = StringField(
        "E-mail address", widget=GovTextInput(), filters=[lambda value: (value or "").strip()],
        description="They need an account with an agency. They are added as a confirmed "
                    "place, even if the session is full.",
        validators=[DataRequired("Enter the person's e-mail address"),
                    Email("Enter an e-mail address in the correct format, like name@example.org",
                          check_deliverability=False),
                    Length(max=254)])
    submit = SubmitField("Add to the register", widget=GovSubmitInput())


LEVEL_CHOICES = [("", "None"), ("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3")]


class RequiredLevelForm(FlaskForm):
    """Only ``level`` is read: any other field posted (agency, role) is
    ignored."""

    level = SelectField("Required level", choices=LEVEL_CHOICES)

    @property
    def level_number(self) -> int | None:
        return int(self.level.data) if self.level.data else None
