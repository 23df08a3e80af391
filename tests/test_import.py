"""The bulk import of contract section 4: every error kind writes nothing."""
from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from trainingapp.agencies.models import Agency, Person, Role, Sector
from trainingapp.attendance.models import TrainingRecord
from trainingapp.bookings.models import Attendance, Booking, BookingStatus
from trainingapp.courses.models import Course, TrainingSession, Venue
from trainingapp.extensions import db
from trainingapp.reports import queries

MODELS = (Sector, Agency, Person, Course, Venue, TrainingSession, Booking, TrainingRecord)

GOOD = {
    "agencies.csv": """\
        name,sector,compliance_target
        Northtown NSPCC,Voluntary Sector,87.5
        Northtown Police,Police,
        """,
    "people.csv": """\
        email,first_name,last_name,agency,job_title,required_level,role
        ann@example.org,Ann,Able,northtown nspcc,Family worker,2,
        bob@example.org,Bob,Bee,Northtown Police,Sergeant,3,coordinator
        cat@example.org,Cat,Cole,Northtown Police,,,
        """,
    "courses.csv": """\
        code,title,level,duration_days,capacity
        WT,Working Together,3,2,40
        SR,Safer Recruitment,,1,
        """,
    "sessions.csv": """\
        ref,course_code,start_date,end_date,venue,capacity,status
        WT-1,wt,2011-05-03,,Town Hall,2,completed
        WT-2,WT,2011-06-03,2011-06-10,town hall,2,scheduled
        SR-1,SR,2011-07-01,,,20,cancelled
        """,
    "bookings.csv": """\
        session_ref,email,status,attendance,agency
        WT-1,ann@example.org,confirmed,attended,
        WT-1,bob@example.org,confirmed,partial,Northtown NSPCC
        WT-2,ann@example.org,waitlisted,,
        WT-2,bob@example.org,waitlisted,,
        WT-2,cat@example.org,cancelled,,
        WT-2,cat@example.org,confirmed,,
        """,
    "training_records.csv": """\
        email,level,completed_on,provider,title
        ann@example.org,2,2012-02-29,NHS e-learning,Level 2 update
        ann@example.org,2,2012-02-29,NHS e-learning,Level 2 update
        """,
}


