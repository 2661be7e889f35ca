"""`statuspage publish`: write the public site as files, and push them to a mirror."""

from __future__ import annotations

from pathlib import Path

import click

from statuspage.cli.common import create_cli_app, fail, require_current_schema
from statuspage.publish import PublishError, publish


@click.command("publish")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def publish_command(directory: Path) -> None:
    """Write every public page, feed, JSON answer, badge and stylesheet into DIRECTORY.

    Each URL becomes a file at its path (a path without an extension becomes
    PATH/index.html) with a .gz sibling; only changed files are rewritten, each atomically.
    deploy/nginx.conf serves the tree. On a failure the last good tree stays and the
    command exits 2 saying why.
    """
    app = create_cli_app()
    require_current_schema(app)
    try:
        outcome = publish(app, directory)
    except PublishError as error:
        fail(error)
    click.echo(
        f"published version {outcome.version}: {outcome.files} files, "
        f"{len(outcome.written)} written, {len(outcome.removed)} removed"
    )
