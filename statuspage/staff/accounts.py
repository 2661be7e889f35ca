"""Staff accounts: creating, listing and disabling them, and signing in with throttling."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from werkzeug.security import check_password_hash, generate_password_hash

from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import SignInFailure, User

# Guessing is throttled per account and per address over a sliding window.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 12


class AccountError(Exception):
    """A user command that cannot be carried out."""


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
    # An account's email is who wrote an update or an audit entry (String(200) columns there).
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
