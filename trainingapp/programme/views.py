from datetime import date

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..access import public
from ..courses.models import SessionStatus, TrainingSession
from ..extensions import db
from . import bp


@bp.get("/sessions")
@public
def index():
    """The programme: sessions from today on, soonest first."""
    sessions = db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.venue))
        .where(TrainingSession.start_on >= date.today(),
               TrainingSession.status == SessionStatus.SCHEDULED)
        .order_by(TrainingSession.start_on, TrainingSession.ref)
    ).all()
    return render_template("programme/index.html", sessions=sessions)
