"""The fixed facts of the demo: a fictional borough (Halverton) with the
partner agencies, courses, venues and 2011-12 programme of the board's
annual report (see ``shared/seed-figures.md``). Everything here is
invented; e-mail domains are under the reserved ``example.org``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEMO_DOMAIN = "demo.example.org"
FINANCIAL_YEAR = (date(2011, 4, 1), date(2012, 3, 31))
# The foundation course was open to private nurseries from April to September.
NURSERY_WINDOW_END = date(2011, 9, 30)
NURSERIES = "Private nurseries"


@dataclass(frozen=True)
class AgencySpec:
    """A partner agency: ``staff`` people per required level (1, 2, 3), of
    whom ``in_date`` hold training in date today; ``others`` have no
    required level. ``weight`` is its share of its group's delegates."""

    name: str
    sector: str
    domain: str
    kind: str
    staff: tuple[int, int, int]
    in_date: tuple[int, int, int]
    others: int = 2
    weight: float = 1.0
    target: str = ""
    needs_approval: bool = False
    group: str = ""

    @property
    def delegate_group(self) -> str:
        return self.group or self.sector


BOARD = "Halverton Safeguarding Children Board"
CHILDRENS_SERVICES = "Halverton Council Children's Services"
COMMUNITY_TRUST = "Halverton Community Health NHS Trust"
ACUTE_TRUST = "Halverton General Hospital NHS Foundation Trust"
CHARITY = "Brightstart Children's Charity (Halverton Projects)"

