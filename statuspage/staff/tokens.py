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

PREFIX = "sp_"
# "write": incidents, maintenance, component status; "results": probe agents only.
SCOPES = ("write", "results")
# Recording every use would turn each API read into a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(Exception):
    """A token request that cannot be carried out (duplicate or unknown name, bad scope)."""


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a presented token.

    A fast hash is right here, unlike for passwords: a token is 256 random bits, so there is
    nothing to guess by trying candidates, and a slow hash would only slow every API request.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, scope: str = "write", now: datetime | None = None) -> str:
    """Create a token and return its plaintext, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name")
    if len(name) > limits.TOKEN_NAME:
        raise TokenError(f"a token name is at most {limits.TOKEN_NAME} characters")
    if scope not in SCOPES:
        raise TokenError(f"scope must be one of: {', '.join(SCOPES)} (got {scope!r})")
    if _by_name(name) is not None:
        raise TokenError(f"a token named {name!r} already exists")
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(name=name, token_hash=hash_token(token), scope=scope, created_at=now or utcnow())
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another process created the same name between the check above and this commit.
        db.session.rollback()
        raise TokenError(f"a token named {name!r} already exists") from None
    return token


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
