"""From results to truth: scripted result sequences through the whole path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.config import load_config
from statuspage.engine import advance_maintenances, ingest
from statuspage.staff import Actor, set_component_status
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Incident,
    IncidentUpdate,
    OpenAutomaticIncident,
    StatusChange,
)
from tests.factories import component, component_toml, config_toml, probe_result, probe_toml
from tests.inert import component_status

T0 = datetime(2026, 3, 2, 10, 2, tzinfo=UTC)
INTERVAL = timedelta(seconds=60)

CONFIG = config_toml(
    component_toml(
        "live-updates",
        "Live Updates",
        probe_toml("Update check", "https://plugin.capgo.app/updates"),
        probe_toml("Europe edge", "https://plugin.eu.capgo.app/ok"),
    ),
    component_toml(
        "analytics", "Analytics", probe_toml("Stats ping", "https://plugin.capgo.app/stats")
    ),
    defaults={"interval_s": 60, "failures_to_open": 3, "successes_to_close": 2},
)

FAIL = {"down": (503, "HTTP 503, expected 200"), "degraded": (200, "slow: 4210 ms > 3000 ms")}


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture
def config(config_path):
    return load_config(config_path)


class Script:
    """Feed results one interval apart, as a probe process would."""

    def __init__(self, config) -> None:
        self.config = config
        self.now = T0

    def run(self, outcomes: dict[str, str], location: str = "here") -> None:
        """Record one result per probe key (outcome up, degraded or down), then step on."""
        results = []
        for key, outcome in outcomes.items():
            status, reason = FAIL.get(outcome, (200, ""))
            results.append(
                probe_result(
                    key,
                    outcome,
                    location=location,
                    started_at=self.now,
                    latency_ms=120.0,
                    http_status=status,
                    reason=reason,
                )
            )
        ingest(results, self.config, self.now)
        self.now += INTERVAL

    def repeat(self, outcomes: dict[str, str], times: int) -> None:
        for _ in range(times):
            self.run(outcomes)


UPDATE = "live-updates/update-check"
EDGE = "live-updates/europe-edge"
STATS = "analytics/stats-ping"


def both(outcome: str, edge: str | None = None) -> dict[str, str]:
    return {UPDATE: outcome, EDGE: edge or outcome}


def incidents(unresolved_only: bool = False) -> Sequence[Incident]:
    query = db.select(Incident).where(Incident.kind == "incident").order_by(Incident.id)
    if unresolved_only:
        query = query.where(Incident.status.not_in(["resolved", "postmortem"]))
    return list(db.session.execute(query).scalars())


def history(slug: str) -> list[tuple[str, str, bool]]:
    rows = db.session.execute(
        db.select(StatusChange)
        .where(StatusChange.component == component(slug))
        .order_by(StatusChange.id)
    ).scalars()
    return [(r.status, r.cause, r.overridden) for r in rows]


def test_a_single_blip_opens_nothing(app, config) -> None:
    with app.app_context():
        script = Script(config)
        script.repeat(both("up"), 2)
        script.run(both("down"))
        script.repeat(both("up"), 3)
        assert incidents() == []
        assert component("live-updates").automatic_status == "operational"
        assert history("live-updates") == [("operational", "probe", False)]


def test_a_flapping_probe_opens_nothing(app, config) -> None:
    with app.app_context():
        script = Script(config)
        for run in range(20):
            script.run(both("down" if run % 2 == 0 else "up"))
        assert incidents() == []
        # Never N down in a row, but half the checks fail: degraded by the intermittent rule
        # (issue 16), which shows on the page and pages nobody.
        assert component("live-updates").automatic_status == "degraded_performance"


def test_three_downs_open_one_incident_with_impact_and_wording(app, config, client) -> None:
    with app.app_context():
        script = Script(config)
        script.run(both("up"))
        script.repeat(both("down"), 2)
        assert incidents() == []
        script.run(both("down"))
        [incident] = incidents()
        assert incident.automatic and incident.status == "investigating"
        assert incident.name == "Major outage of Live Updates"
        assert incident.impact == "critical"
        [update] = incident.updates
        assert update.author is None
        assert update.body == (
            "Automated checks of Live Updates have been failing since 10:03 UTC: "
            "Update check answered HTTP 503 (3 of 3 checks); "
            "Europe edge answered HTTP 503 (3 of 3 checks)."
        )
        assert [(c.old_status, c.new_status) for c in update.changes] == [
            ("operational", "major_outage")
        ]
        assert [a.status for a in incident.affected] == ["major_outage"]
        # More failures add nothing while nothing changes.
        script.repeat(both("down"), 3)
        assert len(incidents()) == 1 and len(incidents()[0].updates) == 1
    page = client.get("/").get_data(as_text=True)
    assert "Major outage of Live Updates" in page
    # One of two components down, but the incident's critical impact raises the banner.
    assert "<h1>Major System Outage</h1>" in page
    assert 'status-major_outage">Major Outage<' in page


def test_partial_then_major_then_recovery_resolves(app, config, client) -> None:
    with app.app_context():
        script = Script(config)
        script.repeat(both("up", "down"), 3)
        [incident] = incidents()
        assert incident.name == "Partial outage of Live Updates"
        assert incident.impact == "major"
        assert component("live-updates").automatic_status == "partial_outage"

        script.repeat(both("down"), 3)
        incident = incidents()[0]
        assert len(incidents()) == 1
        assert incident.impact == "critical"
        assert incident.updates[0].body.startswith(
            "Live Updates changed from Partial Outage to Major Outage."
        )

        script.run(both("up"))
        assert incidents(unresolved_only=True)  # one success is not enough
        script.run(both("up"))
        incident = incidents()[0]
        assert incident.status == "resolved" and incident.resolved_at == script.now - INTERVAL
        assert "This incident has been resolved." in incident.updates[0].body
        assert db.session.execute(db.select(OpenAutomaticIncident)).first() is None
        assert [s for s, _, _ in history("live-updates")] == [
            "operational",
            "partial_outage",
            "major_outage",
            "operational",
        ]
    assert "<h1>All Systems Operational</h1>" in client.get("/").get_data(as_text=True)


def test_a_new_failure_after_resolution_opens_a_new_incident(app, config) -> None:
    with app.app_context():
        script = Script(config)
        script.repeat(both("down"), 3)
        script.repeat(both("up"), 2)
        # Longer than [incidents] group_window_s (2 minutes) after it resolved: a new outage.
        script.repeat(both("up"), 3)
        script.repeat(both("down"), 3)
        assert [i.status for i in incidents()] == ["resolved", "investigating"]


def test_degraded_probe_gives_degraded_performance(app, config) -> None:
    with app.app_context():
        script = Script(config)
        script.repeat(both("up", "degraded"), 3)
        [incident] = incidents()
        assert incident.impact == "minor"
        assert incident.name == "Degraded performance of Live Updates"
        assert "shown degraded performance" in incident.updates[0].body


def test_staff_written_incident_goes_to_monitoring(app, config) -> None:
    with app.app_context():
        script = Script(config)
        script.repeat(both("down"), 3)
        incident = incidents()[0]
        db.session.add(
            IncidentUpdate(
                incident=incident,
                status="identified",
                body="A bad deploy.",
                author="alice@capgo.app",
                created_at=script.now,
            )
        )
        incident.status = "identified"
        db.session.commit()
        script.repeat(both("up"), 2)
        incident = incidents()[0]
        assert incident.status == "monitoring" and incident.monitoring_at is not None
        assert "A team member will confirm the resolution." in incident.updates[0].body
        script.repeat(both("up"), 3)  # stays with the person
        assert incidents()[0].status == "monitoring"


def test_staff_incident_gets_observations_but_is_not_resolved(app, config) -> None:
    with app.app_context():
        staff = Incident(name="Slow bundle downloads", status="identified", impact="minor")
        db.session.add(staff)
        db.session.add(
            AffectedComponent(
                incident=staff, component=component("live-updates"), status="degraded_performance"
            )
        )
        db.session.commit()
        script = Script(config)
        script.repeat(both("down"), 3)
        assert [i.name for i in incidents()] == ["Slow bundle downloads"]
        assert staff.updates[0].author is None
        assert "have been failing" in staff.updates[0].body
        script.repeat(both("up"), 2)
        assert incidents()[0].status == "identified"
        assert "have passed since" in incidents()[0].updates[0].body


def test_manual_status_holds_until_cleared(app, config, client) -> None:
    with app.app_context():
        script = Script(config)
        script.run(both("up"))
        set_component_status(Actor("alice"), config, script.now, "analytics", "major_outage")
        script.repeat({STATS: "down"}, 3)
        script.repeat({STATS: "up"}, 2)
        assert component("analytics").manual_status == "major_outage"
        assert history("analytics") == [
            ("major_outage", "staff", False),
            ("operational", "probe", True),
            ("major_outage", "probe", True),
            ("operational", "probe", True),
        ]
    assert component_status(client.get("/").get_data(as_text=True), "Analytics") == "major_outage"
    with app.app_context():
        set_component_status(Actor("alice"), config, script.now, "analytics", None)
        assert history("analytics")[-1] == ("operational", "staff", False)


def make_maintenance(start: datetime, end: datetime, slug: str = "live-updates") -> Incident:
    maintenance = Incident(
        name="Database upgrade",
        kind="maintenance",
        status="scheduled",
        impact="maintenance",
        scheduled_for=start,
        scheduled_until=end,
    )
    db.session.add(maintenance)
    db.session.add(
        AffectedComponent(
            incident=maintenance, component=component(slug), status="under_maintenance"
        )
    )
    db.session.commit()
    return maintenance


def test_maintenance_suppresses_incidents_and_completes_on_time(app, config, client) -> None:
    with app.app_context():
        script = Script(config)
        maintenance = make_maintenance(T0 + timedelta(minutes=2), T0 + timedelta(minutes=12))
        script.repeat(both("up"), 2)
        advance_maintenances(config, script.now)
        assert maintenance.status == "in_progress"
        assert maintenance.updates[0].body.startswith(
            "Scheduled maintenance is currently in progress"
        )
        script.repeat(both("down"), 6)
        assert incidents() == []
        assert history("live-updates")[-1] == ("under_maintenance", "maintenance", False)
        assert component("live-updates").automatic_status == "major_outage"  # still recorded

        script.now = T0 + timedelta(minutes=12)
        advance_maintenances(config, script.now)
        assert maintenance.status == "completed"
        assert maintenance.updates[0].body == "The scheduled maintenance has been completed."
        # Still failing after the window: the next result opens an incident.
        assert incidents() == []
        script.run(both("down"))
        [incident] = incidents()
        assert incident.name == "Major outage of Live Updates"


def test_maintenance_reads_in_progress_without_any_process(app, config, client) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        make_maintenance(now - timedelta(minutes=1), now + timedelta(hours=1))
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Service Under Maintenance</h1>" in page
    assert 'status-under_maintenance">Under Maintenance<' in page


def test_location_majority(app, config) -> None:
    with app.app_context():
        script = Script(config)
        for _ in range(3):
            now = script.now
            script.run({STATS: "down"}, location="eu")
            script.now = now
            script.run({STATS: "up"}, location="us")
            script.now = now
            script.run({STATS: "up"}, location="asia")
        # One location of three down: a minority, so degraded rather than down.
        assert component("analytics").automatic_status == "degraded_performance"
        for _ in range(3):
            now = script.now
            script.run({STATS: "down"}, location="eu")
            script.now = now
            script.run({STATS: "down"}, location="us")
            script.now = now
            script.run({STATS: "up"}, location="asia")
        assert component("analytics").automatic_status == "major_outage"
        body = incidents()[0].updates[0].body
        assert "from eu" in body and "from us" in body