AGENCIES = (
    AgencySpec(BOARD, "Local Authority", "hscb.example.org", "board", (0, 0, 0), (0, 0, 0),
               others=4, weight=0),
    # Local Authority
    AgencySpec(CHILDRENS_SERVICES, "Local Authority", "childrens.halverton.example.org",
               "childrens", (0, 40, 90), (0, 37, 82), others=6, weight=5),
    AgencySpec("Halverton Council Housing Options", "Local Authority",
               "housing.halverton.example.org", "housing", (20, 6, 0), (17, 5, 0)),
    AgencySpec("Halverton Council Adult Social Care", "Local Authority",
               "adults.halverton.example.org", "adults", (24, 12, 0), (22, 10, 0), weight=1.5),
    AgencySpec("Halverton Council Schools Support Service", "Local Authority",
               "schools-support.halverton.example.org", "schools_support", (4, 18, 20),
               (4, 17, 19), weight=2.5),
    # Health
    AgencySpec(COMMUNITY_TRUST, "Health", "halvertonchs.example.org", "community_health",
               (60, 43, 100), (57, 40, 99), others=3, weight=3),
    AgencySpec(ACUTE_TRUST, "Health", "halvertongeneral.example.org", "acute", (54, 40, 30),
               (48, 35, 26), others=4, weight=3, target="88", needs_approval=True),
    AgencySpec("Northvale Mental Health NHS Foundation Trust", "Health",
               "northvalemh.example.org", "mental_health", (20, 30, 15), (19, 27, 13), weight=2),
    AgencySpec("Halverton Clinical Commissioning Group", "Health", "halvertonccg.example.org",
               "ccg", (8, 4, 6), (8, 4, 6), weight=0.5),
    AgencySpec("Halverton GP Practices", "Health", "halvertongps.example.org", "gp",
               (15, 20, 25), (12, 16, 19), weight=1.5),
    # Police, justice, CAFCASS, drug and alcohol
    AgencySpec("Northvale Police (Halverton Division)", "Police", "police.northvale.example.org",
               "police", (10, 30, 25), (9, 27, 22)),
    AgencySpec("Northvale Probation Trust", "Justice Services", "probation.northvale.example.org",
               "probation", (10, 15, 5), (9, 14, 5)),
    AgencySpec("Halverton Youth Offending Service", "Justice Services",
               "yos.halverton.example.org", "yos", (0, 8, 12), (0, 8, 11)),
    AgencySpec("Cafcass (Northvale Team)", "CAFCASS", "cafcass-northvale.example.org",
               "cafcass", (0, 2, 14), (0, 2, 14)),
    AgencySpec("Pathways Drug and Alcohol Service", "Drug and Alcohol",
               "pathways-halverton.example.org", "drugs", (5, 15, 6), (5, 13, 5)),
    # Voluntary Sector
    AgencySpec("NSPCC Halverton Service Centre", "Voluntary Sector", "nspcc-halverton.example.org",
               "charity", (0, 6, 20), (0, 6, 19), weight=2),
    AgencySpec(CHARITY, "Voluntary Sector", "brightstart.example.org", "charity", (6, 22, 10),
               (6, 20, 9), weight=2.5, needs_approval=True),
    AgencySpec("Halverton Churches Together", "Voluntary Sector", "churches-halverton.example.org",
               "faith", (30, 6, 0), (26, 5, 0), weight=2),
    AgencySpec("Halverton Mosque Supplementary School", "Voluntary Sector",
               "mosque-school-halverton.example.org", "faith", (12, 3, 0), (10, 2, 0)),
    AgencySpec("Halverton Young Carers", "Voluntary Sector", "youngcarers-halverton.example.org",
               "youth", (8, 5, 0), (8, 4, 0)),
    AgencySpec("Riverside Family Support", "Voluntary Sector", "riverside-family.example.org",
               "charity", (5, 12, 3), (5, 11, 3), weight=1.5),
    AgencySpec("Safe Haven Domestic Abuse Project", "Voluntary Sector", "safehaven-da.example.org",
               "charity", (3, 9, 3), (3, 8, 2)),
    AgencySpec("Halverton Youth Clubs Network", "Voluntary Sector", "youthclubs-halverton.example.org",
               "youth", (16, 4, 0), (10, 3, 0)),
    # Schools and Colleges
    AgencySpec("Halverton College", "Schools and Colleges", "halverton-college.example.org",
               "school", (20, 25, 5), (18, 23, 5), weight=3),
    AgencySpec("Oakfield High School", "Schools and Colleges", "oakfield-high.example.org",
               "school", (30, 20, 4), (28, 18, 4), weight=3),
    AgencySpec("St Anne's CE Primary School", "Schools and Colleges", "stannes-primary.example.org",
               "school", (15, 10, 2), (13, 9, 2), weight=2),
    AgencySpec("Millbrook Primary School", "Schools and Colleges", "millbrook-primary.example.org",
               "school", (15, 10, 2), (14, 10, 2), weight=2),
    # Private Sector: the housing trust, and nurseries (a group of their own)
    AgencySpec("Halverton Housing Trust", "Private Sector", "halverton-housing-trust.example.org",
               "housing_trust", (20, 5, 0), (14, 4, 0)),
    AgencySpec("Little Acorns Day Nursery", "Private Sector", "littleacorns.example.org",
               "nursery", (8, 4, 0), (8, 4, 0), group=NURSERIES),
    AgencySpec("Tiny Steps Nursery", "Private Sector", "tinysteps.example.org", "nursery",
               (8, 4, 0), (7, 3, 0), group=NURSERIES),
    AgencySpec("Sunflower Day Nursery", "Private Sector", "sunflower-nursery.example.org",
               "nursery", (8, 3, 0), (5, 2, 0), group=NURSERIES),
    AgencySpec("Rainbow Corner Pre-School", "Private Sector", "rainbowcorner.example.org",
               "nursery", (6, 3, 0), (6, 3, 0), group=NURSERIES),
    # Fire and Rescue
    AgencySpec("Northvale Fire and Rescue Service", "Fire and Rescue", "fire.northvale.example.org",
               "fire", (30, 6, 2), (28, 5, 2)),
)

