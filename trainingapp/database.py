"""Engine behaviour that the rest of the app relies on.

SQLite is the embedded default. Several gunicorn workers write to the same
file, so each connection gets WAL (readers never block the writer), foreign
keys and a busy timeout. Python's sqlite3 driver starts transactions lazily
with a plain ``BEGIN`` (DEFERRED): two workers may both read, then both try
to upgrade to a write lock, and one fails at once with "database is locked"
whatever the busy timeout. Measured: 172 of 200 concurrent bookings failed
that way (shared/reliability.md). So we switch the driver's own transaction
handling off and begin every transaction with ``BEGIN IMMEDIATE``, which takes
the write lock up front and waits politely (busy timeout) for it.
This is SQLAlchemy's documented pysqlite recipe.

Requests that only read (GET and HEAD, which never change data here) begin
a plain deferred transaction instead: a reader in WAL mode takes no lock,
so rendering a long page never holds up a booking in another worker. A
read transaction that must write after all (the audit entry of a refused
request) ends its read first, see ``access.deny``.

On PostgreSQL the booking service locks the session row instead.
"""
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if has_request_context() and request.method in READ_ONLY_METHODS:
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
