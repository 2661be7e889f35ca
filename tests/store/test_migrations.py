"""Migrations build the whole schema from nothing, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from statuspage import create_app
from statuspage.store.db import db


# Autogenerate cannot compare expression indexes; the test checks that one by name instead.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_upgrade_an_empty_database_matches_the_models(database_url) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        assert not inspect(db.engine).has_table("component")
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"component", "status_change", "incident", "incident_update"} <= tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            catalogue = (
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                if connection.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes"
            )
            indexes = set(connection.execute(text(catalogue)).scalars())
            assert "ix_incident_starts_at" in indexes
        upgrade()  # a second upgrade is a no-op
        db.engine.dispose()


def test_app_start_syncs_components_once_migrated(database_url) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    again = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    response = again.test_client().get("/")
    assert "Live Updates" in response.get_data(as_text=True)
    with again.app_context():
        db.engine.dispose()


def test_upgrade_keeps_existing_rows(database_url) -> None:
    """Each migration applies to a database that already holds data."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(revision="f072c5e94358")  # before the status engine columns
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO component (id, code, slug, name, position, is_group, hidden,"
                    " created_at, updated_at) VALUES (1, 'abcdefghijkl', 'api', 'API', 0,"
                    " false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO status_change (component_id, status, at, cause)"
                    " VALUES (1, 'major_outage', '2026-01-01 00:00:00', 'probe')"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT status, overridden FROM status_change")).one()
        assert tuple(row) == ("major_outage", 0)
        db.engine.dispose()
