"""Import the contract's six CSV files in one all-or-nothing transaction.

Each file is read in turn (agencies, people, courses, sessions, bookings,
training records). Rows are checked against what is already stored and what
earlier files in the same import bring; every problem is collected with its
file, line and column. Valid rows are written as we go (later files need
their ids), and the whole transaction is rolled back if anything was wrong,
so a bad import writes nothing.

Keys (agency names, sector names, e-mails, course codes, session refs) match
case-insensitively after trimming. Bookings and training records have no key
of their own: the n-th row with the same (session, person), or the same
(person, level, completed_on), updates the n-th such stored row.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Mapping

from flask import current_app
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from .. import audit
from ..agencies.models import Agency, Person, Role, Sector
from ..attendance.models import TrainingRecord
from ..bookings.models import ACTIVE_STATUSES, Attendance, Booking, BookingStatus
from ..courses.models import REF_PATTERN, Course, SessionStatus, TrainingSession, Venue
from ..extensions import db
from ..types import utcnow
from .csvfile import (
    CellError,
    FileSpec,
    ImportProblem,
    Row,
    decode,
    parse_date,
    parse_decimal,
    parse_email,
    parse_enum,
    parse_int,
    parse_level,
    read_rows,
)

SPECS = (
    FileSpec("agencies.csv", ("name", "sector"), ("compliance_target",)),
    FileSpec(
        "people.csv",
        ("email", "first_name", "last_name", "agency"),
        ("job_title", "required_level", "role"),
    ),
    FileSpec("courses.csv", ("code", "title", "duration_days"), ("level", "capacity")),
    FileSpec(
        "sessions.csv",
        ("ref", "course_code", "start_date", "capacity", "status"),
        ("end_date", "venue"),
    ),
    FileSpec("bookings.csv", ("session_ref", "email", "status"), ("attendance", "agency")),
    FileSpec("training_records.csv", ("email", "level", "completed_on"), ("provider", "title")),
)
FILE_NAMES = tuple(spec.name for spec in SPECS)
# Longest text each column can hold (the model's column lengths).
MAX_LENGTHS = {
    "agencies.csv": {"name": Agency.name, "sector": Sector.name},
    "people.csv": {"email": Person.email, "first_name": Person.first_name,
                   "last_name": Person.last_name, "job_title": Person.job_title},
    "courses.csv": {"code": Course.code, "title": Course.title},
    "sessions.csv": {"ref": TrainingSession.ref, "venue": Venue.name},
    "training_records.csv": {"provider": TrainingRecord.provider, "title": TrainingRecord.title},
}
# Upper bounds for whole numbers (a typo like 1000000 is caught, and no
# value overflows a database integer).
MAX_CAPACITY = 10_000
MAX_DURATION_DAYS = 365
# Rows per executemany when writing (bounds the memory a big file needs).
WRITE_CHUNK = 10_000
# The tables each file writes to (for ANALYZE after an import).
_TABLES = {
    "agencies.csv": (Sector.__tablename__, Agency.__tablename__),
    "people.csv": (Person.__tablename__,),
    "courses.csv": (Course.__tablename__,),
    "sessions.csv": (TrainingSession.__tablename__, Venue.__tablename__),
    "bookings.csv": (Booking.__tablename__,),
    "training_records.csv": (TrainingRecord.__tablename__,),
}


@dataclass
class FileResult:
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.file}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"


class ImportFailed(Exception):
    """The import wrote nothing; ``problems`` lists every error found."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems)


def read_directory(directory: str | Path) -> dict[str, bytes]:
    """The contract's files present in ``directory``, by name."""
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    return {name: (folder / name).read_bytes() for name in FILE_NAMES if (folder / name).is_file()}


