"""Every route declares who may use it, and gets it right for every role.

The table in docs/routes.md is generated from the code; a route without a
declaration, or a table out of date, fails here. Then every route is
requested as each role and logged out.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainingapp.access import render_access_table, rule_for
from trainingapp.agencies.models import Role
from trainingapp.extensions import db
from tests.factories import login_as, make_agency, make_user

ROUTES_DOC = Path(__file__).resolve().parent.parent / "docs" / "routes.md"
WHO = ["anonymous", *[r.value for r in Role]]


def test_every_route_declares_its_access(app):
    missing = [rule.rule for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == []


def test_routes_table_in_the_repo_is_up_to_date(app):
    assert ROUTES_DOC.read_text() == render_access_table(app), (
        "docs/routes.md is out of date: run `flask --app wsgi routes-table > docs/routes.md`")


def _sample_url(rule, ids) -> str:
    url = rule.rule
    url = url.replace("<path:filename>", "dist/app.css")
    url = re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), 999999)), url)
    url = re.sub(r"<(?:string:)?(\w+)>", lambda m: str(ids.get(m.group(1), "unknown")), url)
    return url


@pytest.mark.parametrize("who", WHO)
def test_every_route_as_every_role(app, client, who):
    with app.app_context():
        agency = make_agency("Walk Agency")
        users = {r.value: make_user(r, agency) for r in Role}
        ids = {"person_id": users["practitioner"].id}
        db.session.commit()
        if who != "anonymous":
            login_as(client, users[who])
        # Signing out ends the walk's session, so it goes last.
        rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "accounts.logout")
        for rule in rules:
            access = rule_for(app, rule.endpoint)
            url = _sample_url(rule, ids)
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method)
            where = f"{method} {url} as {who}"
            assert response.status_code < 500, where
            if access.kind == "public":
                assert response.status_code not in (401, 403), where
            elif who == "anonymous":
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login?next="), where
            elif access.allows(users[who]):
                assert response.status_code not in (401, 403), where
            else:
                assert response.status_code == 403, where
