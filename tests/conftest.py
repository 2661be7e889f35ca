"""Shared fixtures: an app on a fresh database per test, its client and CLI runner, and the
loopback Capgo stand-in the probes hit.

The tests run on SQLite by default, each on its own file: a copy of a template holding the
newest schema, built once a run. With STATUSPAGE_TEST_DATABASE_URL set to a PostgreSQL database
(`make test-postgres` sets it, see scripts/with-postgres), every test gets that database emptied
instead: the public schema is dropped and created again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import stamp
from sqlalchemy import Connection, create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from statuspage import DEFAULT_CONFIG, create_app
from statuspage.cli import cli as statuspage_cli
from statuspage.engine import sync_components
from statuspage.store.db import db
from tests.factories import REPO_ROOT as REPO_ROOT  # tests import it from here too
from tests.factories import LiveSite
from tests.standin import CapgoStandIn

TEST_DATABASE_URL = os.environ.get("STATUSPAGE_TEST_DATABASE_URL") or None
ON_POSTGRES = (
    TEST_DATABASE_URL is not None and make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"
)
if TEST_DATABASE_URL is not None and not ON_POSTGRES:
    raise pytest.UsageError("STATUSPAGE_TEST_DATABASE_URL must be a postgresql+psycopg:// URL")


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL is SQLite's."""
    return make_url(url).get_backend_name() == "sqlite"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Connection]:
    """Return one autocommit connection to the test PostgreSQL database, for the whole run."""
    if TEST_DATABASE_URL is None:
        pytest.skip("needs STATUSPAGE_TEST_DATABASE_URL")
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _empty_postgres(admin: Connection) -> None:
    """Empty the test database: end every other session (a test may have left one in a
    transaction, or a killed subprocess one half-closed), then drop and recreate the schema."""
    admin.execute(
        text(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    admin.execute(text("DROP SCHEMA public CASCADE"))
    admin.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def config_path() -> Path:
    """Return the configuration file the app is built from; override to use another."""
    return DEFAULT_CONFIG


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Return the URL of an empty database for this test (SQLite, or PostgreSQL when set)."""
    if TEST_DATABASE_URL is None:
        return f"sqlite:///{tmp_path / 'test.db'}"
    _empty_postgres(request.getfixturevalue("postgres_admin"))
    return TEST_DATABASE_URL


@pytest.fixture
def database_outage(request: pytest.FixtureRequest) -> Callable[[Flask], AbstractContextManager]:
    """Return `outage(app)`: a context in which the app's database cannot be reached.

    SQLite: the file is moved away, so the next connection finds an empty database.
    PostgreSQL: the database stops accepting connections and every session to it is ended.
    """

    @contextmanager
    def outage(app: Flask) -> Iterator[None]:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            db.engine.dispose()
        if is_sqlite(url):
            path = make_url(url).database
            os.rename(path, path + ".away")
            try:
                yield
            finally:
                with app.app_context():
                    db.engine.dispose()
                os.replace(path + ".away", path)
            return
        admin = request.getfixturevalue("postgres_admin")  # kept: it empties the next test's
        keep, name = admin.execute(text("SELECT pg_backend_pid(), current_database()")).one()
        # A database cannot refuse connections to itself: ask from the maintenance database.
        server = create_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        with server.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            try:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> :keep"
                    ),
                    {"name": name, "keep": keep},
                )
                yield
            finally:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
                with app.app_context():
                    db.engine.dispose()
        server.dispose()

    return outage


def stored_bytes(database_url: str) -> bytes:
    """Return what the database holds, to search for something that must not be stored.

    SQLite: every byte of the file and its write-ahead log. PostgreSQL: every row of every
    table, each as its text form (all columns).
    """
    if is_sqlite(database_url):
        path = Path(make_url(database_url).database)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = [
                row
                for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT CAST(t AS text) FROM "{table}" AS t'))
            ]
    finally:
        engine.dispose()
    assert rows, "nothing stored: the search would prove nothing"
    return "\n".join(row[0] for row in rows).encode()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file holding the newest schema, stamped as `db upgrade` would stamp it.

    Built once a run: copying it costs a test far less than creating the tables again.
    """
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "STATUSPAGE_CONFIG": str(DEFAULT_CONFIG),
            "SYNC_COMPONENTS_ON_START": False,
        }
    )
    with app.app_context():
        db.create_all()
        stamp()  # the models are the newest schema: say so, as `db upgrade` would
        with db.engine.connect() as connection:
            # Everything in the file itself, none left in a write-ahead log beside it.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return path


@pytest.fixture
def settings() -> dict[str, object]:
    """Return extra settings for the app; override to change them."""
    return {}


@pytest.fixture
def app(
    database_url: str,
    config_path: Path,
    settings: dict[str, object],
    request: pytest.FixtureRequest,
) -> Iterator[Flask]:
    """Create the app on a fresh database of the newest schema, with its components synced."""
    if not ON_POSTGRES:
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), make_url(database_url).database)
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
        if ON_POSTGRES:
            db.create_all()
            stamp()  # the models are the newest schema: say so, as `db upgrade` would
        sync_components(app.config["STATUS"])
    yield app
    # Nothing to drop: the SQLite file goes with the test's tmp_path, and on PostgreSQL the
    # next test empties the schema in one statement.
    with app.app_context():
        db.session.remove()
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


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    """Serve healthy Capgo answers over HTTP on 127.0.0.1."""
    with CapgoStandIn() as standin:
        yield standin


@pytest.fixture
def capgo_tls() -> Iterator[CapgoStandIn]:
    """Serve Capgo answers over HTTPS with a certificate no default trust store accepts."""
    with CapgoStandIn(tls=True) as standin:
        yield standin


@pytest.fixture
def site(app: Flask) -> Iterator[LiveSite]:
    """Serve the app for real on 127.0.0.1 for the test (stop() and start() keep its port)."""
    live = LiveSite(app)
    live.start()
    yield live
    live.stop()


# Figures that fault and fuzz tests measure (kills, inputs, retries), printed after the run.
FIGURES: list[str] = []


@pytest.fixture
def report_figure() -> Any:
    """Return a function that records a line for the run's closing figures."""
    return FIGURES.append


@pytest.fixture(scope="module")
def report_figure_module() -> Any:
    """Return the same recorder, for module-scoped fixtures."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures the fault and fuzz tests measured."""
    if FIGURES:
        terminalreporter.section("fault and fuzz figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
