"""The service navigation: the same few links for everyone in a role."""
from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from ..agencies.models import Role

# (label, endpoint, roles that see it; None = everyone logged in, "anonymous" = visitors)
ITEMS: tuple[tuple[str, str, object], ...] = (
    ("Home", "main.home", "all"),
    ("Courses", "programme.index", "all"),
    ("My sessions", "programme.my_sessions", (Role.TRAINER,)),
    ("Your bookings", "bookings.mine", None),
    ("Your training", "attendance.training", None),
    ("Staff", "attendance.staff", (Role.AGENCY_MANAGER,)),
    ("Staff bookings", "bookings.staff_bookings", (Role.AGENCY_MANAGER,)),
    ("Approvals", "bookings.approvals", (Role.AGENCY_MANAGER,)),
    ("Compliance", "reports.compliance", (Role.AGENCY_MANAGER,)),
    ("Programme", "scheduling.programme", (Role.COORDINATOR, Role.ADMIN)),
    ("Course catalogue", "scheduling.courses", (Role.COORDINATOR, Role.ADMIN)),
    ("Venues", "scheduling.venues", (Role.COORDINATOR, Role.ADMIN)),
    ("Trainers", "scheduling.trainers", (Role.COORDINATOR, Role.ADMIN)),
    ("Import", "scheduling.upload", (Role.COORDINATOR, Role.ADMIN)),
    ("Reports", "reports.index", (Role.COORDINATOR, Role.ADMIN)),
    ("People", "admin.people", (Role.ADMIN,)),
    ("Your account", "accounts.profile", None),
    ("Sign out", "accounts.logout_confirm", None),
    ("Create an account", "accounts.register", "anonymous"),
    ("Sign in", "accounts.login", "anonymous"),
)


def _visible(who) -> bool:
    if who == "all":
        return True
    if who == "anonymous":
        return not current_user.is_authenticated
    if not current_user.is_authenticated:
        return False
    return who is None or current_user.role in who


def navigation() -> list[dict]:
    items = []
    for label, endpoint, who in ITEMS:
        if _visible(who):
            href = url_for(endpoint)
            items.append({"href": href, "text": label,
                          "active": request.endpoint == endpoint})
    return items
