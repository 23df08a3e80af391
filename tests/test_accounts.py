"""Accounts through the real HTTP stack: sign in and out, registration,
confirmation, password reset and change, profile, admin, and the security
baseline (contract section 2, shared/reliability.md)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from trainingapp.access import public
from trainingapp.accounts import services, tokens
from trainingapp.agencies.models import Person, Role
from trainingapp.audit import AuditEntry
from trainingapp.extensions import db
from trainingapp.mail.models import OutboxMessage
from tests.factories import PASSWORD, login_as, make_agency, make_person, make_user

NEW_PASSWORD = "plum orchard lantern velvet"


def sign_in(client, email, password=PASSWORD, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def last_mail(to: str) -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)
                              .order_by(OutboxMessage.id.desc())).first()


def link_in(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://localhost({path}[^\s]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


@pytest.fixture
def user(ctx):
    person = make_user(Role.PRACTITIONER, make_agency("Home Agency"), email="pat@example.org")
    db.session.commit()
    return person


# -- signing in -------------------------------------------------------------------

def test_sign_in_redirects_home_and_records_the_login(client, user):
    response = sign_in(client, "PAT@example.org ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200
    assert "login" in actions()


def test_sign_in_renews_the_session(client, user):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, "pat@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user.session_token


def test_unknown_email_and_wrong_password_get_the_same_answer(client, user):
    wrong = sign_in(client, "pat@example.org", "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Enter a correct email address and password" in wrong.data

    def scrub(body: bytes) -> bytes:
        body = body.replace(b"pat@example.org", b"X").replace(b"nobody@example.org", b"X")
        return re.sub(rb'(nonce|value)="[^"]*"', b"", body)

    assert scrub(wrong.data) == scrub(unknown.data)
    assert actions().count("login_failed") == 2


@pytest.mark.parametrize("change", ["unconfirmed", "inactive", "no_password"])
def test_accounts_that_may_not_sign_in(client, user, change):
    if change == "unconfirmed":
        user.email_confirmed_at = None
    elif change == "inactive":
        user.is_active = False
    else:
        user.password_hash = None
    db.session.commit()
    assert sign_in(client, "pat@example.org").status_code == 200
    assert client.get("/account").status_code == 302


def test_ten_failed_sign_ins_lock_the_account_for_a_while(client, user):
    other = make_user(email="other@example.org")
    db.session.commit()
    for _ in range(10):
        assert sign_in(client, "pat@example.org", "wrong password here").status_code == 200
    locked = sign_in(client, "pat@example.org")   # even the right password
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.data
    assert sign_in(client, other.email).status_code == 302  # other accounts unaffected


def test_successful_sign_ins_do_not_count_towards_the_limit(client, user):
    for _ in range(12):
        assert sign_in(client, "pat@example.org").status_code == 302
        client.post("/logout")


@pytest.mark.parametrize("target, expected", [
    ("/account", "/account"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_within_the_site(client, user, target, expected):
    response = sign_in(client, "pat@example.org", next_url=target)
    assert response.headers["Location"] == expected


def test_logout_ends_the_session_and_old_cookies_stop_working(client, app, user):
    sign_in(client, "pat@example.org")
    stolen = client.get_cookie("session").value
    assert client.get("/logout").status_code == 200          # GET only asks
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen, domain="localhost")
    assert replay.get("/account").status_code == 302


def test_a_removed_role_takes_effect_on_the_next_request(client, ctx):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    login_as(client, admin)
    assert client.get("/admin/people").status_code == 200
    admin.role = Role.COORDINATOR
    db.session.commit()
    assert client.get("/admin/people").status_code == 403
    assert "access_denied" in actions()


# -- registration -------------------------------------------------------------------

def register(client, agency_id, email="new@example.org", **overrides):
    data = {"first_name": "Siân", "last_name": "O'Brien", "email": email, "agency": agency_id,
            "job_title": "Health visitor", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    data.update(overrides)
    return client.post("/register", data=data)


def test_register_confirm_and_sign_in(client, ctx):
    agency = make_agency("Health Visiting")
    db.session.commit()
    response = register(client, agency.id)
    assert b"Check your email" in response.data
    person = db.session.scalar(select(Person).where(Person.email == "new@example.org"))
    assert (person.first_name, person.last_name, person.role) == ("Siân", "O'Brien", Role.PRACTITIONER)
    assert person.email_confirmed_at is None
    assert sign_in(client, "new@example.org", NEW_PASSWORD).status_code == 200  # not yet

    confirm = link_in(last_mail("new@example.org"), "/confirm/")
    assert b"Confirm my email address" in client.get(confirm).data   # GET changes nothing
    db.session.refresh(person)
    assert person.email_confirmed_at is None
    assert client.post(confirm).status_code == 302
    db.session.refresh(person)
    assert person.email_confirmed_at is not None
    assert client.post(confirm).status_code == 400                     # single use
    assert sign_in(client, "new@example.org", NEW_PASSWORD).status_code == 302


def test_an_imported_person_claims_their_record_on_confirmation(client, ctx):
    old, new = make_agency("Old Agency"), make_agency("New Agency")
    imported = make_person(old, email="imported@example.org", first_name="Imp", required_level=2)
    db.session.commit()
    register(client, new.id, email="Imported@Example.org")
    db.session.refresh(imported)
    assert (imported.first_name, imported.agency_id) == ("Imp", old.id)   # nothing yet
    client.post(link_in(last_mail("imported@example.org"), "/confirm/"))
    db.session.refresh(imported)
    assert (imported.first_name, imported.agency_id, imported.required_level) == ("Siân", new.id, 2)
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1  # no duplicate


def test_registering_an_existing_account_reveals_nothing(client, user):
    response = register(client, user.agency_id, email="pat@example.org")
    assert b"Check your email" in response.data
    assert last_mail("pat@example.org").subject == "You already have an account"
    db.session.refresh(user)
    assert user.first_name == "Pat"


@pytest.mark.parametrize("password, message", [
    ("short pass", b"Password must be 12 characters or more"),
    ("password1234", b"too common or easy to guess"),
    ("123456789012", b"too common or easy to guess"),
])
def test_weak_passwords_are_refused(client, ctx, password, message):
    agency = make_agency()
    db.session.commit()
    response = register(client, agency.id, password=password, password_again=password)
    assert message in response.data
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_long_passwords_are_allowed(client, ctx):
    agency = make_agency()
    db.session.commit()
    long_one = "a long passphrase about orchards and lanterns " * 4
    response = register(client, agency.id, password=long_one, password_again=long_one)
    assert b"Check your email" in response.data


def test_registration_errors_name_the_fields(client, ctx):
    response = client.post("/register", data={})
    for text in (b"Enter your first name", b"Enter your work email address", b"Enter a password"):
        assert text in response.data
    assert b"govuk-error-summary" in response.data


# -- passwords ----------------------------------------------------------------------

def test_reset_password_by_single_use_link(client, user):
    client.post("/password/forgot", data={"email": "pat@example.org"})
    reset = link_in(last_mail("pat@example.org"), "/password/reset/")
    assert client.post(reset, data={"password": NEW_PASSWORD,
                                    "password_again": NEW_PASSWORD}).status_code == 302
    assert sign_in(client, "pat@example.org", NEW_PASSWORD).status_code == 302
    assert client.get(reset).status_code == 400     # used
    assert "password_reset" in actions()


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, user):
    known = client.post("/password/forgot", data={"email": "pat@example.org"})
    unknown = client.post("/password/forgot", data={"email": "ghost@example.org"})
    def scrub(body: bytes, email: bytes) -> bytes:
        return re.sub(rb'nonce="[^"]*"', b"", body.replace(email, b"X"))

    assert scrub(known.data, b"pat@example.org") == scrub(unknown.data, b"ghost@example.org")
    assert last_mail("ghost@example.org") is None


def test_reset_links_expire_after_an_hour(client, user, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
    token = tokens.make(user, tokens.RESET)
    monkeypatch.undo()
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400 and b"This link has expired." in response.data


def test_change_password_ends_other_sessions(client, app, user):
    other_device = app.test_client()
    sign_in(other_device, "pat@example.org")
    sign_in(client, "pat@example.org")
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200       # this one goes on
    assert other_device.get("/account").status_code == 302  # the other is signed out


def test_change_password_needs_the_current_one(client, user):
    login_as(client, user)
    response = client.post("/account/password", data={
        "current": "wrong wrong wrong", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert b"Your current password is not correct" in response.data


def test_set_password_cli(runner, user):
    result = runner.invoke(args=["set-password", "pat@example.org", "nobody@example.org"],
                           input=NEW_PASSWORD + "\n")
    assert result.exit_code != 0 and "unknown e-mail: nobody@example.org" in result.output
    db.session.refresh(user)
    assert services.authenticate("pat@example.org", PASSWORD) is not None  # unchanged
    result = runner.invoke(args=["set-password", "pat@example.org"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert services.authenticate("pat@example.org", NEW_PASSWORD) is not None


# -- profile and admin ------------------------------------------------------------------

def test_profile_change_of_agency_and_extra_fields_are_ignored(client, user):
    new = make_agency("Next Agency")
    db.session.commit()
    login_as(client, user)
    response = client.post("/account", data={
        "first_name": "Pat", "last_name": "New", "job_title": "Lead", "agency": new.id,
        "role": "admin", "is_active": "1", "email": "evil@example.org"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.last_name, user.agency_id, user.role, user.email) == (
        "New", new.id, Role.PRACTITIONER, "pat@example.org")
    assert "agency_changed" in actions()


def test_admin_gives_roles_and_deactivates(client, ctx):
    admin = make_user(Role.ADMIN)
    agency = make_agency("Managed")
    target = make_user(Role.PRACTITIONER, agency)
    db.session.commit()
    login_as(client, admin)
    response = client.post(f"/admin/people/{target.id}",
                           data={"role": "agency_manager", "agency": agency.id, "active": "yes"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.role is Role.AGENCY_MANAGER
    client.post(f"/admin/people/{target.id}", data={"role": "agency_manager", "agency": agency.id,
                                                    "active": "no"})
    db.session.refresh(target)
    assert not target.is_active
    assert {"role_changed", "account_deactivated"} <= set(actions())
    # An admin cannot lock themselves out.
    response = client.post(f"/admin/people/{admin.id}", data={"role": "practitioner", "agency": 0,
                                                              "active": "yes"})
    assert b"You cannot remove your own admin role" in response.data


def test_admin_people_list_searches(client, ctx):
    admin = make_user(Role.ADMIN)
    make_person(email="zoe@example.org", first_name="Zoë", last_name="<script>alert(1)</script>")
    db.session.commit()
    login_as(client, admin)
    body = client.get("/admin/people?q=zoe").data
    assert b"zoe@example.org" in body
    assert b"<script>alert(1)</script>" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body


# -- security baseline ----------------------------------------------------------------

def test_security_headers_on_every_response(client, ctx):
    for path in ("/", "/login", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
    body = client.get("/").data.decode()
    assert "<script>" not in body and not re.search(r"<script(?![^>]*\bsrc=)", body)


def test_https_only_sets_hsts_and_secure_cookies(sqlite_template, tmp_path):
    import shutil

    from tests.conftest import BASE_CONFIG
    from trainingapp import create_app

    shutil.copy(sqlite_template, tmp_path / "t.db")
    app = create_app({**BASE_CONFIG, "HTTPS_ONLY": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    client = app.test_client()
    assert client.get("/login").status_code == 302  # http -> https
    response = client.get("/login", base_url="https://localhost")
    assert "max-age" in response.headers["Strict-Transport-Security"]
    with app.app_context():
        make_user(email="s@example.org")
        db.session.commit()
    response = client.post("/login", base_url="https://localhost",
                           data={"email": "s@example.org", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_need_a_csrf_token(app, client, user):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"email": "pat@example.org", "password": PASSWORD})
    assert response.status_code == 400 and b"Your form has expired" in response.data
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "pat@example.org", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_errors_show_a_friendly_page_and_no_trace(app, ctx):
    app.add_url_rule("/boom", "boom", public(lambda: 1 / 0))
    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.data
    for leak in (b"Traceback", b"ZeroDivisionError", b"test-secret"):
        assert leak not in response.data
    response = client.get("/nowhere")
    assert response.status_code == 404 and b"Page not found" in response.data


@pytest.mark.parametrize("role", [Role.AGENCY_MANAGER, Role.COORDINATOR, Role.ADMIN])
def test_only_practitioners_and_trainers_move_themselves_to_another_agency(client, ctx, role):
    home, other = make_agency("Home Agency"), make_agency("Other Agency")
    person = make_user(role, home)
    db.session.commit()
    login_as(client, person)
    page = client.get("/account").data.decode()
    assert "ask an administrator" in page and 'name="agency"' not in page
    client.post("/account", data={"first_name": "Pat", "last_name": "Same", "job_title": "",
                                  "agency": other.id})
    db.session.refresh(person)
    assert person.agency_id == home.id
    assert "agency_changed" not in actions()


def test_a_registration_sets_no_password_until_the_address_is_confirmed(client, ctx):
    agency = make_agency()
    imported = make_person(agency, email="owner@example.org")
    db.session.commit()
    register(client, agency.id, email="owner@example.org")     # a stranger tries
    register(client, agency.id, email="fresh@example.org")
    db.session.expire_all()
    fresh = db.session.scalar(select(Person).where(Person.email == "fresh@example.org"))
    assert imported.password_hash is None and fresh.password_hash is None
    client.post(link_in(last_mail("fresh@example.org"), "/confirm/"))
    assert sign_in(client, "fresh@example.org", NEW_PASSWORD).status_code == 302


def test_set_password_cli_checks_length_only(runner, user):
    short = runner.invoke(args=["set-password", "pat@example.org"], input="too short\n")
    assert short.exit_code != 0 and "12 to 256 characters" in short.output
    result = runner.invoke(args=["set-password", "pat@example.org"], input="Password1234!\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert services.authenticate("pat@example.org", "Password1234!") is not None


def test_behind_a_proxy_the_original_scheme_counts(sqlite_template, tmp_path):
    import shutil

    from tests.conftest import BASE_CONFIG
    from trainingapp import create_app

    shutil.copy(sqlite_template, tmp_path / "t.db")
    app = create_app({**BASE_CONFIG, "HTTPS_ONLY": True, "TRUSTED_PROXIES": 1,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    client = app.test_client()
    assert client.get("/login").status_code == 302                       # plain http
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers
