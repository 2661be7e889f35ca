"""`statuspage export` and `statuspage import`: backups as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app

from statuspage.cli import cli, require_current_schema
from statuspage.staff.backup import BackupError, dumps, export_data, import_data
from statuspage.store.db import utcnow


@cli.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path | None) -> None:
    """Write components, incidents, updates, history and uptime as JSON (stdout by default).

    Staff accounts and API tokens are not exported: their hashes are secrets.
    """
    require_current_schema(current_app)
    text = dumps(export_data(utcnow()))
    if file is None:
        click.echo(text)
    else:
        file.write_text(text + "\n", encoding="utf-8")
        click.echo(f"exported to {file}", err=True)


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load an export into an empty database (after `statuspage db upgrade`)."""
    require_current_schema(current_app)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        counts = import_data(data)
    except (BackupError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as error:
        click.echo(f"statuspage: {file}: {error}", err=True)
        sys.exit(2)
    total = sum(counts.values())
    click.echo(f"imported {total} rows from {file} into {len(counts)} tables")