def import_files(sources: Mapping[str, bytes], actor_id: int | None = None, *,
                 dry_run: bool = False, allow_admin: bool = True) -> list[FileResult]:
    """Import the given files (name -> raw bytes) and commit, or raise
    :class:`ImportFailed` having written nothing.

    ``dry_run`` is the web upload's preview: the import runs in full (so the
    counts and the problems are exactly those a real import would give),
    then is always rolled back. ``allow_admin=False`` (an uploader who is not
    an admin) makes a people.csv row that would create an admin account, or
    change an admin's details, an error: only admins give that role.
    """
    run = _ImportRun(actor_id, allow_admin)
    try:
        results = run.run(sources)
    except SQLAlchemyError as exc:
        # The checks above should leave nothing for the database to refuse;
        # if it does, the user still gets a message, not a trace.
        db.session.rollback()
        current_app.logger.exception("import refused by the database")
        run.report(1, "-", f"the database refused the import ({type(exc).__name__}); nothing was written")
        raise ImportFailed(run.problems) from exc
    if run.problems:
        db.session.rollback()
        raise ImportFailed(run.problems)
    if dry_run:
        db.session.rollback()
        return results
    audit.record(
        "import",
        actor_id=actor_id,
        files={r.file: [r.created, r.updated, r.unchanged] for r in results},
    )
    _refresh_statistics(results)
    db.session.commit()
    return results


