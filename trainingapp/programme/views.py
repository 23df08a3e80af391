"""The public programme (contract section 3): the list of upcoming
sessions, one session with its book button, the iCalendar feed; and the
sessions a trainer delivers."""
from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user

from ..access import public, roles
from ..agencies.models import Role
from ..bookings.forms import BookForm
from ..bookings.services import booking_closes_on, places
from ..forms import positive_int
from ..types import uk_today
from . import bp, queries
from .actions import booking_action
from .calendar import programme_ics


@bp.get("/sessions")
@public
def index():
    """Upcoming scheduled sessions, soonest first, filtered and paged, in a
    fixed number of SQL statements (tests/test_programme.py pins it)."""
    today = uk_today()
    filters = queries.Filters.from_args(request.args)
    page = queries.programme_page(filters, positive_int(request.args.get("page")) or 1, today)
    choices = queries.filter_choices(today)
    return render_template("programme/index.html", page=page, filters=filters, choices=choices)


@bp.get("/sessions/<ref>")
@public
def session(ref: str):
    """One session: the course, its days and place, places left, and what
    this visitor can do about it."""
    training_session = queries.session_by_ref(ref) or abort(404)
    now = places(training_session)
    action = booking_action(training_session, now, current_user)
    return render_template(
        "programme/session.html", session=training_session, places=now, action=action,
        availability=queries.availability(training_session, now),
        closes_on=booking_closes_on(training_session),
        book_form=BookForm() if action.kind in ("book", "join_waitlist") else None,
        sign_in_url=url_for("accounts.login",
                            next=url_for("programme.session", ref=training_session.ref)))


@bp.get("/sessions.ics")
@public
def calendar():
    """The programme as an iCalendar feed to subscribe to. The same for
    everyone (no meeting links), so it may be cached."""
    sessions = queries.feed_sessions(uk_today())
    response = Response(programme_ics(sessions), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="programme.ics"'
    response.headers["Cache-Control"] = "public, max-age=900"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/my-sessions")
@roles(Role.TRAINER, Role.COORDINATOR)
def my_sessions():
    """The sessions the signed-in person delivers as a trainer: those to
    come and those of the last three months, with places taken."""
    today = uk_today()
    upcoming, recent = queries.delivered_by(current_user.id, today)
    return render_template("programme/my_sessions.html", upcoming=upcoming, recent=recent,
                           today=today)


@bp.app_template_global()
def online_link(url: str | None) -> str | None:
    """A meeting link only when it is a web address (never ``javascript:``)."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None
