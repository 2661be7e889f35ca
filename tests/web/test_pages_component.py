"""A component's page: status, probes' latest results, response-time charts, monthly uptime."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from statuspage.engine import roll_up
from statuspage.store.db import db
from statuspage.store.models import ProbeResult, ProbeRollup, ProbeState
from tests.factories import (
    add_incident,
    component,
    component_toml,
    config_toml,
    probe_toml,
    statements_run,
)
from tests.web.pages import NOW, add_day, freeze

SECRET = "s3cr3t-token-do-not-show"
URL_SECRET = "url-secret-9876"

CONFIG = config_toml(
    component_toml(
        "api",
        "API",
        probe_toml(
            "Health",
            "https://api.acme.test/ok?key=${PAGE_TEST_URL_SECRET}",
            headers={"authorization": "${PAGE_TEST_SECRET}"},
        ),
        probe_toml("Login", "https://api.acme.test/login"),
        description="The public API",
    ),
    component_toml("web", "Web", group="Front"),
    component_toml("manual", "Manual thing"),
    name="Acme",
    url="https://status.acme.test",
)


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    freeze(monkeypatch)
    monkeypatch.setenv("PAGE_TEST_SECRET", SECRET)
    monkeypatch.setenv("PAGE_TEST_URL_SECRET", URL_SECRET)


def add_state(location: str, outcome: str, latency: float | None, status: int | None, reason: str):
    db.session.add(
        ProbeState(
            probe_key="api/health",
            location=location,
            component_id=component("api").id,
            confirmed="up" if outcome == "up" else "down",
            confirmed_since=NOW - timedelta(hours=1),
            reported_at=NOW - timedelta(minutes=2),
            last_outcome=outcome,
            last_latency_ms=latency,
            last_http_status=status,
            last_reason=reason,
        )
    )


def add_result(number: int, started_at: datetime, latency: float, location: str = "eu-west"):
    db.session.add(
        ProbeResult(
            result_id=f"result-{number}",
            probe_key="api/health",
            component_id=component("api").id,
            location=location,
            started_at=started_at,
            latency_ms=latency,
            outcome="up",
            http_status=200,
            reason="",
        )
    )


def test_component_page_on_an_empty_database(client) -> None:
    response = client.get("/components/api")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>API · Acme Status</title>" in page
    assert '<meta name="description"' in page
    assert "<h1>API</h1>" in page and "The public API" in page
    assert 'status-operational">Operational<' in page
    assert page.count("No results yet.") == 2
    assert "Health" in page and "Login" in page
    assert 'id="response-times"' not in page  # no data, no charts
    assert page.count("No data</span>") == 12  # twelve months without data


def test_component_page_shows_latest_results_and_charts(app, client) -> None:
    with app.app_context():
        add_state("eu-west", "down", 10012.0, 503, "HTTP 503, expected 200")
        add_state("us-east", "up", 182.4, 200, "")
        # Three results in the hour before NOW, two in an earlier hour, one too old to count.
        for number, (minutes, latency) in enumerate(
            [(10, 100), (20, 200), (30, 300), (200, 1000), (210, 3000), (60 * 25, 99999)]
        ):
            add_result(number, NOW - timedelta(minutes=minutes), latency)
        for back in range(7):
            db.session.add(
                ProbeRollup(
                    probe_key="api/health",
                    component_id=component("api").id,
                    location="eu-west",
                    day=NOW.date() - timedelta(days=back),
                    checks=1440,
                    down=0,
                    degraded=0,
                    latency_p50=150.0 + back,
                    latency_p95=400.0,
                    latency_max=900.0,
                )
            )
        db.session.commit()
    page = client.get("/components/api").get_data(as_text=True)
    checks = page.split('id="checks"', 1)[1].split("</section>", 1)[0]
    assert "HTTP 503, expected 200" in checks
    assert "10,012 ms" in checks and "182 ms" in checks
    assert 'outcome-down">Down<' in checks and 'outcome-up">Up<' in checks
    assert "eu-west" in checks and "us-east" in checks and ">503<" in checks
    assert "2 minutes ago" in checks
    assert "GET https://api.acme.test/ok?key=${PAGE_TEST_URL_SECRET}" in checks
    charts = page.split('id="response-times"', 1)[1].split("</section>", 1)[0]
    assert charts.count('<svg class="chart"') == 3
    assert 'role="img"' in charts and "<title id=" in charts and "<desc id=" in charts
    # The last 24 hours only: the 99999 ms result is older and left out. Hour by hour: 100,
    # 200 and 300 give a median of 200; 1000 and 3000 a median of 2000 and an (inclusive)
    # p95 of 1000 + 0.95 x 2000 = 2900, in the hour from 08:00.
    assert (
        "Over the last 24 hours from eu-west: hourly median between 200 ms and 2,000 ms; "
        "slowest hour 08:00 with a 95th percentile of 2,900 ms, over 5 checks; "
        "22 of 24 hours without results."
    ) in charts
    assert "99,999" not in charts
    assert "Over the last 7 days from eu-west: daily median between 150 ms and 156 ms" in charts
    assert "23 of 30 days without figures." in charts
    assert "Response time (ms) from eu-west, last 30 days (UTC days)" in charts


def test_daily_chart_weights_several_probes_by_their_checks(app, client) -> None:
    with app.app_context():
        for key, checks, p50 in (("api/health", 300, 100.0), ("api/login", 100, 500.0)):
            db.session.add(
                ProbeRollup(
                    probe_key=key,
                    component_id=component("api").id,
                    location="here",
                    day=NOW.date(),
                    checks=checks,
                    down=0,
                    degraded=0,
                    latency_p50=p50,
                    latency_p95=p50,
                    latency_max=p50,
                )
            )
        db.session.commit()
    page = client.get("/components/api").get_data(as_text=True)
    assert "daily median between 200 ms and 200 ms" in page  # (300 x 100 + 100 x 500) / 400


def test_component_page_shows_uptime_by_month(app, client) -> None:
    with app.app_context():
        add_day("api", date(2026, 2, 10), major_min=144)  # 90% that day; the rest no data
        db.session.commit()
    page = client.get("/components/api").get_data(as_text=True)
    monthly = page.split('id="monthly"', 1)[1]
    feb = monthly.split("Feb 2026", 1)[1].split("</tr>", 1)[0]
    assert "<td>90.00%</td>" in feb and "Missed" in feb and "<td>144</td>" in feb


def test_a_component_without_probes_says_staff_set_it(client) -> None:
    page = client.get("/components/manual").get_data(as_text=True)
    assert "not checked automatically" in page


def test_per_component_feeds_are_linked(client) -> None:
    page = client.get("/components/api").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert 'href="/components/api/history.atom"' in head
    assert 'href="/components/api/history.rss"' in head
    assert 'href="/history.atom"' in head


@pytest.mark.parametrize("slug", ["nope", "front", "%3Cscript%3E"])
def test_unknown_or_group_component_is_a_404_page(client, slug) -> None:
    response = client.get(f"/components/{slug}")
    assert response.status_code == 404
    assert "There is no component at this address." in response.get_data(as_text=True)


def test_hidden_component_is_a_404_page(app, client) -> None:
    with app.app_context():
        component("manual").hidden = True
        db.session.commit()
    assert client.get("/components/manual").status_code == 404


def test_no_page_ever_shows_a_probe_secret(app, client) -> None:
    with app.app_context():
        add_state("eu-west", "down", 50.0, 401, "HTTP 401, expected 200")
        add_result(1, NOW - timedelta(minutes=5), 50.0)
        incident = add_incident(
            "API errors",
            started_at=NOW - timedelta(hours=1),
            affected=[("api", "major_outage")],
            dated=True,
        )
        db.session.commit()
        code = incident.code
    paths = [
        "/",
        "/components/api",
        "/components/web",
        "/history",
        f"/incidents/{code}",
        "/uptime",
        "/uptime.csv",
        "/nope-404",
        "/components/nope",
    ]
    for path in paths:
        body = client.get(path).get_data(as_text=True)
        assert SECRET not in body, path
        assert URL_SECRET not in body, path
        assert "authorization" not in body.lower(), path


def test_recent_results_count_only_configured_probes(app, client) -> None:
    with app.app_context():
        db.session.add(
            ProbeResult(
                result_id="removed",
                probe_key="api/removed-probe",
                component_id=component("api").id,
                location="old-place",
                started_at=datetime(2026, 3, 20, 11, 0, tzinfo=UTC),
                latency_ms=5.0,
                outcome="up",
                http_status=200,
                reason="",
            )
        )
        db.session.commit()
    page = client.get("/components/api").get_data(as_text=True)
    assert "old-place" not in page


def test_the_last_24_hours_are_read_from_hourly_rollups(app, client) -> None:
    """Once rolled up, a day of results costs the page one small raw read: the current hour."""
    with app.app_context():
        for n in range(24 * 60):  # a result a minute for the last day
            add_result(n, NOW - timedelta(minutes=n), 100.0 + n % 7)
        db.session.commit()
        roll_up(NOW)
    with statements_run(app) as statements:
        page = client.get("/components/api").get_data(as_text=True)
    raw_reads = [s for s in statements if "FROM probe_result" in s]
    assert len(raw_reads) <= 2, raw_reads  # the current hour (and the latest results' states)
    checks = re.search(r"last 24 hours from eu-west: .*?, over ([0-9,]+) checks", page)
    # From 13:00 yesterday to now: results at 13:00, ..., 11:59 and the one at 12:00 today.
    assert checks is not None and checks.group(1) == "1,381"
