"""Booking places, waiting lists and cancellations (views.py, services.py);
agency managers' approvals, staff bookings and substitutions
(agency_views.py, approvals.py, staff.py, notices.py)."""
from flask import Blueprint

bp = Blueprint("bookings", __name__)

