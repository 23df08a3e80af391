"""Resolve report parameters (periods, agency and session names)."""
from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from sqlalchemy import func, select

from ..agencies.models import Agency
from ..courses.models import TrainingSession
from ..extensions import db


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
