"""`statuspage user ...`: create, list and disable staff accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from statuspage.cli.common import fail, when
from statuspage.staff.accounts import AccountError, create_user, disable_user, list_users


@click.group("user", cls=AppGroup)
def user_group() -> None:
    """Manage staff accounts."""


@user_group.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(email: str, password_stdin: bool) -> None:
    """Create a staff account; the password is asked for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password)
    except AccountError as error:
        fail(error)
    click.echo(f"created {user.email}")


@user_group.command("list")
def user_list() -> None:
    """List staff accounts."""
    for user in list_users():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}  {state}  last sign-in: {when(user.last_sign_in_at, 'never')}")


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it can no longer sign in and its sessions end."""
    try:
        user = disable_user(email)
    except AccountError as error:
        fail(error)
    click.echo(f"disabled {user.email}")
