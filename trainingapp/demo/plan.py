"""Build the demo data set in memory (no database): staff, sessions,
bookings and training records, from the facts in :mod:`.data`.

A seeded ``random.Random`` makes every run give the same people and the same
2011-12 figures; only dates relative to today (records in date, the recent
and future programme) move with the calendar.
"""
from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import data

SEED = 2012
ACCOUNT_NAMES = {"admin": "admin", "coordinator": "coordinator", "trainer": "trainer",
                 "agency_manager": "manager", "practitioner": "practitioner"}


@dataclass(eq=False)
class Person:
    email: str
    first_name: str
    last_name: str
    agency: data.AgencySpec
    job_title: str
    required_level: int | None
    in_date: bool = False
    role: str = "practitioner"
    reserved: bool = False  # a trainer or demo account: books no 2011 places
    attended_2011: bool = False


@dataclass(eq=False)
class Session:
    ref: str
    course: data.CourseSpec
    start_on: date
    venue: str
    status: str
    capacity: int
    trainers: list[Person] = field(default_factory=list)

    @property
    def end_on(self) -> date:
        return self.start_on + timedelta(days=self.course.days - 1)


@dataclass(eq=False)
class Booking:
    session: Session
    person: Person
    status: str
    attendance: str = ""


@dataclass(eq=False)
class Record:
    person: Person
    level: int
    completed_on: date
    provider: str
    title: str


@dataclass
class Plan:
    people: list[Person] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    accounts: dict[str, Person] = field(default_factory=dict)


def _start_on_or_after(day: date, days: int = 1) -> date:
    """The first day from ``day`` on when a course of ``days`` days can run
    Monday to Friday."""
    while day.weekday() + days > 5:
        day += timedelta(days=1)
    return day


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


