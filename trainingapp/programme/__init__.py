"""The public programme: what is on, for everyone (no login), its
iCalendar feed, and the sessions a trainer delivers."""
from flask import Blueprint

from .formatting import FILTERS

bp = Blueprint("programme", __name__)
for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, _name)

