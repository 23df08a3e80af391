from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from .services import password_problem


class LoginForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _new_password_check(form, field):
    problem = password_problem(field.data or "", form.email.data if hasattr(form, "email") else "",
                               getattr(getattr(form, "first_name", None), "data", "") or "",
                               getattr(getattr(form, "last_name", None), "data", "") or "")
    if problem:
        raise ValidationError(problem)


class NewPasswordMixin:
    password = PasswordField(
        "Create a password", widget=GovPasswordInput(),
        description="Use 12 characters or more. Three or four random words together work well.",
        validators=[InputRequired("Enter a password"), _new_password_check],
    )
    password_again = PasswordField(
        "Confirm password", widget=GovPasswordInput(),
        validators=[InputRequired("Confirm your password"),
                    EqualTo("password", "The passwords do not match")],
    )


class RegisterForm(NewPasswordMixin, FlaskForm):
    first_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired("Enter your first name"), Length(max=100)])
    last_name = StringField("Last name", widget=GovTextInput(),
                            validators=[InputRequired("Enter your last name"), Length(max=100)])
    email = EmailField("Work email address", widget=GovTextInput(),
                       description="We will send you a link to confirm it",
                       validators=[InputRequired("Enter your work email address"),
                                   Email("Enter an email address in the correct format, like name@example.org",
                                         check_deliverability=False),
                                   Length(max=254)])
    agency = SelectField("Agency", widget=GovSelect(), coerce=int,
                         validators=[InputRequired("Select your agency")])
    job_title = StringField("Job title", widget=GovTextInput(),
                            validators=[InputRequired("Enter your job title"), Length(max=200)])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm my email address", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired("Enter your email address"), Length(max=254)])
    submit = SubmitField("Send me a reset link", widget=GovSubmitInput())


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField("Set password", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField("Current password", widget=GovPasswordInput(),
                            validators=[InputRequired("Enter your current password")])
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ProfileForm(FlaskForm):
    first_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired("Enter your first name"), Length(max=100)])
    last_name = StringField("Last name", widget=GovTextInput(),
                            validators=[InputRequired("Enter your last name"), Length(max=100)])
    job_title = StringField("Job title", widget=GovTextInput(), validators=[Length(max=200)])
    agency = SelectField("Agency", widget=GovSelect(), coerce=int,
                         description="If you move to another agency, bookings you make from now on count for it",
                         validators=[InputRequired("Select your agency")])
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())
