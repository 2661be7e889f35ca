"""`statuspage publish`: write the public site as files, and push them to a mirror."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from statuspage.cli.common import create_cli_app, fail, require_current_schema
from statuspage.publish import PublishError, publish
from statuspage.publish.mirror import MirrorError, parse_target, push


@click.command("publish")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--to",
    "mirror",
    metavar="URL",
    help="Also push the tree to a mirror: s3://BUCKET/PREFIX, endpoint from "
    "STATUSPAGE_S3_ENDPOINT (Cloudflare R2, MinIO; unset: AWS S3), credentials from "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
)
def publish_command(directory: Path | None, mirror: str | None) -> None:
    """Write every public page, feed, JSON answer, badge and stylesheet into DIRECTORY.

    Each URL becomes a file at its path (a path without an extension becomes
    PATH/index.html) with a .gz sibling; only changed files are rewritten, each atomically.
    deploy/nginx.conf serves the tree. With --to, the tree is then uploaded to the mirror,
    only the objects that changed (without DIRECTORY, from a temporary folder). On a failure
    the last good tree (and mirror) stays and the command exits 2 saying why.
    """
    if directory is None and mirror is None:
        raise click.UsageError("give a DIRECTORY to publish into, or --to URL, or both")
    try:
        if mirror is not None:
            parse_target(mirror)  # a mistyped URL stops before anything is rendered
    except MirrorError as error:
        fail(error)
    app = create_cli_app()
    require_current_schema(app)
    with tempfile.TemporaryDirectory(prefix="statuspage-publish-") as scratch:
        tree = directory or Path(scratch)
        try:
            outcome = publish(app, tree)
        except PublishError as error:
            fail(error)
        click.echo(
            f"published version {outcome.version}: {outcome.files} files, "
            f"{len(outcome.written)} written, {len(outcome.removed)} removed"
        )
        if mirror is None:
            return
        try:
            pushed = push(tree, mirror, os.environ.get("STATUSPAGE_S3_ENDPOINT"))
        except MirrorError as error:
            fail(error)
        click.echo(
            f"mirrored to {mirror}: {len(pushed.uploaded)} uploaded, {pushed.unchanged} unchanged"
        )
