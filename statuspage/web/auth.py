"""Staff accounts: passwords, sign-in with throttling, and the session rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from statuspage.store import limits
from statuspage.store.db import db, findable, utcnow
from statuspage.store.models import SignInFailure, User

bp = Blueprint("auth", __name__, url_prefix="/admin")
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."

# Guessing is throttled per account and per address over a sliding window.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 12
# An account's email is who wrote an update or an audit entry (String(200) columns there).


class AccountError(Exception):
    """A user command that cannot be carried out."""


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


# ---------------------------------------------------------------------------------------
# Accounts (used by the CLI)


def normalise_email(email: str) -> str:
    """Return the address as stored: trimmed and lowercase."""
    return email.strip().lower()


def create_user(email: str, password: str) -> User:
    """Create an account with a scrypt-hashed password."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    if len(email) > limits.ACTOR:
        raise AccountError(f"an email address here is at most {limits.ACTOR} characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.execute(db.select(User).where(User.email == email)).scalar():
        raise AccountError(f"an account for {email} already exists")
    user = User(email=email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    return user


def disable_user(email: str) -> User:
    """Disable an account: it can no longer sign in, and live sessions end."""
    user = db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar()
    if user is None:
        raise AccountError(f"no account for {normalise_email(email)}")
    user.active = False
    db.session.commit()
    return user


def list_users() -> list[User]:
    """Return every account, oldest first."""
    return list(db.session.execute(db.select(User).order_by(User.id)).scalars())


# ---------------------------------------------------------------------------------------
# Sign-in


def throttled(email: str, address: str, now: datetime) -> bool:
    """Tell whether too many recent failures came for this account or from this address."""
    since = now - WINDOW
    by_account = db.session.execute(
        db.select(func.count(SignInFailure.id)).where(
            SignInFailure.email == email, SignInFailure.at > since
        )
    ).scalar()
    by_address = db.session.execute(
        db.select(func.count(SignInFailure.id)).where(
            SignInFailure.address == address, SignInFailure.at > since
        )
    ).scalar()
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def record_failure(email: str, address: str, now: datetime) -> None:
    """Remember a failed sign-in, and forget those older than the window."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - WINDOW))
    db.session.add(SignInFailure(email=email[:254], address=address[:64], at=now))
    db.session.commit()


def authenticate(email: str, password: str, address: str, now: datetime) -> User | None:
    """Return the user for good credentials; None (and a recorded failure) otherwise."""
    user = db.session.execute(db.select(User).where(User.email == email)).scalar()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        record_failure(email, address, now)
        return None
    user.last_sign_in_at = now
    db.session.commit()
    return user


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
