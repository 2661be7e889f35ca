"""Shared fixtures: an app on a fresh database per test, its client and CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from statuspage import DEFAULT_CONFIG, create_app
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
def app(database_url: str, config_path: Path) -> Iterator[Flask]:
    """Create the app on a fresh database with its components synced."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATUSPAGE_CONFIG": str(config_path),
            "SYNC_COMPONENTS_ON_START": False,
        }
    )
    with app.app_context():
        db.create_all()
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


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def write_config(tmp_path: Path):
    """Return a function that writes a configuration file and returns its path."""

    def write(body: str, name: str = "status.toml") -> Path:
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return write
