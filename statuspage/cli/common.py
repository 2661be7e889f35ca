"""What the `statuspage` commands share: the app they run on, and how they stop on an error."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import NoReturn

import click
from flask import Flask

from statuspage import DEFAULT_CONFIG, create_app, schema_is_current
from statuspage.config import ConfigError


def fail(problem: Exception | str) -> NoReturn:
    """Print a problem on one line and stop with status 2."""
    click.echo(f"statuspage: {problem}", err=True)
    sys.exit(2)


def create_cli_app() -> Flask:
    """Create the app the commands run on; a configuration problem stops with status 2."""
    try:
        # The CLI is how development runs, so it may generate a local secret key.
        return create_app(dev_secret_key=True)
    except ConfigError as error:
        fail(error)


def require_current_schema(app: Flask) -> None:
    """Stop with a clear line when the database needs `statuspage db upgrade` first."""
    with app.app_context():
        if not schema_is_current():
            fail(ConfigError("the database schema is not current: run `statuspage db upgrade`"))


def config_path() -> str:
    """Return the configuration file's path: STATUSPAGE_CONFIG, else the default."""
    return os.environ.get("STATUSPAGE_CONFIG") or str(DEFAULT_CONFIG)


def when(moment: datetime | None, missing: str) -> str:
    """Return a time to the minute for a listing, or `missing` when there is none."""
    return moment.isoformat(timespec="minutes") if moment else missing
