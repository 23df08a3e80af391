"""iCalendar (RFC 5545) for the programme feed and for booking e-mails.

``programme_ics(sessions)`` is the public feed (``GET /sessions.ics``);
``session_ics(session, method, attendee_email)`` is one session as a
calendar of its own: METHOD:PUBLISH to download, METHOD:REQUEST to invite
a delegate, METHOD:CANCEL (same UID) to take it out of their calendar.

How a session becomes an event, and why. The choices follow what Outlook
(Exchange's MS-OXCICAL import rules) and Google Calendar accept, which is
narrower than RFC 5545:

* One session is one event, with one stable UID
  (``session-<id>@<SERVER_NAME>``), so an update or a cancellation replaces
  it in every calendar.
* A session on one day, or on consecutive days, is a single VEVENT from the
  first day's start time to the last day's end time. Each day's times are
  listed in the DESCRIPTION.
* A session whose days are *not* consecutive (a two-day course a week apart)
  is a daily recurring event: DTSTART/DTEND are the first day's times,
  ``RRULE:FREQ=DAILY;UNTIL=<last day>`` with an EXDATE for every day in
  between that is not a course day, and, for a day whose times differ from
  the first day's, an overriding VEVENT with the same UID and a
  RECURRENCE-ID. This is exactly how Google Calendar itself exports such an
  event. RDATE is *not* used: Outlook requires an RRULE beside any RDATE and
  skips the whole event without one, and it ignores RDATE periods
  (VALUE=PERIOD) altogether; spanning one event over the gap would show
  the delegate busy for a week.
* Sessions without day rows (imported history) are all-day events
  (VALUE=DATE, DTEND the day after the last day).
* Times are UK local with ``TZID=Europe/London`` and one VTIMEZONE using
  yearly RRULEs (last Sunday of March and of October), the form Google and
  Outlook write. icalendar's ``add_missing_timezones()`` writes a list of
  RDATEs instead, which Outlook is known to misread (events an hour out
  in summer). A recurring event needs a real zone: in UTC its later
  occurrences would move by an hour across a clock change.
* SEQUENCE must grow whenever an attendee's copy should be replaced. It is
  the number of seconds from the session's creation to its last change
  (``updated_at``) in the feed and in PUBLISH downloads, and to the moment
  the message is built for REQUEST and CANCEL, so every later message wins
  over every earlier one (a delegate who cancels and books again gets a
  REQUEST that supersedes their CANCEL). DTSTAMP and LAST-MODIFIED are
  ``updated_at`` in the feed (the same feed twice is the same bytes) and
  DTSTAMP is "now" in REQUEST/CANCEL, as RFC 5546 wants.
* A cancelled session stays in the feed with STATUS:CANCELLED (and
  "Cancelled: " before its title, for calendars that still show it).
* The online meeting link is for confirmed delegates only, so it is never
  in the feed; ``session_ics(..., show_online_url=True)`` puts it in an
  invitation to someone with a confirmed place.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from email.utils import parseaddr
from typing import Iterable

from flask import current_app, url_for
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from ..courses.models import SessionStatus, TrainingSession
from ..types import UK, utcnow
from .formatting import day_lines

METHODS = ("PUBLISH", "REQUEST", "CANCEL")
TZID = "Europe/London"
FEED_REFRESH = timedelta(hours=6)  # X-PUBLISHED-TTL says the same: PT6H


# -- identity and versions -----------------------------------------------------------------

def uid_for(session: TrainingSession) -> str:
    host = (current_app.config.get("SERVER_NAME") or "trainingapp").split(":")[0]
    return f"session-{session.id}@{host}"


def sequence_for(session: TrainingSession, at: datetime | None = None) -> int:
    """Seconds from the session's creation to ``at`` (default: its last
    change): grows with every change, 0 for a session never changed."""
    at = at or session.updated_at or session.created_at
    if session.created_at is None or at is None:
        return 0
    return max(0, int((at - session.created_at).total_seconds()))


# -- the building blocks --------------------------------------------------------------------

def london_timezone() -> Timezone:
    """Europe/London as Google and Outlook write it: BST from 01:00 GMT on
    the last Sunday of March to 02:00 BST on the last Sunday of October."""
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("tzoffsetfrom", timedelta(0))
    summer.add("tzoffsetto", timedelta(hours=1))
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(0))
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=UK)


def _session_url(session: TrainingSession) -> str | None:
    """The session page, when a URL can be built (a request, or
    SERVER_NAME set for e-mails sent from the command line)."""
    try:
        return url_for("programme.session", ref=session.ref, _external=True)
    except RuntimeError:
        return None


def _location(session: TrainingSession) -> str | None:
    if session.venue is not None:
        parts = [session.venue.name]
        if session.venue.address:
            parts += [line.strip().rstrip(",") for line in session.venue.address.splitlines()
                      if line.strip()]
        return ", ".join(parts)
    if session.online_url:
        return "Online"
    return None


def _description(session: TrainingSession, url: str | None, show_online_url: bool) -> str:
    course = session.course
    lines = []
    if session.status is SessionStatus.CANCELLED:
        lines += ["This session has been cancelled.", ""]
    lines.append(course.title + (f" (Level {course.level})" if course.level else ""))
    lines.append(f"Reference: {session.ref}")
    lines.append("")
    lines += day_lines(session)
    lines.append("")
    if session.venue is not None:
        lines.append("Venue: " + _location(session))
        if session.venue.accessibility_notes:
            lines.append("Access: " + " ".join(session.venue.accessibility_notes.split()))
    if session.online_url:
        if show_online_url:
            lines.append(f"Join online: {session.online_url}")
            if session.joining_instructions:
                lines.append(session.joining_instructions.strip())
        else:
            lines.append("Online: the joining link is on the session page for people with a "
                         "confirmed place.")
    if url:
        lines += ["", f"Details: {url}"]
    return "\n".join(lines).strip()


def _times(session: TrainingSession):
    """(dtstart, dtend, recurrence) where recurrence is None or
    (until_utc, exdates, overrides[(recurrence_id, start, end)])."""
    days = sorted(session.days, key=lambda d: d.day_on)
    if not days:
        # DTEND is the day after the last (exclusive); 31 December 9999 (a
        # slip in old data) has no day after it, so the event ends that day.
        end = session.end_on + timedelta(days=1) if session.end_on < date.max else session.end_on
        return session.start_on, end, None
    first, last = days[0], days[-1]
    consecutive = all(b.day_on - a.day_on == timedelta(days=1) for a, b in zip(days, days[1:]))
    if consecutive:
        return _local(first.day_on, first.starts_at), _local(last.day_on, last.ends_at), None
    on = {d.day_on for d in days}
    gaps, day = [], first.day_on
    while day < last.day_on:
        if day not in on:
            gaps.append(_local(day, first.starts_at))
        day += timedelta(days=1)
    overrides = [(_local(d.day_on, first.starts_at), _local(d.day_on, d.starts_at),
                  _local(d.day_on, d.ends_at))
                 for d in days[1:] if (d.starts_at, d.ends_at) != (first.starts_at, first.ends_at)]
    until = _local(last.day_on, first.starts_at).astimezone(timezone.utc)
    return (_local(first.day_on, first.starts_at), _local(first.day_on, first.ends_at),
            (until, gaps, overrides))


def _events(session: TrainingSession, *, stamp: datetime, sequence: int, cancelled: bool,
            organizer: vCalAddress | None = None, attendee: vCalAddress | None = None,
            show_online_url: bool = False, with_overrides: bool = True) -> list[Event]:
    """The session's VEVENT, and for a recurring one its overriding days."""
    url = _session_url(session)
    title = session.course.title
    summary = f"Cancelled: {title}" if cancelled else title
    location = _location(session)
    description = _description(session, url, show_online_url)

    def common(event: Event) -> Event:
        event.add("uid", uid_for(session))
        event.add("dtstamp", stamp)
        if session.created_at:
            event.add("created", session.created_at)
        if session.updated_at:
            event.add("last-modified", session.updated_at)
        event.add("sequence", sequence)
        event.add("summary", summary)
        if location:
            event.add("location", location)
        event.add("description", description)
        if url:
            event.add("url", url)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        if organizer is not None:
            event.add("organizer", organizer)
        if attendee is not None:
            event.add("attendee", attendee)
        return event

    start, end, recurrence = _times(session)
    master = common(Event())
    master.add("dtstart", start)
    master.add("dtend", end)
    events = [master]
    if recurrence is not None:
        until, gaps, overrides = recurrence
        master.add("rrule", {"freq": "daily", "until": until})
        if gaps:
            master.add("exdate", gaps)
        if with_overrides:
            for recurrence_id, day_start, day_end in overrides:
                override = common(Event())
                override.add("recurrence-id", recurrence_id)
                override.add("dtstart", day_start)
                override.add("dtend", day_end)
                events.append(override)
    return events


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//{current_app.config.get('BOARD_NAME', 'trainingapp')}"
                           "//Training programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _finish(calendar: Calendar, events: list[Event]) -> str:
    if any("TZID" in event["DTSTART"].params for event in events):
        calendar.add_component(london_timezone())
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _address(email: str, name: str | None = None, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.upper().replace("_", "-")] = value
    return address


