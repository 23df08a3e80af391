"""An agency's own people.csv: the import of contract section 4, with the
rules that keep an upload inside one agency (section 2: an agency manager
sees and changes their own agency only).

On top of everything :func:`import_files` checks, every row must
- name the agency being uploaded for in its ``agency`` column
  (case-insensitively): nobody is added to, or moved into, another agency;
- leave ``role`` blank or ``practitioner``: only coordinators and admins
  give roles. And since a blank role means "practitioner", a row for
  someone who holds another role (a trainer, the manager themselves) is an
  error whenever the file has a role column: without the column, roles
  stay as they are;
- not be the e-mail address of someone outside the agency: a manager
  cannot change another agency's staff, nor take them over. The message
  says no more than that: not the person's name, nor their agency.

These checks run on the file before the import (the import itself knows
nothing of agencies being uploaded for), and their problems are reported
in the import's own ``FILE:LINE: COLUMN: message`` form, merged with the
import's: one list, in file order, and nothing written while any remain.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from .. import audit
from ..agencies.models import Agency, Person, Role
from ..extensions import db
from .csvfile import CellError, ImportProblem, decode, parse_email, read_rows
from .services import SPECS, FileResult, ImportFailed, import_files

FILE = "people.csv"
_INDEX, SPEC = next((i, spec) for i, spec in enumerate(SPECS) if spec.name == FILE)
ROLE_WORDS = {
    Role.ADMIN: "an administrator",
    Role.COORDINATOR: "a training coordinator",
    Role.TRAINER: "a trainer",
    Role.AGENCY_MANAGER: "an agency manager",
}


def _key(value: str) -> str:
    return value.strip().lower()


def check_staff_file(data: bytes, agency: Agency) -> list[ImportProblem]:
    """The problems only an upload for ``agency`` has (see the module
    docstring). A file the import cannot read at all (not UTF-8, a bad
    header) gives none here: the import reports those."""
    problems: list[ImportProblem] = []

    def report(line: int, column: str, message: str) -> None:
        problems.append(ImportProblem(_INDEX, line, FILE, column, message))

    text, _line, _message = decode(data)
    if text is None:
        return problems
    parsed = read_rows(SPEC, text, lambda *_: None, current_app.config["IMPORT_MAX_ROWS"])
    if parsed is None:
        return problems
    header, rows = parsed
    has_role = "role" in header
    stored = {row.email: row for row in db.session.execute(
        select(Person.email, Person.agency_id, Person.role))}
    own = _key(agency.name)
    for row in rows:
        raw_agency = row.get("agency")
        if raw_agency and _key(raw_agency) != own:
            report(row.line, "agency", f"you can only upload staff of {agency.name}")
        raw_role = row.get("role")
        if raw_role and raw_role.lower() != Role.PRACTITIONER.value:
            report(row.line, "role", "leave the role blank or practitioner: only the training "
                                     "coordinator or an administrator gives roles")
            raw_role = None  # one message about the role is enough
        try:
            email = parse_email(row.get("email"))
        except CellError:
            continue  # the import reports it
        person = stored.get(email)
        if person is None:
            continue
        if person.agency_id != agency.id:
            report(row.line, "email", f"this e-mail address is not one of {agency.name}'s staff: "
                                      "you can only add and change your own staff. If they have "
                                      "joined you, ask the training coordinator to move them")
        elif has_role and raw_role is not None and person.role is not Role.PRACTITIONER:
            report(row.line, "role", f"this person is {ROLE_WORDS[person.role]}, and only the "
                                     "training coordinator or an administrator changes roles: "
                                     "remove the role column to keep everyone's role as it is")
    return problems


def _merge(own: list[ImportProblem], theirs: list[ImportProblem]) -> list[ImportProblem]:
    """Both lists, less the import's problems on a cell this module already
    reported: on a row for another agency the import's "unknown agency"
    would tell which agencies exist, and its message about an
    administrator's details would describe someone outside the agency."""
    taken = {(p.line, p.column) for p in own}
    return own + [p for p in theirs if (p.line, p.column) not in taken]


def import_staff(data: bytes, agency: Agency, actor: Person, *, dry_run: bool) -> FileResult:
    """Import ``data`` as ``agency``'s people.csv, or raise
    :class:`ImportFailed` (nothing written) listing every problem.

    ``dry_run`` is the preview: the counts a real import would give, then
    nothing kept. A real import is audited twice in one transaction: the
    import's own ``import`` entry (the counts), and ``staff_import`` naming
    the agency uploaded for.
    """
    own = check_staff_file(data, agency)
    if not dry_run and not own:
        # Added before the import, which commits it with its own entry (or
        # rolls it back with everything else).
        audit.record("staff_import", actor_id=actor.id, agency_id=agency.id,
                     target_type="agency", target_id=agency.id, file=FILE)
    try:
        results = import_files({FILE: data}, actor.id, dry_run=dry_run or bool(own),
                               allow_admin=actor.role is Role.ADMIN)
    except ImportFailed as failed:
        raise ImportFailed(_merge(own, failed.problems)) from None
    if own:
        raise ImportFailed(own)
    return results[0] if results else FileResult(FILE)
