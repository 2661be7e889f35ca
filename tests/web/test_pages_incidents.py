"""An incident's permanent page, and the history of every incident ever."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.store.db import db
from statuspage.store.models import UpdateComponentChange
from tests.factories import add_incident, component
from tests.web.pages import NOW, at, days_back, freeze


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch)


def test_incident_page_shows_everything_about_the_incident(app, client) -> None:
    start = NOW - timedelta(hours=5)
    with app.app_context():
        incident = add_incident(
            "Update checks failing",
            started_at=start,
            resolved_at=start + timedelta(hours=2, minutes=30),
            status="postmortem",
            impact="major",
            affected=[("live-updates", "partial_outage"), ("analytics", "degraded_performance")],
            updates=[
                ("investigating", "We are looking.", start),
                ("identified", "A bad deploy.", start + timedelta(minutes=30)),
                ("identified", "Rolling back.", start + timedelta(hours=1)),
                ("resolved", "All good.", start + timedelta(hours=2, minutes=30)),
            ],
            postmortem="A deploy **broke** the cache.",
            dated=True,
        )
        incident.postmortem_at = NOW - timedelta(hours=1)
        incident.updates[1].changes.append(
            UpdateComponentChange(
                component=component("live-updates"),
                old_status="operational",
                new_status="partial_outage",
            )
        )
        db.session.commit()
        code = incident.code
    response = client.get(f"/incidents/{code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Update checks failing · Capgo Status</title>" in page
    assert '<meta name="description" content="Incident on Capgo: Update checks failing' in page
    assert '<h1 dir="auto">Update checks failing</h1>' in page
    assert "Major impact" in page
    assert "<strong>Postmortem</strong>" in page  # the status
    affected = page.split('id="affected"', 1)[1].split("</section>", 1)[0]
    assert 'href="/components/live-updates">Live Updates</a>' in affected
    assert 'status-partial_outage">Partial Outage<' in affected
    assert 'status-degraded_performance">Degraded Performance<' in affected
    timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    labels = re.findall(r'<strong class="label">(.*?)</strong>', timeline)
    assert labels == ["Resolved", "Update", "Identified", "Investigating"]
    assert timeline.index("All good.") < timeline.index("We are looking.")
    assert '<time datetime="2026-03-20T07:00:00+00:00">Mar 20, 2026 07:00 UTC</time>' in timeline
    assert "5 hours ago" in timeline and "2 hours ago" in timeline
    assert "<bdi>Live Updates</bdi>: Operational → Partial Outage" in timeline
    assert "<dt>Duration</dt><dd>2 h 30 min</dd>" in page
    postmortem = page.split('id="postmortem"', 1)[1]
    assert "A deploy <strong>broke</strong> the cache." in postmortem
    assert "support@capgo.app" in page  # the footer notice
    assert "Times are shown in UTC." in page


def test_an_ongoing_incident_says_how_long_so_far(app, client) -> None:
    with app.app_context():
        incident = add_incident("Slow API", started_at=NOW - timedelta(minutes=42), dated=True)
        db.session.commit()
        code = incident.code
    page = client.get(f"/incidents/{code}").get_data(as_text=True)
    assert "<dd>Ongoing for 42 min</dd>" in page
    assert "<strong>Investigating</strong>" in page
    assert "42 minutes ago" in page


def test_maintenance_page_shows_its_window(app, client) -> None:
    with app.app_context():
        maintenance = add_incident(
            "Database upgrade",
            kind="maintenance",
            author=None,
            scheduled_for=NOW + timedelta(days=1),
            scheduled_until=NOW + timedelta(days=1, hours=2),
            affected=["app-management"],
            started_at=NOW - timedelta(hours=3),
            dated=True,
        )
        db.session.commit()
        code = maintenance.code
    page = client.get(f"/incidents/{code}").get_data(as_text=True)
    assert "Scheduled maintenance" in page
    assert "<dt>Window</dt>" in page
    assert "Mar 21, 2026 12:00 UTC" in page and "Mar 21, 2026 14:00 UTC" in page
    assert "in 1 day" in page
    assert "<dd>2 h</dd>" in page  # the planned length
    assert "<dt>Duration</dt>" not in page  # it has not started
    assert "<strong>Scheduled</strong>" in page
    assert 'status-under_maintenance">Under Maintenance<' in page


def test_maintenance_in_its_window_is_in_progress_by_the_clock(app, client) -> None:
    with app.app_context():
        maintenance = add_incident(
            "Network work",
            kind="maintenance",
            author=None,
            scheduled_for=NOW - timedelta(minutes=30),
            scheduled_until=NOW + timedelta(minutes=30),
            dated=True,
        )
        db.session.commit()
        code = maintenance.code
    page = client.get(f"/incidents/{code}").get_data(as_text=True)
    assert "<strong>In progress</strong>" in page
    assert "<dd>Ongoing for 30 min</dd>" in page


@pytest.mark.parametrize("code", ["doesnotexist", "x" * 300, "%3Cscript%3E"])
def test_unknown_incident_is_a_404_page(client, code) -> None:
    response = client.get(f"/incidents/{code}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<title>Not Found · Capgo Status</title>" in page
    assert "There is no incident or maintenance at this address." in page
    assert "<script>" not in page


def test_history_on_an_empty_database(client) -> None:
    response = client.get("/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Incident history</h1>" in page
    assert "No incidents reported yet." in page
    assert "<title>Incident history · Capgo Status</title>" in page


def test_history_pages_through_every_incident_grouped_by_month(app, client) -> None:
    codes = {}
    with app.app_context():
        # 60 incidents, one every 3 days going back: about six months.
        for n in range(60):
            start = at(days_back(3 * n), 8)
            incident = add_incident(
                f"Incident number {n}",
                started_at=start,
                resolved_at=start + timedelta(hours=1),
                dated=True,
            )
            codes[n] = incident
        add_incident(
            "Upcoming work",
            kind="maintenance",
            author=None,
            scheduled_for=NOW + timedelta(days=3),
            scheduled_until=NOW + timedelta(days=3, hours=1),
            dated=True,
        )
        db.session.commit()
        codes = {n: incident.code for n, incident in codes.items()}
    seen: list[str] = []
    months: list[str] = []
    for number in (1, 2, 3):
        response = client.get(f"/history/{number}", follow_redirects=True)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f"page {number} of 3" in page
        seen += re.findall(r'href="/incidents/(\w+)">', page)
        months += re.findall(r'<h2 id="month-\d+">(.*?)</h2>', page)
    # 61 events, each once, newest first (the upcoming maintenance leads).
    assert len(seen) == 61 and len(set(seen)) == 61
    assert seen[1:] == [codes[n] for n in range(60)]
    assert months[0] == "March 2026"
    # A month heading repeats only where a page boundary cuts a month in two.
    assert months[-1] == "September 2025"
    assert set(months) == {
        "March 2026",
        "February 2026",
        "January 2026",
        "December 2025",
        "November 2025",
        "October 2025",
        "September 2025",
    }
    first = client.get("/history").get_data(as_text=True)
    assert 'rel="next" href="/history/2"' in first and 'rel="prev"' not in first
    last = client.get("/history/3").get_data(as_text=True)
    assert 'rel="prev" href="/history/2"' in last and 'rel="next"' not in last
    assert 'rel="prev" href="/history"' in client.get("/history/2").get_data(as_text=True)
    assert client.get("/history/4").status_code == 404
    # The older query addresses keep working: a permanent redirect to the path.
    old = client.get("/history?page=3")
    assert old.status_code == 301 and old.headers["Location"] == "/history/3"
    assert client.get("/history?page=4", follow_redirects=True).status_code == 404
    assert client.get("/history/1").headers["Location"].endswith("/history")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", "99999999999999999999", "١"])
def test_history_refuses_bad_page_numbers_with_a_400_page(client, value) -> None:
    response = client.get(f"/history?page={value}")
    assert response.status_code == 400
    assert "The page number must be a whole number from 1." in response.get_data(as_text=True)


def test_history_page_past_the_end_is_a_404_page(client) -> None:
    response = client.get("/history/2")
    assert response.status_code == 404
    assert "The history has 1 page." in response.get_data(as_text=True)
