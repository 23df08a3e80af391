"""Data protection: a person's own copy of their data (subject access),
erasure on request, and the retention rule that anonymises people with no
activity for ``RETENTION_YEARS``.

Erasure replaces who someone is, never what happened: their bookings,
attendance, the agency recorded on each booking and their training records
stay under a placeholder name, so every figure the board has published
comes out the same afterwards."""
from flask import Blueprint

bp = Blueprint("privacy", __name__)
