"""Forms for the coordinator's pages (GOV.UK Design System widgets)."""
from __future__ import annotations

import re
from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    URLField,
)
from wtforms.validators import (URL, AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from ..forms import GovDateField, year_in_range
from ..imports.services import FILE_NAMES

MAX_DAYS = 10
# Upper bounds on numbers typed in (an unbounded one overflows the database).
MAX_CAPACITY = 10_000  # places on a session, or people a room holds
MAX_POSITION = 10_000  # a place on a waiting list


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """'9:30', '09.30', '14:00', '2pm', '9:30am' -> a time; None if not one."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class TimeTextField(StringField):
    """A time of day typed as text (GOV.UK has no time component)."""

    widget = GovTextInput()

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = parse_time(self.raw) if self.raw else None

    def pre_validate(self, form):
        if getattr(self, "raw", None) and self.data is None:
            raise ValidationError(f"{self.label.text} must be a time of day, like 9:30 or 14:00")

    def _value(self):
        if getattr(self, "raw", None) and self.data is None:
            return self.raw
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""


def _at_most(maximum: int, message: str):
    """Validator: a number, when one was read, is at most ``maximum`` (an
    unreadable one already has its message)."""
    def check(form, field):
        if field.data is not None and field.data > maximum:
            raise ValidationError(message)
    return check


def _places(what: str):
    return _at_most(MAX_CAPACITY, f"{what} must be {MAX_CAPACITY:,} or fewer")


def _optional_int(message: str, minimum: int = 1, *, at_most: str):
    return [Optional(), NumberRange(min=minimum, message=message), _places(at_most)]


def _session_date(label: str, **kwargs) -> GovDateField:
    return GovDateField(label, validators=[Optional(), year_in_range], **kwargs)


class CourseForm(FlaskForm):
    code = StringField("Course code", widget=GovTextInput(),
                       description="A short code, like L2-FOUND. Session references start with it.",
                       validators=[InputRequired("Enter a course code"),
                                   Length(max=40, message="Course code must be 40 characters or fewer")])
    title = StringField("Title", widget=GovTextInput(),
                        validators=[InputRequired("Enter the course title"),
                                    Length(max=200, message="Title must be 200 characters or fewer")])
    level = RadioField("Level", widget=GovRadioInput(), default="",
                       choices=[("", "No level"), ("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3")],
                       validators=[Optional()])
    duration_days = IntegerField("Duration in days", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the number of days, like 1 or 2"),
                                             NumberRange(min=1, max=MAX_DAYS,
                                                         message=f"Duration must be between 1 and {MAX_DAYS} days")])
    learning_hours = DecimalField("Learning hours", widget=GovTextInput(), places=None,
                                  validators=[Optional(), NumberRange(min=0, max=1000,
                                              message="Learning hours must be between 0 and 1000")])
    capacity = IntegerField("Default capacity", widget=GovTextInput(),
                            description="Places on a session, unless the session says otherwise",
                            validators=_optional_int("Default capacity must be 1 or more",
                                                     at_most="Default capacity"))
    description = StringField("Description", widget=GovTextArea(), validators=[Optional()])
    audience = StringField("Who it is for", widget=GovTextArea(), validators=[Optional()])
    learning_outcomes = StringField("Learning outcomes", widget=GovTextArea(), validators=[Optional()])
    prerequisites = SelectMultipleField("Prerequisite courses", widget=GovCheckboxesInput(), coerce=int,
                                        description="Courses a delegate must have attended first",
                                        validators=[Optional()])
    submit = SubmitField("Save course", widget=GovSubmitInput())


class ActiveForm(FlaskForm):
    submit = SubmitField("Retire course", widget=GovSubmitInput())


class VenueForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[InputRequired("Enter the venue's name"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    address = StringField("Address", widget=GovTextArea(), validators=[Optional()])
    accessibility_notes = StringField("Accessibility", widget=GovTextArea(),
                                      description="Step-free access, hearing loop, parking, toilets",
                                      validators=[Optional()])
    capacity = IntegerField("Capacity", widget=GovTextInput(),
                            description="The most people the training room holds",
                            validators=_optional_int("Capacity must be 1 or more", at_most="Capacity"))
    submit = SubmitField("Save venue", widget=GovSubmitInput())


class DayForm(Form):
    """One day of a session; a row left blank is ignored."""

    day_on = _session_date("Date")
    starts_at = TimeTextField("Start time", validators=[Optional()])
    ends_at = TimeTextField("End time", validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not any(getattr(f, "raw", None) or (f.raw_data and any(v.strip() for v in f.raw_data))
                       for f in (self.day_on, self.starts_at, self.ends_at))


class SessionForm(FlaskForm):
    ref = StringField("Reference", widget=GovTextInput(),
                      description="Shown to delegates and used in links, like L2-FOUND-2026-03",
                      validators=[InputRequired("Enter a reference")])
    days = FieldList(FormField(DayForm), min_entries=1, max_entries=MAX_DAYS)
    add_day = SubmitField("Add another day", widget=GovSubmitInput())
    venue = SelectField("Venue", widget=GovSelect(), coerce=int, default=0)
    online_url = URLField("Online meeting link", widget=GovTextInput(),
                          description="For an online session instead of a venue. Only confirmed "
                                      "delegates see it.",
                          validators=[Optional(), URL(message="Enter the link in full, starting https://"),
                                      Length(max=500, message="The link must be 500 characters or fewer")])
    capacity = IntegerField("Capacity", widget=GovTextInput(),
                            validators=[InputRequired("Enter the number of places"),
                                        NumberRange(min=1, message="Capacity must be 1 or more"),
                                        _places("Capacity")])
    trainers = SelectMultipleField("Trainers", widget=GovCheckboxesInput(), coerce=int,
                                   validators=[Optional()])
    booking_opens_on = _session_date("Booking opens", description="Leave blank to open booking now")
    booking_closes_on = _session_date("Booking closes",
                                      description="Leave blank to close the day before the first day")
    cancellation_cutoff_on = _session_date("Cancellation cut-off",
                                           description="Cancelling after this day is a late cancellation. "
                                                       "Leave blank for 2 days before the first day.")
    waitlist = RadioField("Waiting list", widget=GovRadioInput(), default="open",
                          choices=[("open", "Open: people can join the waiting list when it is full"),
                                   ("closed", "Closed: nobody can book once it is full")],
                          validators=[InputRequired("Select whether the waiting list is open")])
    agency_cap = IntegerField("Most places for one agency", widget=GovTextInput(),
                              description="Optional: keeps a mix of agencies",
                              validators=_optional_int("The cap per agency must be 1 or more",
                                                    at_most="The cap per agency"))
    joining_instructions = StringField("Joining instructions", widget=GovTextArea(),
                                       description="Sent to confirmed delegates: parking, what to bring",
                                       validators=[Optional()])
    submit = SubmitField("Save session", widget=GovSubmitInput())

    def validate_online_url(self, field):
        if field.data and not field.data.lower().startswith("https://"):
            raise ValidationError("Enter the link in full, starting https://")


class ChooseCourseForm(Form):
    """GET form: which course to schedule."""

    course = SelectField("Course", widget=GovSelect(), coerce=int,
                         validators=[InputRequired("Select a course")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class DuplicateForm(Form):
    """GET form: how much later the next occasion runs."""

    weeks = IntegerField("How many weeks later?", widget=GovTextInput(), default=4,
                         description="Every day moves by this many weeks",
                         validators=[InputRequired("Enter a number of weeks"),
                                     NumberRange(min=1, max=104, message="Enter a number of weeks from 1 to 104")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CancelSessionForm(FlaskForm):
    reason = StringField("Reason for cancelling", widget=GovTextArea(),
                         description="Delegates see this in their e-mail",
                         validators=[InputRequired("Enter the reason for cancelling"),
                                     Length(max=2000, message="Reason must be 2000 characters or fewer")])
    submit = SubmitField("Cancel session and tell delegates", widget=GovSubmitInput())


def _file(name: str) -> FileField:
    return FileField(name, widget=GovFileInput(), validators=[Optional()])


class UploadForm(FlaskForm):
    """One input per file of contract section 4: what is chosen in the
    agencies input is read as agencies.csv, whatever it is called."""

    agencies = _file("agencies.csv")
    people = _file("people.csv")
    courses = _file("courses.csv")
    sessions = _file("sessions.csv")
    bookings = _file("bookings.csv")
    training_records = _file("training_records.csv")
    submit = SubmitField("Check files", widget=GovSubmitInput())

    def files(self) -> dict[str, object]:
        """File name -> the uploaded file, for the inputs that have one."""
        chosen = {}
        for name in FILE_NAMES:
            storage = getattr(self, name.removesuffix(".csv")).data
            if storage is not None and getattr(storage, "filename", ""):
                chosen[name] = storage
        return chosen


class ConfirmImportForm(FlaskForm):
    submit = SubmitField("Confirm import", widget=GovSubmitInput())


class DiscardImportForm(FlaskForm):
    submit = SubmitField("Start again", widget=GovSubmitInput())


# -- a session's bookings (bookings_admin.py) ----------------------------------------

class CapacityForm(FlaskForm):
    capacity = IntegerField("Capacity", widget=GovTextInput(),
                            validators=[InputRequired("Enter the number of places"),
                                        NumberRange(min=1, message="Capacity must be 1 or more"),
                                        _places("Capacity")])
    submit = SubmitField("Change capacity", widget=GovSubmitInput())


class WaitlistForm(FlaskForm):
    """Open or close the waiting list: ``state`` is what it becomes."""

    state = HiddenField(validators=[AnyOf(("open", "closed"))])


class ActionForm(FlaskForm):
    """Only the CSRF token: the booking and the action are in the URL."""


class QueueForm(FlaskForm):
    """Move a waiting booking ``up`` or ``down`` one, or to ``position``."""

    direction = HiddenField(validators=[Optional(), AnyOf(("up", "down"))])
    position = IntegerField("New position", widget=GovTextInput(),
                            validators=[Optional(), NumberRange(min=1, message="Enter a position of 1 or more"),
                                        _at_most(MAX_POSITION,
                                                 f"Enter a position of {MAX_POSITION:,} or less")])


class AddPersonForm(FlaskForm):
    """Choices are set by the view: the people found by the search."""

    person = RadioField("Who do you want to book?", coerce=int, widget=GovRadioInput(),
                        validators=[InputRequired("Select the person to book")])
    submit = SubmitField("Book this person", widget=GovSubmitInput())


class MoveForm(FlaskForm):
    """Choices are set by the view: sessions the booking can move to."""

    to_session = SelectField("Move to which session?", coerce=int, widget=GovSelect(),
                             validators=[InputRequired("Select the session to move the booking to")])
    submit = SubmitField("Move booking", widget=GovSubmitInput())

    def validate_to_session(self, field):
        if not field.data:
            raise ValidationError("Select the session to move the booking to")


class CoordinatorCancelForm(FlaskForm):
    reason = StringField("Why is the booking being cancelled? (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="Reason must be 2000 characters or fewer")])
    submit = SubmitField("Cancel this booking", widget=GovSubmitInput())


class MessageForm(FlaskForm):
    subject = StringField("Subject", widget=GovTextInput(),
                          validators=[DataRequired("Enter a subject"),
                                      Length(max=150, message="Subject must be 150 characters or fewer")])
    message = StringField("Message", widget=GovTextArea(),
                          validators=[DataRequired("Enter the message"),
                                      Length(max=5000, message="Message must be 5000 characters or fewer")])
    submit = SubmitField("Send message", widget=GovSubmitInput())
