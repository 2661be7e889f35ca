"""The home page's additions: 90 daily bars, the legend, past incidents and subscribing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.rules import day_colour
from statuspage.store.db import db
from tests.factories import add_incident, component_toml, config_toml
from tests.web.pages import NOW, SLUGS, TODAY, add_day, at, days_back, freeze


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch)


def bars_of(page: str, name: str) -> list[str]:
    """Return the 90 <li> bars of one component, oldest first."""
    block = page.split(f'<ol class="bar-days" aria-hidden="true" data-component="{name}">', 1)[1]
    block = block.split("</ol>", 1)[0]
    return re.findall(r"<li .*?</li>", block, flags=re.S)


def rects_of(page: str, name: str) -> list[str]:
    """Return the fill colours of one component's drawn bars, oldest first."""
    head = page.split(f'<ol class="bar-days" aria-hidden="true" data-component="{name}">', 1)[0]
    drawing = head.rsplit('<svg class="bars-drawing"', 1)[1]
    return re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', drawing)


def uptime_of(page: str, name: str, span: int = 90) -> str:
    """Return the uptime one component's bars say over their newest `span` days."""
    scale = page.split(f'data-component="{name}">', 1)[1].split('<p class="bars-scale">', 1)[1]
    shown = scale.split(f'<span class="span span-{span}">', 1)[1].split("</span></span>", 1)[0]
    return shown.split('<span class="bars-uptime">', 1)[1]


