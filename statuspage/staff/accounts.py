"""Staff accounts: creating and changing them, and signing in without giving anything away.

Signing in costs the same whatever the address: an unknown one is checked against a dummy
hash, so timing says nothing about who has an account. Guessing is slowed, never walled off:
each attempt first reserves its place (a committed row), then counts the attempts before it,
so parallel guesses cannot all slip under the limit; past a few failures from one address for
one account, each further try waits twice as long as the last, while the owner signing in
from anywhere else is not held up at all.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from werkzeug.security import check_password_hash, generate_password_hash

from statuspage.staff.writes import Actor, audit
from statuspage.store import limits
from statuspage.store.db import db, utcnow
from statuspage.store.models import SignInFailure, User
from statuspage.store.text import uncarried
from statuspage.vocabulary import Role

# Attempts are remembered this long.
WINDOW = timedelta(minutes=15)
# Wrong passwords from one address for one account, and from one address for any account,
# before each further try must wait: 1 s, then 2, 4... up to MAX_WAIT.
FREE_TRIES_PER_ACCOUNT_AND_ADDRESS = 5
FREE_TRIES_PER_ADDRESS = 20
MAX_WAIT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000


class AccountError(Exception):
    """An account change that cannot be carried out, saying why."""


def normalise_email(email: str) -> str:
    """Return the address as stored: trimmed and lowercase."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Return the account with this address, or None."""
    return db.session.execute(db.select(User).where(User.email == normalise_email(email))).scalar()


def _user(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise AccountError(f"no account for {normalise_email(email)}")
    return user


def _valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _valid_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(member.value for member in Role)
        raise AccountError(f"a role is one of: {allowed} (got {role!r})") from None


def _has_other_admin(user: User | None = None) -> bool:
    query = db.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    if user is not None and user.id is not None:
        query = query.where(User.id != user.id)
    return db.session.execute(query.limit(1)).first() is not None


def _snapshot(user: User) -> dict[str, object]:
    """Return the audited fields of an account (never its password hash or secret)."""
    return {
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "two_factor": user.has_two_factor,
    }


# Who the audit log says changed an account from the command line.
COMMAND_LINE = Actor("cli")


def create_user(
    email: str,
    password: str,
    *,
    role: str | None = None,
    actor: Actor = COMMAND_LINE,
    now: datetime | None = None,
) -> User:
    """Create an account with a scrypt-hashed password.

    Without a role, the first admin is made while there is none, then editors.
    """
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    # An account's email is who wrote an update or an audit entry (String(200) columns there).
    if len(email) > limits.ACTOR:
        raise AccountError(f"an email address here is at most {limits.ACTOR} characters")
    if problem := uncarried(email):
        raise AccountError(f"an email address cannot contain {problem}")
    chosen = _valid_role(role) if role else (Role.EDITOR if _has_other_admin() else Role.ADMIN)
    _valid_password(password)
    if find_user(email) is not None:
        raise AccountError(f"an account for {email} already exists")
    user = User(email=email, password_hash=generate_password_hash(password), role=chosen)
    db.session.add(user)
    audit(actor, "user.create", f"user:{email}", None, _snapshot(user), now or utcnow())
    db.session.commit()
    return user


def set_role(
    email: str, role: str, *, actor: Actor = COMMAND_LINE, now: datetime | None = None
) -> User:
    """Give an account a role; the last active admin stays one."""
    user = _user(email)
    chosen = _valid_role(role)
    if user.role == Role.ADMIN and chosen != Role.ADMIN and not _has_other_admin(user):
        raise AccountError(f"{user.email} is the only admin: make another admin first")
    before = _snapshot(user)
    user.role = chosen
    audit(actor, "user.role", f"user:{user.email}", before, _snapshot(user), now or utcnow())
    db.session.commit()
    return user


def set_password(
    email: str, password: str, *, actor: Actor = COMMAND_LINE, now: datetime | None = None
) -> User:
    """Give an account a new password; every session it has ends."""
    user = _user(email)
    user.password_hash = generate_password_hash(_valid_password(password))
    user.session_version += 1
    audit(actor, "user.password", f"user:{user.email}", None, None, now or utcnow())
    db.session.commit()
    return user


def disable_user(email: str, *, actor: Actor = COMMAND_LINE, now: datetime | None = None) -> User:
    """Disable an account: it can no longer sign in, and its sessions end."""
    user = _user(email)
    before = _snapshot(user)
    user.active = False
    user.session_version += 1
    audit(actor, "user.disable", f"user:{user.email}", before, _snapshot(user), now or utcnow())
    db.session.commit()
    return user


def enable_user(email: str, *, actor: Actor = COMMAND_LINE, now: datetime | None = None) -> User:
    """Let a disabled account sign in again."""
    user = _user(email)
    before = _snapshot(user)
    user.active = True
    audit(actor, "user.enable", f"user:{user.email}", before, _snapshot(user), now or utcnow())
    db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """End every session of this account (signing out ends them all)."""
    user.session_version += 1
    db.session.commit()


def list_users() -> list[User]:
    """Return every account, oldest first."""
    return list(db.session.execute(db.select(User).order_by(User.id)).scalars())


# ---------------------------------------------------------------------------------------
# Signing in


@functools.cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made like every real one (checked for no account)."""
    return generate_password_hash(secrets.token_urlsafe(16))


@dataclass
class Attempt:
    """A sign-in attempt that has reserved its place: go on now, or wait `wait_s` first."""

    reservation: SignInFailure | None
    wait_s: float


def _wait(earlier: list[datetime], free: int, now: datetime) -> float:
    """Return how long an attempt must wait after these earlier ones (newest last)."""
    if len(earlier) < free:
        return 0.0
    delay = min(2.0 ** (len(earlier) - free), MAX_WAIT.total_seconds())
    return max(0.0, delay - (now - earlier[-1]).total_seconds())


def begin_attempt(email: str, address: str, now: datetime) -> Attempt:
    """Reserve an attempt for this account from this address, or say how long to wait.

    The reservation is committed before anything is counted, so attempts made at the same
    moment each count the others; a refused attempt takes its reservation back.
    """
    email, address = email[: limits.EMAIL], address[:64]
    db.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - WINDOW))
    reservation = SignInFailure(email=email, address=address, at=now)
    db.session.add(reservation)
    db.session.commit()
    rows = db.session.execute(
        db.select(SignInFailure.email, SignInFailure.at)
        .where(
            SignInFailure.address == address,
            SignInFailure.at > now - WINDOW,
            SignInFailure.id != reservation.id,
        )
        .order_by(SignInFailure.at, SignInFailure.id)
    ).all()
    pair = [at for who, at in rows if who == email]
    wait = max(
        _wait(pair, FREE_TRIES_PER_ACCOUNT_AND_ADDRESS, now),
        _wait([at for _, at in rows], FREE_TRIES_PER_ADDRESS, now),
    )
    if wait > 0:
        db.session.delete(reservation)
        db.session.commit()
        return Attempt(None, wait)
    return Attempt(reservation, 0.0)


def check_password(email: str, password: str) -> User | None:
    """Return the active account these credentials open, or None; as slow either way."""
    user = find_user(email)
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    return user if user is not None and user.active and matches else None


def succeed(attempt: Attempt, user: User, now: datetime) -> None:
    """Forget the failures of this account from this address; note when it signed in."""
    if attempt.reservation is not None:
        db.session.execute(
            delete(SignInFailure).where(
                SignInFailure.email == attempt.reservation.email,
                SignInFailure.address == attempt.reservation.address,
            )
        )
    user.last_sign_in_at = now
    db.session.commit()
