"""Friendly error pages: no trace, no SQL, no secret ever reaches a user."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from .extensions import db

MESSAGES = {
    400: ("There is a problem with your request", "Go back, refresh the page and try again."),
    403: ("You do not have access to this page",
          "If you think you should, ask your training coordinator."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("This page cannot do that", "Go back and try again from the page you came from."),
    413: ("The file is too large", "Split it into smaller files and try again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service",
          "Try again later. Nothing you entered has been saved."),
}


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html", code=400, title="Your form has expired",
            detail="For your security, forms expire. Go back, refresh the page and try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        title, detail = MESSAGES.get(code, (error.name, ""))
        return render_template("errors/error.html", code=code, title=title, detail=detail), code

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error: Exception):
        """A value too big for a date or for the database got past the
        checks: the request was bad, not the service. Logged, as it means
        a check is missing."""
        db.session.rollback()
        app.logger.warning("bad input reached %s", type(error).__name__, exc_info=error)
        return http_error(BadRequest())

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("unhandled error")
        return http_error(InternalServerError())
