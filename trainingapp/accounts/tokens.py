"""Signed, expiring, single-use links for confirming an e-mail address and
resetting a password.

Nothing is stored: a token is signed with the app's secret and carries a
fingerprint of the state it changes (the password hash, or the fact that
the address is unconfirmed). Using it changes that state, so the same link
cannot work twice.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..agencies.models import Person
from ..extensions import db

CONFIRM = "confirm-email"
RESET = "reset-password"
MAX_AGE = {CONFIRM: 48 * 3600, RESET: 60 * 60}


class TokenError(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _fingerprint(person: Person, purpose: str) -> str:
    state = (person.password_hash or "") if purpose == RESET else str(person.email_confirmed_at)
    return hashlib.sha256(f"{person.id}:{state}".encode()).hexdigest()[:20]


def make(person: Person, purpose: str, **extra) -> str:
    return _serializer(purpose).dumps({"id": person.id, "fp": _fingerprint(person, purpose), **extra})


def read(token: str, purpose: str) -> tuple[Person, dict]:
    """The person the token is for and its extra data, or TokenError."""
    try:
        data = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired:
        raise TokenError("This link has expired.", "expired") from None
    except BadSignature:
        raise TokenError("This link is not valid.", "invalid") from None
    person = db.session.get(Person, data.get("id"))
    if person is None or not person.is_active or data.get("fp") != _fingerprint(person, purpose):
        raise TokenError("This link has already been used or is no longer valid.", "used")
    return person, data
