"""`statuspage token ...`: create, list and revoke bearer tokens for the API."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from statuspage.cli.common import fail, when
from statuspage.staff.tokens import SCOPES, TokenError, create_token, list_tokens, revoke_token


@click.group("token", cls=AppGroup)
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
@click.option(
    "--location",
    help="results tokens: the one location (STATUSPAGE_LOCATION) its agent reports from.",
)
def token_create(name: str, scope: str, location: str | None) -> None:
    """Create a token and print it once (only its hash is kept)."""
    try:
        token = create_token(name, scope, location=location)
    except TokenError as error:
        fail(error)
    bound = f", for location {location.strip()!r}" if location else ""
    click.echo(f"created token {name.strip()!r} with scope {scope}{bound}.")
    click.echo("Copy it now: it cannot be shown again. Send it as `Authorization: Bearer <token>`.")
    # Last line, alone, so scripts can take it with `tail -n 1`.
    click.echo(token)


@token_group.command("list")
def token_list() -> None:
    """List tokens: name, scope, created, last used, revoked, location (never the token)."""
    # LOCATION comes last, so scripts reading the earlier columns by position keep working.
    rows = [("NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED", "LOCATION")]
    for token in list_tokens():
        rows.append(
            (
                token.name,
                token.scope,
                when(token.created_at, "-"),
                when(token.last_used_at, "never"),
                when(token.revoked_at, "-"),
                token.location or "-",
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
        fail(error)
    click.echo(f"revoked token {token.name!r} (at {when(token.revoked_at, '-')})")
