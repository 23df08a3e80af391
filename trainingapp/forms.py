"""Form pieces shared by every feature: the GOV.UK date field, and the
error summary that links each message to the right box; reading a number
from a query string or a form safely (``positive_int``)."""
from __future__ import annotations

from datetime import datetime

from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, Form
from wtforms.validators import ValidationError

from .types import EARLIEST_YEAR, LATEST_YEAR, MAX_INT, in_year_range


def positive_int(value: str | None) -> int | None:
    """The whole number from 1 to MAX_INT written in ``value`` (ASCII
    digits only, spaces around allowed), else None. For ids, page numbers
    and the like taken from a query string or a form: ``str.isdigit``
    accepts "²" (which ``int`` refuses), and an unbounded number overflows
    the database."""
    value = (value or "").strip()
    if not value or len(value) > 12 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_INT else None


class _DateInput(GovDateInput):
    """GovDateInput, safe when a POST lacks the three boxes (it expects
    exactly three values once the form has been submitted)."""

    def map_gov_params(self, field, **kwargs):
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = None
            try:
                return super().map_gov_params(field, **kwargs)
            finally:
                field.raw_data = raw
        return super().map_gov_params(field, **kwargs)


class GovDateField(DateField):
    """A date typed into the GOV.UK date input (day, month, year boxes)."""

    widget = _DateInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    # The message is made at validation, not when the data is read, so it
    # uses the label as set by then (a session's days are labelled "Day 2 date").
    unreadable = False

    def process_formdata(self, valuelist):
        self.data, self.unreadable = None, False
        if not valuelist or not any(v.strip() for v in valuelist):
            return
        try:
            self.data = datetime.strptime(" ".join(v.strip() for v in valuelist), "%d %m %Y").date()
        except ValueError:
            self.unreadable = True

    def pre_validate(self, form):
        if self.unreadable:
            raise ValidationError(f"{self.label.text} must be a real date, like 27 3 2026")


def year_in_range(form, field) -> None:
    """Validator: the date, when given, is in a year from EARLIEST_YEAR to
    LATEST_YEAR (the label is read now, so a session's days say which)."""
    if field.data is not None and not in_year_range(field.data):
        raise ValidationError(
            f"{field.label.text} must be in a year from {EARLIEST_YEAR} to {LATEST_YEAR}")


def _date_field_ids(form: Form) -> set[str]:
    """The ids of every date field, in sub-forms and lists of them too."""
    ids: set[str] = set()
    for field in form:
        if isinstance(field, GovDateField):
            ids.add(field.id)
        elif hasattr(field, "form"):          # FormField
            ids |= _date_field_ids(field.form)
        elif hasattr(field, "entries"):       # FieldList
            for entry in field.entries:
                if isinstance(entry, GovDateField):
                    ids.add(entry.id)
                elif hasattr(entry, "form"):
                    ids |= _date_field_ids(entry.form)
    return ids


def error_summary(form: Form) -> dict:
    """govuk-frontend-wtf's error summary, with a date field's messages
    linked to its first box (the day), as the GOV.UK date input pattern
    asks: a link to the wrapper would move focus nowhere useful."""
    params = wtforms_errors(form)
    dates = _date_field_ids(form)
    for item in params["errorList"]:
        if item["href"][1:] in dates:
            item["href"] += "-day"
    return params
