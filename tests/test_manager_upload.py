"""An agency manager uploads people.csv for their own agency only (contract
sections 2 and 4): a preview that writes nothing, then "Confirm import";
rows for another agency, another agency's people or roles are errors on
their line and column, and nothing of another agency's people shows."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import login_as, make_agency, make_person, make_user
from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.extensions import db

HEADER = "email,first_name,last_name,agency,job_title,required_level\n"
ROLE_GIVEN = ("{}|role|leave the role blank or practitioner: only the training coordinator or an "
              "administrator gives roles")


@pytest.fixture
def uploads_dir(app, tmp_path) -> Path:
    app.instance_path = str(tmp_path)
    return tmp_path / "uploads"


@pytest.fixture
def world(app, uploads_dir):
    """Two agencies, each with a manager and one member of staff."""
    with app.app_context():
        home, other = make_agency("Northtown Police"), make_agency("Southtown NHS Trust")
        ids = {
            "home": home.id, "other": other.id,
            "manager": make_user(Role.AGENCY_MANAGER, home, email="mo@police.example").id,
            "staff": make_person(home, email="sam@police.example", first_name="Sam",
                                 last_name="Staff", required_level=1).id,
            "stranger": make_person(other, email="zed@nhs.example", first_name="Zebedee",
                                    last_name="Quaintly").id,
            "other_manager": make_user(Role.AGENCY_MANAGER, other).id,
            "coordinator": make_user(Role.COORDINATOR, make_agency("Board")).id,
            "practitioner": make_user(Role.PRACTITIONER, home).id,
        }
        db.session.commit()
    return ids


def sign_in(app, client, person_id: int) -> None:
    with app.app_context():
        login_as(client, db.session.get(Person, person_id))


def upload(client, text: str, name: str = "people.csv", query: str = ""):
    data = {"people": (io.BytesIO(text.encode()), name)}
    return client.post(f"/agency/staff/import{query}", data=data, content_type="multipart/form-data")


def page(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def error_rows(response) -> list[str]:
    """The errors table's rows as "line|column|message" (tags become |)."""
    body = response.get_data(as_text=True)
    rows = []
    for chunk in body.split("<tr")[2:]:
        cells = [html.unescape(" ".join(c.split())) for c in re.findall(r"<td[^>]*>(.*?)</td>", chunk, re.DOTALL)]
        if len(cells) == 4:
            rows.append("|".join(cells[1:]))
    return rows


def people(app) -> dict[str, tuple]:
    with app.app_context():
        return {p.email: (p.first_name, p.last_name, p.agency_id, p.role, p.required_level)
                for p in db.session.scalars(select(Person))}


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == action))


def test_a_manager_previews_then_imports_their_own_staff(app, client, world, uploads_dir):
    sign_in(app, client, world["manager"])
    before = people(app)
    csv = HEADER + ("new@police.example,Nia,New,northtown police ,PCSO,2\n"
                    "SAM@police.example,Sam,Staff,Northtown Police,Detective,1\n"
                    "mo@police.example,Pat,Person{n},Northtown Police,,\n")
    # The manager's own row, unchanged: the factory names them Pat Person<n>.
    csv = csv.replace("Person{n}", before["mo@police.example"][1])
    response = upload(client, csv)
    text = page(response)
    assert response.status_code == 200, text
    assert "Check the import" in text and "Northtown Police" in text
    assert re.search(r"people\.csv\W+1\W+1\W+1\W", re.sub(r"<[^>]+>", "|", text))
    assert people(app) == before  # the preview writes nothing
    assert len(list(uploads_dir.iterdir())) == 1

    response = client.post("/agency/staff/import/confirm")
    assert response.status_code == 303 and response.headers["Location"] == "/agency/staff"
    after = people(app)
    assert after["new@police.example"] == ("Nia", "New", world["home"], Role.PRACTITIONER, 2)
    assert after["sam@police.example"][4] == 1
    with app.app_context():
        assert db.session.get(Person, world["staff"]).job_title == "Detective"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_import"))
        assert (entry.actor_id, entry.agency_id) == (world["manager"], world["home"])
        imported = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
        assert imported.details["files"] == {"people.csv": [1, 1, 1]}
    assert "1 added, 1 updated, 1 unchanged" in page(client.get("/agency/staff"))
    assert list(uploads_dir.iterdir()) == []
    # Confirming again finds nothing to import.
    assert client.post("/agency/staff/import/confirm").status_code == 303
    assert audit_count(app, "import") == 1


