"""Issue 16 in the engine: one incident per outage, intermittent failures, silent locations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from probes import Result
from statuspage.config import load_config
from statuspage.engine import ingest
from statuspage.notify import alerts
from statuspage.store.db import db
from statuspage.store.models import (
    Component,
    Incident,
    NotificationEvent,
    OpenAutomaticIncident,
    ProbeState,
)
from tests.factories import probe_result

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[defaults]
interval_s = 60
failures_to_open = 3
successes_to_close = 2
[incidents]
group_window_s = {window}
[alerts]
emails = ["oncall@capgo.app"]
[[components]]
slug = "live-updates"
name = "Live Updates"
[[components.probes]]
name = "Update check"
url = "https://plugin.capgo.app/updates"
[[components]]
slug = "app-management"
name = "App Management"
[[components.probes]]
name = "Public API"
url = "https://api.capgo.app/ok"
[[components]]
slug = "analytics"
name = "Analytics"
[[components.probes]]
name = "Stats ping"
url = "https://plugin.capgo.app/stats"
"""

UPDATES = "live-updates/update-check"
API = "app-management/public-api"
STATS = "analytics/stats-ping"
ALL = (UPDATES, API, STATS)


@pytest.fixture
def window() -> int:
    return 120


@pytest.fixture
def config_path(write_config, window):
    return write_config(CONFIG.format(window=window))


@pytest.fixture
def config(config_path):
    return load_config(config_path)


def result(key: str, outcome: str, at: datetime, location: str = "here") -> Result:
    """Return one result at `at`; a failure answered HTTP 503."""
    return probe_result(key, outcome, location=location, started_at=at)


class Clock:
    """Feed one result per probe each minute, as a probe process would."""

    def __init__(self, config) -> None:
        self.config = config
        self.now = T0

    def tick(self, outcomes: dict[str, str], location: str = "here") -> None:
        ingest(
            [result(key, outcome, self.now, location) for key, outcome in outcomes.items()],
            self.config,
            self.now,
        )
        self.now += MINUTE

    def ticks(self, outcomes: dict[str, str], times: int) -> None:
        for _ in range(times):
            self.tick(outcomes)


def states(up: tuple[str, ...] = (), down: tuple[str, ...] = ()) -> dict[str, str]:
    return {**dict.fromkeys(up, "up"), **dict.fromkeys(down, "down")}


def incidents() -> list[Incident]:
    return list(db.session.execute(db.select(Incident).order_by(Incident.id)).scalars())


def status(slug: str) -> str | None:
    return db.session.execute(
        db.select(Component.automatic_status).filter_by(slug=slug)
    ).scalar_one()


def test_three_components_failing_together_open_one_incident(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.tick(states(up=ALL))
        # The three confirm down a minute apart: all within the two-minute window.
        clock.ticks(states(down=(UPDATES,), up=(API, STATS)), 1)
        clock.ticks(states(down=(UPDATES, API), up=(STATS,)), 1)
        clock.ticks(states(down=ALL), 1)
        [incident] = incidents()
        assert incident.name == "Major outage of Live Updates"
        clock.ticks(states(down=ALL), 2)
        [incident] = incidents()
        assert sorted(a.component.slug for a in incident.affected) == [
            "analytics",
            "app-management",
            "live-updates",
        ]
        assert incident.name == "Major outage of Live Updates, App Management and Analytics"
        assert incident.impact == "critical"
        assert incident.updates[0].body.startswith(
            "Analytics changed from Operational to Major Outage. "
            "Automated checks of Analytics have been failing since"
        )
        [lock] = db.session.execute(db.select(OpenAutomaticIncident)).scalars()
        assert lock.incident_id == incident.id

        # Each recovers on its own inside the incident; the last one resolves it.
        clock.ticks(states(up=(UPDATES,), down=(API, STATS)), 2)
        assert incident.status == "investigating"
        assert incident.updates[0].body.startswith(
            "Live Updates changed from Major Outage to Operational. Automated checks of Live "
            "Updates have passed since"
        )
        assert incident.updates[0].body.endswith("App Management and Analytics are still affected.")
        clock.ticks(states(up=(UPDATES, API), down=(STATS,)), 2)
        assert incident.status == "investigating"
        assert incident.updates[0].body.endswith("Analytics is still affected.")
        clock.ticks(states(up=ALL), 2)
        [incident] = incidents()
        assert incident.status == "resolved"
        assert incident.updates[0].body.startswith("Automated checks of Analytics have passed")
        assert incident.name == "Major outage of Live Updates, App Management and Analytics"
        assert db.session.execute(db.select(OpenAutomaticIncident)).first() is None


def test_one_evaluation_names_every_component_in_one_update(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=(UPDATES, STATS), up=(API,)), 3)
        [incident] = incidents()
        [update] = incident.updates
        assert incident.name == "Major outage of Live Updates and Analytics"
        assert "Automated checks of Live Updates have been failing" in update.body
        assert "Automated checks of Analytics have been failing" in update.body
        assert sorted(c.component.slug for c in update.changes) == ["analytics", "live-updates"]


def test_a_later_failure_joins_the_open_incident(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=(UPDATES,), up=(API, STATS)), 3)
        clock.ticks(states(down=(UPDATES,), up=(API, STATS)), 20)  # well past the window
        clock.ticks(states(down=(UPDATES, STATS), up=(API,)), 3)
        [incident] = incidents()
        assert incident.name == "Major outage of Live Updates and Analytics"
        assert "Analytics changed from Operational to Major Outage." in incident.updates[0].body


