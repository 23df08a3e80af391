"""Column types shared by every feature."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are
    stored as naive UTC and given their zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Store an enum's *values* as short strings (no native DB enum type, so a
    new value needs no ALTER TYPE)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


UK = ZoneInfo("Europe/London")


def uk_today():
    """Today's date in the UK, where every session happens."""
    return datetime.now(UK).date()


# The years a date typed or imported may be in: anything else is a slip
# (0011 for 2011), and dates near year 9999 break date arithmetic (the day
# after 31 December 9999 does not exist).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def in_year_range(day: date) -> bool:
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR


# The largest number an INTEGER column holds on PostgreSQL (every id, every
# count): a bigger one typed into a URL or a form would overflow the database.
MAX_INT = 2**31 - 1