def write(folder, files: dict[str, str]):
    for name, body in files.items():
        (folder / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def counts() -> dict[str, int]:
    db.session.rollback()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def run_import(runner, folder):
    return runner.invoke(args=["import-data", str(folder)])


def ok_lines(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_good_folder_imports_and_prints_one_line_per_file(runner, ctx, tmp_path):
    result = run_import(runner, write(tmp_path, GOOD))

    assert ok_lines(result) == [
        "agencies.csv: 2 created, 0 updated, 0 unchanged",
        "people.csv: 3 created, 0 updated, 0 unchanged",
        "courses.csv: 2 created, 0 updated, 0 unchanged",
        "sessions.csv: 3 created, 0 updated, 0 unchanged",
        "bookings.csv: 6 created, 0 updated, 0 unchanged",
        "training_records.csv: 2 created, 0 updated, 0 unchanged",
    ]
    assert db.session.scalar(select(func.count()).select_from(Sector)) == 2
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 1  # matched ignoring case
    nspcc = db.session.scalar(select(Agency).where(Agency.name == "Northtown NSPCC"))
    assert nspcc.compliance_target == Decimal("87.5")
    bob = db.session.scalar(select(Person).where(Person.email == "bob@example.org"))
    assert (bob.role, bob.required_level, bob.job_title) == (Role.COORDINATOR, 3, "Sergeant")
    cat = db.session.scalar(select(Person).where(Person.email == "cat@example.org"))
    assert (cat.role, cat.required_level, cat.job_title) == (Role.PRACTITIONER, None, None)


def test_defaults_end_date_and_booking_agency(runner, ctx, tmp_path):
    ok_lines(run_import(runner, write(tmp_path, GOOD)))

    wt1 = db.session.scalar(select(TrainingSession).where(TrainingSession.ref == "WT-1"))
    assert (wt1.start_on, wt1.end_on) == (date(2011, 5, 3), date(2011, 5, 4))  # 2-day course
    bookings = db.session.scalars(select(Booking).where(Booking.session_id == wt1.id)
                                  .order_by(Booking.id)).all()
    assert [b.agency.name for b in bookings] == ["Northtown NSPCC", "Northtown NSPCC"]
    assert [b.person.agency.name for b in bookings] == ["Northtown NSPCC", "Northtown Police"]


def test_waitlisted_rows_queue_in_file_order_behind_those_already_waiting(runner, ctx, tmp_path):
    ok_lines(run_import(runner, write(tmp_path, GOOD)))
    more = tmp_path / "more"
    more.mkdir()
    write(more, {
        "people.csv": "email,first_name,last_name,agency\ndan@example.org,Dan,Dee,Northtown Police\n",
        "bookings.csv": "session_ref,email,status\nwt-2,DAN@example.org,WAITLISTED\n",
    })
    ok_lines(run_import(runner, more))

    session = db.session.scalar(select(TrainingSession).where(TrainingSession.ref == "WT-2"))
    rows = queries.delegates(session.id)
    assert [(r.email, r.waitlist_position) for r in rows if r.status is BookingStatus.WAITLISTED] == [
        ("ann@example.org", 1), ("bob@example.org", 2), ("dan@example.org", 3)]


def test_reimporting_the_same_folder_changes_nothing(runner, ctx, tmp_path):
    folder = write(tmp_path, GOOD)
    ok_lines(run_import(runner, folder))
    before = counts()
    report_before = queries.activity(None, None)

    lines = ok_lines(run_import(runner, folder))

    assert all(" 0 created, 0 updated, " in line for line in lines)
    assert lines[4] == "bookings.csv: 0 created, 0 updated, 6 unchanged"
    assert lines[5] == "training_records.csv: 0 created, 0 updated, 2 unchanged"
    assert counts() == before
    assert queries.activity(None, None) == report_before


def test_reimport_updates_by_key_and_nth_row_and_never_deletes(runner, ctx, tmp_path):
    ok_lines(run_import(runner, write(tmp_path, GOOD)))
    second = tmp_path / "second"
    second.mkdir()
    write(second, {
        "agencies.csv": (
            "name,sector\n"
            "Northtown Police,Police\n"            # unchanged
            "NORTHTOWN NSPCC,Voluntary Sector\n"   # matched; new spelling -> updated
        ),
        "people.csv": (
            "email,first_name,last_name,agency,required_level\n"
            "Ann@Example.org,Ann,Able-Smith,Northtown Police,\n"  # moved agency, level cleared
        ),
        "bookings.csv": (
            "session_ref,email,status,attendance\n"
            "WT-2,cat@example.org,cancelled,\n"          # 1st stored: unchanged
            "WT-2,cat@example.org,late_cancelled,\n"     # 2nd stored: updated
            "WT-2,cat@example.org,confirmed,\n"          # 3rd: created
        ),
        "training_records.csv": (
            "email,level,completed_on,provider\n"
            "ann@example.org,2,2012-02-29,NHS e-learning\n"   # 1st: unchanged (no title column)
            "ann@example.org,2,2012-02-29,Council\n"          # 2nd: updated
            "ann@example.org,2,2012-02-29,Council\n"          # 3rd: created
        ),
    })

    lines = ok_lines(run_import(runner, second))

    assert lines == [
        "agencies.csv: 0 created, 1 updated, 1 unchanged",
        "people.csv: 0 created, 1 updated, 0 unchanged",
        "bookings.csv: 1 created, 1 updated, 1 unchanged",
        "training_records.csv: 1 created, 1 updated, 1 unchanged",
    ]
    ann = db.session.scalar(select(Person).where(Person.email == "ann@example.org"))
    assert (ann.last_name, ann.agency.name, ann.required_level, ann.job_title) == (
        "Able-Smith", "Northtown Police", None, "Family worker")
    # Her old bookings keep the agency she booked from.
    assert {b.agency.name for b in db.session.scalars(
        select(Booking).where(Booking.person_id == ann.id))} == {"NORTHTOWN NSPCC"}
    assert counts()["Agency"] == 2 and counts()["Course"] == 2
    nspcc = db.session.scalar(select(Agency).where(Agency.name == "NORTHTOWN NSPCC"))
    assert nspcc.compliance_target == Decimal("87.5")  # column absent: kept


def test_bom_blank_lines_and_case_insensitive_headers_and_values(runner, ctx, tmp_path):
    (tmp_path / "agencies.csv").write_bytes(
        "\ufeff NAME , Sector ,COMPLIANCE_TARGET\r\n\r\nZoë's Nursery,Private Sector,90\r\n\r\n"
        .encode("utf-8"))
    (tmp_path / "courses.csv").write_text("Code,Title,Duration_Days\nX1,X,1\n")
    (tmp_path / "sessions.csv").write_text(
        "ref,course_code,start_date,capacity,status\nX1-A,x1,2011-05-01,5,COMPLETED\n")

    assert ok_lines(run_import(runner, tmp_path))[0] == "agencies.csv: 1 created, 0 updated, 0 unchanged"
    assert db.session.scalar(select(Agency.name)) == "Zoë's Nursery"


# -- errors: each one writes nothing ----------------------------------------------

def assert_fails_with(runner, folder, *expected: str):
    before = counts()
    result = run_import(runner, folder)
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.count(":") >= 3]
    for line in expected:
        assert line in errors, f"{line!r} not in {errors}"
    assert counts() == before
    return errors


def with_changes(**changes: str) -> dict[str, str]:
    files = dict(GOOD)
    for name, body in changes.items():
        files[name.replace("_csv", ".csv")] = body
    return files


@pytest.mark.parametrize("files, expected", [
    ({"agencies.csv": "name\nA\n"},
     "agencies.csv:1: sector: required column is missing from the header row"),
    ({"agencies.csv": "name,sector,colour\nA,Health,red\n"},
     "agencies.csv:1: colour: unknown column (expected: name, sector, compliance_target)"),
    ({"agencies.csv": "name,sector\nA,\n"},
     "agencies.csv:2: sector: a value is required"),
    ({"agencies.csv": "name,sector,compliance_target\nA,Health,lots\n"},
     "agencies.csv:2: compliance_target: not a number: 'lots'"),
    ({"agencies.csv": "name,sector,compliance_target\nA,Health,100.5\n"},
     "agencies.csv:2: compliance_target: must be between 0 and 100"),
    ({"agencies.csv": "name,sector\nA,Health\n\n a ,Police\n"},
     "agencies.csv:4: name: duplicate of line 2"),
])
def test_agency_errors(runner, ctx, tmp_path, files, expected):
    assert_fails_with(runner, write(tmp_path, files), expected)


@pytest.mark.parametrize("changes, expected", [
    ({"people_csv": "email,first_name,last_name,agency\nnot-an-email,A,B,Northtown Police\n"},
     "people.csv:2: email: not an e-mail address: 'not-an-email'"),
    ({"people_csv": "email,first_name,last_name,agency\nx@example.org,A,B,Southtown Police\n"},
     "people.csv:2: agency: unknown agency 'Southtown Police'"),
    ({"people_csv": "email,first_name,last_name,agency,required_level\nx@example.org,A,B,Northtown Police,4\n"},
     "people.csv:2: required_level: unknown level '4': use 1, 2 or 3"),
    ({"people_csv": "email,first_name,last_name,agency,role\nx@example.org,A,B,Northtown Police,boss\n"},
     "people.csv:2: role: unknown value 'boss': use one of admin, coordinator, trainer, agency_manager, practitioner"),
    ({"people_csv": "email,first_name,last_name,agency\nx@example.org,A,B,Northtown Police\nX@EXAMPLE.ORG,C,D,Northtown Police\n"},
     "people.csv:3: email: duplicate of line 2"),
    ({"courses_csv": "code,title,duration_days\nWT,Working Together,0\n"},
     "courses.csv:2: duration_days: must be between 1 and 365"),
    ({"courses_csv": "code,title,duration_days\nWT,Working Together,1.5\n"},
     "courses.csv:2: duration_days: not a whole number: '1.5'"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,WT,2011-02-30,5,completed\n"},
     "sessions.csv:2: start_date: not a date: '2011-02-30' (use YYYY-MM-DD)"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,WT,03/05/2011,5,completed\n"},
     "sessions.csv:2: start_date: not a date: '03/05/2011' (use YYYY-MM-DD)"),
    ({"sessions_csv": "ref,course_code,start_date,end_date,capacity,status\nX,WT,2011-05-03,2011-05-02,5,completed\n"},
     "sessions.csv:2: end_date: end_date 2011-05-02 is before start_date 2011-05-03"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,NOPE,2011-05-03,5,completed\n"},
     "sessions.csv:2: course_code: unknown course 'NOPE'"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,WT,2011-05-03,5,done\n"},
     "sessions.csv:2: status: unknown value 'done': use one of scheduled, cancelled, completed"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,WT,2011-05-03,many,completed\n"},
     "sessions.csv:2: capacity: not a whole number: 'many'"),
    ({"bookings_csv": "session_ref,email,status\nNOPE,ann@example.org,confirmed\n"},
     "bookings.csv:2: session_ref: unknown session 'NOPE'"),
    ({"bookings_csv": "session_ref,email,status\nWT-1,zed@example.org,confirmed\n"},
     "bookings.csv:2: email: unknown person 'zed@example.org'"),
    ({"bookings_csv": "session_ref,email,status,agency\nWT-1,ann@example.org,confirmed,Nowhere\n"},
     "bookings.csv:2: agency: unknown agency 'Nowhere'"),
    ({"bookings_csv": "session_ref,email,status\nWT-1,ann@example.org,booked\n"},
     "bookings.csv:2: status: unknown value 'booked': use one of confirmed, waitlisted, cancelled, late_cancelled"),
    ({"bookings_csv": "session_ref,email,status,attendance\nWT-1,ann@example.org,confirmed,yes\n"},
     "bookings.csv:2: attendance: unknown value 'yes': use one of attended, partial, did_not_attend"),
    ({"bookings_csv": "session_ref,email,status\nWT-1,ann@example.org,confirmed\nwt-1,ANN@example.org,waitlisted\n"},
     "bookings.csv:3: status: a second active booking for this person and session (line 2)"),
    ({"bookings_csv": "session_ref,email,status,attendance\nWT-1,ann@example.org,late_cancelled,attended\n"},
     "bookings.csv:2: attendance: attendance is only recorded on a confirmed booking, not late_cancelled"),
    ({"bookings_csv": "session_ref,email,status,attendance\nWT-2,ann@example.org,confirmed,attended\n"},
     "bookings.csv:2: attendance: attendance is only recorded on a completed session, not scheduled"),
    ({"training_records_csv": "email,level,completed_on\nann@example.org,0,2012-01-01\n"},
     "training_records.csv:2: level: unknown level '0': use 1, 2 or 3"),
    ({"training_records_csv": "email,level,completed_on\nann@example.org,1,\n"},
     "training_records.csv:2: completed_on: a value is required"),
    ({"training_records_csv": "email,level,completed_on\nnobody@example.org,1,2012-01-01\n"},
     "training_records.csv:2: email: unknown person 'nobody@example.org'"),
])
def test_row_errors_in_an_otherwise_good_folder(runner, ctx, tmp_path, changes, expected):
    assert_fails_with(runner, write(tmp_path, with_changes(**changes)), expected)


def test_second_active_booking_against_a_stored_one(runner, ctx, tmp_path):
    ok_lines(run_import(runner, write(tmp_path, GOOD)))
    again = tmp_path / "again"
    again.mkdir()
    # ann's 1st WT-2 row updates her stored waitlisted booking; a 2nd active
    # one would be a second active booking.
    write(again, {"bookings.csv": "session_ref,email,status\n"
                                  "WT-2,ann@example.org,waitlisted\n"
                                  "WT-2,ann@example.org,confirmed\n"})
    assert_fails_with(runner, again,
                      "bookings.csv:3: status: a second active booking for this person and session (line 2)")
    # cat has cancelled + confirmed stored; a file naming her once updates the
    # cancelled one, and making it active clashes with the stored confirmed one.
    write(again, {"bookings.csv": "session_ref,email,status\nWT-2,cat@example.org,waitlisted\n"})
    assert_fails_with(runner, again,
                      "bookings.csv:2: status: a second active booking for this person and session already stored")


def test_every_error_is_reported_with_lines_counting_blank_ones(runner, ctx, tmp_path):
    files = with_changes(
        agencies_csv="name,sector,compliance_target\n\nA,Health,x\n\nB,,\n",
        courses_csv="code,title,level,duration_days\nWT,Working Together,5,two\n",
    )
    errors = assert_fails_with(
        runner, write(tmp_path, files),
        "agencies.csv:3: compliance_target: not a number: 'x'",
        "agencies.csv:5: sector: a value is required",
        "courses.csv:2: level: unknown level '5': use 1, 2 or 3",
        "courses.csv:2: duration_days: not a whole number: 'two'",
    )
    # Files are reported in import order, lines in file order.
    assert errors.index("agencies.csv:5: sector: a value is required") < errors.index(
        "courses.csv:2: level: unknown level '5': use 1, 2 or 3")


def test_a_row_that_failed_is_not_reported_again_where_referenced(runner, ctx, tmp_path):
    files = with_changes(courses_csv="code,title,level,duration_days\nWT,Working Together,9,2\nSR,Safer,,1\n")
    errors = assert_fails_with(runner, write(tmp_path, files),
                               "courses.csv:2: level: unknown level '9': use 1, 2 or 3")
    assert not any("unknown course" in e for e in errors)


def test_non_utf8_file_asks_for_utf8_and_names_the_line(runner, ctx, tmp_path):
    (tmp_path / "agencies.csv").write_bytes("name,sector\nA,Health\nCaf\xe9,Health\n".encode("latin-1"))
    assert_fails_with(runner, tmp_path,
                      'agencies.csv:3: -: the file is not UTF-8 text: save it as "CSV UTF-8" and import again')


def test_row_with_too_many_cells(runner, ctx, tmp_path):
    write(tmp_path, {"agencies.csv": "name,sector\nA,Health,extra\n"})
    assert_fails_with(runner, tmp_path, "agencies.csv:2: -: the row has 3 cells but the header has 2")


def test_size_and_row_limits_are_checked(app, runner, tmp_path):
    app.config.update(IMPORT_MAX_ROWS=2, IMPORT_MAX_BYTES=10_000)
    with app.app_context():
        write(tmp_path, {"agencies.csv": "name,sector\nA,Health\nB,Health\nC,Health\n"})
        assert_fails_with(runner, tmp_path, "agencies.csv:4: -: the file has more than 2 rows; split it")
        (tmp_path / "agencies.csv").write_text("name,sector\n" + "A,Health\n" * 2000)
        assert_fails_with(runner, tmp_path, "agencies.csv:1: -: the file is larger than 0 MB; split it")


def test_empty_folder_and_missing_folder_are_errors(runner, ctx, tmp_path):
    result = run_import(runner, tmp_path)
    assert result.exit_code != 0 and "no import files found" in result.output
    result = run_import(runner, tmp_path / "nope")
    assert result.exit_code != 0 and "is not a folder" in result.output


def test_partial_import_attendance_roundtrips_into_reports(runner, ctx, tmp_path):
    ok_lines(run_import(runner, write(tmp_path, GOOD)))
    rows, total = queries.activity(date(2011, 4, 1), date(2012, 3, 31))
    wt = {r.course_code: r for r in rows}["WT"]
    assert (wt.sessions_planned, wt.sessions_run, wt.attended, wt.partial) == (2, 1, 1, 1)
    assert (total.sessions_planned, total.sessions_cancelled) == (3, 1)
    booking = db.session.scalar(select(Booking).where(Booking.attendance == Attendance.PARTIAL))
    assert booking.person.email == "bob@example.org"


@pytest.mark.parametrize("changes, expected", [
    ({"agencies_csv": "name,sector,compliance_target\nA,Health,87.555\n"},
     "agencies.csv:2: compliance_target: must have at most 2 decimal places"),
    ({"agencies_csv": "name,sector\n" + "A" * 201 + ",Health\n"},
     "agencies.csv:2: name: is longer than 200 characters"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\n" + "R" * 41 + ",WT,2011-05-03,5,completed\n"},
     "sessions.csv:2: ref: is longer than 40 characters"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nŁódź-1,WT,2011-05-03,5,completed\n"},
     "sessions.csv:2: ref: not a usable reference: 'Łódź-1' (use letters, digits, '.', '_' and '-', starting with a letter or digit)"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nWT/1,WT,2011-05-03,5,completed\n"},
     "sessions.csv:2: ref: not a usable reference: 'WT/1' (use letters, digits, '.', '_' and '-', starting with a letter or digit)"),
    ({"sessions_csv": "ref,course_code,start_date,capacity,status\nX,WT,2011-05-03,99999999999,completed\n"},
     "sessions.csv:2: capacity: must be between 0 and 10000"),
    ({"courses_csv": "code,title,duration_days\nWT,Working Together,400\n"},
     "courses.csv:2: duration_days: must be between 1 and 365"),
    ({"people_csv": "email,first_name,last_name,agency,job_title\nx@example.org,A,B,Northtown Police," + "J" * 201 + "\n"},
     "people.csv:2: job_title: is longer than 200 characters"),
    ({"training_records_csv": "email,level,completed_on,provider\nann@example.org,1,2012-01-01," + "P" * 201 + "\n"},
     "training_records.csv:2: provider: is longer than 200 characters"),
])
def test_values_the_database_could_not_hold_are_errors(runner, ctx, tmp_path, changes, expected):
    assert_fails_with(runner, write(tmp_path, with_changes(**changes)), expected)


def test_a_two_decimal_target_reimports_as_unchanged(runner, ctx, tmp_path):
    write(tmp_path, {"agencies.csv": "name,sector,compliance_target\nA,Health,87.50\n"})
    ok_lines(run_import(runner, tmp_path))
    assert ok_lines(run_import(runner, tmp_path)) == ["agencies.csv: 0 created, 0 updated, 1 unchanged"]