def test_the_staff_page_links_to_the_upload(app, client, world):
    sign_in(app, client, world["manager"])
    assert 'href="/agency/staff/import"' in page(client.get("/agency/staff"))
    response = client.get("/agency/staff/import")
    assert response.status_code == 200 and "Upload staff" in page(response)


def test_rows_outside_the_agency_are_errors_on_their_line_and_nothing_is_written(
        app, client, world, uploads_dir):
    sign_in(app, client, world["manager"])
    before = people(app)
    csv = (HEADER.strip() + ",role\n"
           "new@police.example,Nia,New,Northtown Police,,,\n"              # 2: fine
           "in@nhs.example,Ian,Other,Southtown NHS Trust,,,\n"             # 3: another agency
           "zed@nhs.example,Zed,Moved,Northtown Police,,,\n"               # 4: their person
           "boss@police.example,Bo,Boss,Northtown Police,,,admin\n"        # 5: a role
           "co@police.example,Co,Ord,Northtown Police,,,Coordinator\n"     # 6: a role
           "pc@police.example,Pc,Plain,Northtown Police,,,practitioner\n"  # 7: fine
           "x@police.example,X,Nowhere,Atlantis Council,,,\n")             # 8: unknown agency
    response = upload(client, csv)
    assert response.status_code == 422
    rows = error_rows(response)
    assert rows == [
        "3|agency|you can only upload staff of Northtown Police",
        ("4|email|this e-mail address is not one of Northtown Police's staff: you can only add "
         "and change your own staff. If they have joined you, ask the training coordinator to "
         "move them"),
        ROLE_GIVEN.format(5),
        ROLE_GIVEN.format(6),
        "8|agency|you can only upload staff of Northtown Police",
    ]
    text = page(response)
    for secret in ("Zebedee", "Quaintly", "Southtown NHS Trust"):
        assert secret not in text
    assert people(app) == before
    assert not uploads_dir.exists() or list(uploads_dir.iterdir()) == []
    assert client.post("/agency/staff/import/confirm").status_code == 303
    assert people(app) == before and audit_count(app, "import") == 0


def test_another_agencys_person_is_never_named(app, client, world):
    sign_in(app, client, world["manager"])
    response = upload(client, HEADER + "zed@nhs.example,Zed,Moved,Northtown Police,,\n")
    assert response.status_code == 422
    text = page(response)
    for secret in ("Zebedee", "Quaintly", "Southtown"):
        assert secret not in text
    assert error_rows(response)[0].startswith("2|email|")


def test_roles_of_staff_stay_as_they_are(app, client, world):
    """A blank role means practitioner: with a role column, a row for a
    trainer (or the manager) would take their role away."""
    sign_in(app, client, world["manager"])
    with app.app_context():
        trainer = make_person(db.session.get(Person, world["manager"]).agency,
                              email="tr@police.example", role=Role.TRAINER)
        db.session.commit()
        last = trainer.last_name
    csv = HEADER.strip() + f",role\ntr@police.example,Pat,{last},Northtown Police,,,\n"
    response = upload(client, csv)
    assert response.status_code == 422
    assert error_rows(response)[0].startswith("2|role|this person is a trainer")
    # Without the role column their role is kept.
    response = upload(client, HEADER + f"tr@police.example,Pat,{last},Northtown Police,Lead,\n")
    assert response.status_code == 200, page(response)
    client.post("/agency/staff/import/confirm")
    assert people(app)["tr@police.example"][3] is Role.TRAINER


