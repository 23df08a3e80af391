"""Resolve report parameters (periods, agency and session names)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from sqlalchemy import func, select

from ..agencies.models import Agency
from ..courses.models import TrainingSession
from ..extensions import db
from ..types import EARLIEST_YEAR, LATEST_YEAR, in_year_range


class ReportError(ValueError):
    """A report's parameters are unusable; the message says why."""


def financial_year(start_year: int) -> tuple[date, date]:
    """1 April ``start_year`` to 31 March of the next year."""
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def quarter(start_year: int, number: int) -> tuple[date, date]:
    """Quarter 1-4 of the financial year starting in ``start_year``
    (Q1 = April-June)."""
    if number not in (1, 2, 3, 4):
        raise ReportError("a quarter is 1, 2, 3 or 4")
    start = date(start_year, 4, 1) + relativedelta(months=3 * (number - 1))
    return start, start + relativedelta(months=3) - timedelta(days=1)


def financial_year_of(day: date) -> int:
    """The year in which the financial year holding ``day`` starts."""
    return day.year if day.month >= 4 else day.year - 1


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Period:
    """The dates a report covers, both inclusive, and how to name them."""

    start: date
    end: date

    @property
    def name(self) -> str:
        """Like "Financial year 2011 to 2012" or "Q1 of financial year
        2011 to 2012"; any other period is named by its dates."""
        year = financial_year_of(self.start)
        if (self.start, self.end) == financial_year(year):
            return f"Financial year {year} to {year + 1}"
        for number in (1, 2, 3, 4):
            if (self.start, self.end) == quarter(year, number):
                return f"Q{number} of financial year {year} to {year + 1}"
        return self.dates

    @property
    def dates(self) -> str:
        return f"{long_date(self.start)} to {long_date(self.end)}"

    @property
    def description(self) -> str:
        """The name and, when it is not the dates already, the dates."""
        return self.dates if self.name == self.dates else f"{self.name}, {self.dates}"


QUARTER_MONTHS = {1: "April to June", 2: "July to September", 3: "October to December",
                  4: "January to March"}

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_param(value: str | None, name: str, meaning: str) -> date:
    """A date given in a download's address as ``name=YYYY-MM-DD``."""
    example = f"{name}=2012-03-31" if name != "from" else f"{name}=2011-04-01"
    if value is None or not value.strip():
        raise ReportError(f"The address needs {meaning} as {name}=YYYY-MM-DD, for example {example}.")
    value = value.strip()
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{name}={value} is not a real date. Use {name}=YYYY-MM-DD, "
                          f"for example {example}.") from None
    if not in_year_range(day):
        raise ReportError(f"{name}={value} is not in a year from {EARLIEST_YEAR} to {LATEST_YEAR}. "
                          f"Use {name}=YYYY-MM-DD, for example {example}.")
    return day


def period_params(args) -> Period:
    """The period of a download: ``from`` and ``to``, both required."""
    start = day_param(args.get("from"), "from", "the first day of the period")
    end = day_param(args.get("to"), "to", "the last day of the period")
    if end < start:
        raise ReportError(f"The period ends (to={end}) before it starts (from={start}).")
    return Period(start, end)


def agency_by_name(name: str) -> Agency:
    wanted = name.strip().lower()
    agency_id = next(
        (i for i, n in db.session.execute(select(Agency.id, Agency.name)) if n.lower() == wanted),
        None,
    )
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None:
        raise ReportError(f"unknown agency '{name}'")
    return agency


def session_by_ref(ref: str) -> TrainingSession:
    session = db.session.scalar(
        select(TrainingSession).where(func.lower(TrainingSession.ref) == ref.strip().lower())
    )
    if session is None:
        raise ReportError(f"unknown session '{ref}'")
    return session


def check_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ReportError("--to is before --from")
