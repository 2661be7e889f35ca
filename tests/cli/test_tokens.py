"""`statuspage token ...`: a token is printed once, listed without itself, refused on one line."""

from __future__ import annotations

import pytest

from statuspage.staff.tokens import PREFIX, authenticate, hash_token


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
    args = ["token", "create", "agent-eu", "--scope", "results", "--location", "eu-west"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "for location 'eu-west'" in result.output
    with app.app_context():
        token = authenticate(result.output.strip().splitlines()[-1])
        assert (token.scope, token.location) == ("results", "eu-west")
    unbound = runner.invoke(args=["token", "create", "agent-us", "--scope", "results"])
    assert unbound.exit_code == 2 and "--location" in unbound.output
    assert "eu-west" in runner.invoke(args=["token", "list"]).output


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
    runner.invoke(args=["token", "create", "agent", "--scope", "results", "--location", "eu"])
    assert runner.invoke(args=["token", "revoke", "agent"]).exit_code == 0
    with app.app_context():
        authenticate(token)
    listed = runner.invoke(args=["token", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "CREATED", "LAST", "USED", "REVOKED", "LOCATION"]
    ci, agent = lines[1].split(), lines[2].split()
    assert ci[0:2] == ["ci", "write"] and ci[-2:] == ["-", "-"] and ci[-3] != "never"
    assert agent[0:2] == ["agent", "results"] and agent[-3] == "never" and agent[-2] != "-"
    assert agent[-1] == "eu"
    assert token not in listed.output and hash_token(token) not in listed.output
    assert PREFIX not in listed.output
