"""Write a synthetic regional data set as the contract's six import files.

At scale 1 it is about the size of a large safeguarding board's history:
300 agencies in 10 sectors, 60,000 people, 40 courses, 8,000 sessions over
six financial years (2021-22 to 2026-27), 250,000 bookings and 60,000
training records. ``--scale 0.1`` gives a tenth of everything (at least a
handful of each), for a quick run.

The data is deterministic: the same seed, scale and "today" give the same
bytes. It follows the contract's rules, so it imports without errors:

* sessions that started before "today" are ``completed`` (a few
  ``cancelled``); later ones are ``scheduled`` (a few ``cancelled``);
* a person never holds two active (confirmed or waitlisted) bookings for one
  session, but may have cancelled and booked the same session again;
* attendance is given only on confirmed bookings of completed sessions;
  future sessions fill up to capacity, then queue on the waiting list;
* historic confirmed bookings may exceed capacity (walk-ins), as allowed.

Usage::

    python -m benchmarks.generate bench-data/custom --scale 0.1 --seed 7
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import unicodedata
from bisect import bisect
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

# Bump when the generated data changes, so cached copies are rebuilt.
GENERATOR_VERSION = 1

DEFAULT_SEED = 20240401
# A fixed "today" keeps the data deterministic: sessions before it have run.
DEFAULT_TODAY = date(2026, 12, 1)
FIRST_DAY = date(2021, 4, 1)   # financial year 2021-22 ...
LAST_DAY = date(2027, 3, 31)   # ... to 2026-27: six years

SIZES = {
    "agencies": 300,
    "people": 60_000,
    "courses": 40,
    "sessions": 8_000,
    "bookings": 250_000,
    "training_records": 60_000,
}
MINIMUM = {"agencies": 12, "people": 200, "courses": 8, "sessions": 60,
           "bookings": 1_000, "training_records": 200}

SECTORS = {
    # sector: (weight, agency name templates, e-mail domain, job titles)
    "Education": (30, ["{place} Primary School", "{place} Academy", "{place} High School",
                       "{place} Infant School", "St Mary's {place}", "{place} College"],
                  "schools.example.org", ["Teacher", "Designated Safeguarding Lead",
                                          "Teaching Assistant", "Head Teacher", "SENCO"]),
    "Health": (14, ["{place} Medical Practice", "{place} Health Centre", "{place} Community Health",
                    "{place} Dental Surgery", "{place} Pharmacy"],
               "nhs.example.org", ["Health Visitor", "School Nurse", "GP", "Midwife",
                                   "Practice Nurse", "Paediatrician"]),
    "Early Years": (14, ["{place} Day Nursery", "{place} Pre-School", "{place} Children's Centre",
                         "Little Stars {place}", "{place} Playgroup"],
                    "earlyyears.example.org", ["Nursery Practitioner", "Room Leader",
                                               "Childminder", "Nursery Manager"]),
    "Voluntary Sector": (12, ["{place} Youth Project", "{place} Family Support",
                              "{place} Community Trust", "{place} Young Carers",
                              "Friends of {place}"],
                         "vcs.example.org", ["Youth Worker", "Volunteer Coordinator",
                                             "Family Support Worker", "Project Manager"]),
    "Children's Social Care": (6, ["{place} Children's Services", "{place} Fostering Team",
                                   "{place} Assessment Team"],
                               "council.example.gov.uk", ["Social Worker", "Team Manager",
                                                          "Family Practitioner"]),
    "Police": (3, ["{place} Police Station", "{place} Neighbourhood Policing Team"],
               "police.example.uk", ["Police Constable", "Detective Sergeant",
                                     "PCSO", "Inspector"]),
    "Housing": (6, ["{place} Housing Association", "{place} Homes", "{place} Tenancy Services"],
                "housing.example.org", ["Housing Officer", "Tenancy Support Worker"]),
    "Faith Groups": (7, ["{place} Parish Church", "{place} Mosque", "{place} Gurdwara",
                         "{place} Methodist Church"],
                     "faith.example.org", ["Children's Worker", "Youth Leader", "Minister"]),
    "Sport and Leisure": (6, ["{place} Football Club", "{place} Leisure Centre",
                              "{place} Swimming Club", "{place} Rugby Club"],
                          "sport.example.org", ["Coach", "Lifeguard", "Welfare Officer"]),
    "Probation and Youth Justice": (2, ["{place} Youth Offending Service",
                                        "{place} Probation Office"],
                                    "justice.example.gov.uk", ["Probation Officer",
                                                               "Youth Justice Worker"]),
}

PLACES = [
    "Ashford", "Barnside", "Brightwater", "Castlegate", "Chapel End", "Clayfield", "Dunmore",
    "Eastbrook", "Elmstead", "Fairhaven", "Fernley", "Glenmoor", "Greenholme", "Hartwell",
    "Hazelmere", "Highcliff", "Kingsmead", "Lakeside", "Langley", "Lowfield", "Maplewood",
    "Marshgate", "Millbrook", "Newbridge", "Northfield", "Oakham Vale", "Old Town", "Pennington",
    "Queensway", "Redcliffe", "Riverside", "Rosebank", "Saltmarsh", "Southgate", "Stonebridge",
    "Thornbury", "Upton", "Westfield", "Whitmore", "Willowbrook", "Windmill Hill", "Yewdale",
]

FIRST_NAMES = [
    "Aisha", "Amelia", "Ava", "Ben", "Charlie", "Chloé", "Daniel", "Dafydd", "Emily", "Eóin",
    "Fatima", "Freya", "George", "Grace", "Hannah", "Harry", "Isla", "Jack", "James", "Jessica",
    "Kacper", "Laura", "Leo", "Lily", "Lucy", "Mohammed", "Mia", "Niamh", "Noah", "Olivia",
    "Oliver", "Priya", "Rachel", "Ruby", "Sam", "Sarah", "Siân", "Sophie", "Thomas", "Zoë",
]
LAST_NAMES = [
    "Ahmed", "Baker", "Brown", "Clarke", "Davies", "Evans", "Fernández", "Green", "Hall",
    "Hughes", "Jackson", "Jones", "Khan", "Kowalski", "Lewis", "Martin", "Moore", "Müller",
    "Nowak", "O'Brien", "Patel", "Roberts", "Robinson", "Singh", "Smith", "Taylor", "Thomas",
    "Thompson", "Walker", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
]

TOPICS = [
    # (code prefix, title, level, duration_days)
    ("SG1", "Safeguarding children: the basics", 1, 1),
    ("SG2", "Working together to safeguard children", 2, 1),
    ("SG3", "Advanced safeguarding practice", 3, 2),
    ("DA", "Domestic abuse and its impact on children", 2, 1),
    ("CSE", "Child sexual exploitation", 2, 1),
    ("CCE", "Child criminal exploitation and county lines", 2, 1),
    ("NEG", "Recognising and responding to neglect", 2, 1),
    ("FGM", "Female genital mutilation awareness", 1, 1),
    ("PRE", "Prevent: radicalisation awareness", 1, 1),
    ("ONL", "Online safety", 1, 1),
    ("SH", "Self-harm and suicide prevention", 2, 1),
    ("PAR", "Parental mental health and substance misuse", 3, 1),
    ("DSL", "Designated safeguarding lead training", 3, 2),
    ("SSR", "Safer recruitment", None, 1),
    ("MAR", "Multi-agency referrals and the front door", 2, 1),
    ("CP", "Child protection conferences and core groups", 3, 1),
    ("SCR", "Learning from case reviews", None, 1),
    ("TRM", "Trauma-informed practice", 3, 3),
    ("DIS", "Safeguarding disabled children", 2, 1),
    ("SUP", "Safeguarding supervision", None, 2),
]
VARIANTS = ["", " (virtual)"]

PROVIDERS = ["", "NSPCC e-learning", "Agency in-house training", "Virtual College",
             "Local authority e-learning", "Health Education England", "Previous employer"]
VENUES = [f"{place} {kind}" for place, kind in zip(
    PLACES[::2],
    ["Civic Centre", "Library", "Community Hall", "Training Centre", "Town Hall",
     "Conference Suite", "Education Centre"] * 4,
)] + ["Online (Microsoft Teams)", "Online (Zoom)"]


def scaled(scale: float) -> dict[str, int]:
    return {name: max(MINIMUM[name], round(size * scale)) for name, size in SIZES.items()}


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def weekdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def write_csv(path: Path, header: list[str], rows) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def generate(folder: str | Path, scale: float = 1.0, seed: int = DEFAULT_SEED,
             today: date = DEFAULT_TODAY) -> dict:
    """Write the six files into ``folder`` and a ``manifest.json`` describing
    them (sizes and the parameters the benchmark's reports use)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n = scaled(scale)

    # -- agencies ---------------------------------------------------------------
    sector_names = list(SECTORS)
    sector_cum = list(accumulate(SECTORS[s][0] for s in sector_names))
    agencies: list[tuple[str, str]] = []  # (name, sector)
    taken: set[str] = set()
    while len(agencies) < n["agencies"]:
        sector = sector_names[bisect(sector_cum, rng.random() * sector_cum[-1])]
        name = rng.choice(SECTORS[sector][1]).format(place=rng.choice(PLACES))
        if name.casefold() in taken:
            name = f"{name} {len(agencies) + 1}"
        taken.add(name.casefold())
        agencies.append((name, sector))
    agency_rows = []
    for name, sector in agencies:
        draw = rng.random()
        target = "" if draw < 0.6 else rng.choice(["80", "85", "87.5", "90", "95", "100", "75"])
        agency_rows.append((name, sector, target))
    # Agency sizes follow a long tail: a few employ thousands, most a handful.
    agency_cum = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(agencies))))

    # -- people -------------------------------------------------------------------
    people: list[tuple[str, int]] = []  # (email, agency index)
    people_rows = []
    for i in range(n["people"]):
        agency = bisect(agency_cum, rng.random() * agency_cum[-1])
        _, sector = agencies[agency]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{i + 1}@{SECTORS[sector][2]}"
        draw = rng.random()
        level = "" if draw < 0.12 else "1" if draw < 0.56 else "2" if draw < 0.82 else "3"
        draw = rng.random()
        role = ("agency_manager" if draw < 0.015 else "trainer" if draw < 0.02
                else "coordinator" if draw < 0.0225 else "admin" if draw < 0.0227
                else "practitioner" if draw < 0.1 else "")
        title = rng.choice(SECTORS[sector][3]) if rng.random() < 0.85 else ""
        people.append((email, agency))
        people_rows.append((email, first, last, agencies[agency][0], title, level, role))

    # -- courses --------------------------------------------------------------------
    courses = []  # (code, title, level, days, capacity, popularity)
    for i in range(n["courses"]):
        prefix, title, level, days = TOPICS[i % len(TOPICS)]
        variant = (i // len(TOPICS)) % len(VARIANTS)
        code = f"{prefix}-{i // len(TOPICS) + 1:02d}"
        capacity = rng.choice([12, 16, 20, 24, 25, 30]) if rng.random() < 0.9 else None
        popularity = 3.0 if level == 1 else 2.0 if level == 2 else 1.0
        courses.append((code, title + VARIANTS[variant], level, days, capacity, popularity))
    course_cum = list(accumulate(c[5] for c in courses))

    # -- sessions -------------------------------------------------------------------
    days = weekdays(FIRST_DAY, LAST_DAY)
    drafts = sorted(
        (rng.choice(days), bisect(course_cum, rng.random() * course_cum[-1]))
        for _ in range(n["sessions"])
    )
    sessions = []  # (ref, course index, start, status, capacity)
    session_rows = []
    sequence: dict[int, int] = {}
    for start, course in drafts:
        code, _, _, duration, course_capacity, _ = courses[course]
        sequence[course] = sequence.get(course, 0) + 1
        ref = f"{code}-{start:%y%m}-{sequence[course]:03d}"
        draw = rng.random()
        if start < today:
            status = "cancelled" if draw < 0.07 else "completed"
        else:
            status = "cancelled" if draw < 0.05 else "scheduled"
        capacity = course_capacity or rng.choice([15, 20, 25])
        if rng.random() < 0.2:
            capacity += rng.choice([-4, -2, 2, 5])
        end = ""
        if duration > 1 and rng.random() < 0.3:
            end = (start + timedelta(days=duration - 1 + 7)).isoformat()  # spread over weeks
        elif rng.random() < 0.05:
            end = (start + timedelta(days=duration - 1)).isoformat()
        venue = rng.choice(VENUES) if rng.random() < 0.9 else ""
        sessions.append((ref, course, start, status, capacity))
        session_rows.append((ref, code, start.isoformat(), end, venue, capacity, status))

    # -- bookings -------------------------------------------------------------------
    weights = []
    for _, _, _, status, capacity in sessions:
        factor = {"completed": rng.uniform(0.8, 1.4), "cancelled": 0.3,
                  "scheduled": rng.uniform(0.6, 1.6)}[status]
        weights.append(capacity * factor)
    total_weight = sum(weights)
    counts = [int(n["bookings"] * w / total_weight) for w in weights]
    for index in rng.sample(range(len(sessions)), n["bookings"] - sum(counts)):
        counts[index] += 1
    booking_rows = []
    agency_names = [a[0] for a in agencies]
    rows_per_session: dict[str, int] = {}
    for (ref, _, _, status, capacity), count in zip(sessions, counts):
        rows_per_session[ref] = count
        fresh = iter(rng.sample(range(len(people)), min(count, len(people))))
        cancelled_only: list[int] = []  # people whose only row here is cancelled
        confirmed = 0
        for _ in range(count):
            if cancelled_only and rng.random() < 0.03:
                person = cancelled_only.pop(rng.randrange(len(cancelled_only)))
                rebooked = True
            else:
                person = next(fresh)
                rebooked = False
            draw = rng.random()
            attendance = ""
            if status == "cancelled":
                row_status = "cancelled"
            elif status == "completed":
                if not rebooked and draw < 0.09:
                    row_status = "cancelled"
                elif not rebooked and draw < 0.15:
                    row_status = "late_cancelled"
                else:
                    row_status = "confirmed"
                    mark = rng.random()
                    attendance = ("attended" if mark < 0.85 else "partial" if mark < 0.89
                                  else "did_not_attend")
            elif not rebooked and draw < 0.08:
                row_status = "cancelled"
            elif confirmed < capacity:
                row_status = "confirmed"
                confirmed += 1
            else:
                row_status = "waitlisted"
            if row_status == "cancelled" and not rebooked:
                cancelled_only.append(person)
            email, agency = people[person]
            draw = rng.random()
            if draw < 0.03:
                email = email.upper()
            draw = rng.random()
            agency_cell = ""
            if draw < 0.05:
                agency_cell = rng.choice(agency_names)   # booked while at another agency
            elif draw < 0.08:
                agency_cell = agency_names[agency].upper()
            booking_rows.append((ref, email, row_status, attendance, agency_cell))

    # -- training records -------------------------------------------------------------
    record_rows = []
    span = (today - date(today.year - 8, today.month, 1)).days
    for _ in range(n["training_records"]):
        if record_rows and rng.random() < 0.005:
            record_rows.append(rng.choice(record_rows))  # the same record entered twice
            continue
        person = rng.randrange(len(people))
        required = people_rows[person][5]
        level = required if required and rng.random() < 0.7 else str(rng.randint(1, 3))
        completed = today - timedelta(days=rng.randrange(1, span))
        provider = rng.choice(PROVIDERS)
        title = f"Safeguarding children level {level}" if rng.random() < 0.6 else ""
        record_rows.append((people[person][0], level, completed.isoformat(), provider, title))

    # -- files -----------------------------------------------------------------------
    written = {
        "agencies.csv": write_csv(folder / "agencies.csv",
                                  ["name", "sector", "compliance_target"], agency_rows),
        "people.csv": write_csv(folder / "people.csv",
                                ["email", "first_name", "last_name", "agency", "job_title",
                                 "required_level", "role"], people_rows),
        "courses.csv": write_csv(folder / "courses.csv",
                                 ["code", "title", "level", "duration_days", "capacity"],
                                 [(c[0], c[1], c[2] or "", c[3], c[4] or "") for c in courses]),
        "sessions.csv": write_csv(folder / "sessions.csv",
                                  ["ref", "course_code", "start_date", "end_date", "venue",
                                   "capacity", "status"], session_rows),
        "bookings.csv": write_csv(folder / "bookings.csv",
                                  ["session_ref", "email", "status", "attendance", "agency"],
                                  booking_rows),
        "training_records.csv": write_csv(folder / "training_records.csv",
                                          ["email", "level", "completed_on", "provider", "title"],
                                          record_rows),
    }
    # The last complete financial year before "today", and a busy session with
    # a waiting list for the delegates report.
    fy_start = today.year - 1 if today.month >= 4 else today.year - 2
    upcoming = [s for s in sessions if s[3] == "scheduled"] or sessions
    busiest = max(upcoming, key=lambda s: (rows_per_session[s[0]], s[0]))
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "today": today.isoformat(),
        "rows": written,
        "sectors": len({a[1] for a in agencies}),
        "financial_year": [date(fy_start, 4, 1).isoformat(), date(fy_start + 1, 3, 31).isoformat()],
        "compliance_on": today.isoformat(),
        "delegates_session": busiest[0],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write the CSV files")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help="sessions before this day have run (default %(default)s)")
    args = parser.parse_args(argv)
    manifest = generate(args.folder, args.scale, args.seed, args.today)
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
