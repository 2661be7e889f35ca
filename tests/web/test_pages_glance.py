"""Pages a worried customer reads at a glance (issue 14): reachable by keyboard, refreshing
themselves, with a favicon of the status, saying when status was last checked and what each
event affects. The browser tests (tests/browser/) check the same pages in chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.store.db import db
from statuspage.store.models import IncidentUpdate, ProbeResult
from tests.factories import add_incident, component
from tests.web.pages import NOW, SLUGS, add_day, at, days_back, elements, freeze


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch)


def get(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def refresh_of(page: str) -> list[str]:
    """Return the contents of the page's meta refresh tags."""
    return [
        dict(attrs)["content"]
        for tag, attrs in elements(page).tags
        if tag == "meta" and dict(attrs).get("http-equiv") == "refresh"
    ]


def add_result(slug: str, started_at, location: str = "eu-west") -> None:
    db.session.add(
        ProbeResult(
            result_id=f"{slug}-{location}-{started_at.isoformat()}",
            probe_key=f"{slug}/check",
            component_id=component(slug).id,
            location=location,
            started_at=started_at,
            latency_ms=100.0,
            outcome="up",
            http_status=200,
        )
    )


# ---------------------------------------------------------------------------------------
# Keyboard: skip links, and one tab stop per component's history