def _refresh_statistics(results: list[FileResult]) -> None:
    """ANALYZE the tables an import changed, on PostgreSQL. Until autovacuum
    gets round to a freshly loaded table (up to a minute or so), the planner
    thinks it nearly empty and picks nested loops: the sectors report on
    250,000 imported bookings took 1.5 s instead of 0.2 s (docs/benchmarks.md).
    ANALYZE is transactional here and blocks no reads or writes."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    tables = [name for r in results if r.created or r.updated for name in _TABLES[r.file]]
    if tables:
        db.session.execute(text("ANALYZE " + ", ".join(tables)))


def parse_ref(value: str) -> str:
    """A session reference as the web uses it (it goes in URLs)."""
    if not REF_PATTERN.fullmatch(value):
        raise CellError(f"not a usable reference: '{value}' (use letters, digits, '.', '_' "
                        "and '-', starting with a letter or digit)")
    return value


def _key(value: str) -> str:
    return value.strip().lower()


def _changed(existing: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    return any(existing[name] != value for name, value in values.items())


class _ImportRun:
    """State of one import: lookup maps, problems, results."""

    def __init__(self, actor_id: int | None, allow_admin: bool = True):
        self.actor_id = actor_id
        self.allow_admin = allow_admin
        self.problems: list[ImportProblem] = []
        # Keys that rows in this import declared but could not store: other
        # files referring to them get no second, confusing error.
        self.broken: dict[str, set[str]] = defaultdict(set)
        self.unreadable: set[str] = set()
        self.file_index = 0
        self.file = ""

    # -- bookkeeping -----------------------------------------------------------
    def report(self, line: int, column: str, message: str) -> None:
        self.problems.append(ImportProblem(self.file_index, line, self.file, column, message))

    def run(self, sources: Mapping[str, bytes]) -> list[FileResult]:
        max_bytes = current_app.config["IMPORT_MAX_BYTES"]
        max_rows = current_app.config["IMPORT_MAX_ROWS"]
        handlers: dict[str, Callable[[list[Row], set[str]], FileResult]] = {
            "agencies.csv": self.agencies,
            "people.csv": self.people,
            "courses.csv": self.courses,
            "sessions.csv": self.sessions,
            "bookings.csv": self.bookings,
            "training_records.csv": self.training_records,
        }
        results = []
        for index, spec in enumerate(SPECS):
            if spec.name not in sources:
                continue
            self.file_index, self.file = index, spec.name
            data = sources[spec.name]
            if len(data) > max_bytes:
                self.report(1, "-", f"the file is larger than {max_bytes // (1024 * 1024)} MB; split it")
                self.unreadable.add(spec.name)
                continue
            text, line, message = decode(data)
            if text is None:
                self.report(line, "-", message)
                self.unreadable.add(spec.name)
                continue
            parsed = read_rows(spec, text, self.report, max_rows)
            if parsed is None:
                self.unreadable.add(spec.name)
                continue
            header, rows = parsed
            # Streamed, not listed: each handler reads its rows once, so a big
            # file's rows are never all held in memory as Row objects.
            results.append(handlers[spec.name](rows, set(header)))
        return results

    def cell(self, row: Row, column: str, parse=None, required: bool = False, default=None):
        """The typed value of a cell; reports a problem and returns
        ``CellError`` when it is unusable."""
        raw = row.get(column)
        if raw == "":
            if required:
                self.report(row.line, column, "a value is required")
                return CellError
            return default
        limit = MAX_LENGTHS.get(self.file, {}).get(column)
        if limit is not None and len(raw) > limit.type.length:
            self.report(row.line, column, f"is longer than {limit.type.length} characters")
            return CellError
        if parse is None:
            return raw
        try:
            return parse(raw)
        except CellError as exc:
            self.report(row.line, column, str(exc))
            return CellError

    def duplicate(self, seen: dict[str, int], key: str, row: Row, column: str) -> bool:
        if key in seen:
            self.report(row.line, column, f"duplicate of line {seen[key]}")
            return True
        seen[key] = row.line
        return False

    def lookup(self, kind: str, source_file: str, ids: Mapping[str, int], raw: str,
               row: Row, column: str, label: str) -> int | None:
        """Resolve a reference to an agency, person, course or session."""
        found = ids.get(_key(raw))
        if found is None and _key(raw) not in self.broken[kind] and source_file not in self.unreadable:
            self.report(row.line, column, f"unknown {label} '{raw}'")
        return found

    # -- agencies.csv ----------------------------------------------------------
    def agencies(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("agencies.csv")
        sectors = {_key(name): sid for sid, name in db.session.execute(select(Sector.id, Sector.name))}
        existing = {
            _key(a.name): a
            for a in db.session.execute(
                select(Agency.id, Agency.name, Agency.sector_id, Agency.compliance_target)
            )
        }
        seen: dict[str, int] = {}
        inserts, updates = [], []
        for row in rows:
            name = self.cell(row, "name", required=True)
            sector = self.cell(row, "sector", required=True)
            target = self.cell(row, "compliance_target", lambda v: parse_decimal(v, 0, 100, places=2))
            if name is not CellError and self.duplicate(seen, _key(name), row, "name"):
                continue
            if CellError in (name, sector, target):
                if name is not CellError:
                    self.broken["agency"].add(_key(name))
                continue
            if _key(sector) not in sectors:
                sectors[_key(sector)] = db.session.scalar(
                    insert(Sector).values(name=sector).returning(Sector.id)
                )
            values = {"name": name, "sector_id": sectors[_key(sector)]}
            if "compliance_target" in header:
                values["compliance_target"] = target
            self._upsert(existing.get(_key(name)), values, inserts, updates, result)
        self._write(Agency, inserts, updates)
        return result

    def _upsert(self, existing, values, inserts, updates, result: FileResult) -> None:
        if existing is None:
            inserts.append(values)
            result.created += 1
        elif _changed(existing._mapping, values):
            updates.append({"id": existing.id, **values})
            result.updated += 1
        else:
            result.unchanged += 1

    @staticmethod
    def _write(model, inserts: list[dict], updates: list[dict]) -> None:
        # Updates first, so a stored booking that stops being active frees
        # the (session, person) slot before a new active one is inserted.
        # Batches go in slices of WRITE_CHUNK rows, in order: one executemany
        # of 250,000 rows builds all its parameters at once (+300 MB).
        for batch in _by_keys(updates):
            for start in range(0, len(batch), WRITE_CHUNK):
                db.session.execute(update(model), batch[start:start + WRITE_CHUNK])
        # render_nulls: the ORM otherwise leaves None values out of the
        # INSERT, which splits a batch into one statement per run of rows
        # with the same blank cells (a round trip each on PostgreSQL). No
        # column given None here has a default, so the stored rows are the same.
        for batch in _by_keys(inserts):
            for start in range(0, len(batch), WRITE_CHUNK):
                db.session.execute(insert(model).execution_options(render_nulls=True),
                                   batch[start:start + WRITE_CHUNK])

    # -- people.csv ------------------------------------------------------------
    def people(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("people.csv")
        agencies = {_key(n): i for i, n in db.session.execute(select(Agency.id, Agency.name))}
        existing = {
            p.email: p
            for p in db.session.execute(
                select(Person.id, Person.email, Person.first_name, Person.last_name,
                       Person.agency_id, Person.job_title, Person.required_level, Person.role)
            )
        }
        seen: dict[str, int] = {}
        inserts, updates = [], []
        for row in rows:
            email = self.cell(row, "email", parse_email, required=True)
            first = self.cell(row, "first_name", required=True)
            last = self.cell(row, "last_name", required=True)
            agency = self.cell(row, "agency", required=True)
            level = self.cell(row, "required_level", parse_level)
            role = self.cell(row, "role", lambda v: parse_enum(v, Role), default=Role.PRACTITIONER)
            if email is not CellError and self.duplicate(seen, email, row, "email"):
                continue
            agency_id = None
            if agency is not CellError:
                agency_id = self.lookup("agency", "agencies.csv", agencies, agency, row, "agency", "agency")
            if CellError in (email, first, last, agency, level, role) or agency_id is None:
                if email is not CellError:
                    self.broken["person"].add(email)
                continue
            values = {"email": email, "first_name": first, "last_name": last, "agency_id": agency_id}
            job_title = self.cell(row, "job_title")
            if job_title is CellError:
                continue
            optional = {"job_title": job_title, "required_level": level, "role": role}
            values.update({k: v for k, v in optional.items() if k in header})
            stored = existing.get(email)
            if not self.allow_admin and values.get("role") is Role.ADMIN and (
                    stored is None or stored.role is not Role.ADMIN):
                self.report(row.line, "role", "only an administrator can give the admin role")
                self.broken["person"].add(email)
                continue
            if not self.allow_admin and stored is not None and stored.role is Role.ADMIN \
                    and _changed(stored._mapping, values):
                self.report(row.line, "email",
                            "this person is an administrator: only an administrator can change their details")
                continue
            self._upsert(stored, values, inserts, updates, result)
        self._write(Person, inserts, updates)
        return result

    # -- courses.csv -----------------------------------------------------------
    def courses(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("courses.csv")
        existing = {
            _key(c.code): c
            for c in db.session.execute(
                select(Course.id, Course.code, Course.title, Course.level,
                       Course.duration_days, Course.capacity)
            )
        }
        seen: dict[str, int] = {}
        inserts, updates = [], []
        for row in rows:
            code = self.cell(row, "code", required=True)
            title = self.cell(row, "title", required=True)
            level = self.cell(row, "level", parse_level)
            days = self.cell(row, "duration_days", lambda v: parse_int(v, 1, MAX_DURATION_DAYS),
                             required=True)
            capacity = self.cell(row, "capacity", lambda v: parse_int(v, 1, MAX_CAPACITY))
            if code is not CellError and self.duplicate(seen, _key(code), row, "code"):
                continue
            if CellError in (code, title, level, days, capacity):
                if code is not CellError:
                    self.broken["course"].add(_key(code))
                continue
            values = {"code": code, "title": title, "duration_days": days}
            optional = {"level": level, "capacity": capacity}
            values.update({k: v for k, v in optional.items() if k in header})
            self._upsert(existing.get(_key(code)), values, inserts, updates, result)
        self._write(Course, inserts, updates)
        return result

    # -- sessions.csv ----------------------------------------------------------
    def sessions(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("sessions.csv")
        courses = {
            _key(code): (cid, days)
            for cid, code, days in db.session.execute(
                select(Course.id, Course.code, Course.duration_days)
            )
        }
        course_ids = {k: v[0] for k, v in courses.items()}
        venues = {_key(n): i for i, n in db.session.execute(select(Venue.id, Venue.name))}
        existing = {
            _key(s.ref): s
            for s in db.session.execute(
                select(TrainingSession.id, TrainingSession.ref, TrainingSession.course_id,
                       TrainingSession.start_on, TrainingSession.end_on,
                       TrainingSession.venue_id, TrainingSession.capacity,
                       TrainingSession.status)
            )
        }
        seen: dict[str, int] = {}
        inserts, updates = [], []
        for row in rows:
            ref = self.cell(row, "ref", parse_ref, required=True)
            code = self.cell(row, "course_code", required=True)
            start = self.cell(row, "start_date", parse_date, required=True)
            end = self.cell(row, "end_date", parse_date)
            venue = self.cell(row, "venue")
            capacity = self.cell(row, "capacity", lambda v: parse_int(v, 0, MAX_CAPACITY),
                                 required=True)
            status = self.cell(row, "status", lambda v: parse_enum(v, SessionStatus), required=True)
            if ref is not CellError and self.duplicate(seen, _key(ref), row, "ref"):
                continue
            course = None
            if code is not CellError:
                course_id = self.lookup("course", "courses.csv", course_ids, code, row,
                                        "course_code", "course")
                course = courses.get(_key(code)) if course_id else None
            if start is not CellError and end not in (None, CellError) and end < start:
                self.report(row.line, "end_date",
                            f"end_date {end.isoformat()} is before start_date {start.isoformat()}")
                end = CellError
            if CellError in (ref, code, start, end, capacity, status) or course is None:
                if ref is not CellError:
                    self.broken["session"].add(_key(ref))
                continue
            if end is None:
                end = start + timedelta(days=course[1] - 1)
            venue_id = None
            if venue:
                if _key(venue) not in venues:
                    venues[_key(venue)] = db.session.scalar(
                        insert(Venue).values(name=venue).returning(Venue.id)
                    )
                venue_id = venues[_key(venue)]
            values = {"ref": ref, "course_id": course[0], "start_on": start, "end_on": end,
                      "capacity": capacity, "status": status}
            if "venue" in header:
                values["venue_id"] = venue_id
            self._upsert(existing.get(_key(ref)), values, inserts, updates, result)
        self._write(TrainingSession, inserts, updates)
        return result

    # -- bookings.csv ----------------------------------------------------------
    def bookings(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("bookings.csv")
        sessions = {
            _key(ref): (sid, status)
            for sid, ref, status in db.session.execute(
                select(TrainingSession.id, TrainingSession.ref, TrainingSession.status)
            )
        }
        people = {
            email: (pid, agency_id)
            for pid, email, agency_id in db.session.execute(
                select(Person.id, Person.email, Person.agency_id)
            )
        }
        session_ids = {k: v[0] for k, v in sessions.items()}
        person_ids = {k: v[0] for k, v in people.items()}
        agencies = {_key(n): i for i, n in db.session.execute(select(Agency.id, Agency.name))}
        stored: dict[tuple[int, int], list] = defaultdict(list)
        for b in db.session.execute(
            select(Booking.id, Booking.session_id, Booking.person_id, Booking.status,
                   Booking.attendance, Booking.agency_id, Booking.waitlist_order)
            .order_by(Booking.id)
        ):
            stored[(b.session_id, b.person_id)].append(b)
        queue_end: dict[int, int] = dict(
            db.session.execute(
                select(Booking.session_id, func.max(Booking.waitlist_order))
                .where(Booking.status == BookingStatus.WAITLISTED)
                .group_by(Booking.session_id)
            ).all()
        )

        # First pass: parse and resolve every row.
        parsed = []
        for row in rows:
            ref = self.cell(row, "session_ref", required=True)
            email = self.cell(row, "email", parse_email, required=True)
            status = self.cell(row, "status", lambda v: parse_enum(v, BookingStatus), required=True)
            attendance = self.cell(row, "attendance", lambda v: parse_enum(v, Attendance))
            agency = self.cell(row, "agency")
            session = person = None
            if ref is not CellError:
                sid = self.lookup("session", "sessions.csv", session_ids, ref, row, "session_ref", "session")
                session = sessions.get(_key(ref)) if sid else None
            if email is not CellError:
                pid = self.lookup("person", "people.csv", person_ids, email, row, "email", "person")
                person = people.get(email) if pid else None
            agency_id = None
            if agency:
                agency_id = self.lookup("agency", "agencies.csv", agencies, agency, row, "agency", "agency")
                if agency_id is None:
                    continue
            elif person is not None:
                agency_id = person[1]
                if agency_id is None:
                    self.report(row.line, "agency",
                                "the person has no agency: give the agency at the time of booking")
                    continue
            if CellError in (ref, email, status, attendance) or session is None or person is None:
                continue
            if attendance is not None:
                if status is not BookingStatus.CONFIRMED:
                    self.report(row.line, "attendance",
                                f"attendance is only recorded on a confirmed booking, not {status.value}")
                    continue
                if session[1] is not SessionStatus.COMPLETED:
                    self.report(row.line, "attendance",
                                f"attendance is only recorded on a completed session, not {session[1].value}")
                    continue
            parsed.append((row.line, session[0], person[0], status, attendance, agency_id))

        # Second pass: match the n-th row per (session, person) to the n-th
        # stored booking, and keep at most one active booking each.
        rows_per_pair = Counter((p[1], p[2]) for p in parsed)
        nth: dict[tuple[int, int], int] = defaultdict(int)
        active_line: dict[tuple[int, int], int | None] = {}
        inserts, updates = [], []
        for line, session_id, person_id, status, attendance, agency_id in parsed:
            pair = (session_id, person_id)
            index = nth[pair]
            nth[pair] += 1
            matches = stored.get(pair, [])
            existing = matches[index] if index < len(matches) else None
            if pair not in active_line:
                # Stored bookings that no row of this file will update.
                leftover = [b for b in matches[rows_per_pair[pair]:] if b.status in ACTIVE_STATUSES]
                active_line[pair] = 0 if leftover else None
            if status in ACTIVE_STATUSES:
                if active_line[pair] is not None:
                    where = f" (line {active_line[pair]})" if active_line[pair] else " already stored"
                    self.report(line, "status",
                                f"a second active booking for this person and session{where}")
                    continue
                active_line[pair] = line
            values = {"session_id": session_id, "person_id": person_id, "status": status,
                      "attendance": attendance, "agency_id": agency_id}
            if existing is not None and not _changed(existing._mapping, values):
                result.unchanged += 1
                continue
            keeps_place = (existing is not None and existing.status is BookingStatus.WAITLISTED
                           and status is BookingStatus.WAITLISTED)
            if status is BookingStatus.WAITLISTED and not keeps_place:
                queue_end[session_id] = (queue_end.get(session_id) or 0) + 1
                values["waitlist_order"] = queue_end[session_id]
            elif status is not BookingStatus.WAITLISTED:
                values["waitlist_order"] = None
            values["cancelled_at"] = None if status in ACTIVE_STATUSES else utcnow()
            if existing is None:
                inserts.append({**values, "source": "import"})
                result.created += 1
            else:
                updates.append({"id": existing.id, **values})
                result.updated += 1
        # Deactivate before activating: the one-active-booking index is
        # checked row by row.
        updates.sort(key=lambda values: values["status"] in ACTIVE_STATUSES)
        self._write(Booking, inserts, updates)
        return result

    # -- training_records.csv --------------------------------------------------
    def training_records(self, rows: list[Row], header: set[str]) -> FileResult:
        result = FileResult("training_records.csv")
        people = dict(db.session.execute(select(Person.email, Person.id)).all())
        stored: dict[tuple, list] = defaultdict(list)
        for r in db.session.execute(
            select(TrainingRecord.id, TrainingRecord.person_id, TrainingRecord.level,
                   TrainingRecord.completed_on, TrainingRecord.provider, TrainingRecord.title)
            .order_by(TrainingRecord.id)
        ):
            stored[(r.person_id, r.level, r.completed_on)].append(r)
        nth: dict[tuple, int] = defaultdict(int)
        inserts, updates = [], []
        for row in rows:
            email = self.cell(row, "email", parse_email, required=True)
            level = self.cell(row, "level", parse_level, required=True)
            completed = self.cell(row, "completed_on", parse_date, required=True)
            provider = self.cell(row, "provider")
            title = self.cell(row, "title")
            person_id = None
            if email is not CellError:
                person_id = self.lookup("person", "people.csv", people, email, row, "email", "person")
            if CellError in (email, level, completed, provider, title) or person_id is None:
                continue
            key = (person_id, level, completed)
            index = nth[key]
            nth[key] += 1
            matches = stored.get(key, [])
            values = {"person_id": person_id, "level": level, "completed_on": completed}
            if "provider" in header:
                values["provider"] = provider
            if "title" in header:
                values["title"] = title
            self._upsert(matches[index] if index < len(matches) else None,
                         values, inserts, updates, result)
        for values in inserts:
            values["source"] = "import"
        self._write(TrainingRecord, inserts, updates)
        return result


def _by_keys(rows: list[dict]) -> list[list[dict]]:
    """Split rows into batches that share the same keys (executemany needs
    one statement shape per batch)."""
    batches: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        batches[tuple(sorted(row))].append(row)
    return list(batches.values())