# -- the two entry points -------------------------------------------------------------------

def session_ics(session: TrainingSession, method: str = "PUBLISH",
                attendee_email: str | None = None, *, attendee_name: str | None = None,
                show_online_url: bool = False, now: datetime | None = None) -> str:
    """One session as an iCalendar object.

    - ``PUBLISH``: "add to my calendar" (no organizer or attendee).
    - ``REQUEST``: the invitation sent to ``attendee_email`` (ORGANIZER is
      the address in MAIL_DEFAULT_SENDER; the attendee is already accepted,
      with no reply expected).
    - ``CANCEL``: the same UID, STATUS:CANCELLED and a higher SEQUENCE,
      for a cancelled booking or a cancelled session.

    RFC 5546 wants an ATTENDEE in REQUEST and CANCEL: pass
    ``attendee_email`` (and ``attendee_name``) whenever the message goes to
    one person. Without it the object has only the ORGANIZER, so one body
    can be attached to many messages (Outlook and Google still match it by
    UID).

    ``show_online_url`` adds the meeting link and joining instructions:
    only for someone with a confirmed place.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    organizer = attendee = None
    if method == "PUBLISH":
        stamp, sequence = session.updated_at or utcnow(), sequence_for(session)
    else:
        now = now or utcnow()
        stamp, sequence = now, sequence_for(session, now)
        sender_name, sender = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
        organizer = _address(sender or "training@localhost",
                             sender_name or current_app.config.get("BOARD_NAME"))
        if attendee_email:
            attendee = _address(attendee_email, attendee_name, role="REQ-PARTICIPANT",
                                partstat="ACCEPTED" if method == "REQUEST" else "DECLINED",
                                rsvp="FALSE")
    cancelled = method == "CANCEL" or session.status is SessionStatus.CANCELLED
    events = _events(session, stamp=stamp, sequence=sequence, cancelled=cancelled,
                     organizer=organizer, attendee=attendee, show_online_url=show_online_url,
                     with_overrides=method != "CANCEL")
    return _finish(_calendar(method), events)


def programme_ics(sessions: Iterable[TrainingSession]) -> str:
    """The programme feed: one event per session (see the module's
    docstring), METHOD:PUBLISH, with the calendar's name and a refresh
    hint for subscribers."""
    calendar = _calendar("PUBLISH")
    name = f"{current_app.config.get('BOARD_NAME', 'Safeguarding')} training programme"
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    events = []
    for session in sessions:
        events += _events(session, stamp=session.updated_at or utcnow(),
                          sequence=sequence_for(session),
                          cancelled=session.status is SessionStatus.CANCELLED)
    return _finish(calendar, events)
