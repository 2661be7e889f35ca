"""`statuspage import-statuspage URL`: move in from a public Statuspage page."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from statuspage.cli.common import fail, require_current_schema
from statuspage.staff.statuspage_fetch import FetchError
from statuspage.staff.statuspage_import import import_page, read_remote
from statuspage.staff.statuspage_map import MapError, map_components, read_map
from statuspage.store.db import utcnow


@click.command("import-statuspage")
@click.argument("url")
@click.option(
    "--map",
    "map_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="TOML file: [components] of remote component name (or id) = local slug, "
    '"" to leave one out. Unnamed ones map by name.',
)
@click.option("--dry-run", is_flag=True, help="Print what would be imported; write nothing.")
@with_appcontext
def import_statuspage_command(url: str, map_file: Path | None, dry_run: bool) -> None:
    """Import the incidents and maintenances of a public Statuspage page at URL.

    Reads /api/v2/summary.json, incidents.json, scheduled-maintenances.json and /history.atom
    (for what the API's 50 newest leave out). Running it again changes only what changed
    there. One line per incident; exit 2 if any was refused.
    """
    require_current_schema(current_app)
    config = current_app.config["STATUS"]
    now = utcnow()
    try:
        overrides = read_map(map_file) if map_file else {}
        page = read_remote(url, now)
        mapping, warnings = map_components(page, overrides)
    except (FetchError, MapError) as error:
        fail(error)
    page.warnings.extend(warnings)
    report = import_page(page, mapping, config, now, dry_run=dry_run)
    title = page.name or page.url
    click.echo(f"{'Dry run: nothing written. ' if dry_run else ''}From {title} ({page.url}):")
    for line in report.lines:
        click.echo(line)
    click.echo(report.summary(dry_run))
    if report.counts["refused"]:
        sys.exit(2)
