"""Dates, times and text as GOV.UK style writes them.

"Tuesday 5 January 2027, 9:30am to 4:30pm": no leading zeros, am/pm in
lower case with no space, "midday" and "midnight" rather than 12pm/12am,
whole hours without ":00". Registered as template filters by the
blueprint, and used by the calendar feed so that both say the same thing.
"""
from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from ..courses.models import TrainingSession


def uk_date(day: date) -> str:
    """Tuesday 5 January 2027"""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """5 January 2027"""
    return f"{day.day} {day:%B %Y}"


def uk_time(moment: time) -> str:
    """9:30am, 5pm, midday, midnight"""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def day_lines(session: TrainingSession) -> list[str]:
    """One line per day of the session ("Tuesday 5 January 2027, 9:30am to
    4:30pm"); a session without day rows (imported history) gives its date
    or date range."""
    if session.days:
        return [f"{uk_date(d.day_on)}, {uk_time(d.starts_at)} to {uk_time(d.ends_at)}"
                for d in session.days]
    if session.end_on == session.start_on:
        return [uk_date(session.start_on)]
    return [f"{uk_date(session.start_on)} to {uk_date(session.end_on)}"]


def text_blocks(text: str | None) -> Markup:
    """Free text typed by a coordinator as GOV.UK paragraphs: blank lines
    separate paragraphs; a block whose every line starts with "-", "*" or
    "•" becomes a bulleted list. Everything is escaped."""
    if not text or not text.strip():
        return Markup("")
    html = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line[0] in "-*•" for line in lines):
            items = "".join(f"<li>{escape(line[1:].strip())}</li>" for line in lines)
            html.append(f'<ul class="govuk-list govuk-list--bullet">{items}</ul>')
        else:
            html.append('<p class="govuk-body">' + "<br>".join(str(escape(line)) for line in lines)
                        + "</p>")
    return Markup("\n".join(html))


def plural(count: int, singular: str, many: str | None = None) -> str:
    """1 place, 2 places"""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def session_dates(session) -> str:
    """"5 January 2027", or "5 January 2027 to 12 January 2027"."""
    text = f"{session.start_on:%-d %B %Y}"
    return text if session.end_on == session.start_on else f"{text} to {session.end_on:%-d %B %Y}"


FILTERS = {
    "session_dates": session_dates,
    "uk_date": uk_date,
    "short_date": short_date,
    "uk_time": uk_time,
    "day_lines": day_lines,
    "text_blocks": text_blocks,
    "plural": plural,
}