def test_only_people_csv_is_accepted(app, client, world):
    sign_in(app, client, world["manager"])
    response = upload(client, "name,sector\nX,Y\n", name="agencies.csv")
    assert response.status_code == 400
    assert "Choose a file called people.csv" in page(response)
    response = client.post("/agency/staff/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose your people.csv file" in page(response)
    # Ordinary import errors keep their line and column.
    response = upload(client, "email,first_name,last_name,agency,shoe_size\n")
    assert error_rows(response) == [("1|shoe_size|unknown column (expected: email, first_name, "
                                     "last_name, agency, job_title, required_level, role)")]


def test_a_coordinator_uploads_for_a_chosen_agency(app, client, world):
    sign_in(app, client, world["coordinator"])
    assert "Choose an agency" in page(client.get("/agency/staff/import"))
    query = f"?agency={world['other']}"
    response = upload(client, HEADER + "new@nhs.example,Nia,New,Southtown NHS Trust,,3\n", query=query)
    assert response.status_code == 200, page(response)
    assert f'action="/agency/staff/import/confirm?agency={world["other"]}"' in page(response)
    # A file checked for one agency cannot be confirmed for another.
    response = client.post(f"/agency/staff/import/confirm?agency={world['home']}")
    assert response.status_code == 303 and "new@nhs.example" not in people(app)
    response = upload(client, HEADER + "new@nhs.example,Nia,New,Southtown NHS Trust,,3\n", query=query)
    response = client.post(f"/agency/staff/import/confirm{query}")
    assert response.status_code == 303
    assert people(app)["new@nhs.example"][2:] == (world["other"], Role.PRACTITIONER, 3)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_import"))
        assert (entry.actor_id, entry.agency_id) == (world["coordinator"], world["other"])


def test_who_may_upload(app, client, world):
    assert client.get("/agency/staff/import").status_code == 302  # signed out: to log in
    assert client.get("/agency/staff/import").headers["Location"].startswith("/login?next=")
    sign_in(app, client, world["practitioner"])
    assert client.get("/agency/staff/import").status_code == 403
    assert upload(client, HEADER).status_code == 403
    sign_in(app, client, world["manager"])
    assert client.get(f"/agency/staff/import?agency={world['other']}").status_code == 404
    response = upload(client, HEADER + "n@nhs.example,N,N,Southtown NHS Trust,,\n",
                      query=f"?agency={world['other']}")
    assert response.status_code == 404 and "n@nhs.example" not in people(app)
    assert client.post(f"/agency/staff/import/confirm?agency={world['other']}").status_code == 404


def test_confirming_rechecks_the_file_and_writes_nothing_when_it_fails(app, client, world):
    """Between the preview and "Confirm import" a coordinator moved Sam to
    another agency: confirming now refuses the file, audits nothing."""
    sign_in(app, client, world["manager"])
    response = upload(client, HEADER + "sam@police.example,Sam,Renamed,Northtown Police,,1\n")
    assert response.status_code == 200, page(response)
    with app.app_context():
        db.session.get(Person, world["staff"]).agency_id = world["other"]
        db.session.commit()
    response = client.post("/agency/staff/import/confirm")
    assert response.status_code == 422
    assert [r.split("|")[:2] for r in error_rows(response)] == [["2", "email"]]
    assert people(app)["sam@police.example"][1] == "Staff"
    assert audit_count(app, "staff_import") == 0 and audit_count(app, "import") == 0


def test_an_import_refused_at_confirm_leaves_no_audit_entry(app, client, world):
    """The agency's own check passes but the import refuses (Sam became an
    administrator since the preview): the agency's audit entry, added
    before the import, is rolled back with it."""
    sign_in(app, client, world["manager"])
    assert upload(client, HEADER + "sam@police.example,Sam,Renamed,Northtown Police,,1\n"
                  ).status_code == 200
    with app.app_context():
        db.session.get(Person, world["staff"]).role = Role.ADMIN
        db.session.commit()
    response = client.post("/agency/staff/import/confirm")
    assert response.status_code == 422
    assert "only an administrator can change their details" in page(response)
    assert audit_count(app, "staff_import") == 0 and people(app)["sam@police.example"][1] == "Staff"
