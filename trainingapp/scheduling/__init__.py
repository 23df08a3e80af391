"""Scheduling: the coordinator's side of the programme. The course
catalogue, venues, sessions (schedule, edit, duplicate, cancel), the
programme by financial year and quarter, the training pool, and the web
upload of the contract's CSV files.

Every URL is under ``/manage`` (views.py; a session's page and its
bookings in session_bookings.py); the rules are in services.py (and, for
bookings, ``bookings/coordination.py``).
"""
from flask import Blueprint

bp = Blueprint("scheduling", __name__, url_prefix="/manage")

