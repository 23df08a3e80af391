"""The demo data set tells the board's 2011-12 story with exactly the figures
of its annual report (shared/seed-figures.md), read through the report
functions and through the CLI, and gives one demo account per role."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from trainingapp.agencies.models import Agency, Person
from trainingapp.bookings.models import Booking, BookingStatus
from trainingapp.courses.models import SessionStatus, TrainingSession
from trainingapp.demo import services as demo
from trainingapp.demo.data import ACUTE_TRUST, CHARITY, COMMUNITY_TRUST
from trainingapp.extensions import db
from trainingapp.reports import queries

YEAR = ("2011-04-01", "2012-03-31")
FROM, TO = date(2011, 4, 1), date(2012, 3, 31)
# Post-foundation courses other than Working Together.
OTHER_POST_FOUNDATION = ("MA", "SR", "SEC", "NEG", "DA", "CSE")
ROLES = {"admin", "coordinator", "trainer", "agency_manager", "practitioner"}


def cli_rows(app, *args) -> list[dict[str, str]]:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"), newline="")))


def sector_counts(rows) -> dict[tuple[str, str], int]:
    return {(r.sector, r.course_code): r.attended for r in rows}


def test_the_year_gives_the_published_programme_figures(ctx):
    assert demo.database_is_empty()
    demo.load()
    rows, total = queries.activity(FROM, TO)
    by_code = {r.course_code: r for r in rows}
    cli = {r["course_code"]: r for r in cli_rows(ctx, "report", "activity",
                                                  "--from", YEAR[0], "--to", YEAR[1])}

    assert (total.sessions_planned, total.sessions_run, total.sessions_cancelled) == (37, 29, 8)
    assert (total.attended, total.delegates) == (557, 557)
    assert [cli["TOTAL"][c] for c in ("sessions_planned", "sessions_run", "sessions_cancelled",
                                      "attended", "delegates")] == ["37", "29", "8", "557", "557"]
    published = {"WT": (4, 180), "MA": (2, 35), "SR": (2, 41), "SEC": (4, 45)}
    for code, (run, attended) in published.items():
        row = by_code[code]
        assert (row.sessions_planned, row.sessions_run, row.attended) == (run, run, attended)
        assert (cli[code]["sessions_planned"], cli[code]["sessions_run"],
                cli[code]["attended"]) == (str(run), str(run), str(attended))
    assert "Working Together" in by_code["WT"].course_title
    assert (by_code["WT"].level, cli["WT"]["level"]) == (3, "3")
    assert "Somebody Else's Child" in cli["SEC"]["course_title"]
    assert cli["FND"]["course_title"] == "Safeguarding Children – A Shared Responsibility"
    assert (by_code["FND"].sessions_run, by_code["FND"].level) == (6, 2)
    # Registers look real: some partial, no-shows and late cancellations.
    assert total.partial > 0 and total.did_not_attend > 0 and total.late_cancelled > 0


def test_the_year_gives_the_published_sector_figures(ctx):
    demo.load()
    year = sector_counts(queries.sectors(FROM, TO))
    cli = {(r["sector"], r["course_code"]): int(r["attended"])
           for r in cli_rows(ctx, "report", "sectors", "--from", YEAR[0], "--to", YEAR[1])}
    for counts in (year, cli):
        assert counts[("Voluntary Sector", "FND")] == 66
        assert counts[("Voluntary Sector", "FNDR")] == 8
        assert counts[("Voluntary Sector", "WT")] == 19
        assert sum(counts.get(("Voluntary Sector", c), 0) for c in OTHER_POST_FOUNDATION) == 15
        assert ("Voluntary Sector", "BA") not in counts
        assert counts[("Private Sector", "FND")] == 22

    first_half = sector_counts(queries.sectors(FROM, date(2011, 9, 30)))
    half = cli_rows(ctx, "report", "sectors", "--from", YEAR[0], "--to", "2011-09-30")
    cli_half = {(r["sector"], r["course_code"]): int(r["attended"]) for r in half}
    assert first_half[("Private Sector", "FND")] == cli_half[("Private Sector", "FND")] == 22
    second_half = sector_counts(queries.sectors(date(2011, 10, 1), TO))
    assert second_half.get(("Private Sector", "FND"), 0) == 0


def test_accounts_compliance_and_the_coming_year(ctx, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    accounts = demo.load()

    assert len(accounts) == 5 and {role for role, _, _ in accounts} == ROLES
    assert len({password for _, _, password in accounts}) == 5
    for role, email, password in accounts:
        assert email.endswith("@demo.example.org") and len(password) >= 16
        person = db.session.scalar(select(Person).where(Person.email == email))
        assert person.role.value == role
        assert check_password_hash(person.password_hash, password)
        assert person.email_confirmed_at is not None

    today = date.today()
    rows = queries.compliance(today, None, 90)
    overall = {r.agency: r for r in rows if r.level == "ALL"}
    acute = overall[ACUTE_TRUST]
    assert acute.target == 88 and 86 <= acute.percent <= 89
    community = {r.level: r.percent for r in rows if r.agency == COMMUNITY_TRUST}
    assert (community["1"], community["2"], community["3"]) == (95, 93, 99)
    statuses = [r.status for r in overall.values()]
    assert statuses.count("green") + statuses.count("amber") > 3 * statuses.count("red") > 0
    cli = cli_rows(ctx, "report", "compliance", "--agency", ACUTE_TRUST)
    assert {r["target"] for r in cli} == {"88"}

    # The coming year: scheduled sessions, one full with a waiting list.
    upcoming = db.session.scalars(select(TrainingSession).where(
        TrainingSession.start_on > today, TrainingSession.status == SessionStatus.SCHEDULED)).all()
    assert len(upcoming) >= 20
    assert max(s.start_on for s in upcoming) <= today + timedelta(days=366)
    waiting = [s for s in upcoming if any(b.status is BookingStatus.WAITLISTED for b in s.bookings)]
    assert waiting and all(
        sum(b.status is BookingStatus.CONFIRMED for b in s.bookings) == s.capacity for s in waiting)

    emails = {role: email for role, email, _ in accounts}
    trainer = db.session.scalar(select(Person).where(Person.email == emails["trainer"]))
    assert any(s.start_on < today for s in trainer.delivers)
    assert any(s.start_on > today for s in trainer.delivers)
    manager = db.session.scalar(select(Person).where(Person.email == emails["agency_manager"]))
    assert manager.agency.name == CHARITY and len(manager.agency.people) > 10
    practitioner = db.session.scalar(select(Person).where(Person.email == emails["practitioner"]))
    assert db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.person_id == practitioner.id, Booking.status == BookingStatus.CONFIRMED)) >= 2
    assert db.session.scalar(select(func.count()).select_from(Agency).where(
        Agency.requires_booking_approval)) >= 2

    # A second load is refused; --if-empty leaves the data alone and succeeds.
    people = db.session.scalar(select(func.count()).select_from(Person))
    db.session.commit()
    runner = ctx.test_cli_runner()
    refused = runner.invoke(args=["demo-data"])
    assert refused.exit_code != 0 and "already holds data" in refused.output
    quiet = runner.invoke(args=["demo-data", "--if-empty"])
    assert quiet.exit_code == 0 and "not loaded" in quiet.output
    assert db.session.scalar(select(func.count()).select_from(Person)) == people


def test_demo_data_command_uses_demo_password(ctx, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a-long-demo-passphrase")
    result = ctx.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "manager@demo.example.org" in result.output
    accounts = db.session.scalars(select(Person).where(Person.password_hash.is_not(None))).all()
    assert {p.role.value for p in accounts} == ROLES
    assert all(check_password_hash(p.password_hash, "a-long-demo-passphrase") for p in accounts)
