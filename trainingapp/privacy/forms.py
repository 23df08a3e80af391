from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length


class EraseForm(FlaskForm):
    """Typing the person's e-mail address confirms which record goes."""

    email = StringField("Type their email address to confirm", widget=GovTextInput(),
                        validators=[InputRequired("Type the person's email address to confirm"),
                                    Length(max=254)])
    submit = SubmitField("Erase this person's details", widget=GovSubmitInput())
