"""`statuspage export` and `statuspage import`: backups as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from statuspage.cli.common import fail, require_current_schema
from statuspage.staff.backup import BackupError, dumps, export_data, import_data
from statuspage.store.db import utcnow


@click.command("export")
@with_appcontext
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--with-subscribers",
    is_flag=True,
    help="Also export subscribers: their addresses, URLs and webhook secrets.",
)
def export_command(file: Path | None, with_subscribers: bool) -> None:
    """Write components, incidents, updates, history and uptime as JSON (stdout by default).

    Staff accounts and API tokens are not exported: their hashes are secrets. Subscribers
    are personal data, exported only with --with-subscribers; the outbox never is.
    """
    require_current_schema(current_app)
    text = dumps(export_data(utcnow(), with_subscribers=with_subscribers))
    if file is None:
        click.echo(text)
    else:
        file.write_text(text + "\n", encoding="utf-8")
        click.echo(f"exported to {file}", err=True)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load an export into an empty database (after `statuspage db upgrade`)."""
    require_current_schema(current_app)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        counts = import_data(data)
    except (BackupError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as error:
        fail(f"{file}: {error}")
    total = sum(counts.values())
    click.echo(f"imported {total} rows from {file} into {len(counts)} tables")
