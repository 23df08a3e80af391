"""Accounts: sign in and out, registration, e-mail confirmation, password
reset and change, and the person's own details."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