def test_skip_links_lead_to_the_main_content_and_the_past_incidents(client) -> None:
    page = get(client, "/")
    body = page.split("<body>", 1)[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#main">Skip to main content</a>')
    assert '<a class="skip-link" href="#past-incidents">Skip to past incidents</a>' in body
    assert '<main id="main" tabindex="-1">' in page
    assert 'id="past-incidents" tabindex="-1"' in page
    assert '<a class="skip-link" href="#main">' in get(client, "/history")


def test_each_component_s_days_are_one_link_to_their_table(client) -> None:
    page = get(client, "/")
    # No day is a tab stop of its own any more: 270 of them were.
    assert 'tabindex="0"' not in page
    for slug in SLUGS:
        assert page.count(f'<a class="bars" href="/components/{slug}/days">') == 1
    # The drawing and the tips are for the eye; the link's words and the table for the rest.
    assert page.count('<ol class="bar-days" aria-hidden="true"') == 3
    assert "Live Updates</bdi>: uptime of each day, as a table" in page


def test_narrow_screens_get_the_uptime_of_the_days_they_show(app, client) -> None:
    with app.app_context():
        add_day("live-updates", days_back(45), major_min=144)  # 10% of a day, 45 days ago
        add_day("live-updates", days_back(1))
        db.session.commit()
    page = get(client, "/")
    scale = page.split('data-component="Live Updates">', 1)[1].split("</p>", 1)[0]
    spans = dict(
        re.findall(
            r'<span class="span span-(\d+)">.*?<span class="bars-uptime">(.*?)</span>', scale
        )
    )
    assert spans == {"30": "100.00% uptime", "60": "95.00% uptime", "90": "95.00% uptime"}
    assert "<span>30 days ago</span>" in scale and "<span>90 days ago</span>" in scale


# ---------------------------------------------------------------------------------------
# The table behind the bars


def test_the_day_table_has_every_day_s_figures_newest_first(app, client) -> None:
    with app.app_context():
        add_day("analytics", days_back(2), major_min=12, partial_min=100, maintenance_min=60)
        add_incident(
            "Ingestion lag",
            started_at=at(days_back(2), 9),
            resolved_at=at(days_back(2), 10),
            affected=[("analytics", "partial_outage")],
            dated=True,
        )
        db.session.commit()
    page = get(client, "/components/analytics/days")
    assert "<title>Analytics: uptime of each day · Capgo Status</title>" in page
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert len(rows) == 90
    assert NOW.strftime("%a %b %d, %Y") in rows[0]
    day = rows[2]
    assert days_back(2).strftime("%a %b %d, %Y") in day
    cells = re.findall(r"<td[^>]*>(.*?)</td>", day, flags=re.S)
    assert cells[:7] == ["97.08%", "42 min", "12", "100", "0", "60", "0"]
    assert "Ingestion lag</a>" in cells[7]
    assert "No data" in rows[5] and "all day" in rows[5]  # a day never rolled up


@pytest.mark.parametrize("slug", ["nothing", "x" * 300])
def test_the_day_table_of_no_component_is_a_404(client, slug) -> None:
    get(client, f"/components/{slug}/days", 404)


# ---------------------------------------------------------------------------------------
# Self-refreshing, and a way to stop it


def test_home_incident_and_component_pages_refresh_and_say_so(app, client) -> None:
    with app.app_context():
        incident = add_incident("Slow API", started_at=NOW - timedelta(minutes=5), dated=True)
        db.session.commit()
        code = incident.code
    for path, still in (
        ("/", "/no-refresh"),
        (f"/incidents/{code}", f"/incidents/{code}/no-refresh"),
        ("/components/analytics", "/components/analytics/no-refresh"),
    ):
        page = get(client, path)
        assert refresh_of(page) == ["60"], path
        assert "This page refreshes itself every minute." in page
        assert f'<a class="refresh-off" href="{still}">Stop refreshing</a>' in page
        copy = get(client, still)
        assert refresh_of(copy) == [], still
        assert '<meta name="robots" content="noindex">' in copy
        assert f'<a class="refresh-on" href="{path}">Refresh every minute</a>' in copy
    assert '<link rel="canonical" href="https://status.capgo.app/incidents/' in get(
        client, f"/incidents/{code}/no-refresh"
    )
    for path in ("/history", "/uptime", "/components/analytics/days"):
        assert refresh_of(get(client, path)) == [], path


def test_an_event_that_is_over_does_not_refresh(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Old",
            started_at=NOW - timedelta(days=2),
            resolved_at=NOW - timedelta(days=1),
            dated=True,
        )
        db.session.commit()
        code = incident.code
    page = get(client, f"/incidents/{code}")
    assert refresh_of(page) == [] and "refreshes itself" not in page


# ---------------------------------------------------------------------------------------
# The favicon shows the status


@pytest.mark.parametrize("indicator", ["none", "minor", "major", "critical", "maintenance"])
def test_each_indicator_has_its_icon_served_and_cached(client, indicator) -> None:
    response = client.get(f"/favicon-{indicator}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"].startswith("public")
    assert response.get_data(as_text=True).lstrip().startswith("<svg ")


def test_an_unknown_icon_is_a_404(client) -> None:
    assert client.get("/favicon-purple.svg").status_code == 404


def test_a_quiet_page_links_the_icon_of_all_is_well(client) -> None:
    assert '<link rel="icon" type="image/svg+xml" href="/favicon-none.svg">' in get(client, "/")


def test_every_page_links_the_icon_of_the_status_now(app, client) -> None:
    with app.app_context():
        component("analytics").automatic_status = "major_outage"
        db.session.commit()
    for path in ("/", "/history", "/uptime", "/components/analytics", "/components/x"):
        page = get(client, path, 404 if path.endswith("/x") else 200)
        assert '<link rel="icon" type="image/svg+xml" href="/favicon-major.svg">' in page, path


# ---------------------------------------------------------------------------------------
# The banner says when status was last checked


def test_a_banner_without_results_says_nothing_was_checked(client) -> None:
    assert "Not checked automatically yet" in get(client, "/")


def test_the_banner_says_when_status_was_last_checked(app, client) -> None:
    with app.app_context():
        add_result("analytics", NOW - timedelta(minutes=3))
        add_result("live-updates", NOW - timedelta(minutes=1), location="us-east")
        db.session.commit()
    banner = get(client, "/").split('<section class="banner', 1)[1].split("</section>", 1)[0]
    assert (
        'Last checked <time datetime="2026-03-20T11:59:00+00:00">Mar 20, 11:59 UTC</time>'
        " (1 minute ago)" in banner
    )


# ---------------------------------------------------------------------------------------
# What each event affects


def test_cards_name_their_components_on_home_and_history(app, client) -> None:
    with app.app_context():
        add_incident(
            "Slow API",
            started_at=NOW - timedelta(minutes=5),
            affected=[("analytics", "degraded_performance"), ("live-updates", "major_outage")],
            dated=True,
        )
        add_incident(
            "Old blip",
            started_at=at(days_back(2)),
            resolved_at=at(days_back(2), 13),
            affected=[("app-management", "partial_outage")],
            dated=True,
        )
        db.session.commit()
    home = get(client, "/")
    current = home.split('id="past-incidents"', 1)[0]
    # In page order, whichever order they were affected in.
    names = "Affected components: <bdi>Live Updates</bdi>, <bdi>Analytics</bdi></p>"
    assert names in current
    past = home.split('id="past-incidents"', 1)[1]
    assert "Affected components: <bdi>App Management</bdi></p>" in past
    history = get(client, "/history")
    assert names in history and "<bdi>App Management</bdi>" in history


def test_the_incident_page_tells_the_status_in_the_event_from_the_status_now(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Bundle downloads failing",
            started_at=NOW - timedelta(days=1),
            resolved_at=NOW - timedelta(hours=20),
            affected=[("live-updates", "major_outage")],
            dated=True,
        )
        maintenance = add_incident(
            "Edge migration",
            kind="maintenance",
            scheduled_for=NOW + timedelta(days=2),
            scheduled_until=NOW + timedelta(days=2, hours=1),
            affected=["analytics"],
            dated=True,
        )
        db.session.commit()
        codes = incident.code, maintenance.code
    affected = get(client, f"/incidents/{codes[0]}").split('id="affected"', 1)[1]
    affected = affected.split("</section>", 1)[0]
    assert (
        'During the incident: <span class="was status-major_outage">Major Outage</span>' in affected
    )
    assert 'Now: <span class="status status-operational">Operational</span>' in affected
    # A maintenance two days away no longer reads as if the work were on now.
    planned = get(client, f"/incidents/{codes[1]}").split('id="affected"', 1)[1]
    assert "During the window: <span" in planned
    assert 'Now: <span class="status status-operational">Operational</span>' in planned


def test_a_started_maintenance_keeps_showing_the_staff_s_note(app, client) -> None:
    with app.app_context():
        maintenance = add_incident(
            "Database upgrade",
            kind="maintenance",
            scheduled_for=NOW - timedelta(minutes=30),
            scheduled_until=NOW + timedelta(minutes=30),
            status="in_progress",
            affected=["analytics"],
            dated=True,
        )
        maintenance.updates[0].author = "alice@capgo.app"
        maintenance.updates[0].body = "Ingestion **pauses** for ten minutes."
        maintenance.updates.append(
            IncidentUpdate(
                status="in_progress",
                body="Scheduled maintenance is currently in progress.",
                author=None,
                created_at=NOW - timedelta(minutes=30),
                display_at=NOW - timedelta(minutes=30),
            )
        )
        db.session.commit()
    home = get(client, "/")
    top, past = home.split('id="past-incidents"', 1)
    card = top.split("Database upgrade", 1)[1].split("</article>", 1)[0]
    assert "<strong>In progress</strong>" in card
    assert "Ingestion <strong>pauses</strong> for ten minutes." in card
    assert "currently in progress" not in card
    entry = past.split("Database upgrade", 1)[1].split("</article>", 1)[0]
    assert "In progress" in entry and "Ingestion <strong>pauses</strong>" in entry
    assert "currently in progress" not in entry


# ---------------------------------------------------------------------------------------
# The history of one component, at a path that can be a file


def test_the_history_filters_by_component_at_a_path(app, client) -> None:
    with app.app_context():
        for number in range(27):
            add_incident(
                f"Analytics blip {number}",
                started_at=at(days_back(number + 1)),
                resolved_at=at(days_back(number + 1), 13),
                affected=[("analytics", "partial_outage")],
                dated=True,
            )
        add_incident(
            "Live Updates blip",
            started_at=at(days_back(3), 8),
            resolved_at=at(days_back(3), 9),
            affected=[("live-updates", "major_outage")],
            dated=True,
        )
        db.session.commit()
    page = get(client, "/components/analytics/history")
    assert "<title>Analytics: incident history · Capgo Status</title>" in page
    assert "<h1><bdi>Analytics</bdi>: incident history</h1>" in page
    assert "Analytics blip 0" in page and "Live Updates blip" not in page
    assert '<a href="/components/analytics/history" aria-current="page">Analytics</a>' in page
    assert '<a href="/history">All components</a>' in page
    # Pages are paths, as the whole history's are, so the published site can hold them.
    assert 'rel="next" href="/components/analytics/history/2"' in page
    second = get(client, "/components/analytics/history/2")
    assert "Analytics blip 26" in second
    assert 'rel="prev" href="/components/analytics/history"' in second
    get(client, "/components/analytics/history/3", 404)
    old = client.get("/components/analytics/history?page=2")
    assert old.status_code == 301 and old.headers["Location"] == "/components/analytics/history/2"
    get(client, "/components/analytics/history?page=x", 400)
    get(client, "/components/nothing/history", 404)
    everything = get(client, "/history")
    assert '<a href="/history" aria-current="page">All components</a>' in everything
    assert "Live Updates blip" in everything


# ---------------------------------------------------------------------------------------
# Postmortems have sections


def test_a_postmortem_keeps_h2_to_h4_and_nothing_else(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Outage",
            started_at=NOW - timedelta(days=1),
            resolved_at=NOW - timedelta(hours=20),
            status="postmortem",
            postmortem=(
                "# Title\n\n## What happened\n\n### Timeline\n\n#### 09:12\n\n##### Deep\n\n"
                '<h2 onclick="x()">Raw</h2><script>alert(1)</script>'
            ),
            dated=True,
        )
        db.session.commit()
        code = incident.code
    postmortem = get(client, f"/incidents/{code}").split('id="postmortem"', 1)[1]
    assert "<h2>What happened</h2>" in postmortem
    assert "<h3>Timeline</h3>" in postmortem and "<h4>09:12</h4>" in postmortem
    assert "<h1>" not in postmortem and "<h5>" not in postmortem
    assert "<h2>Raw</h2>" in postmortem and "onclick" not in postmortem
    assert "<script>" not in postmortem
