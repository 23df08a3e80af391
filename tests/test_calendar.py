"""The iCalendar side of the programme: the feed at /sessions.ics and the
one-session calendars used in e-mails (PUBLISH, REQUEST, CANCEL). Every
output is parsed back with the icalendar library, and recurring sessions
are expanded with dateutil, as a calendar program would."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from trainingapp.courses.models import SessionDay, SessionStatus, Venue
from trainingapp.extensions import db
from trainingapp.programme.calendar import programme_ics, session_ics, sequence_for, uid_for
from trainingapp.types import uk_today
from tests.factories import make_course, make_session

LONDON = ZoneInfo("Europe/London")
CREATED = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def scheduled(days=(), title="Neglect", start: date | None = None, **kwargs):
    """A session with ``days`` given as (date, starts_at, ends_at)."""
    start = start or (days[0][0] if days else uk_today() + timedelta(days=30))
    end = max((d[0] for d in days), default=kwargs.pop("end_on", start))
    session = make_session(make_course(title=title, level=kwargs.pop("level", 2)), start_on=start,
                           end_on=end, status=kwargs.pop("status", SessionStatus.SCHEDULED),
                           ref=kwargs.pop("ref", None))
    for name, value in kwargs.items():
        setattr(session, name, value)
    session.days = [SessionDay(day_on=d, starts_at=s, ends_at=e) for d, s, e in days]
    session.created_at = session.updated_at = CREATED
    db.session.flush()
    return session


def parse(text: str) -> Calendar:
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "lines are folded at 75 octets"
    return Calendar.from_ical(text)


def masters(calendar: Calendar):
    return [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e]


def occurrences(calendar: Calendar, uid: str) -> list[tuple[datetime, datetime]]:
    """Expand one event as a calendar program would: RRULE minus EXDATE,
    with RECURRENCE-ID overrides applied."""
    events = [e for e in calendar.walk("VEVENT") if str(e["UID"]) == uid]
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    start, end = master.decoded("DTSTART"), master.decoded("DTEND")
    if "RRULE" not in master:
        return [(start, end)]
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
    excluded = set()
    exdates = master.get("EXDATE", [])
    for exdate in exdates if isinstance(exdates, list) else [exdates]:
        excluded |= {d.dt for d in exdate.dts}
    overrides = {e.decoded("RECURRENCE-ID"): (e.decoded("DTSTART"), e.decoded("DTEND"))
                 for e in events if "RECURRENCE-ID" in e}
    return [overrides.get(o, (o, o + (end - start))) for o in rule if o not in excluded]


def local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LONDON)


MON = date(2027, 3, 22)  # a Monday; the clocks go forward on Sunday 28 March 2027


# -- how a session becomes an event -----------------------------------------------------------

def test_a_one_day_session_is_one_event_in_uk_time(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30))])
    calendar = parse(session_ics(session))
    event, = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == local(MON, time(9, 30))
    assert event.decoded("DTEND") == local(MON, time(16, 30))
    assert "RRULE" not in event
    assert str(event["UID"]) == f"session-{session.id}@localhost"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"http://localhost/sessions/{session.ref}"


def test_consecutive_days_run_from_the_first_start_to_the_last_end(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30)),
                         (MON + timedelta(days=1), time(9), time(13))])
    event, = parse(session_ics(session)).walk("VEVENT")
    assert event.decoded("DTSTART") == local(MON, time(9, 30))
    assert event.decoded("DTEND") == local(MON + timedelta(days=1), time(13))
    assert "RRULE" not in event and "RDATE" not in event
    description = str(event["DESCRIPTION"])
    assert "Monday 22 March 2027, 9:30am to 4:30pm\nTuesday 23 March 2027, 9am to 1pm" in description


def test_days_a_week_apart_are_one_recurring_event_with_exactly_those_days(ctx):
    # Across the clock change, with different times on the last day.
    days = [(MON, time(9, 30), time(16, 30)),
            (MON + timedelta(days=7), time(9, 30), time(16, 30)),
            (MON + timedelta(days=14), time(10), time(12, 30))]
    session = scheduled(days)
    calendar = parse(session_ics(session))
    assert len(masters(calendar)) == 1
    assert "RDATE" not in calendar.to_ical().decode()
    assert occurrences(calendar, uid_for(session)) == [(local(d, s), local(d, e)) for d, s, e in days]
    # Every part of the event carries the same identity and version.
    parts = calendar.walk("VEVENT")
    assert len(parts) == 2
    assert {str(p["UID"]) for p in parts} == {uid_for(session)}
    assert {int(p["SEQUENCE"]) for p in parts} == {0}


def test_a_session_without_day_rows_is_an_all_day_event(ctx):
    session = scheduled(start=date(2027, 5, 4), end_on=date(2027, 5, 6))
    event, = parse(session_ics(session)).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2027, 5, 4)
    assert event.decoded("DTEND") == date(2027, 5, 7)  # exclusive
    assert "BEGIN:VTIMEZONE" not in session_ics(session)


def test_the_time_zone_is_europe_london_written_the_way_outlook_reads_it(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30))])
    text = session_ics(session)
    zone, = parse(text).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    assert "RRULE:FREQ=YEARLY" in text and "RDATE" not in text
    tz = zone.to_tz()
    for year in range(2026, 2040):
        for month, day, hour in ((1, 15, 12), (3, 30, 12), (7, 1, 12), (10, 30, 12), (12, 1, 12)):
            moment = datetime(year, month, day, hour)
            assert moment.replace(tzinfo=tz).utcoffset() == moment.replace(tzinfo=LONDON).utcoffset()


def test_location_and_description_come_from_the_venue(ctx):
    venue = Venue(name="Civic Centre", address="Main Road\nTown AB1 2CD",
                  accessibility_notes="Step-free access")
    session = scheduled([(MON, time(9, 30), time(16, 30))], venue=venue, ref="NEG-1")
    event, = parse(session_ics(session)).walk("VEVENT")
    assert str(event["LOCATION"]) == "Civic Centre, Main Road, Town AB1 2CD"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Neglect (Level 2)\nReference: NEG-1\n")
    assert "Access: Step-free access" in description
    assert "Details: http://localhost/sessions/NEG-1" in description


def test_commas_semicolons_and_new_lines_are_escaped_and_round_trip(ctx):
    title = "Neglect, abuse; and\nharm"
    address = "Flat 2, The Mews; Back Lane\nTown"
    session = scheduled([(MON, time(9, 30), time(16, 30))], title=title,
                        venue=Venue(name="Hall; annex, rear", address=address))
    text = session_ics(session)
    assert "SUMMARY:Neglect\\, abuse\\; and\\nharm" in text
    event, = parse(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == "Hall; annex, rear, Flat 2, The Mews; Back Lane, Town"


# -- identity, versions and methods -------------------------------------------------------------

def test_the_uid_is_stable_and_the_sequence_grows_with_each_change(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30))])
    first = parse(session_ics(session)).walk("VEVENT")[0]
    again = parse(session_ics(session)).walk("VEVENT")[0]
    assert first["UID"] == again["UID"] and int(first["SEQUENCE"]) == int(again["SEQUENCE"]) == 0
    session.updated_at = CREATED + timedelta(hours=1)
    changed = parse(session_ics(session)).walk("VEVENT")[0]
    assert changed["UID"] == first["UID"]
    assert int(changed["SEQUENCE"]) == 3600 == sequence_for(session)
    assert changed.decoded("DTSTAMP") == changed.decoded("LAST-MODIFIED") == session.updated_at


def test_publish_request_and_cancel(app, ctx):
    app.config["MAIL_DEFAULT_SENDER"] = "Training Team <training@board.example>"
    session = scheduled([(MON, time(9, 30), time(16, 30))])
    booked = CREATED + timedelta(days=3)
    published = parse(session_ics(session))
    request = parse(session_ics(session, method="REQUEST", attendee_email="ann@example.org",
                                attendee_name="Ann O'Brien", now=booked))
    cancel = parse(session_ics(session, method="CANCEL", attendee_email="ann@example.org",
                               now=booked + timedelta(minutes=5)))
    assert [str(c["METHOD"]) for c in (published, request, cancel)] == ["PUBLISH", "REQUEST", "CANCEL"]
    pub, req, can = (c.walk("VEVENT")[0] for c in (published, request, cancel))
    assert pub["UID"] == req["UID"] == can["UID"]
    assert "ORGANIZER" not in pub and "ATTENDEE" not in pub
    assert str(req["ORGANIZER"]) == "mailto:training@board.example"
    assert req["ORGANIZER"].params["CN"] == "Training Team"
    assert str(req["ATTENDEE"]) == "mailto:ann@example.org"
    assert req["ATTENDEE"].params["CN"] == "Ann O'Brien"
    assert str(req["STATUS"]) == "CONFIRMED" and str(can["STATUS"]) == "CANCELLED"
    # Each message supersedes the one before it.
    assert int(pub["SEQUENCE"]) < int(req["SEQUENCE"]) < int(can["SEQUENCE"])
    assert req.decoded("DTSTAMP") == booked


def test_a_rebooking_after_a_cancellation_supersedes_it(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30))])
    now = CREATED + timedelta(days=3)
    cancel = parse(session_ics(session, "CANCEL", "ann@example.org", now=now)).walk("VEVENT")[0]
    again = parse(session_ics(session, "REQUEST", "ann@example.org",
                              now=now + timedelta(hours=1))).walk("VEVENT")[0]
    assert int(again["SEQUENCE"]) > int(cancel["SEQUENCE"])


def test_a_cancellation_of_a_recurring_session_cancels_the_whole_event(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30)), (MON + timedelta(days=7), time(10), time(12))])
    event, = parse(session_ics(session, "CANCEL", "ann@example.org")).walk("VEVENT")
    assert "RECURRENCE-ID" not in event and str(event["STATUS"]) == "CANCELLED"


def test_an_unknown_method_is_refused(ctx):
    with pytest.raises(ValueError):
        session_ics(scheduled(), method="REPLY")


def test_the_meeting_link_goes_only_into_an_invitation_that_asks_for_it(ctx):
    session = scheduled([(MON, time(9, 30), time(16, 30))], online_url="https://meet.example/room",
                        joining_instructions="Passcode 4321")
    assert "meet.example" not in session_ics(session)
    assert "meet.example" not in programme_ics([session])
    assert "meet.example" not in session_ics(session, "REQUEST", "ann@example.org")
    invite = session_ics(session, "REQUEST", "ann@example.org", show_online_url=True)
    event, = parse(invite).walk("VEVENT")
    assert "Join online: https://meet.example/room\nPasscode 4321" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Online"


# -- the feed ---------------------------------------------------------------------------------

def test_the_feed_has_one_event_per_session_and_marks_cancelled_ones(ctx, client):
    soon = scheduled([(uk_today() + timedelta(days=3), time(9, 30), time(16, 30))], title="Soon")
    called_off = scheduled(title="Called off", status=SessionStatus.CANCELLED)
    last_week = scheduled(start=uk_today() - timedelta(days=7), title="Last week",
                          status=SessionStatus.COMPLETED)
    scheduled(start=uk_today() - timedelta(days=100), title="Long ago", status=SessionStatus.COMPLETED)
    db.session.commit()
    response = client.get("/sessions.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.get_data(as_text=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = {str(e["UID"]): e for e in masters(calendar)}
    assert set(events) == {uid_for(s) for s in (soon, called_off, last_week)}
    assert str(events[uid_for(called_off)]["STATUS"]) == "CANCELLED"
    assert str(events[uid_for(called_off)]["SUMMARY"]) == "Cancelled: Called off"
    assert str(events[uid_for(soon)]["STATUS"]) == "CONFIRMED"


def test_the_feed_is_the_same_bytes_until_something_changes(ctx, client):
    session = scheduled([(uk_today() + timedelta(days=3), time(9, 30), time(16, 30))])
    db.session.commit()
    first = client.get("/sessions.ics")
    assert first.get_data() == client.get("/sessions.ics").get_data()
    assert client.get("/sessions.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    session.updated_at = CREATED + timedelta(minutes=1)
    db.session.commit()
    assert client.get("/sessions.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_the_feed_of_a_big_programme_is_one_calendar(ctx):
    sessions = [scheduled([(MON + timedelta(days=n), time(9), time(17))], ref=f"BIG-{n}") for n in range(50)]
    calendar = parse(programme_ics(sessions))
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert len(masters(calendar)) == 50
