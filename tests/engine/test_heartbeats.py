"""Heartbeats end to end: beats posted to the site, judged by the probe process on an injected
clock, through the same confirmation, incidents, alerts and uptime as any probe."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from statuspage import create_app
from statuspage.engine import ProbeService
from statuspage.engine.heartbeats import judge_heartbeats
from statuspage.store.checks import Heartbeat
from statuspage.store.db import db
from statuspage.store.models import (
    Component,
    Incident,
    NotificationEvent,
    ProbeResult,
    ProbeState,
    StatusChange,
)
from statuspage.web.api_v1 import heartbeats as heartbeat_view

T0 = datetime(2026, 3, 2, 10, 42, tzinfo=UTC)
KEY = "hb_" + "9f3c2a7d1e5b4c8a" * 3
PROBE = "analytics/queue-consumer"
CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[alerts]
emails = ["oncall@capgo.app"]
[[components]]
slug = "analytics"
name = "Analytics"
[[components.probes]]
name = "Queue consumer"
kind = "heartbeat"
key = "${QUEUE_HEARTBEAT_KEY}"
expect_every_s = 300
grace_s = 120
"""


class Clock:
    """A clock the test moves: the site and the probe process both read it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    monkeypatch.setenv("QUEUE_HEARTBEAT_KEY", KEY)
    clock = Clock(T0)
    monkeypatch.setattr(heartbeat_view, "utcnow", clock)
    return clock


@pytest.fixture
def probing(app, clock) -> ProbeService:
    return ProbeService(
        app, environ={"STATUSPAGE_LOCATION": "eu", "QUEUE_HEARTBEAT_KEY": KEY}, clock=clock
    )


def beat(client, body=None):
    response = client.post(f"/api/v1/heartbeats/{KEY}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def judge(probing: ProbeService) -> None:
    [probe] = probing.heartbeats
    probing.judge_heartbeat(probe)


def facts(app) -> dict:
    """Return the heartbeat's probe state, the component's status and its incidents."""
    with app.app_context():
        state = db.session.get(ProbeState, (PROBE, "eu"))
        component = db.session.execute(
            db.select(Component).filter_by(slug="analytics")
        ).scalar_one()
        incidents = [
            (i.name, i.status, [u.body for u in reversed(i.updates)])
            for i in db.session.execute(db.select(Incident).order_by(Incident.id)).scalars()
        ]
        alerts = (
            db.session.execute(
                db.select(NotificationEvent.kind).where(NotificationEvent.kind.like("alert.%"))
            )
            .scalars()
            .all()
        )
        result = {
            "confirmed": state.confirmed if state else None,
            "reason": state.last_reason if state else None,
            "status": component.automatic_status,
            "incidents": incidents,
            "alerts": alerts,
        }
        db.session.remove()
    return result


def test_a_missed_heartbeat_opens_an_incident_and_a_resumed_one_resolves_it(
    app, client, clock, probing
) -> None:
    answer = beat(client)
    assert answer == {"probe": PROBE, "status": "ok", "received_at": T0.isoformat()}
    clock.move(minutes=1)
    judge(probing)
    assert facts(app)["status"] == "operational"

    clock.move(minutes=6)  # 10:49: the last beat is 7 minutes old, 5 + 2 of grace allowed
    judge(probing)
    assert facts(app)["status"] == "operational"  # exactly at the limit: still in time
    clock.move(seconds=1)
    judge(probing)
    missed = facts(app)
    assert missed["confirmed"] == "down"
    assert missed["reason"] == "no heartbeat since 10:42 UTC (expected every 5 min)"
    assert missed["status"] == "major_outage"
    [(name, status, bodies)] = missed["incidents"]
    assert (name, status) == ("Major outage of Analytics", "investigating")
    assert (
        "Queue consumer has sent no heartbeat since 10:42 UTC (expected every 5 min)" in (bodies[0])
    )
    assert missed["alerts"] == ["alert.opened"]

    clock.move(minutes=1)
    beat(client)  # the job runs again
    clock.move(seconds=30)
    judge(probing)
    resumed = facts(app)
    assert (resumed["confirmed"], resumed["status"]) == ("up", "operational")
    [(_, status, bodies)] = resumed["incidents"]
    assert status == "resolved" and len(bodies) == 2
    assert resumed["alerts"] == ["alert.opened", "alert.resolved"]
    with app.app_context():
        history = db.session.execute(
            db.select(StatusChange.status, StatusChange.at).order_by(StatusChange.id)
        ).all()
    # The same status history any probe writes: uptime is counted from it.
    assert [status for status, _ in history] == ["operational", "major_outage", "operational"]


def test_a_job_that_says_it_failed_is_down_at_once_with_its_message(
    app, client, clock, probing
) -> None:
    beat(client, {"status": "fail", "message": "queue stuck:\n1200 batches behind"})
    clock.move(seconds=30)
    judge(probing)
    failed = facts(app)
    assert failed["reason"] == "reported failure: queue stuck: 1200 batches behind"
    [(_, _, bodies)] = failed["incidents"]
    assert "Queue consumer reported a failure: queue stuck: 1200 batches behind" in bodies[0]


def test_before_the_first_beat_nothing_counts_until_its_deadline(app, clock, probing) -> None:
    judge(probing)  # starts watching
    clock.move(minutes=7)
    judge(probing)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar() == 0
    clock.move(seconds=1)
    judge(probing)
    assert facts(app)["reason"] == (
        "no heartbeat yet (watching since 10:42 UTC, expected every 5 min)"
    )


def test_beats_taken_by_one_web_process_are_judged_by_the_probe_process(
    app, clock, probing, config_path
) -> None:
    other_web = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "STATUSPAGE_CONFIG": str(config_path),
            "SYNC_COMPONENTS_ON_START": False,
        }
    )
    beat(other_web.test_client())
    with other_web.app_context():
        db.engine.dispose()
    clock.move(minutes=1)
    judge(probing)
    with app.app_context():
        row = db.session.get(Heartbeat, PROBE)
        assert (row.beats, row.last_beat_at, row.last_status) == (1, T0, "ok")
        [result] = db.session.execute(db.select(ProbeResult)).scalars().all()
        assert (result.outcome, result.location) == ("up", "eu")


def test_probe_once_judges_heartbeats_and_an_unset_key_skips_them(app, clock, runner) -> None:
    result = runner.invoke(args=["probe", "--once"], env={"QUEUE_HEARTBEAT_KEY": ""})
    assert result.exit_code == 0, result.output
    assert "Queue consumer" in result.output and "not configured" in result.output
    result = runner.invoke(args=["probe", "--once"], env={"QUEUE_HEARTBEAT_KEY": KEY})
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output  # judged (nothing due yet: no result to print)
    assert KEY not in result.output
    with app.app_context():
        assert db.session.get(Heartbeat, PROBE) is not None


def test_agents_cannot_speak_for_a_heartbeat(app) -> None:
    from probes import Outcome, Result
    from statuspage.web.api_v1.results import refusal

    forged = Result(
        probe_key=PROBE,
        component="analytics",
        location="eu",
        started_at=T0,
        latency_ms=None,
        outcome=Outcome.UP,
        http_status=None,
        reason="",
    )
    refused = refusal(0, forged, app.config["STATUS"], T0)
    assert refused is not None and "heartbeat" in refused.reason


def test_judging_reads_only_the_database(app, clock) -> None:
    with app.app_context():
        [probe] = app.config["STATUS"].heartbeats
        zone = app.config["STATUS"].site.zone
        assert judge_heartbeats([probe], "eu", zone, T0) == []
        payloads = db.session.execute(db.select(NotificationEvent.payload)).scalars().all()
    assert all(KEY not in json.dumps(p) for p in payloads)