# Job titles by kind of agency and required level (None: no level).
JOBS = {
    "board": {None: ["Board Business Manager", "Training Co-ordinator", "Training Administrator",
                     "Board Administrator"]},
    "childrens": {2: ["Family Support Worker", "Contact Supervisor", "Business Support Officer"],
                  3: ["Social Worker", "Senior Social Worker", "Team Manager",
                      "Independent Reviewing Officer", "Residential Child Care Officer"],
                  None: ["Administrator"]},
    "housing": {1: ["Housing Officer", "Customer Services Adviser"], 2: ["Homelessness Officer"],
                None: ["Receptionist"]},
    "adults": {1: ["Care Assistant", "Occupational Therapist"], 2: ["Social Worker (Adults)"],
               None: ["Administrator"]},
    "schools_support": {1: ["Admissions Officer"], 2: ["Education Welfare Officer"],
                        3: ["Educational Psychologist", "Inclusion Officer"], None: ["Clerk"]},
    "community_health": {1: ["Receptionist", "Dental Nurse", "Podiatrist"],
                         2: ["Community Nurse", "Physiotherapist", "Speech and Language Therapist"],
                         3: ["Health Visitor", "School Nurse", "Community Paediatrician"],
                         None: ["Estates Officer"]},
    "acute": {1: ["Porter", "Ward Clerk", "Radiographer"], 2: ["Staff Nurse", "Healthcare Assistant"],
              3: ["Paediatric Nurse", "Midwife", "Emergency Department Doctor"],
              None: ["Catering Assistant"]},
    "mental_health": {1: ["Support Worker"], 2: ["Community Psychiatric Nurse"],
                      3: ["CAMHS Practitioner", "Consultant Psychiatrist"], None: ["Administrator"]},
    "ccg": {1: ["Commissioning Officer"], 2: ["Quality Lead"], 3: ["Designated Nurse"],
            None: ["Finance Officer"]},
    "gp": {1: ["Practice Receptionist"], 2: ["Practice Nurse"], 3: ["General Practitioner"],
           None: ["Practice Manager"]},
    "police": {1: ["Police Community Support Officer"], 2: ["Police Constable"],
               3: ["Detective Constable, Public Protection Unit"], None: ["Civilian Investigator"]},
    "probation": {1: ["Administrator"], 2: ["Probation Service Officer"], 3: ["Probation Officer"],
                  None: ["Receptionist"]},
    "yos": {2: ["Youth Justice Worker"], 3: ["Youth Offending Team Officer"],
            None: ["Administrator"]},
    "cafcass": {2: ["Business Support Officer"], 3: ["Family Court Adviser"],
                None: ["Administrator"]},
    "drugs": {1: ["Recovery Worker"], 2: ["Drug and Alcohol Worker"], 3: ["Young People's Worker"],
              None: ["Volunteer Co-ordinator"]},
    "charity": {1: ["Volunteer"], 2: ["Project Worker", "Family Support Worker"],
                3: ["Children's Services Practitioner", "Project Manager"], None: ["Fundraiser"]},
    "faith": {1: ["Sunday School Volunteer", "Youth Leader"], 2: ["Safeguarding Co-ordinator"],
              None: ["Treasurer"]},
    "youth": {1: ["Youth Club Volunteer", "Sessional Youth Worker"], 2: ["Youth Worker"],
              None: ["Trustee"]},
    "school": {1: ["Teaching Assistant", "Lunchtime Supervisor", "School Office Manager"],
               2: ["Teacher", "Learning Mentor"], 3: ["Designated Safeguarding Lead", "Head Teacher"],
               None: ["Caretaker"]},
    "housing_trust": {1: ["Neighbourhood Officer", "Repairs Operative"], 2: ["Tenancy Support Officer"],
                      None: ["Finance Assistant"]},
    "nursery": {1: ["Nursery Practitioner", "Nursery Assistant"], 2: ["Room Leader", "Nursery Manager"],
                None: ["Cook"]},
    "fire": {1: ["Firefighter", "Watch Manager"], 2: ["Community Safety Adviser"],
             3: ["Safeguarding Lead"], None: ["Fleet Technician"]},
}


@dataclass(frozen=True)
class CourseSpec:
    code: str
    title: str
    level: int | None
    days: int
    capacity: int
    hours: str
    description: str


