"""Incidents entered afterwards count: laid into the status history over their real times, so
the day's uptime, the bars and the CSV say what happened, through every front door."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from statuspage import staff
from statuspage.config import load_config
from statuspage.engine import ingest, roll_up_days
from statuspage.staff.content_sync import sync_directory
from statuspage.staff.tokens import create_token
from statuspage.store.db import db
from statuspage.store.models import ComponentDay, StatusChange
from statuspage.web.api_v1 import PREFIX
from tests.engine.test_late_results import CONFIG
from tests.engine.test_outages import result
from tests.staff.helpers import ALICE, sign_in

DAY = date(2026, 3, 2)
# Entered at noon; the probe reported "up" every minute from 10:00 to 10:59.
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FILE = """+++
title = "Stats were lost"
components = {{ analytics = "major_outage" }}
started = 2026-03-02T10:20:00Z
resolved = 2026-03-02T{end}:00Z
+++

## 2026-03-02 {end} UTC · Resolved
Stats ping failed for half an hour; the checks never saw it.
"""


@pytest.fixture
def settings():
    return {"WTF_CSRF_ENABLED": False}


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def an_hour_of_results(config) -> None:
    for minute in range(60):
        ingest([result("analytics/stats-ping", "up", at(10, minute))], config, at(10, minute))
    roll_up_days(config, NOON)


def day() -> ComponentDay:
    return db.session.execute(db.select(ComponentDay).where(ComponentDay.day == DAY)).scalar_one()


def through_admin(app, client, monkeypatch, tmp_path) -> None:
    from statuspage.web import admin

    sign_in(app, client)
    monkeypatch.setattr(admin, "utcnow", lambda: NOON)
    response = client.post(
        "/admin/incidents/new",
        data={
            "name": "Stats were lost",
            "status": "resolved",
            "impact": "from_components",
            "started_at": "2026-03-02T10:20",
            "resolved_at": "2026-03-02T10:50",
            "component-analytics": "major_outage",
            "body": "Stats ping failed for half an hour; the checks never saw it.",
            "action": "post",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def through_the_api(app, client, monkeypatch, tmp_path) -> None:
    from statuspage.web.api_v1 import routes

    with app.app_context():
        token = create_token("ci")
    monkeypatch.setattr(routes, "utcnow", lambda: NOON)
    response = client.post(
        PREFIX + "/incidents",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "name": "Stats were lost",
            "status": "resolved",
            "body": "Stats ping failed for half an hour.",
            "components": {"analytics": "major_outage"},
            "started_at": "2026-03-02T10:20:00Z",
            "resolved_at": "2026-03-02T10:50:00Z",
        },
    )
    assert response.status_code == 201, response.json


def through_a_file(app, client, monkeypatch, tmp_path) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "2026-03-02-stats.md").write_text(FILE.format(end="10:50"))
    with app.app_context():
        [report] = sync_directory(tmp_path / "incidents", app.config["STATUS"], NOON)
        assert report.outcome == "imported", report.line()


@pytest.mark.parametrize("door", [through_admin, through_the_api, through_a_file])
def test_a_past_incident_changes_that_days_uptime_by_its_minutes(
    app, client, monkeypatch, tmp_path, door
) -> None:
    from statuspage.web import public

    config = load_config(app.config["STATUS"].path)
    with app.app_context():
        an_hour_of_results(config)
        before = day()
        # Data from 10:00 until the last result (10:59) stops covering, three intervals on.
        assert (before.operational_min, before.major_min) == (62.0, 0.0)
    door(app, client, monkeypatch, tmp_path)
    with app.app_context():
        after = day()
        # 10:20 to 10:50 was a major outage: 30 of the 62 minutes with data.
        assert (after.operational_min, after.major_min, after.nodata_min) == (
            32.0,
            30.0,
            before.nodata_min,
        )
        laid = db.session.execute(
            db.select(StatusChange).where(StatusChange.cause == "incident")
        ).scalars()
        assert [(f"{c.at:%H:%M}", c.status) for c in laid] == [
            ("10:20", "major_outage"),
            ("10:50", "operational"),
        ]
    monkeypatch.setattr(public, "utcnow", lambda: NOON)
    home = client.get("/").get_data(as_text=True)
    # 30 minutes down of 62 with data: 32 / 62 = 51.61 %; a major outage weighs its full minutes.
    assert "Mar 02, 2026</strong>:\n        51.61% uptime, 30 min weighted downtime." in home
    assert 'Stats were lost</bdi> <span class="bar-entered">(entered by staff afterwards)' in home
    csv = client.get("/uptime.csv").get_data(as_text=True)
    assert "2026-03,Analytics,51.61" in csv.replace('"', "")


def test_a_file_moved_in_time_moves_its_minutes(app, tmp_path) -> None:
    config = load_config(app.config["STATUS"].path)
    folder = tmp_path / "incidents"
    folder.mkdir()
    path = folder / "2026-03-02-stats.md"
    with app.app_context():
        an_hour_of_results(config)
        path.write_text(FILE.format(end="10:50"))
        sync_directory(folder, app.config["STATUS"], NOON)
        assert day().major_min == 30.0
        # Staff find it ended at 10:30: what the first import laid is taken out, then laid again.
        path.write_text(FILE.format(end="10:30"))
        [report] = sync_directory(folder, app.config["STATUS"], NOON + timedelta(minutes=5))
        assert report.outcome == "updated", report.line()
        assert (day().operational_min, day().major_min) == (52.0, 10.0)


def test_an_incident_written_as_it_happens_is_not_laid_again(app) -> None:
    config = load_config(app.config["STATUS"].path)
    with app.app_context():
        an_hour_of_results(config)
        staff.create_incident(
            ALICE,
            app.config["STATUS"],
            at(10, 59),
            name="Stats are slow",
            status="investigating",
            body="Looking.",
            components={"analytics": "degraded_performance"},
        )
        # Shown live from 10:59 by the evaluation (cause incident), nothing dated before it.
        laid = db.session.execute(
            db.select(StatusChange.at).where(StatusChange.at < at(10, 59))
        ).scalars()
        assert list(laid) == [at(10, 0)]
