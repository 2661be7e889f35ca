"""API tokens: created once in plaintext, stored as a hash, listed, revoked, scoped."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.staff.tokens import (
    PREFIX,
    TokenError,
    authenticate,
    create_token,
    find_token,
    has_scope,
    hash_token,
    list_tokens,
    revoke_token,
)
from statuspage.store.db import db
from statuspage.store.models import ApiToken
from tests.conftest import stored_bytes

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_hash_is_sha256_hex() -> None:
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def test_create_returns_a_prefixed_token_and_stores_only_its_hash(app, database_url) -> None:
    with app.app_context():
        token = create_token("ci", now=T0)
        row = db.session.execute(db.select(ApiToken)).scalar_one()
        assert token.startswith(PREFIX) and len(token) >= len(PREFIX) + 43
        assert row.token_hash == hash_token(token) and row.scope == "write"
        assert row.created_at == T0 and row.last_used_at is None and row.revoked_at is None
        assert create_token("other") != token
        db.session.remove()
    stored = stored_bytes(database_url)
    assert token.encode() not in stored
    assert token.removeprefix(PREFIX).encode() not in stored


@pytest.mark.parametrize(
    ("name", "scope", "message"),
    [
        ("", "write", "needs a name"),
        ("   ", "write", "needs a name"),
        ("x" * 101, "write", "at most 100"),
        ("ci", "admin", "scope must be one of"),
    ],
)
def test_create_refuses_bad_input(app, name, scope, message) -> None:
    with app.app_context():
        with pytest.raises(TokenError, match=message):
            create_token(name, scope)
        assert list_tokens() == []


def test_create_refuses_a_duplicate_name(app) -> None:
    with app.app_context():
        create_token("ci")
        with pytest.raises(TokenError, match="already exists"):
            create_token(" ci ")
        assert len(list_tokens()) == 1


def test_authenticate_finds_the_token_and_notes_its_use(app) -> None:
    with app.app_context():
        token = create_token("ci", now=T0)
        assert authenticate("sp_not-a-token", now=T0) is None
        assert authenticate(token + "x", now=T0) is None
        row = authenticate(token, now=T0 + timedelta(hours=1))
        assert row is not None and row.name == "ci"
        assert row.last_used_at == T0 + timedelta(hours=1)
        # Within a minute of the last noted use, nothing is written.
        authenticate(token, now=T0 + timedelta(hours=1, seconds=30))
        assert row.last_used_at == T0 + timedelta(hours=1)
        authenticate(token, now=T0 + timedelta(hours=2))
        assert row.last_used_at == T0 + timedelta(hours=2)


def test_revoked_token_no_longer_authenticates(app) -> None:
    with app.app_context():
        token = create_token("ci")
        revoked = revoke_token("ci", now=T0)
        assert revoked.revoked_at == T0
        assert authenticate(token) is None
        # Still found (so it can be listed as revoked), but it grants nothing.
        assert find_token(token) is not None and not has_scope(find_token(token), "write")
        # Revoking twice keeps the first time.
        assert revoke_token("ci", now=T0 + timedelta(days=1)).revoked_at == T0
        with pytest.raises(TokenError, match="no token named 'nobody'"):
            revoke_token("nobody")


def test_scopes(app) -> None:
    with app.app_context():
        write = authenticate(create_token("ci"))
        results = authenticate(create_token("agent", "results", location="eu"))
        assert has_scope(write, "write") and not has_scope(write, "results")
        assert has_scope(results, "results") and not has_scope(results, "write")


@pytest.mark.parametrize(
    ("scope", "location", "message"),
    [
        ("results", None, "needs the location"),
        ("results", "  ", "needs the location"),
        ("results", "x" * 101, "at most 100 characters"),
        ("results", "eu\u0007west", r"U\+0007"),
        ("write", "eu-west", "only a results token has a location"),
    ],
)
def test_a_results_token_is_bound_to_one_location(app, scope, location, message) -> None:
    with app.app_context():
        with pytest.raises(TokenError, match=message):
            create_token("agent", scope, location=location)
        create_token("agent", "results", location=" eu-west ")
        assert authenticate_row("agent").location == "eu-west"


def authenticate_row(name: str):
    return next(token for token in list_tokens() if token.name == name)
