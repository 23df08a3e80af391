"""The programme by financial year and quarter, sessions at risk, and the
training pool's in-kind days (issue 4)."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from trainingapp.agencies.models import Role
from trainingapp.bookings.models import BookingStatus
from trainingapp.courses.models import SessionDay, SessionStatus
from trainingapp.extensions import db
from trainingapp.reports import queries
from trainingapp.reports.services import financial_year, quarter
from trainingapp.scheduling.services import programme_figures
from tests.factories import login_as, make_agency, make_booking, make_course, make_session, make_user

SCHEDULED, COMPLETED, CANCELLED = SessionStatus.SCHEDULED, SessionStatus.COMPLETED, SessionStatus.CANCELLED


def _session(ref, start_on, status, capacity=10, confirmed=0, waiting=0, **kwargs):
    session = make_session(ref=ref, start_on=start_on, status=status, capacity=capacity, **kwargs)
    for _ in range(confirmed):
        make_booking(session)
    for n in range(waiting):
        make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=n + 1)
    make_booking(session, status=BookingStatus.CANCELLED)  # never counted
    return session


@pytest.fixture
def year_2025(ctx):
    """A financial year (April 2025 to March 2026) and one session after it."""
    _session("Q1-RUN", date(2025, 4, 10), COMPLETED, capacity=10, confirmed=6)
    _session("Q1-OFF", date(2025, 5, 1), CANCELLED, capacity=12)
    _session("Q2-RISK", date(2025, 7, 15), SCHEDULED, capacity=10, confirmed=2, waiting=1)
    _session("Q2-LATER", date(2025, 7, 30), SCHEDULED, capacity=10, confirmed=1)
    _session("Q2-HALF", date(2025, 7, 10), SCHEDULED, capacity=4, confirmed=2)
    _session("Q4-LAST", date(2026, 3, 31), COMPLETED, capacity=8, confirmed=8)
    _session("NEXT-FY", date(2026, 4, 1), SCHEDULED, capacity=30)
    db.session.commit()


def test_figures_per_quarter_and_year(year_2025):
    today = date(2025, 7, 5)
    q1 = programme_figures(*quarter(2025, 1), today)
    assert [r.ref for r in q1.rows] == ["Q1-RUN", "Q1-OFF"]
    assert q1.totals == {"planned": 2, "run": 1, "cancelled": 1, "places": 10, "booked": 6,
                         "waiting": 0, "at_risk": 0}
    q2 = programme_figures(*quarter(2025, 2), today)
    assert [r.ref for r in q2.rows] == ["Q2-HALF", "Q2-RISK", "Q2-LATER"]
    assert [(r.confirmed, r.waiting) for r in q2.rows] == [(2, 0), (2, 1), (1, 0)]
    assert q2.totals == {"planned": 3, "run": 0, "cancelled": 0, "places": 24, "booked": 5,
                         "waiting": 1, "at_risk": 1}
    # Within 14 days and under half booked; exactly half booked is not at risk;
    # 25 days away is not yet.
    assert {r.ref for r in q2.rows if r.id in q2.at_risk} == {"Q2-RISK"}
    year = programme_figures(*financial_year(2025), today)
    assert year.totals["planned"] == 6 and year.totals["run"] == 2 and year.totals["booked"] == 19
    assert programme_figures(*quarter(2025, 3), today).totals["planned"] == 0


def test_programme_page_shows_the_quarter(year_2025, client):
    coordinator = make_user(Role.COORDINATOR)
    db.session.commit()
    login_as(client, coordinator)
    page = " ".join(client.get("/manage/programme?year=2025&quarter=2").get_data(as_text=True).split())
    assert "April 2025 to March 2026, Q2 (July to September)" in page
    assert "Q2-RISK" in page and "Q1-RUN" not in page and "NEXT-FY" not in page
    assert '<caption class="govuk-table__caption govuk-table__caption--m">Sessions,' in page
    whole_year = client.get("/manage/programme?year=2025").get_data(as_text=True)
    assert "Q1-RUN" in whole_year and "Q4-LAST" in whole_year


def test_programme_page_runs_the_same_queries_however_many_sessions(app, ctx, client):
    coordinator = make_user(Role.COORDINATOR)
    course = make_course()
    start = financial_year(2030)[0]

    def add(n: int) -> None:
        for i in range(n):
            session = make_session(course, start_on=start + timedelta(days=i), status=SCHEDULED)
            make_booking(session)
            make_booking(session, status=BookingStatus.WAITLISTED, waitlist_order=1)
        db.session.commit()

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get("/manage/programme?year=2030")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(seen)

    login_as(client, coordinator)
    add(3)
    few = statements()
    add(40)
    assert statements() == few
    assert few <= 6  # the user, the years on offer, the sessions (plus BEGIN/savepoint noise)


@pytest.fixture
def pool(ctx):
    """Agency A's two trainers and agency B's one, on sessions of 2025-26."""
    a, b = make_agency("Agency A"), make_agency("Agency B")
    t1 = make_user(Role.TRAINER, a, first_name="Ann", last_name="One")
    t2 = make_user(Role.TRAINER, a, first_name="Ben", last_name="Two")
    t3 = make_user(Role.TRAINER, b, first_name="Cat", last_name="Three")
    make_user(Role.TRAINER, b, first_name="Dan", last_name="Four")  # delivered nothing
    # Two days a week apart, with day rows: 2 days each for Ann and Ben.
    x = make_session(start_on=date(2025, 6, 1), end_on=date(2025, 6, 8), status=COMPLETED)
    x.days = [SessionDay(day_on=date(2025, 6, 1), starts_at=time(9), ends_at=time(16)),
              SessionDay(day_on=date(2025, 6, 8), starts_at=time(9), ends_at=time(12))]
    x.trainers = [t1, t2]
    # Imported history without day rows: 1 to 3 September is 3 days.
    y = make_session(start_on=date(2025, 9, 1), end_on=date(2025, 9, 3), status=COMPLETED)
    y.trainers = [t1, t3]
    # Not counted: cancelled, still scheduled, or in another year.
    for status, start in ((CANCELLED, date(2025, 10, 1)), (SCHEDULED, date(2026, 2, 1)),
                          (COMPLETED, date(2024, 6, 1))):
        make_session(start_on=start, status=status).trainers = [t1, t3]
    db.session.commit()


def test_in_kind_days_per_agency(pool):
    rows = queries.in_kind_days(*financial_year(2025))
    assert [(r.agency, r.trainers, r.sessions, r.days) for r in rows] == [
        ("Agency A", 2, 2, 7), ("Agency B", 1, 1, 3)]
    assert [(r.agency, r.days) for r in queries.in_kind_days(*financial_year(2024))] == [
        ("Agency A", 1), ("Agency B", 1)]


def test_training_days_per_trainer(pool, client):
    rows = queries.trainer_days(*financial_year(2025))
    assert [(r.first_name, r.agency, r.sessions, r.days) for r in rows] == [
        ("Dan", "Agency B", 0, 0), ("Ann", "Agency A", 2, 5), ("Cat", "Agency B", 1, 3),
        ("Ben", "Agency A", 1, 2)]
    login_as(client, make_user(Role.COORDINATOR))
    db.session.commit()
    page = " ".join(client.get("/manage/trainers?year=2025").get_data(as_text=True).split())
    assert "In-kind contribution by agency, April 2025 to March 2026" in page
    cells = re.sub(r"<[^>]+>", "|", page)
    assert re.search(r"Agency A\W+2\W+2\W+7\W", cells) and re.search(r"Ann One\W+Agency A\W+2\W+5\W", cells)
