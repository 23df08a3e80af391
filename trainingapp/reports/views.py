"""The reports pages and downloads (contract section 5).

``/reports``: activity and sectors for a financial year, a quarter or any
dates, for coordinators. ``/reports/compliance``: staff trained in date at
their required level; an agency manager sees only their own agency.
Every report downloads as CSV (byte for byte what ``flask --app wsgi
report ...`` prints: the same query and the same ``exports.to_csv``), XLSX
and PDF with the same rows; each download is audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit
from ..access import agency as agency_scoped
from ..access import check_agency, deny, roles
from ..agencies.models import Agency, Role
from ..courses.models import TrainingSession
from ..extensions import db
from ..types import EARLIEST_YEAR, LATEST_YEAR, uk_today
from . import bp, exports, pdf, queries, services
from .forms import ComplianceForm, PeriodForm
from .services import Period, ReportError, financial_year_of, long_date

REPORTERS = roles(Role.COORDINATOR)
COMPLIANCE = agency_scoped(Role.COORDINATOR, Role.AGENCY_MANAGER)
FORMATS = ("csv", "xlsx", "pdf")
MIMETYPES = {"csv": "text/csv", "xlsx": exports.XLSX_MIMETYPE, "pdf": "application/pdf"}


class Refusal(Exception):
    """A download or page that cannot be made, with a message for the user."""

    def __init__(self, code: int, title: str, detail: str):
        super().__init__(detail)
        self.code, self.title, self.detail = code, title, detail


@bp.errorhandler(Refusal)
def refused(error: Refusal):
    return render_template("errors/error.html", code=error.code, title=error.title,
                           detail=error.detail), error.code


@bp.errorhandler(ReportError)
def bad_parameters(error: ReportError):
    return refused(Refusal(400, "Check the report's dates", str(error)))


# -- the reports, as rows for every format -------------------------------------------

@dataclass
class Report:
    """One report's rows, ready for each format. ``table`` is what the CSV
    writes (exports.*_table); ``cells`` the same rows with numbers as numbers
    for a spreadsheet."""

    name: str
    title: str
    columns: tuple[str, ...]
    table: list[tuple]
    cells: list[tuple] | None = None
    numeric: frozenset[str] = frozenset()
    number_formats: dict[str, str] = field(default_factory=dict)
    is_total: Callable[[tuple], bool] = lambda row: False
    wide: bool = False


def activity_report(period: Period) -> Report:
    rows, total = queries.activity(period.start, period.end)
    columns = exports.ACTIVITY_COLUMNS
    return Report("activity", "Training activity by course", columns,
                  exports.activity_table(rows, total), numeric=frozenset(columns[2:]),
                  is_total=lambda row: row[0] == "TOTAL", wide=True)


def sectors_report(period: Period) -> Report:
    columns = exports.SECTOR_COLUMNS
    return Report("sectors", "Attendance by sector", columns,
                  exports.sector_table(queries.sectors(period.start, period.end)),
                  numeric=frozenset(columns[2:]), is_total=lambda row: row[1] == "ALL")


def compliance_report(rows: list[queries.ComplianceRow]) -> Report:
    columns = exports.COMPLIANCE_COLUMNS
    return Report("compliance", "Training compliance", columns, exports.compliance_table(rows),
                  cells=exports.compliance_cells(rows), numeric=frozenset(columns[2:7]),
                  number_formats={"percent": "0.0"}, is_total=lambda row: row[2] == "ALL")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def send_report(report: Report, fmt: str, filename: str, period_name: str,
                target: Agency | None = None, **details) -> Response:
    """The report as a download, audited in a transaction of its own."""
    if fmt == "csv":
        body = exports.to_csv(report.columns, report.table)
    elif fmt == "xlsx":
        body = exports.to_xlsx(report.title[:31], report.columns, report.cells or report.table,
                               report.number_formats, subject=period_name,
                               creator=current_app.config["BOARD_NAME"])
    else:
        body = pdf.to_pdf(board=current_app.config["BOARD_NAME"], title=report.title,
                          period=period_name, generated=long_date(uk_today()),
                          columns=report.columns, rows=report.table, numeric=report.numeric,
                          is_total=report.is_total, wide=report.wide)
    audit.record_alone("export", actor_id=current_user.id, agency_id=current_user.agency_id,
                       target_type="agency" if target else None,
                       target_id=target.id if target else None,
                       report=report.name, format=fmt, rows=len(report.table), **details)
    return Response(body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
        "Cache-Control": "no-store"})


def _formats(path: str):
    """Route ``path.csv``, ``path.xlsx`` and ``path.pdf`` to one view."""
    def register(view):
        for fmt in reversed(FORMATS):
            view = bp.get(f"{path}.{fmt}", defaults={"fmt": fmt})(view)
        return view
    return register


# -- activity and sectors ------------------------------------------------------------------

def _year_choices(today: date) -> list[int]:
    """Every financial year with a session, this one and the next, latest first
    (a session dated outside 1900-2999 is a slip in old data: no year for it)."""
    first, last = db.session.execute(
        select(func.min(TrainingSession.start_on), func.max(TrainingSession.start_on))
        .where(TrainingSession.start_on.between(date(EARLIEST_YEAR, 1, 1),
                                                date(LATEST_YEAR, 12, 31)))).one()
    this = financial_year_of(today)
    low = min(financial_year_of(first) if first else this, this)
    high = max(financial_year_of(last) if last else this, this + 1)
    return list(range(high, low - 1, -1))


def period_links(endpoint: str, period: Period, **extra) -> dict[str, str]:
    args = {"from": period.start.isoformat(), "to": period.end.isoformat(), **extra}
    return {fmt: url_for(endpoint, fmt=fmt, **args) for fmt in FORMATS}


@bp.get("/reports")
@REPORTERS
def index():
    """Choose a period, see the activity and sectors reports, download them."""
    today = uk_today()
    form = PeriodForm(request.args or None, year=financial_year_of(today))
    form.set_years(_year_choices(today))
    period = form.period()
    if period is None:
        return render_template("reports/index.html", form=form, period=None), 400
    rows, total = queries.activity(period.start, period.end)
    return render_template(
        "reports/index.html", form=form, period=period, rows=rows, total=total,
        sectors=queries.sectors(period.start, period.end),
        activity_links=period_links("reports.activity_file", period),
        sectors_links=period_links("reports.sectors_file", period))


@_formats("/reports/activity")
@REPORTERS
def activity_file(fmt: str):
    """GET /reports/activity.csv?from=D&to=D (and .xlsx, .pdf)."""
    period = services.period_params(request.args)
    return send_report(activity_report(period), fmt, f"activity-{period.start}-to-{period.end}",
                       period.description,
                       start=period.start.isoformat(), end=period.end.isoformat())


@_formats("/reports/sectors")
@REPORTERS
def sectors_file(fmt: str):
    """GET /reports/sectors.csv?from=D&to=D (and .xlsx, .pdf)."""
    period = services.period_params(request.args)
    return send_report(sectors_report(period), fmt, f"sectors-{period.start}-to-{period.end}",
                       period.description,
                       start=period.start.isoformat(), end=period.end.isoformat())


# -- compliance ------------------------------------------------------------------------------

def agency_in_scope(name: str | None) -> Agency | None:
    """The agency whose compliance is asked for. An agency manager always
    gets their own: naming another (or one that does not exist) answers 404.
    Coordinators and admins may name any agency, or none for all."""
    name = (name or "").strip()
    if current_user.role is Role.AGENCY_MANAGER:
        own = current_user.agency
        if own is None or (name and name.lower() != own.name.lower()):
            deny(404, requested_agency=name or None)
        check_agency(own.id)
        return own
    if not name:
        return None
    try:
        return services.agency_by_name(name)
    except ReportError:
        raise Refusal(404, "Agency not found",
                      f"There is no agency called “{name}”. Choose one on the compliance page.") from None


def compliance_rows(on: date, agency: Agency | None) -> list[queries.ComplianceRow]:
    return queries.compliance(on, agency.id if agency else None,
                              current_app.config["COMPLIANCE_DEFAULT_TARGET"])


def _agency_choices() -> list[tuple[str, str]]:
    names = sorted(db.session.scalars(select(Agency.name)), key=queries.ci_key)
    return [("", "All agencies")] + [(n, n) for n in names]


@bp.get("/reports/compliance")
@COMPLIANCE
def compliance():
    """Each agency's staff trained in date at their required level on a day,
    with RAG status; an agency manager sees only their own agency."""
    agency = agency_in_scope(request.args.get("agency"))
    form = ComplianceForm(request.args or None)
    is_manager = current_user.role is Role.AGENCY_MANAGER
    if not is_manager:
        form.agency.choices = _agency_choices()
        form.agency.data = agency.name if agency else ""
    on = form.day(uk_today())
    if on is None:
        return render_template("reports/compliance.html", form=form, on=None, agency=agency,
                               is_manager=is_manager), 400
    args = {"on": on.isoformat()}
    if agency and not is_manager:
        args["agency"] = agency.name
    links = {fmt: url_for("reports.compliance_file", fmt=fmt, **args) for fmt in FORMATS}
    return render_template("reports/compliance.html", form=form, on=on, agency=agency,
                           is_manager=is_manager, links=links,
                           rows=exports.compliance_table(compliance_rows(on, agency)))


@_formats("/reports/compliance")
@COMPLIANCE
def compliance_file(fmt: str):
    """GET /reports/compliance.csv?on=D[&agency=NAME] (and .xlsx, .pdf)."""
    agency = agency_in_scope(request.args.get("agency"))
    on = services.day_param(request.args.get("on"), "on", "the day to assess")
    name = f"compliance-{on}" + (f"-{_slug(agency.name)}" if agency and _slug(agency.name) else "")
    scope = f"{agency.name}, " if agency else ""
    return send_report(compliance_report(compliance_rows(on, agency)), fmt, name,
                       f"{scope}on {long_date(on)}", target=agency, on=on.isoformat(),
                       agency=agency.name if agency else None)