class Builder:
    def __init__(self, today: date, seed: int = SEED):
        self.today = today
        self.rng = random.Random(seed)
        self.plan = Plan()
        self.courses = {c.code: c for c in data.COURSES}
        self.staff: dict[str, list[Person]] = defaultdict(list)
        self.groups: dict[str, list[data.AgencySpec]] = defaultdict(list)
        self.emails: set[str] = set()
        self.refs: dict[tuple[str, int], int] = defaultdict(int)
        self.venue_turn: dict[str, int] = defaultdict(int)
        self.trainer_turn: dict[str, int] = defaultdict(int)
        self.trainers: dict[str, list[Person]] = defaultdict(list)

    def build(self) -> Plan:
        self._staff()
        self._trainers_and_accounts()
        self._programme_2011()
        self._records()
        self._recent()
        self._future()
        for role, person in self.plan.accounts.items():
            person.email = f"{ACCOUNT_NAMES[role]}@{data.DEMO_DOMAIN}"
        return self.plan

    # -- people ---------------------------------------------------------------
    def _person(self, agency: data.AgencySpec, level: int | None) -> Person:
        first, last = self.rng.choice(data.FIRST_NAMES), self.rng.choice(data.LAST_NAMES)
        stem = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{stem}@{agency.domain}", 1
        while email in self.emails:
            n += 1
            email = f"{stem}{n}@{agency.domain}"
        self.emails.add(email)
        jobs = data.JOBS[agency.kind]
        job = self.rng.choice(jobs.get(level) or jobs[None])
        person = Person(email, first, last, agency, job, level)
        self.plan.people.append(person)
        self.staff[agency.name].append(person)
        return person

    def _staff(self) -> None:
        for agency in data.AGENCIES:
            self.groups[agency.delegate_group].append(agency)
            for level, count, in_date in zip((1, 2, 3), agency.staff, agency.in_date):
                people = [self._person(agency, level) for _ in range(count)]
                for person in self.rng.sample(people, in_date):
                    person.in_date = True
            for _ in range(agency.others):
                self._person(agency, None)

    def _pick(self, agency: str, **wanted) -> Person:
        found = next(p for p in self.staff[agency]
                     if not p.reserved and all(getattr(p, k) == v for k, v in wanted.items()))
        found.reserved = True
        return found

    def _trainers_and_accounts(self) -> None:
        for agency, job, codes in data.TRAINERS:
            trainer = self._pick(agency, required_level=3, in_date=True)
            trainer.role, trainer.job_title = "trainer", job
            for code in codes:
                self.trainers[code].append(trainer)
            self.plan.accounts.setdefault("trainer", trainer)
        board = self.staff[data.BOARD]
        for person, role, job in ((board[0], "admin", "Board Business Manager"),
                                  (board[1], "coordinator", "Training Co-ordinator"),
                                  (board[2], "practitioner", "Training Administrator")):
            person.role, person.job_title, person.reserved = role, job, True
            if role != "practitioner":
                self.plan.accounts[role] = person
        manager = self._pick(data.CHARITY, required_level=3, in_date=True)
        manager.role, manager.job_title = "agency_manager", "Service Manager"
        self.plan.accounts["agency_manager"] = manager

    # -- sessions -------------------------------------------------------------
    def _session(self, code: str, start: date, status: str) -> Session:
        course = self.courses[code]
        self.refs[(code, start.year)] += 1
        ref = f"{code}-{start.year}-{self.refs[(code, start.year)]:02d}"
        venues = data.COURSE_VENUES[code]
        venue = venues[self.venue_turn[code] % len(venues)]
        self.venue_turn[code] += 1
        session = Session(ref, course, start, venue, status, course.capacity)
        pool = self.trainers[code]
        wanted = 2 if code == "WT" else 1
        for i in range(wanted):
            session.trainers.append(pool[(self.trainer_turn[code] + i) % len(pool)])
        self.trainer_turn[code] += 1
        self.plan.sessions.append(session)
        return session

    def _book(self, session: Session, person: Person, status: str, attendance: str = "") -> None:
        self.plan.bookings.append(Booking(session, person, status, attendance))

    # -- 2011-12 --------------------------------------------------------------
    def _programme_2011(self) -> None:
        """The financial year 2011-12 as the annual report tells it, and one
        run session either side of it (refs numbered in date order)."""
        planned = sorted(
            [(date.fromisoformat(day), code, attended, False)
             for code, dates in data.PROGRAMME_2011.items() for day, attended in dates]
            + [(date.fromisoformat(day), code, attended, True)
               for code, day, attended in data.PROGRAMME_EDGES],
            key=lambda item: item[0],
        )
        runs: dict[str, list[tuple[Session, int]]] = defaultdict(list)
        cancelled, edges = [], []
        for day, code, attended, edge in planned:
            session = self._session(code, day, "cancelled" if attended is None else "completed")
            if edge:
                edges.append((session, code, attended))
            elif attended is None:
                cancelled.append((session, code))
            else:
                runs[code].append((session, attended))
        for code, sessions in runs.items():
            groups = data.DELEGATES_2011[code]
            assert sum(groups.values()) == sum(n for _, n in sessions), code
            for session, labels in self._seat(groups, sessions):
                self._run_session(session, labels, fresh=True)
        for session, code in cancelled:
            self._cancelled_bookings(session, list(data.DELEGATES_2011[code]))
        for session, code, attended in edges:
            labels = self.rng.choices(list(data.DELEGATES_2011[code]), k=attended)
            self._run_session(session, labels, fresh=False)

    def _seat(self, groups: dict[str, int], sessions: list[tuple[Session, int]]):
        """Share a course's delegate groups between its sessions; nurseries
        only in sessions that start by the end of September."""
        nursery = [data.NURSERIES] * groups.get(data.NURSERIES, 0)
        free = [g for g, n in groups.items() if g != data.NURSERIES for _ in range(n)]
        self.rng.shuffle(free)
        seats: list[list[str]] = [[] for _ in sessions]
        early = [i for i, (s, _) in enumerate(sessions) if s.start_on <= data.NURSERY_WINDOW_END]
        for n, label in enumerate(nursery):
            seats[early[n % len(early)]].append(label)
        for i, (_, attended) in enumerate(sessions):
            while len(seats[i]) < attended:
                seats[i].append(free.pop())
            self.rng.shuffle(seats[i])
        assert not free
        return [(s, seats[i]) for i, (s, _) in enumerate(sessions)]

    def _agency_for(self, group: str, fresh: bool) -> data.AgencySpec:
        agencies = [a for a in self.groups[group]
                    if any(not p.reserved and not (fresh and p.attended_2011)
                           for p in self.staff[a.name])]
        return self.rng.choices(agencies, weights=[a.weight for a in agencies])[0]

    def _delegate(self, agency: data.AgencySpec, level: int | None, taken: set,
                  fresh: bool = False) -> Person | None:
        """Someone from the agency not yet on the session, preferring staff
        whose required level matches the course (None when nobody is left)."""
        candidates = [p for p in self.staff[agency.name]
                      if not p.reserved and p not in taken and not (fresh and p.attended_2011)]
        if not candidates:
            return None
        distance = {p: abs((p.required_level or 2) - (level or 2)) for p in candidates}
        best = min(distance.values())
        person = self.rng.choice([p for p in candidates if distance[p] == best])
        taken.add(person)
        return person

    def _run_session(self, session: Session, labels: list[str], fresh: bool) -> None:
        """Attended bookings for each label (each a distinct person, new to
        the year when ``fresh``), then some partial, no-show and cancelled
        bookings from the same agencies."""
        level, taken, agencies = session.course.level, set(), []
        for label in labels:
            person = None
            while person is None:
                agency = self._agency_for(label, fresh)
                person = self._delegate(agency, level, taken, fresh)
            person.attended_2011 = person.attended_2011 or fresh
            agencies.append(agency)
            self._book(session, person, "confirmed", "attended")
        spare = session.capacity - len(labels)
        partial = min(self.rng.randint(0, 2), spare)
        absent = min(self.rng.randint(0, 3), spare - partial)
        extras = ([("confirmed", "partial")] * partial + [("confirmed", "did_not_attend")] * absent
                  + [("late_cancelled", "")] * self.rng.randint(0, 2)
                  + [("cancelled", "")] * self.rng.randint(0, 3))
        for status, attendance in extras:
            person = None
            while person is None:
                person = self._delegate(self.rng.choice(agencies), level, taken)
            self._book(session, person, status, attendance)

    def _cancelled_bookings(self, session: Session, groups: list[str]) -> None:
        taken: set = set()
        for _ in range(self.rng.randint(3, 8)):
            person = None
            while person is None:
                agency = self._agency_for(self.rng.choice(groups), fresh=False)
                person = self._delegate(agency, session.course.level, taken)
            self._book(session, person, "cancelled")

    # -- training records -------------------------------------------------------
    def _records(self) -> None:
        """Records that put exactly the planned staff in date today: a recent
        record at or above the required level; the others have none, an
        expired one, or one below their level."""
        for person in self.plan.people:
            level = person.required_level
            if level is None:
                continue
            if person.in_date:
                held = level if level == 3 or self.rng.random() < 0.8 else level + 1
                done = self.today - timedelta(days=self.rng.randint(15, 1000))
                self._record(person, held, done)
                if self.rng.random() < 0.3:
                    self._record(person, held, done - timedelta(days=self.rng.randint(1100, 1300)))
                continue
            roll = self.rng.random()
            if roll < 0.45:
                continue
            if roll < 0.85 or level == 1:
                expired = self.today - timedelta(days=self.rng.randint(1120, 2600))
                self._record(person, level, expired)
            else:
                below = self.today - timedelta(days=self.rng.randint(30, 900))
                self._record(person, level - 1, below)

    def _record(self, person: Person, level: int, done: date) -> None:
        health = person.agency.sector == "Health"
        if level == 1:
            provider = "e-Learning for Healthcare" if health else "Halverton SCB e-learning"
            title = "Safeguarding Children Level 1 (e-learning)"
        else:
            provider = f"{person.agency.name} (in-house)"
            title = f"Safeguarding Children Level {level}"
        self.plan.records.append(Record(person, level, done, provider, title))

    # -- around today -----------------------------------------------------------
    def _eligible(self, session: Session, taken: set, in_date: bool) -> list[Person]:
        level = session.course.level
        return [p for p in self.plan.people
                if not p.reserved and p not in taken and p.required_level is not None
                and (not in_date or (p.in_date and (level is None or p.required_level <= level)))]

    def _recent(self) -> None:
        """Sessions run in the last months (only staff already in date
        attend, so the compliance figures stay as planned), and one held
        this week whose register is still to be taken."""
        for code, days_ago, attended in data.RECENT:
            start = _start_on_or_after(self.today - timedelta(days=days_ago),
                                       self.courses[code].days)
            session = self._session(code, start, "completed")
            taken: set = set()
            for person in self.rng.sample(self._eligible(session, taken, True), attended):
                taken.add(person)
                self._book(session, person, "confirmed", "attended")
            extras = [("confirmed", "partial"), ("confirmed", "did_not_attend"),
                      ("late_cancelled", ""), ("cancelled", ""), ("cancelled", "")]
            for (status, attendance), person in zip(
                    extras, self.rng.sample(self._eligible(session, taken, False), len(extras))):
                self._book(session, person, status, attendance)
        day = self.today - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        session = self._session("FNDR", day, "scheduled")
        for person in self.rng.sample(self._eligible(session, set(), False), 11):
            self._book(session, person, "confirmed")

    def _future(self) -> None:
        """The coming year: near sessions fill up, far ones have a few
        bookings; the first is full with a waiting list, one is cancelled.
        The demo practitioner has a place on a refresher and waits for the
        full one."""
        practitioner = next(
            b.person for b in self.plan.bookings
            if b.person.agency.name == data.CHARITY and b.person.required_level == 2
            and b.person.in_date and not b.person.reserved and b.session.course.code == "FND"
            and b.attendance == "attended" and b.session.start_on.year == 2011)
        practitioner.reserved = True
        self.plan.accounts["practitioner"] = practitioner
        first_refresher = True
        for n, (code, offset) in enumerate(data.FUTURE):
            start = _start_on_or_after(self.today + timedelta(days=offset), self.courses[code].days)
            cancelled = (code, offset) == data.FUTURE_CANCELLED
            session = self._session(code, start, "cancelled" if cancelled else "scheduled")
            pool = self._eligible(session, set(), False)
            if cancelled:
                for person in self.rng.sample(pool, 6):
                    self._book(session, person, "cancelled")
                continue
            if n == 0:
                people = self.rng.sample(pool, session.capacity + 3)
                for person in people[:session.capacity]:
                    self._book(session, person, "confirmed")
                self._book(session, people[session.capacity], "waitlisted")
                self._book(session, practitioner, "waitlisted")
                for person in people[session.capacity + 1:]:
                    self._book(session, person, "waitlisted")
                continue
            share = 0.8 if offset < 60 else 0.4 if offset < 150 else 0.15
            count = int(session.capacity * share * self.rng.uniform(0.7, 1.0))
            if code == "FNDR" and first_refresher:
                first_refresher = False
                self._book(session, practitioner, "confirmed")
            for person in self.rng.sample(pool, count):
                self._book(session, person, "confirmed")
            for person in self.rng.sample(pool, self.rng.randint(0, 2)):
                if not any(b.session is session and b.person is person for b in self.plan.bookings):
                    self._book(session, person, "cancelled")


def build(today: date) -> Plan:
    return Builder(today).build()
