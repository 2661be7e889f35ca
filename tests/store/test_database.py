"""What SQLite and PostgreSQL do differently, and what the site does the same on both.

The whole suite runs on each (`make test`, `make test-postgres`); these are the few checks
about the databases themselves.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from statuspage import create_app
from statuspage.config import ConfigError
from statuspage.engine import ProbeService
from statuspage.reads.status import newest_result_at
from statuspage.store.db import _tune_sqlite, db, findable
from statuspage.store.limits import LOCATION as MAX_LOCATION
from statuspage.store.models import ProbeResult, ProbeState
from tests.conftest import ON_POSTGRES


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own connection settings (WAL, busy timeout)")
def test_sqlite_connections_use_wal_and_wait_for_each_other(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_settings_leave_other_databases_alone() -> None:
    class OtherConnection:
        def cursor(self) -> None:
            raise AssertionError("a SQLite setting was sent to another database")

    _tune_sqlite(OtherConnection(), None)


def test_the_configured_database_is_the_one_in_use(app) -> None:
    with app.app_context():
        assert db.engine.dialect.name == ("postgresql" if ON_POSTGRES else "sqlite")
        if ON_POSTGRES:
            assert db.engine.dialect.driver == "psycopg"


def test_timestamps_come_back_aware_in_utc(app) -> None:
    started = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    with app.app_context():
        db.session.add(
            ProbeResult(
                result_id="r1",
                probe_key="live-updates/update-check",
                component_id=1,
                location="here",
                started_at=started,
                outcome="up",
            )
        )
        db.session.commit()
        db.session.expire_all()
        stored = db.session.execute(db.select(ProbeResult.started_at)).scalar_one()
        assert stored == started and stored.utcoffset() is not None
        newest = newest_result_at()  # max() over the column keeps its type
        assert newest == started and newest.utcoffset() is not None


def test_postgresql_without_its_driver_is_a_clear_config_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were missing
    with pytest.raises(ConfigError, match=r"'psycopg'.*pip install '\.\[postgres\]'"):
        create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1/x"}
        )


def test_nothing_holding_nul_is_looked_up() -> None:
    assert findable("live-updates") and findable("")
    assert not findable("live\x00updates") and not findable(None) and not findable(3)


def test_a_location_longer_than_the_database_holds_is_refused(app, runner) -> None:
    assert ProbeResult.__table__.c.location.type.length == MAX_LOCATION
    assert ProbeState.__table__.c.location.type.length == MAX_LOCATION
    too_long = "x" * (MAX_LOCATION + 1)
    with pytest.raises(ConfigError, match=f"longer than {MAX_LOCATION} characters"):
        ProbeService(app, environ={"STATUSPAGE_LOCATION": too_long})
    result = runner.invoke(args=["probe", "--once"], env={"STATUSPAGE_LOCATION": too_long})
    assert result.exit_code == 2
    assert f"STATUSPAGE_LOCATION is longer than {MAX_LOCATION} characters" in result.output
