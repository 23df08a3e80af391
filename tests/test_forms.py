"""Shared form pieces."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import InputRequired

from trainingapp.forms import GovDateField, error_summary


class Example(Form):
    name = StringField("Name", validators=[InputRequired("Enter a name")])
    start = GovDateField("Start date", validators=[InputRequired("Enter a start date")])


def test_error_summary_links_a_date_to_its_day_box_and_other_fields_to_themselves():
    form = Example(MultiDict({"start": ["31", "2", "2026"]}))
    assert not form.validate()
    links = {item["text"]: item["href"] for item in error_summary(form)["errorList"]}
    assert links == {"Enter a name": "#name",
                     "Start date must be a real date, like 27 3 2026": "#start-day"}
