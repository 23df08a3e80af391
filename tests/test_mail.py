"""The outbox and its sender, against a real SMTP server (aiosmtpd) on
127.0.0.1: messages commit or roll back with their cause, are delivered once,
survive a server that is down or says "try later", and give up in the end."""
from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select, update

from trainingapp import create_app
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from trainingapp.mail.services import deliver_due, queue_mail, retry_delay, send_after_commit
from trainingapp.types import utcnow

SENDER = "Safeguarding Training <training@example.org>"
AWKWARD_NAME = "<script>alert(1)</script> O'Brien Zoë"
INVITE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
          "BEGIN:VEVENT\r\nUID:session-42@example.org\r\nDTSTAMP:20250101T090000Z\r\n"
          "DTSTART:20250110T093000Z\r\nDTEND:20250110T123000Z\r\nSUMMARY:Level 2\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n")


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; it can answer
    "451 try later" to the first ``refuse`` DATA commands."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.received: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def messages(self):
        return [message for _, message in self.received]


class SmtpServer:
    """A port on 127.0.0.1 the app is configured to use; nothing listens on
    it until ``start()``."""

    def __init__(self, port: int):
        self.port = port
        self.controller: Controller | None = None

    def start(self, inbox: Inbox | None = None, **kwargs) -> Inbox:
        inbox = inbox or Inbox()
        self.controller = Controller(inbox, hostname="127.0.0.1", port=self.port,
                                     server_hostname="mail.test", **kwargs)
        self.controller.start()
        return inbox

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    server = SmtpServer(_free_port())
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_TIMEOUT=5, MAIL_DEFAULT_SENDER=SENDER)
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp.start()


def queue(to="ann@example.org", subject="Test message", **kwargs) -> OutboxMessage:
    return queue_mail(to, "test_message", subject, **kwargs)


def queued_and_committed(**kwargs) -> int:
    message = queue(**kwargs)
    db.session.commit()
    return message.id