COURSES = (
    CourseSpec("BA", "Basic Awareness of Safeguarding Children", 1, 1, 30, "3",
               "A half-day introduction for anyone whose work brings them into contact with "
               "children: recognising signs of abuse and neglect, and whom to tell."),
    CourseSpec("FND", "Safeguarding Children – A Shared Responsibility", 2, 1, 24, "6.5",
               "The board's foundation course: categories of abuse, the child's voice, "
               "information sharing and making a referral to children's social care."),
    CourseSpec("FNDR", "Safeguarding Children – A Shared Responsibility (Refresher)", 2, 1, 16, "3.5",
               "A refresher of the foundation course for staff trained three or more years ago, "
               "with changes in local procedures and lessons from case reviews."),
    CourseSpec("WT", "Working Together to Safeguard Children", 3, 2, 50, "13",
               "Two days for practitioners who work with children and families: the child "
               "protection process from referral to core groups, assessment and multi-agency plans."),
    CourseSpec("MA", "Managing Allegations against Staff and Volunteers", 3, 1, 20, "6",
               "For managers: what to do when an allegation is made against someone who works "
               "with children, and the role of the Local Authority Designated Officer."),
    CourseSpec("SR", "Safer Recruitment", None, 1, 24, "6.5",
               "For anyone who recruits staff or volunteers: building safeguards into every "
               "stage of recruitment. Held twice a year."),
    CourseSpec("SEC", "Somebody Else's Child – Private Fostering Awareness", 2, 1, 15, "3",
               "What private fostering is, why it matters and how to notify children's services. "
               "New in 2011-12."),
    CourseSpec("NEG", "Neglect: Recognition and Response", 3, 1, 16, "6",
               "Recognising cumulative neglect, using the graded care profile and escalating concerns."),
    CourseSpec("DA", "Domestic Abuse and its Impact on Children", 3, 1, 16, "6",
               "The effects of domestic abuse on children, risk assessment (DASH) and MARAC referrals."),
    CourseSpec("CSE", "Child Sexual Exploitation", 3, 1, 16, "6",
               "Spotting the signs of sexual exploitation, grooming online and offline, and the "
               "local multi-agency response."),
    CourseSpec("L3UP", "Safeguarding Children Level 3 Update", 3, 1, 20, "3.5",
               "A half-day update for Level 3 staff: recent legislation, serious case review "
               "learning and changes to local procedures."),
)


@dataclass(frozen=True)
class VenueSpec:
    name: str
    address: str
    accessibility: str
    capacity: int


CIVIC = "Halverton Civic Centre, Conference Suite"
EDC = "Halverton Education Development Centre"
RIVERSIDE = "Riverside Children's Centre"
FIRE_STATION = "Halverton Community Fire Station, Learning Room"
VENUES = (
    VenueSpec(CIVIC, "Civic Centre, Market Street, Halverton HV1 1AA",
              "Step-free entrance on Market Street; lift to the first floor; hearing loop.", 60),
    VenueSpec(EDC, "Moor Lane, Halverton HV2 4EP",
              "Ground-floor training rooms; accessible toilets; free parking with blue-badge bays.", 40),
    VenueSpec(RIVERSIDE, "12 Canal Side, Halverton HV3 7RC",
              "Ground floor only; one accessible parking space; baby-changing facilities.", 20),
    VenueSpec(FIRE_STATION, "Station Road, Halverton HV4 2FS",
              "First floor, reached by stairs only; please tell us if you need another room.", 24),
)
COURSE_VENUES = {"BA": (EDC,), "FND": (EDC, RIVERSIDE), "FNDR": (EDC,), "WT": (CIVIC,),
                 "MA": (FIRE_STATION,), "SR": (FIRE_STATION,), "SEC": (RIVERSIDE,),
                 "NEG": (RIVERSIDE, EDC), "DA": (RIVERSIDE,), "CSE": (FIRE_STATION, EDC),
                 "L3UP": (EDC,)}

