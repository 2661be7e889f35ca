"""The `statuspage` command line: a Flask CLI group with the site's own commands."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from statuspage import DEFAULT_CONFIG, create_app
from statuspage.config import ConfigError, StatusConfig, load_config


def _fail(error: ConfigError) -> None:
    """Print a configuration problem on one line and stop with status 2."""
    click.echo(f"statuspage: {error}", err=True)
    sys.exit(2)


def _create_app() -> Flask:
    try:
        # The CLI is how development runs, so it may generate a local secret key.
        return create_app(dev_secret_key=True)
    except ConfigError as error:
        _fail(error)
        raise  # unreachable: _fail exits


cli = FlaskGroup(
    name="statuspage",
    create_app=_create_app,
    help="Run and manage the status site. Settings come from STATUSPAGE_* variables.",
)


@cli.command("run", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
def run_command(host: str, port: int) -> None:
    """Serve the site with the development server (production: gunicorn wsgi:app)."""
    app = _create_app()
    click.echo(f"Serving {app.config['STATUS'].site.name} status on http://{host}:{port}/")
    # No reloader: it would start a second process, and with it a second probe scheduler.
    run_simple(host, port, app, use_reloader=False, threaded=True)


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration file."""


@config_group.command("check", with_appcontext=False)
def config_check() -> None:
    """Validate the configuration file and print a summary of it."""
    path = os.environ.get("STATUSPAGE_CONFIG") or str(DEFAULT_CONFIG)
    try:
        config = load_config(path)
    except ConfigError as error:
        _fail(error)
    click.echo(describe_config(config))


def describe_config(config: StatusConfig) -> str:
    """Return a readable summary of a valid configuration."""
    site = config.site
    lines = [
        f"{config.path}: OK",
        f"site: {site.name} at {site.url}, times in {site.timezone}",
        f"components ({len(config.components)}):",
    ]
    for component in config.components:
        group = f"  [group: {component.group}]" if component.group else ""
        lines.append(f"  {component.slug}: {component.name}{group}")
    return "\n".join(lines)


if __name__ == "__main__":
    cli()