def test_title_and_impact_follow_the_worst_current_state(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks({UPDATES: "degraded", API: "up", STATS: "up"}, 3)
        [incident] = incidents()
        assert (incident.name, incident.impact) == ("Degraded performance of Live Updates", "minor")
        clock.ticks({UPDATES: "down", API: "up", STATS: "up"}, 3)
        assert (incident.name, incident.impact) == ("Major outage of Live Updates", "critical")
        assert incident.updates[0].body.startswith(
            "Live Updates changed from Degraded Performance to Major Outage."
        )
        clock.ticks({UPDATES: "degraded", API: "up", STATS: "up"}, 3)
        assert (incident.name, incident.impact) == ("Degraded performance of Live Updates", "minor")
        clock.ticks(states(up=ALL), 2)
        # Over: it keeps the worst it reached, so the history says how bad it got.
        assert incident.status == "resolved"
        assert (incident.name, incident.impact) == ("Major outage of Live Updates", "critical")


def test_a_failure_soon_after_an_outage_ends_opens_it_again(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=(UPDATES,), up=(API, STATS)), 3)
        clock.tick(states(up=(UPDATES, API), down=(STATS,)))
        clock.tick(states(up=(UPDATES, API), down=(STATS,)))
        [incident] = incidents()
        assert incident.status == "resolved"  # Analytics has failed twice: not confirmed yet
        clock.tick(states(up=(UPDATES, API), down=(STATS,)))
        [incident] = incidents()  # it began failing before the first outage ended: the same
        assert incident.status == "investigating" and incident.resolved_at is None
        assert incident.name == "Major outage of Live Updates and Analytics"
        assert incident.updates[0].body.startswith(
            "Analytics changed from Operational to Major Outage."
        )
        clock.ticks(states(up=ALL), 2)
        assert incident.status == "resolved"
        # Failing from longer than the window after that: a new outage, a new incident.
        clock.ticks(states(up=ALL), 2)
        clock.ticks(states(down=(API,), up=(UPDATES, STATS)), 3)
        assert [i.status for i in incidents()] == ["resolved", "investigating"]
        assert incidents()[1].name == "Major outage of App Management"


@pytest.mark.parametrize("window", [0])
def test_no_window_no_reopening(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=(UPDATES,), up=(API, STATS)), 3)
        clock.ticks(states(up=(UPDATES, API), down=(STATS,)), 3)
        assert [i.status for i in incidents()] == ["resolved", "investigating"]


def test_a_degraded_location_of_three_is_named(app, config) -> None:
    with app.app_context():
        now = T0
        for _ in range(3):
            outcomes = {"eu-west": "degraded", "us-east": "up", "ap-south": "up"}
            ingest([result(STATS, o, now, loc) for loc, o in outcomes.items()], config, now)
            now += MINUTE
        [incident] = incidents()
        assert "Stats ping from eu-west" in incident.updates[0].body


def test_a_probe_failing_two_checks_in_three_ends_degraded_and_opens_nothing(
    app, config, client
) -> None:
    with app.app_context():
        clock = Clock(config)
        for _ in range(20):
            for outcome in ("down", "down", "up"):
                clock.tick({STATS: outcome, UPDATES: "up", API: "up"})
        assert incidents() == []
        assert status("analytics") == "degraded_performance"
        state = db.session.get(ProbeState, (STATS, "here"))
        assert state.confirmed == "degraded"
        assert state.intermittent_reason == (
            "intermittent: 6 of the last 10 checks failed (HTTP 503)"
        )
    page = client.get("/components/analytics").get_data(as_text=True)
    assert "intermittent: 6 of the last 10 checks failed (HTTP 503)" in page
    assert 'status-degraded_performance">Degraded Performance<' in page


def test_the_intermittent_rule_forgets_an_outage_that_is_over(app, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=(STATS,), up=(UPDATES, API)), 4)
        assert status("analytics") == "major_outage"
        clock.ticks(states(up=ALL), 2)
        # Four failures are among the last ten checks, but they were the outage, now over.
        assert status("analytics") == "operational"
        assert incidents()[0].status == "resolved"


def test_a_silent_location_is_marked_left_out_and_alerted(app, config, client, monkeypatch) -> None:
    from statuspage.web import public

    with app.app_context():
        now = T0
        for _ in range(3):
            ingest(
                [result(STATS, "up", now, "here"), result(STATS, "down", now, "eu-west")],
                config,
                now,
            )
            now += MINUTE
        assert status("analytics") == "degraded_performance"  # one location of two
        # eu-west stops; "here" carries on. Three intervals on, eu-west no longer counts.
        for _ in range(4):
            ingest([result(STATS, "up", now, "here")], config, now)
            now += MINUTE
        assert status("analytics") == "operational"
        assert alerts.check_locations(config, now) == 1
        [alert] = db.session.execute(
            db.select(NotificationEvent).where(NotificationEvent.kind == "alert.agent_stalled")
        ).scalars()
        assert "eu-west" in alert.payload
    monkeypatch.setattr(public, "utcnow", lambda: now)
    page = client.get("/components/analytics").get_data(as_text=True)
    assert "no results from eu-west since 10:02 UTC" in page
