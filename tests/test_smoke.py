from trainingapp.courses.models import Level
from trainingapp.extensions import db


def test_migrated_schema_has_the_three_levels(ctx):
    levels = db.session.scalars(db.select(Level).order_by(Level.number)).all()
    assert [(lv.number, lv.validity_months) for lv in levels] == [(1, 36), (2, 36), (3, 36)]


def test_programme_page_lists_nothing_on_an_empty_database(client):
    response = client.get("/sessions")
    assert response.status_code == 200
    assert b"No sessions are scheduled yet." in response.data
