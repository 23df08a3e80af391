from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxesInput, GovRadioInput, GovSubmitInput,
                                                GovTextArea)
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class BookForm(FlaskForm):
    submit = SubmitField("Book a place", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    reason = TextAreaField("Why are you cancelling? (optional)", widget=GovTextArea(),
                           validators=[Length(max=2000)])
    submit = SubmitField("Cancel my booking", widget=GovSubmitInput())


# -- agency managers --------------------------------------------------------------

class ApproveForm(FlaskForm):
    """Only the CSRF token: the request and the manager are known."""


class DeclineForm(FlaskForm):
    reason = TextAreaField("Reason (optional)", widget=GovTextArea(),
                           description="We will include this in the e-mail to them.",
                           validators=[Length(max=2000)])
    submit = SubmitField("Decline request", widget=GovSubmitInput())


class StaffCancelForm(FlaskForm):
    reason = TextAreaField("Why is the booking being cancelled? (optional)", widget=GovTextArea(),
                           validators=[Length(max=2000)])
    submit = SubmitField("Cancel this booking", widget=GovSubmitInput())


class BookStaffForm(FlaskForm):
    """Choices are set by the view: the agency's staff not yet booked."""

    people = SelectMultipleField("Who do you want to book?", coerce=int, widget=GovCheckboxesInput(),
                                 validators=[DataRequired("Select at least one person to book")])
    submit = SubmitField("Book selected staff", widget=GovSubmitInput())


class SubstituteForm(FlaskForm):
    """Choices are set by the view: colleagues who can take the place."""

    colleague = RadioField("Who should take the place?", coerce=int, widget=GovRadioInput(),
                           validators=[InputRequired("Select the colleague who will take the place")])
    submit = SubmitField("Pass the place on", widget=GovSubmitInput())
