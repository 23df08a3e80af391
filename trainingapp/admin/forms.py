from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired

from ..agencies.models import Role

ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner: books their own training",
    Role.AGENCY_MANAGER: "Agency manager: their agency's staff, bookings and compliance",
    Role.TRAINER: "Trainer: the sessions they deliver and their registers",
    Role.COORDINATOR: "Training coordinator: the whole programme, registers and reports",
    Role.ADMIN: "Administrator: everything, including giving roles",
}


class PersonAdminForm(FlaskForm):
    role = RadioField("Role", widget=GovRadioInput(),
                      choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
                      validators=[InputRequired("Select a role")])
    agency = SelectField("Agency", widget=GovSelect(), coerce=int)
    active = RadioField("Account", widget=GovRadioInput(),
                        choices=[("yes", "Active: can sign in"), ("no", "Deactivated: cannot sign in")],
                        validators=[InputRequired("Select whether the account is active")])
    submit = SubmitField("Save changes", widget=GovSubmitInput())
