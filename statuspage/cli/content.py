"""`statuspage content sync` imports the staff-written incident files into the database;
`statuspage content check` validates the incident templates without touching it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from statuspage.cli.common import config_path, fail, require_current_schema
from statuspage.config import ConfigError, load_config
from statuspage.staff.content_sync import sync_directory
from statuspage.staff.incident_templates import read_templates, template_folder
from statuspage.store.db import utcnow


@click.group("content", cls=AppGroup)
def content_group() -> None:
    """Incident history written as files (content/incidents/*.md), and templates."""


@content_group.command("sync")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of incident files (default: incidents/ beside the configuration file).",
)
def content_sync(directory: Path | None) -> None:
    """Import every incident file: one line per file; exit 2 if any file was invalid."""
    require_current_schema(current_app)
    config = current_app.config["STATUS"]
    folder = directory or Path(config.path).parent / "incidents"
    if not folder.is_dir():
        fail(f"{folder}: no such folder")
    reports = sync_directory(folder, config, utcnow())
    if not reports:
        click.echo(f"no incident files in {folder}")
    for report in reports:
        click.echo(report.line())
    if any(report.outcome == "error" for report in reports):
        sys.exit(2)


@content_group.command("check", with_appcontext=False)
def content_check() -> None:
    """Validate the incident templates (templates/ beside the configuration file): one line
    per file; exit 2 if any is invalid."""
    try:
        config = load_config(config_path())
    except ConfigError as error:
        fail(error)
    folder = template_folder(config)
    reports = read_templates(folder, [component.slug for component in config.components])
    if not reports:
        click.echo(f"no templates in {folder}")
    for report in reports:
        click.echo(report.line())
    if any(report.error is not None for report in reports):
        sys.exit(2)
