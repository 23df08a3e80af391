"""The board's reports (contract section 5): queries and exports.

queries.py computes every figure in SQL; exports.py writes the CSV (the CLI
and the web byte for byte the same) and XLSX; pdf.py the PDF; services.py
resolves periods, agencies and sessions; views.py holds the pages and
downloads under ``/reports``.
"""
from flask import Blueprint

bp = Blueprint("reports", __name__)

