"""Results that arrive late are judged at their own times: an outage an agent saw while cut
off from the site enters the status history, appended, at its real times, and the uptime."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from statuspage.config import load_config
from statuspage.engine import ingest
from statuspage.notify import alerts
from statuspage.store.db import db
from statuspage.store.models import ComponentDay, Incident, StatusChange
from tests.engine.test_outages import MINUTE, STATS, T0, result

CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[defaults]
interval_s = 60
failures_to_open = 3
successes_to_close = 2
[alerts]
emails = ["oncall@capgo.app"]
[[components]]
slug = "analytics"
name = "Analytics"
[[components.probes]]
name = "Stats ping"
url = "https://plugin.capgo.app/stats"
"""


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture
def config(config_path):
    return load_config(config_path)


def at(minute: int) -> datetime:
    return T0 + minute * MINUTE


def queued(location: str = "eu-west") -> list:
    """What an agent cut off from 10:05 to 10:25 queued: down from 10:10 to 10:15."""
    return [
        result(STATS, "down" if 10 <= minute <= 15 else "up", at(minute), location)
        for minute in range(5, 25)
    ]


def history() -> list[tuple[str, str, bool]]:
    rows = db.session.execute(
        db.select(StatusChange).order_by(StatusChange.at, StatusChange.id)
    ).scalars()
    return [(f"{r.at:%H:%M}", r.status, "arrived late" in (r.note or "")) for r in rows]


def shown() -> list[tuple[str, str]]:
    """Return the history as read (by time, then as appended), one entry per change."""
    read: list[tuple[str, str]] = []
    for moment, status, _ in history():
        if read and read[-1][0] == moment:
            read[-1] = (moment, status)
        elif not read or read[-1][1] != status:
            read.append((moment, status))
    return read


def day_minutes() -> ComponentDay:
    return db.session.execute(
        db.select(ComponentDay).where(ComponentDay.day == date(2026, 3, 2))
    ).scalar_one()


def report_on_time(config, location: str, minutes: range) -> None:
    for minute in minutes:
        ingest([result(STATS, "up", at(minute), location)], config, at(minute))


@pytest.mark.parametrize("batch", [20, 7])
def test_a_stopped_agents_queue_places_the_outage_at_its_real_times(
    app, config, client, monkeypatch, batch
) -> None:
    from statuspage.web import public

    with app.app_context():
        report_on_time(config, "eu-west", range(5))
        # Three intervals after its last result (10:04) the location is silent.
        assert alerts.check_locations(config, at(7)) == 0
        assert alerts.check_locations(config, at(8)) == 1
    monkeypatch.setattr(public, "utcnow", lambda: at(8))
    page = client.get("/components/analytics").get_data(as_text=True)
    assert "no results from eu-west since 10:04 UTC" in page

    with app.app_context():
        assert shown() == [("10:00", "operational")]
        # At 10:25 the agent is back and sends its queue, oldest first, `batch` at a time.
        results = queued()
        for start in range(0, len(results), batch):
            ingest(results[start : start + batch], config, at(25))
        assert shown() == [
            ("10:00", "operational"),
            ("10:12", "major_outage"),  # the third failure in a row, at 10:12
            ("10:17", "operational"),  # the second success, at 10:17
        ]
        assert all(late for moment, _, late in history() if moment != "10:00")
        # Appended: the first row is untouched, every later one was added after it.
        ids = [r.id for r in db.session.execute(db.select(StatusChange)).scalars()]
        assert ids == sorted(ids)
        assert db.session.execute(db.select(Incident)).first() is None  # over before it was known
        day = day_minutes()
        assert (day.major_min, day.operational_min) == (5.0, 20.0)  # 10:12-10:17 of 10:00-10:25


def test_a_cut_off_minority_is_a_degraded_stretch(app, config) -> None:
    with app.app_context():
        for minute in range(25):
            here = result(STATS, "up", at(minute), "here")
            eu = [result(STATS, "up", at(minute), "eu-west")] if minute < 5 else []
            ingest([here, *eu], config, at(minute))
        ingest(queued(), config, at(25))
        # One location of two saw the outage: degraded, not down.
        assert shown() == [
            ("10:00", "operational"),
            ("10:12", "degraded_performance"),
            ("10:17", "operational"),
        ]
        assert day_minutes().degraded_min == 5.0


def test_results_kept_through_a_database_outage_are_judged_in_order(app, config) -> None:
    with app.app_context():
        report_on_time(config, "here", range(3))
        # The probe process kept these in memory while the database was away.
        kept = [
            result(STATS, "down" if minute < 8 else "up", at(minute), "here")
            for minute in range(3, 12)
        ]
        ingest(kept, config, at(12))
        assert shown() == [
            ("10:00", "operational"),
            ("10:05", "major_outage"),
            ("10:09", "operational"),
        ]


def test_an_outage_still_under_way_is_placed_and_carries_on(app, config) -> None:
    with app.app_context():
        report_on_time(config, "eu-west", range(5))
        ongoing = [result(STATS, "down", at(minute), "eu-west") for minute in range(5, 12)]
        ingest(ongoing, config, at(12) - timedelta(seconds=30))
        assert shown() == [("10:00", "operational"), ("10:07", "major_outage")]
        [incident] = db.session.execute(db.select(Incident)).scalars()
        assert incident.status == "investigating"
        assert "failing since 10:05 UTC" in incident.updates[0].body


@pytest.mark.parametrize("batch", [40, 8, 3])
def test_a_queue_in_batches_tells_the_same_history_as_at_once(app, config, batch) -> None:
    from statuspage.engine import roll_up_days
    from statuspage.rules.history import status_at

    with app.app_context():
        report_on_time(config, "eu-west", range(5))
        # Down 10:10-10:15 and 10:30-10:35; batches end mid-outage and mid-recovery.
        outages = [*range(10, 16), *range(30, 36)]
        results = [
            result(STATS, "down" if minute in outages else "up", at(minute), "eu-west")
            for minute in range(5, 45)
        ]
        for start in range(0, len(results), batch):
            ingest(results[start : start + batch], config, at(45))
        points = [
            (r.at, r.status)
            for r in db.session.execute(
                db.select(StatusChange).order_by(StatusChange.at, StatusChange.id)
            ).scalars()
        ]
        down = [m for m in range(45) if status_at(points, at(m)) == "major_outage"]
        # Confirmed at the third failure (10:12, 10:32), up at the second success (10:17, 10:37).
        assert down == [*range(12, 17), *range(32, 37)]
        roll_up_days(config, at(45))
        assert (day_minutes().major_min, day_minutes().operational_min) == (10.0, 35.0)
