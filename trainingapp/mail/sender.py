"""Turning an outbox row into an e-mail and handing it to a backend.

Two backends, chosen by ``MAIL_BACKEND``: ``smtp`` (the default) talks to
``MAIL_SERVER``; ``console`` prints each message to stdout, for development,
where the reader wants the text and its links rather than MIME.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import click

ICS_FILENAME = "invite.ics"
MAX_ERROR_LENGTH = 1000


class MailServerUnavailable(Exception):
    """The SMTP server could not be reached, or refused STARTTLS or our login.
    Every message of a run would fail the same way, so the run stops."""


@dataclass(frozen=True)
class Outgoing:
    """What the sender needs of an outbox row, read while the row was claimed
    so that no database transaction stays open during the SMTP conversation."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    ics: str | None
    created_at: datetime

    @classmethod
    def of(cls, row) -> Outgoing:
        return cls(row.id, row.to_address, row.subject, row.body_text, row.body_html,
                   row.ics, row.created_at)


def build_message(item: Outgoing, sender: str) -> EmailMessage:
    """A text e-mail with an optional HTML alternative and an optional
    iCalendar attachment. The Message-ID is derived from the outbox id, so a
    message sent twice (a worker died before recording success) can be
    recognised as one by the receiving side."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = item.to_address
    msg["Subject"] = item.subject
    msg["Date"] = format_datetime(item.created_at)
    msg["Message-ID"] = f"<outbox-{item.id}.{int(item.created_at.timestamp())}@{_domain(sender)}>"
    # Quoted-printable: safe through any relay, even one without 8BITMIME.
    msg.set_content(item.body_text, cte="quoted-printable")
    if item.body_html:
        msg.add_alternative(item.body_html, subtype="html", cte="quoted-printable")
    if item.ics:
        method = ics_method(item.ics)
        msg.add_attachment(item.ics, subtype="calendar", filename=ICS_FILENAME,
                           params={"method": method} if method else None)
    return msg


def ics_method(ics: str) -> str | None:
    """The iTIP method of a calendar body (REQUEST, CANCEL, PUBLISH ...)."""
    for line in ics.splitlines():
        name, _, value = line.partition(":")
        if name.strip().upper() == "METHOD" and value.strip():
            return value.strip().upper()
    return None


def describe_error(exc: BaseException, secrets: tuple[str | None, ...] = ()) -> str:
    """A one-line account of a failure for ``last_error``: the server's reply
    where there is one; never a password, even if a server echoed it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "recipient refused: " + "; ".join(
            f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, MailServerUnavailable):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:MAX_ERROR_LENGTH]


def open_backend(config) -> SmtpBackend | ConsoleBackend:
    name = config.get("MAIL_BACKEND", "smtp")
    if name == "smtp":
        return SmtpBackend(config)
    if name == "console":
        return ConsoleBackend()
    raise ValueError(f"MAIL_BACKEND must be 'smtp' or 'console', not {name!r}")


class SmtpBackend:
    """One SMTP connection per run, opened on the first message and reused.
    After a failed message the connection is dropped and the next message
    opens a fresh one, so one bad reply cannot leave the session confused."""

    def __init__(self, config):
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.timeout = config.get("MAIL_TIMEOUT", 10)
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def secrets(self) -> tuple[str | None, ...]:
        return (self.password,)

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        self._smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        smtp = None
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            return smtp
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            raise MailServerUnavailable(
                f"cannot use SMTP server {self.host}:{self.port}: "
                + describe_error(exc, self.secrets)) from exc

    def reset(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.reset()


class ConsoleBackend:
    """Development: print the message instead of sending it."""

    secrets: tuple[str | None, ...] = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def send(self, message: EmailMessage) -> None:
        lines = ["----- e-mail (MAIL_BACKEND = console: printed, not sent) -----"]
        lines += [f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date")]
        lines.append("")
        text = message.get_body(("plain",))
        lines.append(text.get_content().rstrip("\n") if text else "")
        html = message.get_body(("html",))
        if html is not None:
            lines.append(f"[HTML alternative: {len(html.get_content())} characters]")
        for part in message.iter_attachments():
            lines.append(f"[Attachment {part.get_filename()}: {part.get('Content-Type')}]")
        lines.append("-----")
        click.echo("\n".join(lines))

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _domain(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return domain if domain and all(c.isalnum() or c in ".-" for c in domain) else "localhost"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
