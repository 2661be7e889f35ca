"""Staff sign-in on the web: the login manager, the session rules and the sign-in pages.

The accounts themselves (passwords, throttling) are statuspage.staff.accounts.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from statuspage.staff.accounts import authenticate, normalise_email, throttled
from statuspage.store.db import db, findable, utcnow
from statuspage.store.models import User

bp = Blueprint("auth", __name__, url_prefix="/admin")
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None once the account is disabled."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    """Set the session rules and sign-in handling on the app."""
    # Flask's defaults name these keys already, so they are set, not defaulted.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    app.register_blueprint(bp)


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])

    def validate_email(self, field: EmailField) -> None:
        """Refuse what no stored address can be (it is looked up and recorded as given)."""
        if not findable(field.data):
            raise ValidationError("Not a valid email address.")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form and sign staff in."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.incidents"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        address = request.remote_addr or "unknown"
        now = utcnow()
        if throttled(email, address, now):
            flash("Too many failed sign-ins. Wait 15 minutes, then try again.", "error")
            status = 429
        elif (user := authenticate(email, form.password.data, address, now)) is None:
            flash("Wrong email or password.", "error")
            status = 401
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("admin/sign_in.html", form=form), status


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site, never to another host."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.incidents")


@bp.post("/sign-out")
@login_required
def sign_out():
    """Sign out and go back to the sign-in form."""
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("auth.sign_in"))
