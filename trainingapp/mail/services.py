"""Mail that is never lost: queue in the caller's transaction, deliver after.

A use case that sends mail calls :func:`queue_mail` inside its transaction,
before committing. The message is a row in the outbox, so it commits or rolls
back with the change that caused it: never lost when SMTP is down, never sent
for a booking that did not happen.

Delivery happens outside that transaction, twice over:

* straight after the commit, the view calls :func:`send_after_commit`
  (best effort, for the messages queued in this app context)::

      booking = services.book(person, session)   # queues + commits
      send_after_commit()
      flash("Booked"); return redirect(...)

* ``flask --app wsgi send-mail`` (cron) or ``send-mail --loop`` (a worker)
  calls :func:`deliver_due` for whatever is still waiting: messages whose
  immediate attempt failed, or whose request died before trying.

Several workers may deliver at once. :func:`deliver_due` first *claims* a
handful of due rows by pushing their ``next_attempt_at`` a few minutes ahead
and commits (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: every
transaction begins with ``BEGIN IMMEDIATE``, so claims take turns), then talks
SMTP with no transaction open, then records each result in its own short
transaction. A worker that dies mid-run leaves its claim to expire; the
message is then sent again (at least once, never lost).

A failed attempt is retried after 1, 2, 4 ... minutes (at most an hour);
after ``MAIL_MAX_ATTEMPTS`` attempts the message is marked failed.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import event, inspect, select

from ..extensions import db
from ..types import utcnow
from .models import OutboxMessage
from .sender import MailServerUnavailable, Outgoing, build_message, describe_error, open_backend

CLAIM_SIZE = 10  # rows claimed per transaction
MAX_RETRY_DELAY = timedelta(hours=1)
SUBJECT_LENGTH = OutboxMessage.subject.type.length

# Keys in Session.info (one Session per app context, so per request).
_QUEUED = "mail.queued"  # OutboxMessage objects added since the last commit
_COMMITTED = "mail.committed"  # ids of those committed since, not yet sent
_WRITES = "mail.uncommitted_writes"  # a flush happened since the last commit


def queue_mail(to: str, template: str, subject: str, ics: str | None = None,
               **context) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; do not commit.

    The bodies are rendered now from ``templates/mail/<template>.txt`` and,
    when it exists, ``<template>.html`` (autoescaped), with ``subject`` and
    ``context``. ``ics`` is an iCalendar body sent as ``invite.ics``.
    """
    to = to.strip()
    if not to or "\r" in to or "\n" in to or len(to) > OutboxMessage.to_address.type.length:
        raise ValueError(f"not a usable e-mail address: {to!r}")
    # A header is one line; the column has a length.
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[:SUBJECT_LENGTH - 1] + "…"
    body_text = render_template(f"mail/{template}.txt", subject=subject, **context)
    html_name = f"mail/{template}.html"
    try:
        body_html = render_template(html_name, subject=subject, **context)
    except TemplateNotFound as exc:
        if exc.name != html_name:  # the template exists but includes a missing one
            raise
        body_html = None
    message = OutboxMessage(to_address=to, subject=subject, body_text=body_text,
                            body_html=body_html, ics=ics, attempts=0, next_attempt_at=utcnow())
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


def send_after_commit() -> tuple[int, int]:
    """Try now to deliver the messages this app context queued and committed.

    Best effort, for views to call after the service has committed: errors
    are logged, never raised; whatever is not sent stays in the outbox for
    ``send-mail``. Does nothing (and warns) if the session holds uncommitted
    changes, because claiming a message commits the session.
    Returns ``(sent, failed)``.
    """
    info = db.session.info
    ids = info.pop(_COMMITTED, [])
    if not ids:
        return 0, 0
    session = db.session()
    if session.new or session.dirty or session.deleted or info.get(_WRITES):
        current_app.logger.warning(
            "send_after_commit called with uncommitted changes: %d message(s) left for send-mail",
            len(ids))
        return 0, 0
    try:
        return deliver_due(limit=len(ids), ids=ids)
    except Exception:  # noqa: BLE001 - the outbox keeps the messages
        db.session.rollback()
        current_app.logger.exception("immediate mail delivery failed; left for send-mail")
        return 0, 0


def deliver_due(limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Send up to ``limit`` unsent messages that are due (only those in
    ``ids`` if given). Returns ``(sent, failed)``, failed counting attempts
    that failed this run, whether or not they will be retried.

    If the server cannot be reached, every claimed message counts a failed
    attempt and the run stops rather than waiting for each to time out.
    """
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    lease = timedelta(seconds=max(300, CLAIM_SIZE * float(config["MAIL_TIMEOUT"]) * 6))
    sent = failed = 0
    with open_backend(config) as backend:
        while sent + failed < limit:
            batch = _claim(min(CLAIM_SIZE, limit - sent - failed), ids, lease)
            if not batch:
                break
            for position, item in enumerate(batch):
                try:
                    backend.send(build_message(item, sender))
                except MailServerUnavailable as exc:
                    error = describe_error(exc, backend.secrets)
                    for unsent in batch[position:]:
                        _record_failure(unsent.id, error)
                    current_app.logger.warning("mail not sent, will retry: %s", error)
                    return sent, failed + len(batch) - position
                except Exception as exc:  # noqa: BLE001 - recorded, retried later
                    backend.reset()
                    error = describe_error(exc, backend.secrets)
                    _record_failure(item.id, error)
                    current_app.logger.warning("mail %d not sent: %s", item.id, error)
                    failed += 1
                else:
                    _record_sent(item.id)
                    sent += 1
    return sent, failed


def send_test_message(to: str) -> OutboxMessage:
    """Queue, commit and try at once a test message (``send-test-mail``)."""
    board = current_app.config["BOARD_NAME"]
    message = queue_mail(to, "test_message", f"Test message from {board}")
    db.session.commit()
    send_after_commit()
    db.session.refresh(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 10)), MAX_RETRY_DELAY)


def _claim(size: int, ids: list[int] | None, lease: timedelta) -> list[Outgoing]:
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    for row in rows:
        row.next_attempt_at = now + lease
    batch = [Outgoing.of(row) for row in rows]
    db.session.commit()
    return batch


def _record_sent(message_id: int) -> None:
    row = db.session.get(OutboxMessage, message_id)
    if row is not None:
        row.attempts += 1
        row.sent_at = utcnow()
        db.session.commit()


def _record_failure(message_id: int, error: str) -> None:
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.sent_at is not None:
        return
    now = utcnow()
    row.attempts += 1
    row.last_error = error
    if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.failed_at = now
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
    db.session.commit()


# Which queued messages did commit? Session events tell us, per session.

@event.listens_for(db.session, "after_flush")
def _after_flush(session, _flush_context) -> None:
    session.info[_WRITES] = True


@event.listens_for(db.session, "after_commit")
def _after_commit(session) -> None:
    queued = session.info.pop(_QUEUED, [])
    committed = session.info.setdefault(_COMMITTED, [])
    for message in queued:
        identity = inspect(message).identity  # no SQL: the session is between transactions
        if identity is not None and identity[0] not in committed:
            committed.append(identity[0])
    session.info[_WRITES] = False


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_QUEUED, None)
    session.info[_WRITES] = False
