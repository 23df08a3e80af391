"""Registers, training records and certificates (views.py): a trainer or
the coordinator takes a session's register and marks it as run
(services.py); everyone sees their own training record and downloads
certificates (certificates.py); an agency manager sees their staff's
compliance and sets required levels."""
from flask import Blueprint

bp = Blueprint("attendance", __name__)

