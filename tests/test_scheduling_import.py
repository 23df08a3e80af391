"""Uploading the contract's CSV files from the web (contract section 4): a
preview that writes nothing, then "Confirm import" with the CLI's rules."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trainingapp.agencies.models import Agency, Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.extensions import db
from tests.factories import login_as, make_agency, make_user

AGENCIES = b"\xef\xbb\xbfname,sector\r\nNorthtown Police,Police\r\nNorthtown NSPCC,Voluntary Sector\r\n"
PEOPLE = b"email,first_name,last_name,agency,role\nann@example.org,Ann,Able,Northtown Police,trainer\n"
ADMIN_ROW = b"email,first_name,last_name,agency,role\nboss@example.org,Bo,Boss,Northtown Police,admin\n"


@pytest.fixture
def uploads_dir(app, tmp_path) -> Path:
    app.instance_path = str(tmp_path)
    return tmp_path / "uploads"


def sign_in(app, client, role: Role = Role.COORDINATOR) -> None:
    with app.app_context():
        login_as(client, make_user(role, make_agency("Home agency")))
        db.session.commit()


def upload(client, **files: bytes):
    data = {name: (io.BytesIO(content), f"{name} export.csv") for name, content in files.items()}
    return client.post("/manage/import", data=data, content_type="multipart/form-data")


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def page(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_preview_writes_nothing_then_confirm_imports(app, client, uploads_dir):
    sign_in(app, client)
    response = upload(client, agencies=AGENCIES, people=PEOPLE)
    text = page(response)
    assert response.status_code == 200 and "Check the import" in text
    rows = re.sub(r"<[^>]+>", "|", text)
    assert re.search(r"agencies\.csv\W+2\W+0\W+0\W", rows) and re.search(r"people\.csv\W+1\W+0\W+0\W", rows)
    assert count(app, Agency) == 1  # only the coordinator's own agency
    assert len(list(uploads_dir.iterdir())) == 1  # the files wait on the server
    response = client.post("/manage/import/confirm")
    assert response.status_code == 302
    assert count(app, Agency, Agency.name == "Northtown NSPCC") == 1
    assert count(app, Person, Person.email == "ann@example.org", Person.role == Role.TRAINER) == 1
    assert "agencies.csv: 2 created, 0 updated, 0 unchanged" in page(client.get("/manage/import"))
    assert list(uploads_dir.iterdir()) == []
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
        assert entry.details["files"]["agencies.csv"] == [2, 0, 0] and entry.actor_id is not None
    # Confirming again finds nothing to import.
    response = client.post("/manage/import/confirm")
    assert response.status_code == 302 and count(app, AuditEntry, AuditEntry.action == "import") == 1


def test_every_error_is_listed_with_file_line_and_column(app, client, uploads_dir):
    sign_in(app, client)
    people = b"email,first_name,last_name,agency,shoe_size\n"
    courses = b"code,title,duration_days\nL1,Basic,0\nL1,Again,1\n"
    response = upload(client, agencies=AGENCIES, people=people, courses=courses)
    assert response.status_code == 422
    text = page(response)
    assert "The files have errors" in text and "Nothing was imported" in text
    cells = [" ".join(c.split()) for c in response.get_data(as_text=True).split("<tr")]
    assert any("people.csv" in c and ">1<" in c and "shoe_size" in c and "unknown column" in c for c in cells)
    assert any("courses.csv" in c and ">2<" in c and "duration_days" in c and "must be between 1 and 365" in c
               for c in cells)
    assert any("courses.csv" in c and ">3<" in c and "duplicate of line 2" in c for c in cells)
    assert count(app, Agency) == 1
    assert not uploads_dir.exists() or list(uploads_dir.iterdir()) == []
    assert client.post("/manage/import/confirm").status_code == 302  # nothing to confirm
    assert count(app, Agency) == 1


def test_a_coordinator_cannot_import_admins(app, client, uploads_dir):
    sign_in(app, client)
    response = upload(client, agencies=AGENCIES, people=ADMIN_ROW)
    assert response.status_code == 422
    assert "only an administrator can give the admin role" in page(response)
    with app.app_context():
        boss = make_user(Role.ADMIN, email="boss@example.org")
        db.session.commit()
        boss_id = boss.id
    # Nor change an admin's details (here: demote them).
    demote = b"email,first_name,last_name,agency,role\nboss@example.org,Bo,Boss,Northtown Police,practitioner\n"
    response = upload(client, agencies=AGENCIES, people=demote)
    assert "only an administrator can change their details" in page(response)
    with app.app_context():
        assert db.session.get(Person, boss_id).role is Role.ADMIN


def test_an_admin_may_import_admins(app, client, uploads_dir):
    sign_in(app, client, Role.ADMIN)
    response = upload(client, agencies=AGENCIES, people=ADMIN_ROW)
    assert response.status_code == 200, page(response)
    client.post("/manage/import/confirm")
    assert count(app, Person, Person.email == "boss@example.org", Person.role == Role.ADMIN) == 1


def test_no_file_or_a_file_too_large(app, client, uploads_dir):
    sign_in(app, client)
    response = client.post("/manage/import", data={}, content_type="multipart/form-data")
    assert "Choose at least one CSV file" in page(response)
    app.config["IMPORT_MAX_BYTES"] = 20
    response = upload(client, agencies=AGENCIES)
    assert "agencies.csv is larger than 20 bytes: split it" in page(response)
    assert count(app, Agency) == 1


def test_starting_again_forgets_the_upload(app, client, uploads_dir):
    sign_in(app, client)
    upload(client, agencies=AGENCIES)
    assert len(list(uploads_dir.iterdir())) == 1
    client.post("/manage/import/discard")
    assert list(uploads_dir.iterdir()) == []
    client.post("/manage/import/confirm")
    assert count(app, Agency) == 1
