from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import logged_in, public
from ..agencies.models import Agency
from ..extensions import db, limiter
from ..mail.services import send_after_commit
from . import bp, services
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SignOutForm,
)
from .tokens import TokenError

LOGIN_FAILED = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, scheme or '//' trick."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("main.home")
    return target


def _login_key() -> str:
    return "login:" + request.form.get("email", "").strip().lower()[:254]


def _agency_choices() -> list[tuple[int, str]]:
    agencies = db.session.execute(select(Agency.id, Agency.name)).all()
    return [(0, "Select your agency")] + sorted(((a.id, a.name) for a in agencies), key=lambda a: a[1].casefold())


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], key_func=_login_key,
               methods=["POST"], deduct_when=lambda response: g.get("login_failed", False))
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        person = services.authenticate(form.email.data, form.password.data)
        if person is not None:
            services.sign_in(person)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        services.record_failed_login(form.email.data)
        form.email.errors.append(LOGIN_FAILED)
        return render_template("accounts/login.html", form=form), 200
    return render_template("accounts/login.html", form=form)


@bp.get("/logout")
@logged_in
def logout_confirm():
    return render_template("accounts/logout.html", form=SignOutForm())


@bp.post("/logout")
@logged_in
def logout():
    if SignOutForm().validate_on_submit():
        services.sign_out(current_user._get_current_object())
        flash("You have signed out.", "success")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    form.agency.choices = _agency_choices()
    if form.validate_on_submit():
        if not form.agency.data:
            form.agency.errors.append("Select your agency")
        else:
            try:
                services.register(services.Registration(
                    email=form.email.data, first_name=form.first_name.data,
                    last_name=form.last_name.data, agency_id=form.agency.data,
                    job_title=form.job_title.data, password=form.password.data))
            except services.AccountError as exc:
                form.agency.errors.append(str(exc))
            else:
                send_after_commit()
                return render_template("accounts/check_email.html", email=form.email.data.strip())
    return render_template("accounts/register.html", form=form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str):
    """GET shows a button; only the POST confirms (mail scanners follow links)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_email(token)
        except TokenError as exc:
            return render_template("accounts/link_problem.html", message=str(exc)), 400
        flash("Your email address is confirmed. You can now sign in.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        send_after_commit()
        return render_template("accounts/reset_sent.html", email=form.email.data.strip())
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        person = services.check_reset_token(token)
    except TokenError as exc:
        return render_template("accounts/link_problem.html", message=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.PasswordError as exc:
            form.password.errors.append(str(exc))
        except TokenError as exc:
            return render_template("accounts/link_problem.html", message=str(exc)), 400
        else:
            send_after_commit()
            flash("Your password has been reset. Sign in with your new password.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, person=person)


@bp.route("/account", methods=["GET", "POST"])
@logged_in
def profile():
    person = current_user._get_current_object()
    form = ProfileForm(obj=person if request.method == "GET" else None)
    movable = services.may_change_own_agency(person)
    if movable:
        form.agency.choices = _agency_choices()
        if request.method == "GET":
            form.agency.data = person.agency_id or 0
    else:
        del form.agency  # managers, coordinators, admins: an admin moves them
    if form.validate_on_submit():
        if movable and not form.agency.data:
            form.agency.errors.append("Select your agency")
        else:
            try:
                services.update_profile(person, form.first_name.data, form.last_name.data,
                                        form.job_title.data or "",
                                        form.agency.data if movable else None)
            except services.AccountError as exc:
                flash(str(exc), "info")
            else:
                flash("Your details have been saved.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, person=person, movable=movable)


@bp.route("/account/password", methods=["GET", "POST"])
@logged_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.current.data,
                                     form.password.data)
        except services.AccountError as exc:
            form.current.errors.append(str(exc))
        except services.PasswordError as exc:
            form.password.errors.append(str(exc))
        else:
            send_after_commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)
