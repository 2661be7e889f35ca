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
        results = authenticate(create_token("agent", "results"))
        assert has_scope(write, "write") and not has_scope(write, "results")
        assert has_scope(results, "results") and not has_scope(results, "write")


# ---------------------------------------------------------------------------------------
# The command line


def test_token_create_prints_the_token_once_as_the_last_line(app, runner) -> None:
    result = runner.invoke(args=["token", "create", "ci"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    token = lines[-1]
    assert token.startswith(PREFIX) and " " not in token
    assert result.output.count(token) == 1
    assert "cannot be shown again" in result.output
    with app.app_context():
        row = authenticate(token)
        assert row is not None and row.name == "ci" and row.scope == "write"


def test_token_create_with_results_scope(app, runner) -> None:
    result = runner.invoke(args=["token", "create", "agent-eu", "--scope", "results"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert authenticate(result.output.strip().splitlines()[-1]).scope == "results"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "ci", "--scope", "admin"], "'admin' is not one of"),
        (["token", "revoke", "nobody"], "no token named 'nobody'"),
    ],
)
def test_token_commands_refuse_with_exit_2(runner, args, message) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.output


def test_token_create_refuses_a_duplicate_on_one_line(runner) -> None:
    assert runner.invoke(args=["token", "create", "ci"]).exit_code == 0
    again = runner.invoke(args=["token", "create", "ci"])
    assert again.exit_code == 2
    assert again.output.strip() == "statuspage: a token named 'ci' already exists"


def test_token_list_never_shows_a_token_or_its_hash(app, runner) -> None:
    assert "no tokens" in runner.invoke(args=["token", "list"]).output
    token = runner.invoke(args=["token", "create", "ci"]).output.strip().splitlines()[-1]
    runner.invoke(args=["token", "create", "agent", "--scope", "results"])
    assert runner.invoke(args=["token", "revoke", "agent"]).exit_code == 0
    with app.app_context():
        authenticate(token)
    listed = runner.invoke(args=["token", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "CREATED", "LAST", "USED", "REVOKED"]
    ci, agent = lines[1].split(), lines[2].split()
    assert ci[0:2] == ["ci", "write"] and ci[-1] == "-" and ci[-2] != "never"
    assert agent[0:2] == ["agent", "results"] and agent[-2] == "never" and agent[-1] != "-"
    assert token not in listed.output and hash_token(token) not in listed.output
    assert PREFIX not in listed.output
