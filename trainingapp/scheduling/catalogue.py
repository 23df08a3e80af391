"""The course catalogue and venues: the use cases that change them, one
transaction each, raising :class:`SchedulingError` having written nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from .. import audit
from ..agencies.models import Person
from ..courses.models import Course, Venue, course_prerequisites
from ..extensions import db
from .services import Problem, SchedulingError, _blank, _raise_if


# -- courses ----------------------------------------------------------------------

@dataclass
class CourseData:
    code: str
    title: str
    duration_days: int = 1
    level: int | None = None
    learning_hours: Decimal | None = None
    capacity: int | None = None
    description: str | None = None
    audience: str | None = None
    learning_outcomes: str | None = None
    prerequisite_ids: list[int] = field(default_factory=list)


def _prerequisite_graph() -> dict[int, set[int]]:
    graph: dict[int, set[int]] = {}
    for course_id, prerequisite_id in db.session.execute(
            select(course_prerequisites.c.course_id, course_prerequisites.c.prerequisite_id)):
        graph.setdefault(course_id, set()).add(prerequisite_id)
    return graph


def _needs(graph: dict[int, set[int]], start: int, target: int) -> bool:
    """Whether course ``start`` needs ``target`` first, directly or through
    other prerequisites."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(graph.get(current, ()))
    return False


def save_course(data: CourseData, actor: Person, course: Course | None = None) -> Course:
    """Add a course to the catalogue, or change one. Codes are unique
    whatever their case; a course cannot need itself, directly or through
    its prerequisites."""
    problems = []
    code = data.code.strip()
    clash = db.session.scalar(select(Course.id).where(func.lower(Course.code) == code.lower(),
                                                      Course.id != (course.id if course else -1)))
    if clash is not None:
        problems.append(Problem("code", f"A course with the code {code} already exists", "code_taken"))
    wanted = db.session.scalars(select(Course).where(Course.id.in_(data.prerequisite_ids))).all()
    if len(wanted) != len(set(data.prerequisite_ids)):
        problems.append(Problem("prerequisites", "Select prerequisites from the list", "unknown_course"))
    if course is not None:
        graph = _prerequisite_graph()
        for other in wanted:
            if other.id == course.id:
                problems.append(Problem("prerequisites", "A course cannot be its own prerequisite",
                                        "prerequisite_self"))
            elif _needs(graph, other.id, course.id):
                problems.append(Problem(
                    "prerequisites",
                    f"{other.code} cannot be a prerequisite: it already needs {course.code} first",
                    "prerequisite_cycle"))
    _raise_if(problems)
    created = course is None
    if created:
        course = Course()
        db.session.add(course)
    course.code, course.title = code, data.title.strip()
    course.level, course.duration_days = data.level, data.duration_days
    course.learning_hours, course.capacity = data.learning_hours, data.capacity
    course.description = _blank(data.description)
    course.audience = _blank(data.audience)
    course.learning_outcomes = _blank(data.learning_outcomes)
    course.prerequisites = list(wanted)
    db.session.flush()
    audit.record("course_created" if created else "course_updated", actor_id=actor.id,
                 target_type="course", target_id=course.id, code=course.code,
                 prerequisites=sorted(c.code for c in wanted))
    db.session.commit()
    return course


def set_course_active(course: Course, active: bool, actor: Person) -> Course:
    """Retire a course (no new sessions; its history stays) or bring it back."""
    course.is_active = active
    audit.record("course_reactivated" if active else "course_retired", actor_id=actor.id,
                 target_type="course", target_id=course.id, code=course.code)
    db.session.commit()
    return course


# -- venues -----------------------------------------------------------------------

@dataclass
class VenueData:
    name: str
    address: str | None = None
    accessibility_notes: str | None = None
    capacity: int | None = None


def save_venue(data: VenueData, actor: Person, venue: Venue | None = None) -> Venue:
    """Add or change a venue. Names are unique whatever their case."""
    name = data.name.strip()
    clash = db.session.scalar(select(Venue.id).where(func.lower(Venue.name) == name.lower(),
                                                     Venue.id != (venue.id if venue else -1)))
    if clash is not None:
        raise SchedulingError([Problem("name", f"A venue called {name} already exists", "name_taken")])
    created = venue is None
    if created:
        venue = Venue()
        db.session.add(venue)
    venue.name, venue.capacity = name, data.capacity
    venue.address = _blank(data.address)
    venue.accessibility_notes = _blank(data.accessibility_notes)
    db.session.flush()
    audit.record("venue_created" if created else "venue_updated", actor_id=actor.id,
                 target_type="venue", target_id=venue.id, name=venue.name)
    db.session.commit()
    return venue
