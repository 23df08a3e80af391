"""Changing the intercollegiate levels (contract section 5): an admin sets
each level's name, how long its training stays in date, and optionally the
learning hours it needs.

The compliance figures read a level's validity when they are computed, so a
change applies to every record of that level at once, past ones included: a
record completed 24 months ago is out of date from the moment its level's
validity becomes 12 months.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from .. import audit
from ..agencies.models import Person
from ..extensions import db
from .models import Level

MIN_VALIDITY_MONTHS, MAX_VALIDITY_MONTHS = 1, 120
MAX_REQUIRED_HOURS = Decimal(1000)


class LevelError(ValueError):
    """A value a level cannot take; ``code`` says which rule."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class LevelSettings:
    number: int
    name: str
    validity_months: int
    required_hours: Decimal | None = None


def levels() -> list[Level]:
    return list(db.session.scalars(select(Level).order_by(Level.number)))


def _check(settings: LevelSettings) -> None:
    label = f"Level {settings.number}"
    if not settings.name.strip() or len(settings.name) > 100:
        raise LevelError(f"{label} needs a name of 100 characters or fewer", "name")
    if not MIN_VALIDITY_MONTHS <= settings.validity_months <= MAX_VALIDITY_MONTHS:
        raise LevelError(f"{label} validity must be between {MIN_VALIDITY_MONTHS} and "
                         f"{MAX_VALIDITY_MONTHS} months", "validity_months")
    hours = settings.required_hours
    if hours is not None and not (0 <= hours <= MAX_REQUIRED_HOURS and hours == round(hours, 2)):
        raise LevelError(f"{label} required learning hours must be between 0 and "
                         f"{MAX_REQUIRED_HOURS}, with at most two decimal places", "required_hours")


def _audited(value):
    return None if value is None else str(value) if isinstance(value, Decimal) else value


def change_levels(changes: list[LevelSettings], actor: Person) -> list[int]:
    """Save the levels' settings and commit; returns the numbers of the
    levels that changed. Each changed level is audited (``level_changed``)
    with the old and new value of every field that changed. Raises
    :class:`LevelError` (nothing saved) for a value out of range or an
    unknown level."""
    stored = {level.number: level for level in levels()}
    for settings in changes:
        _check(settings)
        if settings.number not in stored:
            raise LevelError(f"there is no level {settings.number}", "unknown_level")
    changed = []
    for settings in changes:
        level = stored[settings.number]
        new = {"name": settings.name.strip(), "validity_months": settings.validity_months,
               "required_hours": settings.required_hours}
        diff = {field: {"old": _audited(getattr(level, field)), "new": _audited(value)}
                for field, value in new.items() if getattr(level, field) != value}
        if not diff:
            continue
        for field in diff:
            setattr(level, field, new[field])
        audit.record("level_changed", actor_id=actor.id, target_type="level",
                     target_id=level.number, **diff)
        changed.append(level.number)
    db.session.commit()
    return changed
