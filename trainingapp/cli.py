"""Command-line interface (contract sections 4-6). Commands are thin: they
parse arguments, call a service and print what it returns."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask, current_app


def _date(ctx, param, value):
    from .types import EARLIEST_YEAR, LATEST_YEAR, in_year_range

    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (use YYYY-MM-DD)") from None
    if not in_year_range(day):
        raise click.BadParameter(f"'{value}' is not a date between {EARLIEST_YEAR} and "
                                 f"{LATEST_YEAR} (use YYYY-MM-DD)")
    return day


def register(app: Flask) -> None:
    app.cli.add_command(import_data)
    app.cli.add_command(report)
    app.cli.add_command(demo_data)
    app.cli.add_command(set_password)
    app.cli.add_command(routes_table)
    app.cli.add_command(send_reminders)
    app.cli.add_command(send_mail)
    app.cli.add_command(send_test_mail)
    app.cli.add_command(erase_person)
    app.cli.add_command(apply_retention)


@click.command("import-data")
@click.argument("directory", type=click.Path(file_okay=False))
def import_data(directory: str) -> None:
    """Import the CSV files in DIRECTORY (all or nothing)."""
    from .imports.services import ImportFailed, import_files, read_directory

    try:
        sources = read_directory(directory)
    except (FileNotFoundError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if not sources:
        raise click.ClickException(f"no import files found in {directory}")
    try:
        results = import_files(sources)
    except ImportFailed as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        click.echo(f"Nothing was imported: {len(failed.problems)} error(s).", err=True)
        sys.exit(1)
    for result in results:
        click.echo(str(result))


@click.group()
def report() -> None:
    """Print one of the board's reports as CSV."""


