"""The shared incident and maintenance queries the pages, feeds and API all read through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.reads.incidents import (
    duration,
    get_incident,
    incidents_between,
    list_incidents,
    maintenances,
    timeline,
    unresolved_incidents,
)
from statuspage.reads.serializers import incident_json, snapshot
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Incident,
    IncidentUpdate,
    UpdateComponentChange,
)
from statuspage.vocabulary import MaintenanceStatus
from tests.factories import add_incident, component, component_toml, config_toml, statements_run

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def add(
    name: str,
    start: datetime,
    statuses: tuple[str, ...] = ("investigating",),
    kind: str = "incident",
    slugs: tuple[str, ...] = (),
    **fields,
) -> Incident:
    """Add an incident (or maintenance) with one system update per status, a minute apart."""
    # Impact "none" is the column's default; each affected component's outage is recorded.
    return add_incident(
        name,
        kind=kind,
        impact="none",
        started_at=start,
        updates=[(status, status) for status in statuses],
        every=timedelta(minutes=1),
        affected=[(slug, "major_outage") for slug in slugs],
        changes=True,
        author=None,
        **fields,
    )


def add_maintenance(name: str, start: datetime, status: str = "scheduled", **fields) -> Incident:
    return add(
        name,
        start - timedelta(days=1),
        (status,),
        kind="maintenance",
        scheduled_for=start,
        scheduled_until=start + HOUR,
        **fields,
    )


def test_timeline_is_newest_first_and_labelled(app) -> None:
    with app.app_context():
        incident = add(
            "Slow",
            T0,
            ("investigating", "investigating", "identified", "monitoring", "resolved"),
        )
        db.session.commit()
        labels = [(entry.label, entry.update.status) for entry in timeline(incident)]
    assert labels == [
        ("Resolved", "resolved"),
        ("Monitoring", "monitoring"),
        ("Identified", "identified"),
        ("Update", "investigating"),
        ("Investigating", "investigating"),
    ]


def test_maintenance_timeline_labels(app) -> None:
    with app.app_context():
        maintenance = add(
            "Work", T0, ("scheduled", "in_progress", "verifying", "completed"), kind="maintenance"
        )
        db.session.commit()
        labels = [entry.label for entry in timeline(maintenance)]
    assert labels == ["Completed", "Verifying", "In progress", "Scheduled"]


def test_list_incidents_orders_filters_and_pages(app) -> None:
    with app.app_context():
        add("Oldest", T0)
        add("Middle", T0 + HOUR, slugs=("analytics",))
        add("Newest", T0 + 2 * HOUR)
        # Created long before, but its window is the newest of all.
        add_maintenance("Work", T0 + 3 * HOUR, slugs=("live-updates",))
        db.session.commit()

        def names(**kwargs) -> tuple[list[str], int]:
            rows, total = list_incidents(**kwargs)
            return [row.name for row in rows], total

        assert names() == (["Work", "Newest", "Middle", "Oldest"], 4)
        assert names(kind="incident") == (["Newest", "Middle", "Oldest"], 3)
        assert names(kind="maintenance") == (["Work"], 1)
        assert names(component_id=component("analytics").id) == (["Middle"], 1)
        assert names(kind="incident", component_id=component("live-updates").id) == ([], 0)
        assert names(kind="incident", page=2, per_page=2) == (["Oldest"], 3)


class TestGroup:
    @pytest.fixture
    def config_path(self, write_config):
        return write_config(
            config_toml(
                component_toml("api", "API", group="Core"),
                component_toml("docs", "Docs"),
                name="Acme",
                url="https://status.acme.test",
            )
        )

    def test_a_groups_incidents_include_its_members(self, app) -> None:
        with app.app_context():
            add("API down", T0, slugs=("api",))
            add("Docs down", T0, slugs=("docs",))
            db.session.commit()
            rows, total = list_incidents(component_id=component("core").id)
        assert [row.name for row in rows] == ["API down"] and total == 1


def test_unresolved_incidents(app) -> None:
    with app.app_context():
        for status in ("investigating", "identified", "monitoring", "resolved", "postmortem"):
            add(status, T0, (status,))
        add_maintenance("Work", datetime.now(UTC))
        db.session.commit()
        names = {row.name for row in unresolved_incidents()}
    assert names == {"investigating", "identified", "monitoring"}


def test_maintenances_have_their_status_at_now(app) -> None:
    with app.app_context():
        add_maintenance("Upcoming", T0 + HOUR)
        add_maintenance("Running", T0 - timedelta(minutes=10))
        add_maintenance("Verifying", T0 - timedelta(minutes=10), status="verifying")
        add_maintenance("Over", T0 - timedelta(days=1))
        add_maintenance("Completed early", T0 + timedelta(days=1), status="completed")
        add("No window", T0, ("in_progress",), kind="maintenance")
        db.session.commit()

        def listed(**kwargs) -> list[tuple[str, str]]:
            return [(row.name, status) for row, status in maintenances(T0, **kwargs)]

        assert listed() == [
            ("Completed early", "completed"),
            ("Upcoming", "scheduled"),
            ("No window", "in_progress"),  # no window: newest by its start, stored status
            ("Verifying", "verifying"),  # same window as Running: the newer row first
            ("Running", "in_progress"),
            ("Over", "completed"),
        ]
        assert listed(statuses=[MaintenanceStatus.SCHEDULED]) == [("Upcoming", "scheduled")]
        active = listed(statuses=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING])
        assert [name for name, _ in active] == ["No window", "Verifying", "Running"]
        assert listed(statuses=[MaintenanceStatus.COMPLETED], limit=1) == [
            ("Completed early", "completed")
        ]
        assert len(listed(limit=2)) == 2


def test_incidents_between(app) -> None:
    with app.app_context():
        add("Before", T0 - timedelta(days=3), resolved_at=T0 - timedelta(days=3))
        add("Started before, resolved inside", T0 - timedelta(days=3), resolved_at=T0 + HOUR)
        add("Inside", T0 + HOUR)
        add("After", T0 + timedelta(days=3))
        add_maintenance("Window inside", T0 + 2 * HOUR)
        db.session.commit()
        names = [row.name for row in incidents_between(T0, T0 + timedelta(days=1))]
    assert names == ["Window inside", "Inside", "Started before, resolved inside"]


def test_get_incident(app) -> None:
    with app.app_context():
        incident = add("Slow", T0)
        db.session.commit()
        code = incident.code
        assert get_incident(code).name == "Slow"
        assert get_incident("nope") is None


def test_duration(app) -> None:
    with app.app_context():
        resolved = add("Resolved", T0, resolved_at=T0 + 90 * timedelta(minutes=1))
        ongoing = add("Ongoing", T0)
        upcoming = add_maintenance("Upcoming", T0 + HOUR)
        running = add_maintenance("Running", T0 - timedelta(minutes=20))
        over = add_maintenance("Over", T0 - timedelta(days=1))
        early = add_maintenance(
            "Early", T0 - 2 * HOUR, status="completed", resolved_at=T0 - 2 * HOUR + 600 * SECOND
        )
        db.session.commit()
        now = T0 + 2 * HOUR
        assert duration(resolved, now) == 90 * timedelta(minutes=1)
        assert duration(ongoing, now) == 2 * HOUR
        assert duration(upcoming, T0) == timedelta(0)
        assert duration(running, T0) == timedelta(minutes=20)
        assert duration(over, now) == HOUR
        assert duration(early, now) == timedelta(minutes=10)


def test_serializing_a_page_of_incidents_costs_a_fixed_number_of_queries(app) -> None:
    def queries_for(count: int) -> int:
        with app.app_context():
            db.session.execute(db.delete(UpdateComponentChange))
            db.session.execute(db.delete(IncidentUpdate))
            db.session.execute(db.delete(AffectedComponent))
            db.session.execute(db.delete(Incident))
            for number in range(count):
                add(
                    f"#{number}",
                    T0 + number * HOUR,
                    ("investigating", "resolved"),
                    slugs=("analytics",),
                )
            db.session.commit()
            db.session.expire_all()
            with statements_run(app) as statements:
                snap = snapshot()
                rows, _ = list_incidents()
                for row in rows:
                    incident_json(row, snap)
                    timeline(row)
            return len(statements)

    assert queries_for(3) == queries_for(30)
