"""The public page: banner, components, incidents and maintenance from stored state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, IncidentUpdate
from tests.factories import add_incident, set_status
from tests.web.pages import GROUP_IN_PARIS

OP, DEG, PART, MAJ, MAINT = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)

BANNERS = [
    ((OP, OP, OP), None, "All Systems Operational"),
    ((MAJ, MAJ, MAJ), None, "Major System Outage"),
    ((MAJ, OP, OP), None, "Partial System Outage"),
    ((PART, PART, PART), None, "Partial System Outage"),
    ((PART, OP, DEG), None, "Minor Service Outage"),
    ((DEG, DEG, DEG), None, "Degraded System Service"),
    ((DEG, OP, OP), None, "Partially Degraded Service"),
    ((MAINT, OP, OP), None, "Service Under Maintenance"),
    ((OP, OP, OP), "minor", "Minor Service Outage"),
    ((OP, OP, OP), "major", "Partial System Outage"),
    ((OP, OP, OP), "critical", "Major System Outage"),
    ((DEG, OP, OP), "critical", "Major System Outage"),
    ((MAJ, OP, OP), "minor", "Partial System Outage"),
]


@pytest.mark.parametrize(("statuses", "incident_impact", "banner"), BANNERS)
def test_banner(app, client, statuses, incident_impact, banner) -> None:
    with app.app_context():
        for slug, status in zip(
            ("live-updates", "app-management", "analytics"), statuses, strict=True
        ):
            set_status(slug, status)
        if incident_impact:
            add_incident(
                "Something is off",
                impact=incident_impact,
                updates=[("investigating", "We are looking into it.")],
            )
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f"<h1>{banner}</h1>" in page


def test_empty_database_shows_every_component_operational(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>All Systems Operational</h1>" in page
    for name in ("Live Updates", "App Management", "Analytics"):
        assert name in page
    assert page.count('class="status status-operational">Operational<') == 4  # 3 + legend
    assert "<title>Capgo Status</title>" in page
    assert '<meta name="description"' in page
    assert "support@capgo.app" in page
    assert "Times are shown in UTC." in page


def test_component_status_in_words(app, client) -> None:
    with app.app_context():
        set_status("analytics", PART)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'class="status status-partial_outage">Partial Outage<' in page


def test_latest_status_wins(app, client) -> None:
    with app.app_context():
        set_status("analytics", MAJ, utcnow() - timedelta(minutes=5))
        set_status("analytics", OP)
        db.session.commit()
    assert "<h1>All Systems Operational</h1>" in client.get("/").get_data(as_text=True)


def test_unresolved_incident_shows_latest_update_resolved_does_not(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Update checks failing",
            impact="major",
            updates=[("investigating", "We are *investigating*.")],
        )
        incident.updates.append(
            IncidentUpdate(
                status="identified",
                body="Cause found.",
                # Later than the first update's default time (when committed), however slow.
                created_at=utcnow() + timedelta(minutes=1),
            )
        )
        add_incident("Old problem", impact="minor", updates=[("resolved", "Fixed long ago.")])
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    # Above "Past Incidents" (which lists resolved ones too) only unresolved incidents show.
    current = page.split("Past Incidents")[0]
    assert "Update checks failing" in current
    assert "Cause found." in current
    assert "We are <em>investigating</em>." not in page
    assert "Old problem" not in current
    assert "Old problem" in page


def test_person_written_text_is_escaped(app, client) -> None:
    with app.app_context():
        add_incident(
            "<script>alert(1)</script>",
            impact="minor",
            updates=[("investigating", "<img src=x onerror=alert(1)> hi")],
        )
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror" not in page


def test_maintenance_active_and_upcoming_follow_the_clock(app, client) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        for name, start in (
            ("Database upgrade", now - timedelta(minutes=5)),
            ("Network work", now + timedelta(days=1)),
        ):
            maintenance = Incident(
                name=name,
                kind="maintenance",
                status="scheduled",
                impact="maintenance",
                scheduled_for=start,
                scheduled_until=start + timedelta(hours=1),
            )
            maintenance.updates.append(IncidentUpdate(status="scheduled", body="Planned."))
            db.session.add(maintenance)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Database upgrade" in page and "In progress" in page
    assert "Network work" in page and "Scheduled" in page


def test_last_change_is_shown_in_site_zone(app, client) -> None:
    with app.app_context():
        set_status("analytics", OP, datetime(2026, 3, 1, 10, 2, tzinfo=UTC))
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert '<time datetime="2026-03-01T10:02:00+00:00">Mar 01, 10:02 UTC</time>' in page


class TestGroupsAndTimeZone:
    """A site with a group, a lone component and a zone other than UTC."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(GROUP_IN_PARIS)

    def test_groups_and_time_zone(self, app, client) -> None:
        with app.app_context():
            set_status("api", MAJ, datetime(2026, 7, 1, 10, 2, tzinfo=UTC))
            db.session.commit()
        page = client.get("/").get_data(as_text=True)
        assert "<title>Acme Status</title>" in page
        assert "Core" in page and 'class="component group"' in page
        # A group shows the worst of its members; the banner counts only leaves.
        assert page.count('status-major_outage">Major Outage<') == 3  # group, API, legend
        assert "<h1>Partial System Outage</h1>" in page
        assert "Jul 01, 12:02 CEST" in page
        assert "Times are shown in Europe/Paris." in page