# The 2011-12 programme: per course, each session's start date and how many
# attended (None: the session was cancelled). 37 planned, 29 run, 557 attended.
PROGRAMME_2011 = {
    "BA": (("2011-05-12", 25), ("2011-07-14", None), ("2011-09-15", 25),
           ("2011-11-17", None), ("2012-02-16", 20)),
    "FND": (("2011-04-20", 20), ("2011-06-08", 20), ("2011-08-17", None), ("2011-09-21", 20),
            ("2011-11-09", 20), ("2012-01-18", 20), ("2012-03-07", 20)),
    "FNDR": (("2011-06-22", 12), ("2011-10-12", None), ("2012-02-08", 10)),
    "WT": (("2011-05-17", 45), ("2011-07-05", 45), ("2011-10-18", 45), ("2012-01-24", 45)),
    "MA": (("2011-06-15", 18), ("2011-12-07", 17)),
    "SR": (("2011-05-25", 20), ("2011-11-23", 21)),
    "SEC": (("2011-06-29", 12), ("2011-09-28", 11), ("2011-12-14", 11), ("2012-03-14", 11)),
    "NEG": (("2011-05-04", 8), ("2011-08-10", None), ("2011-10-05", 7), ("2012-02-22", None)),
    "DA": (("2011-06-01", 8), ("2011-09-07", None), ("2012-01-11", 7)),
    "CSE": (("2011-07-13", 7), ("2011-11-02", 7), ("2012-03-21", None)),
}
# Either side of the financial year, to show that periods are respected.
PROGRAMME_EDGES = (("FND", "2011-03-16", 18), ("BA", "2012-04-25", 22))

# Who attended each course in 2011-12, by delegate group (sector, with the
# private nurseries apart from the rest of the private sector).
DELEGATES_2011 = {
    "WT": {"Voluntary Sector": 19, "Local Authority": 55, "Health": 45, "Police": 15,
           "Justice Services": 12, "CAFCASS": 4, "Drug and Alcohol": 6,
           "Schools and Colleges": 18, "Private Sector": 2, "Fire and Rescue": 4},
    "MA": {"Voluntary Sector": 2, "Local Authority": 12, "Health": 6, "Police": 3,
           "Schools and Colleges": 10, "Fire and Rescue": 2},
    "SR": {"Voluntary Sector": 3, "Local Authority": 10, "Health": 8, "Schools and Colleges": 16,
           "Private Sector": 2, "Fire and Rescue": 2},
    "SEC": {"Voluntary Sector": 4, "Local Authority": 14, "Health": 12, "Police": 3,
            "Justice Services": 2, "Schools and Colleges": 8, "CAFCASS": 2},
    "FND": {"Voluntary Sector": 66, NURSERIES: 22, "Local Authority": 10, "Health": 8,
            "Schools and Colleges": 8, "Drug and Alcohol": 3, "Fire and Rescue": 3},
    "FNDR": {"Voluntary Sector": 8, "Local Authority": 6, "Health": 4, "Schools and Colleges": 4},
    "BA": {"Local Authority": 20, "Health": 15, "Schools and Colleges": 15, "Private Sector": 8,
           "Fire and Rescue": 6, "Drug and Alcohol": 6},
    "NEG": {"Voluntary Sector": 2, "Local Authority": 6, "Health": 4, "Schools and Colleges": 3},
    "DA": {"Voluntary Sector": 2, "Local Authority": 4, "Health": 3, "Police": 3,
           "Justice Services": 2, "Drug and Alcohol": 1},
    "CSE": {"Voluntary Sector": 2, "Local Authority": 4, "Health": 2, "Police": 3,
            "Schools and Colleges": 2, "Justice Services": 1},
}

# The board's pool of trainers, seconded from partner agencies:
# (agency, job title, courses they deliver). The first is the demo trainer.
TRAINERS = (
    (CHILDRENS_SERVICES, "Workforce Development Officer (Safeguarding)", ("BA", "FND", "FNDR", "SEC")),
    (COMMUNITY_TRUST, "Named Nurse for Safeguarding Children", ("WT", "NEG", "L3UP")),
    ("Northvale Police (Halverton Division)", "Detective Sergeant, Public Protection Unit",
     ("WT", "CSE")),
    ("Safe Haven Domestic Abuse Project", "Domestic Abuse Lead", ("DA",)),
    (CHILDRENS_SERVICES, "Local Authority Designated Officer", ("MA", "SR")),
    (CHILDRENS_SERVICES, "Private Fostering Social Worker", ("SEC", "FND")),
)