def outbox(message_id: int) -> OutboxMessage:
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def make_due(message_id: int) -> None:
    """As if the back-off had passed."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_message_rolls_back_with_the_change_that_caused_it(ctx, inbox):
    queue()
    db.session.rollback()

    assert outbox_count() == 0
    assert send_after_commit() == (0, 0)
    assert deliver_due() == (0, 0)
    assert inbox.messages == []


def test_a_committed_message_is_delivered_once(ctx, inbox):
    message_id = queued_and_committed(to="ann@example.org", subject="Your booking", name="Ann")

    assert deliver_due() == (1, 0)
    assert deliver_due() == (0, 0)

    [(recipients, message)] = inbox.received
    assert recipients == ["ann@example.org"]
    assert message["To"] == "ann@example.org"
    assert message["From"] == SENDER
    assert message["Subject"] == "Your booking"
    assert message["Message-ID"].endswith("@example.org>")
    assert "Hello Ann," in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Ann," in html
    assert ctx.config["BOARD_NAME"] in html
    row = outbox(message_id)
    assert row.sent_at is not None and row.failed_at is None
    assert row.attempts == 1


def test_send_after_commit_delivers_only_what_this_context_queued(ctx, inbox):
    db.session.add(OutboxMessage(to_address="old@example.org", subject="Older",
                                 body_text="queued by another request"))
    queue(to="new@example.org")
    db.session.commit()

    assert send_after_commit() == (1, 0)
    assert [m["To"] for m in inbox.messages] == ["new@example.org"]
    assert send_after_commit() == (0, 0)
    assert deliver_due() == (1, 0)  # the cron's job
    assert [m["To"] for m in inbox.messages] == ["new@example.org", "old@example.org"]


def test_send_after_commit_never_commits_the_callers_work(ctx, inbox):
    queued_and_committed(to="first@example.org")
    queue(to="second@example.org")  # the caller forgot to commit this one

    assert send_after_commit() == (0, 0)
    db.session.rollback()

    assert inbox.messages == []
    assert outbox_count() == 1
    assert deliver_due() == (1, 0)  # the committed one is left for send-mail
    assert [m["To"] for m in inbox.messages] == ["first@example.org"]


def test_a_message_survives_a_server_that_is_down_and_is_sent_later(ctx, smtp):
    message_id = queued_and_committed()

    assert send_after_commit() == (0, 1)  # nothing listens on the port yet

    row = outbox(message_id)
    assert (row.attempts, row.sent_at, row.failed_at) == (1, None, None)
    assert row.next_attempt_at > utcnow()
    assert "cannot use SMTP server" in row.last_error
    inbox = smtp.start()
    assert deliver_due() == (0, 0)  # not due yet
    make_due(message_id)
    assert deliver_due() == (1, 0)
    assert len(inbox.messages) == 1
    assert outbox(message_id).sent_at is not None


def test_try_later_from_the_server_is_retried_after_a_minute(ctx, smtp):
    inbox = smtp.start(Inbox(refuse=1))
    message_id = queued_and_committed()

    before = utcnow()
    assert deliver_due() == (0, 1)

    row = outbox(message_id)
    assert row.attempts == 1 and row.sent_at is None
    assert "451" in row.last_error and "Try again later" in row.last_error
    assert before + timedelta(seconds=59) <= row.next_attempt_at <= utcnow() + timedelta(minutes=1)
    make_due(message_id)
    assert deliver_due() == (1, 0)
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("attempts, minutes", [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)])
def test_retries_back_off_exponentially_up_to_an_hour(attempts, minutes):
    assert retry_delay(attempts) == timedelta(minutes=minutes)


def test_a_message_is_given_up_after_max_attempts(ctx, smtp):
    ctx.config["MAIL_MAX_ATTEMPTS"] = 3
    message_id = queued_and_committed()

    for attempt in (1, 2, 3):
        make_due(message_id)
        assert deliver_due() == (0, 1)
        assert outbox(message_id).attempts == attempt

    row = outbox(message_id)
    assert row.failed_at is not None and row.sent_at is None
    make_due(message_id)
    smtp.start()
    assert deliver_due() == (0, 0)


def test_one_unreachable_server_fails_the_whole_run_at_once(ctx, smtp):
    for n in range(3):
        queue(to=f"p{n}@example.org")
    db.session.commit()

    assert deliver_due() == (0, 3)
    assert db.session.scalar(select(func.sum(OutboxMessage.attempts))) == 3


def test_login_uses_the_configured_account_and_never_stores_the_password(ctx, smtp):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"trainer", b"right-password")
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535

    inbox = smtp.start(authenticator=authenticator, auth_require_tls=False)
    ctx.config.update(MAIL_USERNAME="trainer", MAIL_PASSWORD="wrong-password")
    message_id = queued_and_committed()

    assert deliver_due() == (0, 1)
    error = outbox(message_id).last_error
    assert "535" in error and "wrong-password" not in error
    ctx.config["MAIL_PASSWORD"] = "right-password"
    make_due(message_id)
    assert deliver_due() == (1, 0)
    assert len(inbox.messages) == 1


def test_the_console_backend_prints_instead_of_sending(ctx, capsys):
    ctx.config["MAIL_BACKEND"] = "console"
    message_id = queued_and_committed(to="ann@example.org", subject="Reset your password",
                                      name="Ann")

    assert send_after_commit() == (1, 0)

    out = capsys.readouterr().out
    assert "To: ann@example.org" in out
    assert "Subject: Reset your password" in out
    assert "Hello Ann," in out
    assert "[HTML alternative" in out
    assert outbox(message_id).sent_at is not None


def test_a_calendar_invite_is_attached(ctx, inbox):
    queued_and_committed(ics=INVITE)

    assert deliver_due() == (1, 0)

    [message] = inbox.messages
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content().splitlines() == INVITE.splitlines()


def test_names_are_escaped_in_html_and_exact_in_text(ctx, inbox):
    queued_and_committed(subject=f"Booking for {AWKWARD_NAME}", name=AWKWARD_NAME)

    assert deliver_due() == (1, 0)

    [message] = inbox.messages
    assert message["Subject"] == f"Booking for {AWKWARD_NAME}"
    assert f"Hello {AWKWARD_NAME}," in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien Zoë" in html


def test_a_subject_stays_on_one_line_and_fits_its_column(ctx):
    message = queue(subject="Line one\r\nBcc: everyone@example.org " + "x" * 300)

    assert "\n" not in message.subject and "\r" not in message.subject
    assert len(message.subject) == 200
    with pytest.raises(ValueError):
        queue(to="ann@example.org\r\nBcc: everyone@example.org")


def test_two_workers_at_once_send_each_message_once(app, inbox):
    with app.app_context():
        for n in range(30):
            queue(to=f"p{n}@example.org")
        db.session.commit()
    results = []

    def worker():
        with app.app_context():
            results.append(deliver_due())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent for sent, _ in results) == 30
    assert sum(failed for _, failed in results) == 0
    recipients = sorted(m["To"] for m in inbox.messages)
    assert recipients == sorted(f"p{n}@example.org" for n in range(30))


def test_send_mail_command_delivers_and_reports(ctx, runner, inbox):
    queue(), queue(to="bob@example.org")
    db.session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.output == "2 sent, 0 failed\n"
    assert len(inbox.messages) == 2
    assert runner.invoke(args=["send-mail"]).output == "0 sent, 0 failed\n"


def test_send_mail_loop_runs_until_stopped(ctx, runner, inbox, monkeypatch):
    class Stop(Exception):
        pass

    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        raise Stop

    queue()
    db.session.commit()
    monkeypatch.setattr(time, "sleep", sleep)

    result = runner.invoke(args=["send-mail", "--loop", "--interval", "5"])

    assert isinstance(result.exception, Stop)
    assert result.output == "1 sent, 0 failed\n"
    assert pauses == [5.0]
    assert len(inbox.messages) == 1


def test_send_test_mail_command(ctx, runner, smtp):
    result = runner.invoke(args=["send-test-mail", "ann@example.org"])
    assert result.exit_code == 1
    assert "not sent" in result.output and "send-mail will retry" in result.output

    inbox = smtp.start()
    result = runner.invoke(args=["send-test-mail", "bob@example.org"])
    assert result.exit_code == 0, result.output
    assert result.output == "Test message sent to bob@example.org\n"
    [message] = inbox.messages
    assert message["Subject"].startswith("Test message from ")


def test_mail_settings_come_from_the_environment(monkeypatch):
    for name, value in [("MAIL_SERVER", "smtp.example.org"), ("MAIL_PORT", "587"),
                        ("MAIL_USE_TLS", "true"), ("MAIL_USERNAME", "trainer"),
                        ("MAIL_PASSWORD", "secret"), ("MAIL_DEFAULT_SENDER", SENDER),
                        ("MAIL_TIMEOUT", "20"), ("MAIL_MAX_ATTEMPTS", "5"),
                        ("MAIL_BACKEND", "console")]:
        monkeypatch.setenv(name, value)

    config = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config

    assert (config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_USE_TLS"]) == \
        ("smtp.example.org", 587, True)
    assert (config["MAIL_USERNAME"], config["MAIL_PASSWORD"]) == ("trainer", "secret")
    assert (config["MAIL_DEFAULT_SENDER"], config["MAIL_TIMEOUT"]) == (SENDER, 20)
    assert (config["MAIL_MAX_ATTEMPTS"], config["MAIL_BACKEND"]) == (5, "console")
    monkeypatch.setenv("MAIL_USE_TLS", "off")
    assert create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}) \
        .config["MAIL_USE_TLS"] is False


@pytest.mark.parametrize("name, value", [("MAIL_PORT", "twenty-five"), ("MAIL_USE_TLS", "maybe")])
def test_a_mistyped_mail_setting_stops_the_app(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
