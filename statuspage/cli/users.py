"""`statuspage user ...`: staff accounts, their roles, passwords and two-factor sign-in."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from statuspage.cli.common import fail, when
from statuspage.staff import two_factor
from statuspage.staff.accounts import (
    COMMAND_LINE,
    AccountError,
    create_user,
    disable_user,
    find_user,
    list_users,
    set_password,
    set_role,
)
from statuspage.store.db import utcnow
from statuspage.vocabulary import Role

ROLES = click.Choice([role.value for role in Role])


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("user", cls=AppGroup)
def user_group() -> None:
    """Manage staff accounts."""


@user_group.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--role",
    type=ROLES,
    help="editor: incidents, maintenance, notes; admin: also users, tokens, components. "
    "Default: admin while the site has none, then editor.",
)
def user_create(email: str, password_stdin: bool, role: str | None) -> None:
    """Create a staff account; the password is asked for (or read from stdin)."""
    password = _password(password_stdin)
    try:
        user = create_user(email, password, role=role)
    except AccountError as error:
        fail(error)
    click.echo(f"created {user.email} ({user.role})")


@user_group.command("list")
def user_list() -> None:
    """List staff accounts, their roles and whether they use two-factor sign-in."""
    for user in list_users():
        state = "active" if user.active else "disabled"
        factor = "2fa" if user.has_two_factor else "no 2fa"
        click.echo(
            f"{user.email}  {state}  last sign-in: {when(user.last_sign_in_at, 'never')}"
            f"  {user.role}  {factor}"
        )


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it can no longer sign in and its sessions end."""
    try:
        user = disable_user(email)
    except AccountError as error:
        fail(error)
    click.echo(f"disabled {user.email}")


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=ROLES)
def user_role(email: str, role: str) -> None:
    """Give an account a role (the last admin stays one)."""
    try:
        user = set_role(email, role)
    except AccountError as error:
        fail(error)
    click.echo(f"{user.email} is now {user.role}")


@user_group.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_password(email: str, password_stdin: bool) -> None:
    """Give an account a new password; its sessions end."""
    try:
        user = set_password(email, _password(password_stdin))
    except AccountError as error:
        fail(error)
    click.echo(f"new password for {user.email}; its sessions have ended")


@user_group.command("reset-2fa")
@click.argument("email")
def user_reset_two_factor(email: str) -> None:
    """Turn an account's two-factor sign-in off (a lost phone): it enrols again."""
    user = find_user(email)
    if user is None:
        fail(AccountError(f"no account for {email.strip().lower()}"))
    two_factor.reset(user, COMMAND_LINE, utcnow())
    click.echo(f"two-factor sign-in of {user.email} is off; its sessions have ended")