# Run in the last months: (course, days ago, attended).
RECENT = (("FND", 96, 19), ("WT", 59, 36), ("BA", 38, 22), ("L3UP", 24, 14), ("SEC", 11, 10))
# The coming year: (course, days from today).
FUTURE = (("CSE", 17), ("FND", 23), ("BA", 31), ("WT", 38), ("MA", 46), ("FNDR", 52),
          ("SEC", 66), ("NEG", 81), ("DA", 94), ("SR", 109), ("FND", 122), ("L3UP", 137),
          ("BA", 157), ("WT", 172), ("FNDR", 185), ("CSE", 207), ("SEC", 228), ("FND", 248),
          ("NEG", 270), ("MA", 290), ("DA", 312), ("SR", 325), ("BA", 340), ("FND", 353))
FUTURE_CANCELLED = ("MA", 46)  # called off: the trainer is unavailable

FIRST_NAMES = (
    "Aisha", "Alan", "Alison", "Amir", "Amy", "Andrew", "Angela", "Anna", "Asif", "Barbara",
    "Ben", "Bethan", "Carl", "Caroline", "Catherine", "Chloé", "Chris", "Claire", "Colin",
    "Daniel", "David", "Deborah", "Declan", "Diane", "Emma", "Farah", "Fiona", "Gareth",
    "Gemma", "Graham", "Hannah", "Hassan", "Helen", "Ian", "Imran", "Jack", "Jacqueline",
    "James", "Jane", "Janet", "Jason", "Jennifer", "Joanne", "John", "Julie", "Karen",
    "Kate", "Kelly", "Kevin", "Lauren", "Leanne", "Lee", "Lisa", "Louise", "Lucy", "Mark",
    "Martin", "Michelle", "Mohammed", "Nadia", "Natalie", "Neil", "Nicola", "Paul", "Peter",
    "Priya", "Rachel", "Rebecca", "Richard", "Robert", "Ruth", "Sadia", "Samantha", "Sarah",
    "Seán", "Sharon", "Simon", "Siân", "Sophie", "Stephen", "Steven", "Susan", "Tariq",
    "Thomas", "Tracey", "Victoria", "Wendy", "Yasmin", "Zoë",
)
LAST_NAMES = (
    "Ahmed", "Ali", "Allen", "Anderson", "Ashworth", "Bailey", "Baker", "Barker", "Begum",
    "Bennett", "Booth", "Bradley", "Brennan", "Brooks", "Brown", "Butler", "Carter", "Chadwick",
    "Clarke", "Collins", "Cooper", "Cox", "Crossley", "Davies", "Dixon", "Duffy", "Edwards",
    "Evans", "Fletcher", "Foster", "Gallagher", "Gibson", "Graham", "Green", "Hall", "Harris",
    "Holden", "Holt", "Hughes", "Hussain", "Jackson", "James", "Johnson", "Jones", "Kaur",
    "Kelly", "Kennedy", "Khan", "Kowalski", "Lees", "Lewis", "Lord", "Marsden", "Martin",
    "Mason", "Mitchell", "Moore", "Morris", "Murphy", "Nowak", "O'Brien", "O'Neill", "Okafor",
    "Owen", "Parker", "Patel", "Pickering", "Price", "Rahman", "Riley", "Roberts", "Robinson",
    "Rowe", "Scott", "Shah", "Sharples", "Singh", "Smith", "Stewart", "Sutcliffe", "Taylor",
    "Thomas", "Thompson", "Turner", "Walker", "Walsh", "Ward", "Watson", "White", "Whittaker",
    "Wilkinson", "Williams", "Wilson", "Wood", "Wright", "Young",
)
