"""The home page, navigation and the service's information pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