def _emit(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _report_error(exc: Exception):
    raise click.ClickException(str(exc))


@report.command("activity")
@click.option("--from", "start", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "end", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
def report_activity(start, end) -> None:
    """Sessions and attendance per course."""
    from .reports import exports, queries, services

    try:
        services.check_period(start, end)
    except services.ReportError as exc:
        _report_error(exc)
    rows, total = queries.activity(start, end)
    _emit(exports.to_csv(exports.ACTIVITY_COLUMNS, exports.activity_table(rows, total)))


@report.command("sectors")
@click.option("--from", "start", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "end", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
def report_sectors(start, end) -> None:
    """Attendance per sector and course."""
    from .reports import exports, queries, services

    try:
        services.check_period(start, end)
    except services.ReportError as exc:
        _report_error(exc)
    _emit(exports.to_csv(exports.SECTOR_COLUMNS, exports.sector_table(queries.sectors(start, end))))


@report.command("compliance")
@click.option("--on", "on", callback=_date, help="Date to assess (default today).")
@click.option("--agency", "agency_name", help="Only this agency.")
def report_compliance(on, agency_name) -> None:
    """Share of each agency's staff trained in date at their required level."""
    from .reports import exports, queries, services

    agency_id = None
    if agency_name is not None:
        try:
            agency_id = services.agency_by_name(agency_name).id
        except services.ReportError as exc:
            _report_error(exc)
    rows = queries.compliance(on or date.today(), agency_id,
                              current_app.config["COMPLIANCE_DEFAULT_TARGET"])
    _emit(exports.to_csv(exports.COMPLIANCE_COLUMNS, exports.compliance_table(rows)))


@report.command("delegates")
@click.option("--session", "ref", required=True, help="The session's reference.")
def report_delegates(ref) -> None:
    """Every booking of one session."""
    from .reports import exports, queries, services

    try:
        session = services.session_by_ref(ref)
    except services.ReportError as exc:
        _report_error(exc)
    _emit(exports.to_csv(exports.DELEGATE_COLUMNS,
                         exports.delegate_table(queries.delegates(session.id))))


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when data exists.")
def demo_data(if_empty: bool) -> None:
    """Load the demo programme (financial year 2011-12 and the coming year)."""
    from .demo import services as demo

    if not demo.database_is_empty():
        if if_empty:
            click.echo("The database already holds data: demo data not loaded.")
            accounts = demo.demo_accounts()
            if accounts:
                click.echo("Demo accounts (passwords were printed when the demo was loaded; "
                           "set new ones with `flask --app wsgi set-password EMAIL`):")
                for role, email in accounts:
                    click.echo(f"  {role:<15} {email}")
            return
        raise click.ClickException("the database already holds data; demo data needs an empty one")
    try:
        accounts = demo.load()
    except demo.DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Demo data loaded. Demo accounts (sign in at http://127.0.0.1:5000/login):")
    for role, email, password in accounts:
        click.echo(f"  {role:<15} {email:<40} {password}")


@click.command("set-password")
@click.argument("emails", nargs=-1, required=True)
def set_password(emails: tuple[str, ...]) -> None:
    """Set one new password (read from stdin) for each account named."""
    from .accounts.services import PasswordError, set_passwords

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        changed = set_passwords(emails, password)
    except PasswordError as exc:
        raise click.ClickException(str(exc)) from None
    for email in changed:
        click.echo(f"Password set for {email}")


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped (a worker).")
@click.option("--interval", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Seconds between runs with --loop.")
def send_mail(loop: bool, interval: float) -> None:
    """Deliver the outbox's due messages (for cron, or --loop for a worker)."""
    import time

    from .extensions import db
    from .mail.services import deliver_due

    batch = 100
    if not loop:
        sent, failed = deliver_due(limit=batch)
        click.echo(f"{sent} sent, {failed} failed")
        return
    while True:
        sent = failed = 0
        try:
            sent, failed = deliver_due(limit=batch)
        except Exception:  # noqa: BLE001 - a worker outlives a database hiccup
            db.session.rollback()
            current_app.logger.exception("send-mail run failed")
        if sent or failed:
            click.echo(f"{sent} sent, {failed} failed")
        db.session.remove()
        if sent + failed < batch:  # otherwise more may be waiting: go on at once
            time.sleep(interval)


@click.command("send-test-mail")
@click.argument("address")
def send_test_mail(address: str) -> None:
    """Send a test message to ADDRESS now, to check the mail settings."""
    from .mail.services import send_test_message

    message = send_test_message(address)
    if message.sent_at is None:
        raise click.ClickException(f"not sent ({message.last_error}); send-mail will retry it")
    click.echo(f"Test message sent to {message.to_address}")


@click.command("routes-table")
def routes_table() -> None:
    """Print the table of every route and who may use it (docs/routes.md)."""
    from .access import render_access_table

    click.echo(render_access_table(current_app), nl=False)


@click.command("send-reminders")
@click.option("--days", type=int, default=None,
              help="Remind delegates of sessions starting within this many days "
                   "(default: config REMINDER_DAYS).")
def send_reminders(days: int | None) -> None:
    """Queue reminder e-mails and expire booking requests that can no longer
    be approved; safe to run twice. Then run send-mail."""
    from .bookings.approvals import expire_requests
    from .bookings.services import send_reminders as queue_reminders
    from .mail.services import send_after_commit

    queued = queue_reminders(days if days is not None else current_app.config["REMINDER_DAYS"])
    sent, failed = send_after_commit()
    click.echo(f"{queued} reminders queued, {sent} sent, {failed} failed")
    expired = expire_requests()
    send_after_commit()
    click.echo(f"{expired} booking requests expired")


@click.command("erase-person")
@click.argument("email")
def erase_person(email: str) -> None:
    """Erase the person with this e-mail address: their name, address and
    sign-in go, their bookings and training records stay (anonymously)."""
    from .accounts.services import find_by_email
    from .privacy.services import PrivacyError
    from .privacy.services import erase_person as erase

    person = find_by_email(email)
    if person is None:
        raise click.ClickException(f"no person with the e-mail address {email.strip()!r}; "
                                   "nothing was changed")
    try:
        result = erase(person, via="cli")
    except PrivacyError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    click.echo(str(result))


@click.command("apply-retention")
@click.option("--years", type=click.IntRange(min=1), default=None,
              help="Anonymise people with no activity for this many years "
                   "(default: config RETENTION_YEARS).")
@click.option("--dry-run", is_flag=True, help="Only say how many would be anonymised.")
def apply_retention(years: int | None, dry_run: bool) -> None:
    """Anonymise everyone whose last activity is older than the retention
    period and who has no upcoming booking; safe to run twice."""
    from .privacy.services import PrivacyError
    from .privacy.services import apply_retention as apply

    try:
        result = apply(years if years is not None else current_app.config["RETENTION_YEARS"],
                       dry_run=dry_run)
    except PrivacyError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        for person_id, last in result.people:
            click.echo(f"person {person_id}: last activity {last.isoformat()}")
    click.echo(str(result))