def test_empty_database_has_90_grey_bars_per_component_and_quiet_days(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("Live Updates", "App Management", "Analytics"):
        bars = bars_of(page, name)
        assert len(bars) == 90
        assert all('class="day-nodata"' in bar and "No data" in bar for bar in bars)
        assert set(rects_of(page, name)) == {day_colour(None)}
        assert len(rects_of(page, name)) == 90
    # Never 100% on no data: the period's uptime says so (over 30, 60 and 90 days).
    assert page.count('<span class="bars-uptime">No data</span>') == 9
    assert page.count("<h3>") == 15
    assert page.count("No incidents reported.") == 15
    assert 'href="/history"' in page
    # Kept reasonably small: three components of 90 bars each.
    assert len(page) < 120_000


def test_bars_run_from_89_days_ago_to_today(client) -> None:
    page = client.get("/").get_data(as_text=True)
    bars = bars_of(page, "Live Updates")
    assert days_back(89).strftime("%b %d, %Y") in bars[0]
    assert TODAY.strftime("%b %d, %Y") in bars[-1]


def test_a_day_with_downtime_shows_its_minutes_uptime_and_colour(app, client) -> None:
    with app.app_context():
        # 30 major minutes weigh 30: past 20, so orange-ish ("partial" level), 97.91% uptime.
        add_day("live-updates", days_back(3), major_min=30)
        # 100 partial minutes weigh 30 as well.
        add_day("analytics", days_back(3), partial_min=100)
        add_day("live-updates", days_back(2))
        add_day("live-updates", days_back(1), nodata_min=1440)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    bars = bars_of(page, "Live Updates")
    colours = rects_of(page, "Live Updates")
    down = bars[-4]
    assert 'class="day-partial"' in down
    assert "97.91% uptime, 30 min weighted downtime" in down
    assert colours[-4] == day_colour(30)
    good = bars[-3]
    assert 'class="day-ok"' in good and "100.00% uptime, 0 min weighted downtime" in good
    assert colours[-3] == day_colour(0)
    # A day the rollup saw but with no data at all is still "no data", not a good day.
    assert 'class="day-nodata"' in bars[-2] and "No data" in bars[-2]
    assert colours[-2] == day_colour(None)
    assert 'class="day-nodata"' in bars[-1]
    # The period's uptime counts only the minutes with data: 30 down of 2880.
    assert uptime_of(page, "Live Updates") == "98.95% uptime"
    assert uptime_of(page, "Live Updates", 30) == "98.95% uptime"
    analytics = bars_of(page, "Analytics")[-4]
    assert "97.91% uptime, 30 min weighted downtime" in analytics


@pytest.mark.parametrize(
    ("minutes", "level"),
    [(0, "ok"), (0.5, "minor"), (20, "minor"), (20.5, "partial"), (40, "partial"), (41, "major")],
)
def test_bar_level_follows_the_thresholds(app, client, minutes, level) -> None:
    with app.app_context():
        add_day("app-management", days_back(0), total=720, major_min=minutes)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f'class="day-{level}"' in bars_of(page, "App Management")[-1]
    assert rects_of(page, "App Management")[-1] == day_colour(minutes)


def test_a_bar_names_the_incidents_of_its_day_for_its_component_only(app, client) -> None:
    with app.app_context():
        add_incident(
            "Update checks failing",
            started_at=at(days_back(5), 22),
            resolved_at=at(days_back(4), 2),
            affected=[("live-updates", "major_outage")],
            dated=True,
        )
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    bars = bars_of(page, "Live Updates")
    # It ran over midnight, so both days name it.
    assert "Update checks failing" in bars[-6]
    assert "Update checks failing" in bars[-5]
    assert "No incidents." in bars[-4]
    assert not any("Update checks failing" in bar for bar in bars_of(page, "Analytics"))


def test_legend_explains_colours_and_minutes(client) -> None:
    page = client.get("/").get_data(as_text=True)
    for words in ("No downtime", "Up to 20 min", "20 to 40 min", "Over 40 min", "No data"):
        assert words in page
    assert "weighted downtime" in page and "partial outage 0.3" in page
    for minutes in (0, 20, 40, 60, None):
        assert f'fill="{day_colour(minutes)}"' in page


def test_past_incidents_list_each_day_with_its_incidents(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Slow bundle downloads",
            started_at=at(days_back(3), 9),
            resolved_at=at(days_back(3), 11),
            impact="major",
            updates=[
                ("investigating", "Looking into it.", at(days_back(3), 9)),
                ("resolved", "Downloads are **fast** again.", at(days_back(3), 11)),
            ],
            dated=True,
        )
        add_incident(
            "Too old to list",
            started_at=at(days_back(15)),
            resolved_at=at(days_back(15), 13),
            dated=True,
        )
        add_incident(
            "Future work",
            kind="maintenance",
            author=None,
            scheduled_for=NOW + timedelta(days=2),
            scheduled_until=NOW + timedelta(days=2, hours=1),
            dated=True,
        )
        db.session.commit()
        code = incident.code
    page = client.get("/").get_data(as_text=True)
    past = page.split('id="past-incidents"', 1)[1]
    headings = re.findall(r"<h3>(.*?)</h3>", past)
    assert headings == [days_back(n).strftime("%b %d, %Y") for n in range(15)]
    day = past.split(f"<h3>{days_back(3).strftime('%b %d, %Y')}</h3>", 1)[1].split("<h3>", 1)[0]
    assert f'href="/incidents/{code}">Slow bundle downloads</a>' in day
    assert "<strong>Resolved</strong>" in day
    assert "Downloads are <strong>fast</strong> again." in day
    assert "Looking into it." not in day  # only the latest update
    assert past.count("No incidents reported.") == 14
    assert "Too old to list" not in page
    assert "Future work" not in past


def test_a_maintenance_is_listed_under_the_day_its_window_began(app, client) -> None:
    with app.app_context():
        add_incident(
            "Database upgrade",
            kind="maintenance",
            author=None,
            scheduled_for=at(days_back(1), 2),
            scheduled_until=at(days_back(1), 3),
            status="completed",
            started_at=at(days_back(6)),
            dated=True,
        )
        db.session.commit()
    past = client.get("/").get_data(as_text=True).split('id="past-incidents"', 1)[1]
    day = past.split(f"<h3>{days_back(1).strftime('%b %d, %Y')}</h3>", 1)[1].split("<h3>", 1)[0]
    assert "Database upgrade" in day and "Maintenance" in day


def test_subscribe_menu_and_feed_links(client) -> None:
    page = client.get("/").get_data(as_text=True)
    menu = page.split('<details class="subscribe">', 1)[1].split("</details>", 1)[0]
    for path in (
        "/history.atom",
        "/history.rss",
        "/api/v2/summary.json",
        "/status.json",
        "/badge.svg",
    ):
        assert f'href="{path}"' in menu
    head = page.split("</head>", 1)[0]
    assert (
        '<link rel="alternate" type="application/atom+xml"' in head
        and 'href="/history.atom"' in head
    )
    assert (
        '<link rel="alternate" type="application/rss+xml"' in head and 'href="/history.rss"' in head
    )
    assert "<script" not in page
    assert 'style="' not in page


def test_components_link_to_their_pages(client) -> None:
    page = client.get("/").get_data(as_text=True)
    for slug in SLUGS:
        assert f'href="/components/{slug}"' in page


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/history", 200),
        ("/uptime", 200),
        ("/components/analytics", 200),
        ("/incidents/unknown", 404),
        ("/components/unknown", 404),
        ("/history?page=x", 400),
    ],
)
def test_every_page_has_title_description_notice_and_feeds(client, path, status) -> None:
    response = client.get(path)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert re.search(r"<title>[^<]*Capgo Status</title>", page)
    assert '<meta name="description" content="' in page
    assert "support@capgo.app" in page and "Times are shown in UTC." in page
    assert 'type="application/atom+xml"' in page and 'type="application/rss+xml"' in page
    assert "<script" not in page


class TestSiteTimeZone:
    """Days are the site's local days, not UTC days."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(
            config_toml(
                component_toml("api", "API"),
                name="Acme",
                url="https://status.acme.test",
                timezone="Asia/Tokyo",
            )
        )

    def test_an_incident_late_in_the_utc_day_is_listed_on_the_local_next_day(
        self, app, client
    ) -> None:
        with app.app_context():
            # 20:00 UTC on the 17th is 05:00 on the 18th in Tokyo.
            add_incident(
                "Night-time blip",
                started_at=at(days_back(3), 20),
                resolved_at=at(days_back(3), 21),
                affected=[("api", "partial_outage")],
                dated=True,
            )
            db.session.commit()
        page = client.get("/").get_data(as_text=True)
        # NOW (12:00 UTC) is 21:00 in Tokyo, still the same local date.
        past = page.split('id="past-incidents"', 1)[1]
        day = past.split(f"<h3>{days_back(2).strftime('%b %d, %Y')}</h3>", 1)[1].split("<h3>", 1)[0]
        assert "Night-time blip" in day
        assert "Mar 18, 05:00 JST" in day
        bars = bars_of(page, "API")
        assert "Night-time blip" in bars[-3] and "Night-time blip" not in bars[-4]
        assert "Times are shown in Asia/Tokyo." in page
