"""`statuspage token ...`: create, list and revoke bearer tokens for the API."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from statuspage.cli import cli
from statuspage.staff.tokens import SCOPES, TokenError, create_token, list_tokens, revoke_token


def _stop(error: TokenError) -> None:
    click.echo(f"statuspage: {error}", err=True)
    sys.exit(2)


def _when(moment: datetime | None, missing: str) -> str:
    return moment.isoformat(timespec="minutes") if moment else missing


@cli.group("token")
def token_group() -> None:
    """Manage bearer tokens for the write API and probe agents."""


@token_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="write",
    show_default=True,
    help="write: incidents, maintenance, component status; results: probe agents only.",
)
def token_create(name: str, scope: str) -> None:
    """Create a token and print it once (only its hash is kept)."""
    try:
        token = create_token(name, scope)
    except TokenError as error:
        _stop(error)
    click.echo(f"created token {name.strip()!r} with scope {scope}.")
    click.echo("Copy it now: it cannot be shown again. Send it as `Authorization: Bearer <token>`.")
    # Last line, alone, so scripts can take it with `tail -n 1`.
    click.echo(token)


@token_group.command("list")
def token_list() -> None:
    """List tokens: name, scope, created, last used, revoked (never the token itself)."""
    rows = [("NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED")]
    for token in list_tokens():
        rows.append(
            (
                token.name,
                token.scope,
                _when(token.created_at, "-"),
                _when(token.last_used_at, "never"),
                _when(token.revoked_at, "-"),
            )
        )
    if len(rows) == 1:
        click.echo("no tokens: create one with `statuspage token create NAME`")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@token_group.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    try:
        token = revoke_token(name)
    except TokenError as error:
        _stop(error)
    click.echo(f"revoked token {token.name!r} (at {_when(token.revoked_at, '-')})")
