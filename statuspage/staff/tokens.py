"""Bearer tokens for the write API and probe agents: create, look up, list, revoke.

Only a token's SHA-256 is stored; the token itself is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from statuspage.store import limits
from statuspage.store.db import db, utcnow
from statuspage.store.models import ApiToken
from statuspage.store.text import uncarried

PREFIX = "sp_"
# "write": incidents, maintenance, component status; "results": probe agents only.
SCOPES = ("write", "results")
# Recording every use would turn each API read into a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
# A results token may send this many results a minute, and hold up to RESULTS_BURST unsent:
# an agent reports about 25 a minute, and a day's backlog after an outage drains in an hour.
RESULTS_PER_MINUTE = 1000
RESULTS_BURST = 5000


class TokenError(Exception):
    """A token request that cannot be carried out (duplicate or unknown name, bad scope)."""


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a presented token.

    A fast hash is right here, unlike for passwords: a token is 256 random bits, so there is
    nothing to guess by trying candidates, and a slow hash would only slow every API request.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    name: str, scope: str = "write", now: datetime | None = None, location: str | None = None
) -> str:
    """Create a token and return its plaintext, which is never stored and cannot be shown again.

    A results token is bound to the one location its agent reports from.
    """
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name")
    if len(name) > limits.TOKEN_NAME:
        raise TokenError(f"a token name is at most {limits.TOKEN_NAME} characters")
    if problem := uncarried(name):
        raise TokenError(f"a token name cannot contain {problem}")
    if scope not in SCOPES:
        raise TokenError(f"scope must be one of: {', '.join(SCOPES)} (got {scope!r})")
    location = _location(scope, location)
    if _by_name(name) is not None:
        raise TokenError(f"a token named {name!r} already exists")
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            name=name,
            token_hash=hash_token(token),
            scope=scope,
            location=location,
            created_at=now or utcnow(),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another process created the same name between the check above and this commit.
        db.session.rollback()
        raise TokenError(f"a token named {name!r} already exists") from None
    return token


def _location(scope: str, location: str | None) -> str | None:
    """Return the location a token of this scope is bound to (results tokens need one)."""
    location = location.strip() if location is not None else None
    if scope != "results":
        if location:
            raise TokenError("only a results token has a location")
        return None
    if not location:
        raise TokenError("a results token needs the location its agent reports from: --location")
    if len(location) > limits.LOCATION:
        raise TokenError(f"a location is at most {limits.LOCATION} characters")
    if problem := uncarried(location):
        raise TokenError(f"a location cannot contain {problem}")
    return location


def find_token(presented: str) -> ApiToken | None:
    """Return the token row matching a presented token, revoked or not, or None."""
    digest = hash_token(presented)
    # Looking up by digest leaks through timing at most how much of a digest matched, which
    # says nothing about any token; the final comparison is constant-time all the same.
    row = db.session.execute(db.select(ApiToken).where(ApiToken.token_hash == digest)).scalar()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def authenticate(presented: str, now: datetime | None = None) -> ApiToken | None:
    """Return the unrevoked token matching a presented token, noting its use, or None."""
    row = find_token(presented)
    if row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        # Committed on its own, so a refused request that follows still records the use.
        db.session.commit()
    return row


def has_scope(token: ApiToken, scope: str) -> bool:
    """Tell whether a token may be used for `scope`."""
    return token.revoked_at is None and token.scope == scope


def take_allowance(token: ApiToken, count: int, now: datetime) -> float:
    """Spend `count` of a results token's allowance; return 0, or the seconds to wait first.

    The caller holds the writers' lock, so parallel requests of one token spend in turn.
    """
    rate = RESULTS_PER_MINUTE / 60.0
    if token.allowance is None or token.allowance_at is None:
        available = float(RESULTS_BURST)
    else:
        elapsed = max(0.0, (now - token.allowance_at).total_seconds())
        available = min(float(RESULTS_BURST), token.allowance + elapsed * rate)
    if count > available:
        return (count - available) / rate
    token.allowance, token.allowance_at = available - count, now
    return 0.0


def list_tokens() -> list[ApiToken]:
    """Return every token, revoked ones included, oldest first."""
    return list(
        db.session.execute(db.select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)).scalars()
    )


def revoke_token(name: str, now: datetime | None = None) -> ApiToken:
    """Revoke a token by name; it stops working at once and stays listed as revoked."""
    row = _by_name(name.strip())
    if row is None:
        raise TokenError(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        db.session.commit()
    return row


def _by_name(name: str) -> ApiToken | None:
    return db.session.execute(db.select(ApiToken).where(ApiToken.name == name)).scalar()
