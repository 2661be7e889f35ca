"""Shared fixtures: an app on a fresh database per test, its client and CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import stamp

from statuspage import DEFAULT_CONFIG, create_app
from statuspage.cli import cli as statuspage_cli
from statuspage.components import sync_components
from statuspage.db import db

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config_path() -> Path:
    """Return the configuration file the app is built from; override to use another."""
    return DEFAULT_CONFIG


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Return the URL of an empty database for this test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings() -> dict[str, object]:
    """Return extra settings for the app; override to change them."""
    return {}


@pytest.fixture
def app(database_url: str, config_path: Path, settings: dict[str, object]) -> Iterator[Flask]:
    """Create the app on a fresh database with its components synced."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATUSPAGE_CONFIG": str(config_path),
            "SYNC_COMPONENTS_ON_START": False,
            **settings,
        }
    )
    with app.app_context():
        db.create_all()
        stamp()  # the models are the newest schema: say so, as `db upgrade` would
        sync_components(app.config["STATUS"])
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the app."""
    return app.test_client()


class StatuspageRunner(CliRunner):
    """Run `statuspage` commands against the test app's database and config."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.env_for_app = {
            "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "STATUSPAGE_CONFIG": app.config["STATUSPAGE_CONFIG"],
        }

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Result:  # type: ignore[override]
        """Invoke `statuspage ARGS` (FlaskCliRunner's signature, so `args=` works too)."""
        if args is None and isinstance(cli, list | tuple | str):
            cli, args = None, cli
        kwargs["env"] = self.env_for_app | kwargs.get("env", {})
        return super().invoke(cli or statuspage_cli, args, **kwargs)


@pytest.fixture
def runner(app: Flask) -> StatuspageRunner:
    """Return a runner for `statuspage` commands on this test's database."""
    return StatuspageRunner(app)


@pytest.fixture
def write_config(tmp_path: Path):
    """Return a function that writes a configuration file and returns its path."""

    def write(body: str, name: str = "status.toml") -> Path:
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return write
