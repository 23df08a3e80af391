"""The reports pages' choices: a period (financial year, quarter or any
dates) and, for compliance, a day and an agency. GET forms: they change
nothing, so they carry no CSRF token and can be bookmarked."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectField
from wtforms.validators import Optional

from ..forms import GovDateField
from ..types import EARLIEST_YEAR, LATEST_YEAR
from .services import QUARTER_MONTHS, Period, financial_year, quarter


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


def _check_year(field: GovDateField) -> bool:
    """A year like 0011 is a typing slip, not a period anyone reports on."""
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        field.errors = list(field.errors) + [
            f"{field.label.text} must be in a year from {EARLIEST_YEAR} to {LATEST_YEAR}"]
        return False
    return True


class PeriodForm(_GetForm):
    """A financial year (April to March) or one of its quarters; or, when
    either date is given, the dates from ``start`` to ``end``."""

    year = SelectField("Financial year", coerce=int, widget=GovSelect())
    quarter = SelectField("Quarter", widget=GovSelect(), validators=[Optional()], choices=[
        ("", "The whole year"),
        *((str(n), f"Q{n}: {months}") for n, months in QUARTER_MONTHS.items())])
    start = GovDateField("Start date", validators=[Optional()])
    end = GovDateField("End date", validators=[Optional()])

    def set_years(self, years: list[int]) -> None:
        self.year.choices = [(y, f"April {y} to March {y + 1}") for y in years]

    @property
    def wants_dates(self) -> bool:
        return bool(self.start.raw_data and any(v.strip() for v in self.start.raw_data)) or \
            bool(self.end.raw_data and any(v.strip() for v in self.end.raw_data))

    def period(self) -> Period | None:
        """The chosen period, or None with the reasons on the fields."""
        if not self.validate():
            for field in (self.year, self.quarter):
                if field.errors:
                    field.errors = [f"Choose a {field.label.text.lower()} from the list"]
            return None
        if not self.wants_dates:
            number = int(self.quarter.data) if self.quarter.data else None
            return Period(*(quarter(self.year.data, number) if number else financial_year(self.year.data)))
        for field, what in ((self.start, "start"), (self.end, "end")):
            if field.data is None:
                field.errors = list(field.errors) + [f"Enter the {what} date"]
        if not (_check_year(self.start) & _check_year(self.end)) or None in (self.start.data, self.end.data):
            return None
        if self.end.data < self.start.data:
            self.end.errors = list(self.end.errors) + ["End date must be the same as or after the start date"]
            return None
        return Period(self.start.data, self.end.data)


class ComplianceForm(_GetForm):
    """The day to assess and, for coordinators, one agency or all."""

    on = GovDateField("Date to assess", validators=[Optional()], description="For example, 31 3 2012")
    agency = SelectField("Agency", widget=GovSelect(), validators=[Optional()])

    def day(self, today: date) -> date | None:
        """The day to assess (today when none is given), or None with the
        reason on the field."""
        if not self.on.validate(self) or not _check_year(self.on):
            return None
        return self.on.data or today
