"""Staff sign-in on the web: the login manager, the session rules and the sign-in pages.

A session carries its account's session version: signing out, a new password, a reset of
two-factor sign-in or disabling the account bumps it, and every cookie issued before (one
copied off a laptop included) stops opening anything. The accounts themselves (passwords,
throttling) are statuspage.staff.accounts; the codes are statuspage.staff.two_factor.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from statuspage.staff import two_factor
from statuspage.staff.accounts import (
    MAX_PASSWORD_LENGTH,
    begin_attempt,
    check_password,
    end_sessions,
    normalise_email,
    succeed,
)
from statuspage.store.db import db, findable, utcnow
from statuspage.store.models import User

bp = Blueprint("auth", __name__, url_prefix="/admin")
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."
# How long the step between a right password and its code may take.
PENDING_SECONDS = 300
# The only screens an account without two-factor sign-in reaches while the site requires it.
ENROLMENT_ENDPOINTS = {"accounts.two_factor", "auth.sign_out"}


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None once the account is disabled or its sessions ended."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or session.get("sv") != user.session_version:
        return None
    return user


def init_app(app: Flask) -> None:
    """Set the session rules and sign-in handling on the app."""
    # Flask's defaults name these keys already, so they are set, not defaulted.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    app.register_blueprint(bp)


def guard(blueprint: Blueprint) -> None:
    """Make a blueprint's screens staff-only, kept out of caches, and enrolled when required."""

    @blueprint.before_request
    def require_sign_in() -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if (
            current_app.config["REQUIRE_2FA"]
            and not current_user.has_two_factor
            and request.endpoint not in ENROLMENT_ENDPOINTS
        ):
            flash("This site requires two-factor sign-in: set it up to continue.", "error")
            return redirect(url_for("accounts.two_factor"))
        return None

    @blueprint.after_request
    def no_store(response: Any) -> Any:
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.errorhandler(403)
    def forbidden(error: HTTPException) -> Any:
        return render_template("admin/forbidden.html", error=error), 403


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only admins use a screen; editors get a page that says so."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "Only an admin can use this screen.")
        return view(*args, **kwargs)

    return wrapped


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )

    def validate_email(self, field: EmailField) -> None:
        """Refuse what no stored address can be (it is looked up and recorded as given)."""
        if not findable(field.data):
            raise ValidationError("Not a valid email address.")


class CodeForm(FlaskForm):
    """The code from an authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


def _address() -> str:
    return request.remote_addr or "unknown"


def _wait_message(seconds: float) -> str:
    return f"Too many failed sign-ins from here: wait {math.ceil(seconds)} s, then try again."


def _signed_in(user: User) -> Any:
    session.pop("pending", None)
    login_user(user)
    session["sv"] = user.session_version
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form and check the password (then the code, when the account has one)."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.incidents"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        email, now = normalise_email(form.email.data), utcnow()
        attempt = begin_attempt(email, _address(), now)
        if attempt.wait_s:
            flash(_wait_message(attempt.wait_s), "error")
            status = 429
        elif (user := check_password(email, form.password.data)) is None:
            flash("Wrong email or password.", "error")
            status = 401
        elif user.has_two_factor:
            # The password was right; the failures stay counted until the code is too.
            session["pending"] = {
                "user": user.id,
                "sv": user.session_version,
                "at": now.timestamp(),
            }
            return redirect(url_for("auth.sign_in_code", next=request.args.get("next")))
        else:
            succeed(attempt, user, now)
            return _signed_in(user)
    elif request.method == "POST":
        status = 400
    return render_template("admin/sign_in.html", form=form), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    """Ask for the code of an account whose password was just right."""
    pending, now = session.get("pending") or {}, utcnow()
    user = db.session.get(User, pending.get("user", 0)) if pending else None
    fresh = pending and now.timestamp() - pending.get("at", 0) < PENDING_SECONDS
    if user is None or not fresh or not user.active or pending.get("sv") != user.session_version:
        session.pop("pending", None)
        flash("Sign in again.", "error")
        return redirect(url_for("auth.sign_in"))
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        attempt = begin_attempt(user.email, _address(), now)
        if attempt.wait_s:
            flash(_wait_message(attempt.wait_s), "error")
            status = 429
        elif two_factor.verify(user, form.code.data, now):
            succeed(attempt, user, now)
            return _signed_in(user)
        else:
            flash("That code is not right (or was used already).", "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("admin/sign_in_code.html", form=form), status


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site, never to another host."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.incidents")


@bp.post("/sign-out")
def sign_out():
    """Sign out, ending every session of this account, and go back to the sign-in form."""
    if current_user.is_authenticated:  # CSRFProtect has checked the form's token already
        end_sessions(current_user)
        logout_user()
        flash("Signed out.", "info")
    session.clear()
    return redirect(url_for("auth.sign_in"))
