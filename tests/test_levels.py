"""An admin sets each level's validity (contract section 5: 36 months unless
changed) and learning hours at /admin/levels; the compliance figures use
the new validity at once."""
from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import login_as, make_agency, make_person, make_record, make_user
from trainingapp.agencies.models import Role
from trainingapp.audit import AuditEntry
from trainingapp.courses.models import Level
from trainingapp.extensions import db
from trainingapp.reports import queries


def form(**changes) -> dict[str, str]:
    """The levels form as stored by the migration, with ``changes``
    (``validity_months_1="12"``: level 1's validity)."""
    data = {}
    for number in (1, 2, 3):
        data[f"levels-{number - 1}-name"] = f"Level {number}"
        data[f"levels-{number - 1}-validity_months"] = "36"
        data[f"levels-{number - 1}-required_hours"] = ""
    for key, value in changes.items():
        field, number = key.rsplit("_", 1)
        data[f"levels-{int(number) - 1}-{field}"] = value
    return data


def page(response) -> str:
    return html.unescape(" ".join(response.get_data(as_text=True).split()))


@pytest.fixture
def admin(app, client):
    with app.app_context():
        person = make_user(Role.ADMIN, make_agency("Board"))
        db.session.commit()
        login_as(client, person)
        return person.id


def stored(app) -> dict[int, tuple]:
    with app.app_context():
        return {lv.number: (lv.name, lv.validity_months, lv.required_hours)
                for lv in db.session.scalars(select(Level))}


def test_the_page_shows_the_three_levels(app, client, admin):
    response = client.get("/admin/levels")
    assert response.status_code == 200
    text = page(response)
    for number in (1, 2, 3):
        assert f'name="levels-{number - 1}-validity_months" type="text" value="36"' in text
    assert 'href="/admin/levels"' in page(client.get("/admin/people"))
    assert 'href="/admin/levels"' in page(client.get("/"))


def test_saving_changes_the_levels_and_is_audited(app, client, admin):
    response = client.post("/admin/levels", data=form(validity_months_1="12", required_hours_3="12.5",
                                                      name_2="Level 2 (core)"))
    assert response.status_code == 303
    assert stored(app) == {1: ("Level 1", 12, None), 2: ("Level 2 (core)", 36, None),
                           3: ("Level 3", 36, Decimal("12.5"))}
    assert "Levels saved" in page(client.get("/admin/levels"))
    with app.app_context():
        entries = {e.target_id: e for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "level_changed"))}
    assert entries[1].details == {"validity_months": {"old": 36, "new": 12}}
    assert entries[2].details == {"name": {"old": "Level 2", "new": "Level 2 (core)"}}
    assert entries[3].details == {"required_hours": {"old": None, "new": "12.5"}}
    assert entries[1].actor_id == admin and entries[1].target_type == "level"
    # Saving the same values again changes nothing and audits nothing.
    again = form(validity_months_1="12", required_hours_3="12.50", name_2="Level 2 (core)")
    assert client.post("/admin/levels", data=again).status_code == 303
    with app.app_context():
        assert len(db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "level_changed")).all()) == 3


@pytest.mark.parametrize("field, value, message", [
    ("validity_months_1", "0", "Level 1 validity must be between 1 and 120 months"),
    ("validity_months_2", "121", "Level 2 validity must be between 1 and 120 months"),
    ("validity_months_3", "abc", "Level 3 validity must be a whole number of months, like 36"),
    ("validity_months_1", "", "Enter the level 1 validity in months, like 36"),
    ("validity_months_1", "-5", "Level 1 validity must be a whole number of months, like 36"),
    ("required_hours_2", "lots", "Level 2 required learning hours must be a number, like 12 or 12.5"),
    ("required_hours_2", "-1", "Level 2 required learning hours must be between 0 and 1000"),
    ("required_hours_2", "1.234", "Level 2 required learning hours must be between 0 and 1000"),
    ("name_3", "  ", "Enter a name for level 3"),
])
def test_invalid_values_are_refused_naming_the_field(app, client, admin, field, value, message):
    response = client.post("/admin/levels", data=form(**{"required_hours_1": "8", field: value}))
    assert response.status_code == 400
    text = page(response)
    assert "There is a problem" in text and text.count(message) == 2  # summary and field
    number = int(field.rsplit("_", 1)[1])
    href = f'href="#levels-{number - 1}-{field.rsplit("_", 1)[0]}"'
    assert href in text
    assert stored(app)[1] == ("Level 1", 36, None)  # nothing saved, not even the valid change


def test_the_compliance_report_uses_the_new_validity_at_once(app, client, admin):
    on = date(2012, 1, 1)
    with app.app_context():
        person = make_person(make_agency("Police"), required_level=1)
        make_record(person, 1, date(2010, 1, 1))  # 24 months before
        db.session.commit()
        person_id = person.id
        assert [r.staff_compliant for r in queries.compliance(on, None, 90) if r.level == "1"] == [1]
    client.post("/admin/levels", data=form(validity_months_1="12"))
    with app.app_context():
        assert [r.staff_compliant for r in queries.compliance(on, None, 90) if r.level == "1"] == [0]
        # The agency's staff list too: the record expired after 12 months.
        standing = queries.person_compliance(person_id, on)
        assert standing.status == queries.OUT_OF_DATE and standing.expires_on == date(2011, 1, 1)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admins_change_levels(app, client, role):
    with app.app_context():
        login_as(client, make_user(role, make_agency()))
        db.session.commit()
    assert client.get("/admin/levels").status_code == 403
    assert client.post("/admin/levels", data=form(validity_months_1="12")).status_code == 403
    assert stored(app)[1][1] == 36


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/levels")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
