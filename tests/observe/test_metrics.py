"""Prometheus metrics: scraped over HTTP and read back with prometheus_client's own parser."""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from statuspage import create_app, staff
from statuspage.engine import ProbeService
from statuspage.observe.probes import LATENCY_BUCKETS, metrics_port, stop
from statuspage.store.db import db
from statuspage.store.models import ProbeResult
from tests.conftest import REPO_ROOT
from tests.factories import cli_env, component_toml, config_toml, probe_toml
from tests.standin import slow, unused_port

TOKEN = "metrics-token-for-tests-5f2c9e"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of a scrape, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape[name, tuple(sorted(labels.items()))]


@pytest.fixture
def config_path(capgo, write_config):
    """Live Updates: one probe up (slowed a little), one down; Analytics: one up."""
    return write_config(
        config_toml(
            component_toml(
                "live-updates",
                "Live Updates",
                probe_toml("Worker", f"{capgo.url}/latency"),
                probe_toml("Broken", f"{capgo.url}/broken"),
            ),
            component_toml("analytics", "Analytics", probe_toml("Stats", f"{capgo.url}/ok")),
            defaults={"timeout_s": 2, "degraded_ms": 1500, "failures_to_open": 1},
        )
    )


@pytest.fixture
def settings() -> dict[str, object]:
    return {"METRICS_TOKEN": TOKEN}


def scrape_site(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def test_after_a_probe_cycle_histogram_buckets_and_gauges_are_right(app, client, capgo) -> None:
    capgo.set("/latency", slow(0.12))
    capgo.set("/broken", 503)
    service = ProbeService(app, environ={"STATUSPAGE_LOCATION": "eu-west"})
    server = service.metrics.serve(0)  # any free port: what the setting's port does
    try:
        service.run_once()
        body = requests.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).text
    finally:
        stop(server)
    probe = samples(body)
    with app.app_context():
        latencies = {
            row.probe_key: row.latency_ms / 1000
            for row in db.session.execute(db.select(ProbeResult)).scalars()
        }
    assert set(latencies) == {"live-updates/worker", "live-updates/broken", "analytics/stats"}
    assert latencies["live-updates/worker"] >= 0.12
    for key, seconds in latencies.items():
        labels = {"probe": key, "location": "eu-west"}
        for bound in (*LATENCY_BUCKETS, math.inf):
            le = "+Inf" if bound == math.inf else str(bound)
            expected = 1.0 if seconds <= bound else 0.0
            assert value(probe, "statuspage_probe_latency_seconds_bucket", le=le, **labels) == (
                expected
            ), (key, le)
        assert value(probe, "statuspage_probe_latency_seconds_count", **labels) == 1
        assert value(probe, "statuspage_probe_latency_seconds_sum", **labels) == pytest.approx(
            seconds
        )
    assert (
        value(
            probe,
            "statuspage_probe_latency_seconds_bucket",
            le="0.1",
            probe="live-updates/worker",
            location="eu-west",
        )
        == 0
    )
    outcomes = {"live-updates/worker": "up", "live-updates/broken": "down", "analytics/stats": "up"}
    for key, outcome in outcomes.items():
        for candidate in ("up", "degraded", "down"):
            labels = {"probe": key, "location": "eu-west", "outcome": candidate}
            if candidate == outcome:
                assert value(probe, "statuspage_probe_results_total", **labels) == 1
            else:
                assert (
                    "statuspage_probe_results_total",
                    tuple(sorted(labels.items())),
                ) not in probe

    site = scrape_site(client)
    statuses = {"live-updates": "partial_outage", "analytics": "operational"}
    for slug, shown in statuses.items():
        for candidate in (
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance",
        ):
            expected = 1.0 if candidate == shown else 0.0
            assert (
                value(site, "statuspage_component_status", component=slug, status=candidate)
                == expected
            ), (slug, candidate)
    # One of two probes down opened an automatic incident, of the impact a partial outage has.
    assert value(site, "statuspage_incidents_open", impact="major") == 1
    assert value(site, "statuspage_incidents_open", impact="critical") == 0
    for key, outcome in outcomes.items():
        for state in ("up", "degraded", "down"):
            expected = 1.0 if state == outcome else 0.0
            labels = {"probe": key, "location": "eu-west", "state": state}
            assert value(site, "statuspage_probe_confirmed_state", **labels) == expected


def test_site_metrics_need_the_token(app, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = {"Authorization": "Bearer not-the-token"}
    for headers in ({}, wrong, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["Cache-Control"] == "no-store"
        assert TOKEN not in response.get_data(as_text=True)
    good = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert good.status_code == 200
    assert good.headers["Cache-Control"] == "no-store"
    assert "ETag" not in good.headers  # not a cached public response
    assert TOKEN not in caplog.text and "not-the-token" not in caplog.text


def test_site_metrics_are_absent_while_no_token_is_set(database_url, config_path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STATUSPAGE_CONFIG": str(config_path),
            "SYNC_COMPONENTS_ON_START": False,
        }
    )
    assert app.config["METRICS_TOKEN"] is None
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_cache_hits_and_misses_are_counted(client) -> None:
    before = scrape_site(client)
    client.get("/api/v2/status.json")
    client.get("/api/v2/status.json")
    client.get("/api/v2/status.json")
    after = scrape_site(client)
    hits = "statuspage_response_cache_hits_total"
    misses = "statuspage_response_cache_misses_total"
    assert value(after, misses) - value(before, misses) == 1
    assert value(after, hits) - value(before, hits) == 2


def test_site_metrics_are_read_fresh_on_every_scrape(app, client) -> None:
    assert value(scrape_site(client), "statuspage_incidents_open", impact="critical") == 0
    with app.app_context():
        staff.create_incident(
            staff.Actor("alice@capgo.app"),
            app.config["STATUS"],
            datetime.now(UTC),
            name="Down",
            status="investigating",
            body="Looking.",
            components={"live-updates": "major_outage"},
        )
    scrape = scrape_site(client)
    assert value(scrape, "statuspage_incidents_open", impact="critical") == 1
    assert (
        value(
            scrape, "statuspage_component_status", component="live-updates", status="major_outage"
        )
        == 1
    )


@pytest.mark.parametrize(
    ("raw", "port"), [("", None), ("0", None), (" 9464 ", 9464), ("65535", 65535)]
)
def test_probe_metrics_port_setting(raw, port) -> None:
    assert metrics_port({"STATUSPAGE_PROBE_METRICS_PORT": raw}) == port
    assert metrics_port({}) is None


@pytest.mark.parametrize("raw", ["abc", "-1", "70000", "80.5"])
def test_probe_metrics_port_setting_refuses_nonsense(raw) -> None:
    with pytest.raises(ValueError, match="STATUSPAGE_PROBE_METRICS_PORT"):
        metrics_port({"STATUSPAGE_PROBE_METRICS_PORT": raw})


MULTIPROCESS_WORKER = """
import sys
from statuspage import create_app, staff
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                  "STATUSPAGE_CONFIG": sys.argv[2], "SYNC_COMPONENTS_ON_START": False,
                  "METRICS_TOKEN": sys.argv[3]})
client = app.test_client()
if sys.argv[4] == "serve":
    for _ in range(3):
        assert client.get("/api/v2/status.json").status_code == 200
else:
    response = client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[3]})
    sys.stdout.write(response.get_data(as_text=True))
"""


@pytest.mark.slow
def test_gunicorn_workers_cache_counts_add_up_in_multiprocess_mode(app, tmp_path) -> None:
    """Two worker processes count in PROMETHEUS_MULTIPROC_DIR; a third one's scrape sums them."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    arguments = [app.config["SQLALCHEMY_DATABASE_URI"], app.config["STATUSPAGE_CONFIG"], TOKEN]

    def worker(mode: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_WORKER, *arguments, mode],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker("serve")
    worker("serve")
    scrape = samples(worker("scrape"))
    # Each process has its own cache: one miss, then two hits, in each.
    assert value(scrape, "statuspage_response_cache_misses_total") == 2
    assert value(scrape, "statuspage_response_cache_hits_total") == 4
    assert (
        "statuspage_component_status",
        (("component", "analytics"), ("status", "operational")),
    ) in scrape


@pytest.mark.slow
def test_the_probe_process_serves_its_metrics_on_the_configured_port(
    app, capgo, write_config
) -> None:
    port = unused_port()
    config = write_config(
        config_toml(
            component_toml("analytics", "Analytics", probe_toml("Stats", f"{capgo.url}/ok")),
            defaults={"interval_s": 1, "timeout_s": 1},
        ),
        name="every-second.toml",
    )
    env = (
        os.environ
        | cli_env(app, config, "test-location")
        | {"STATUSPAGE_PROBE_METRICS_PORT": str(port)}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage", "probe"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        scrape: dict = {}
        key = (
            "statuspage_probe_results_total",
            (("location", "test-location"), ("outcome", "up"), ("probe", "analytics/stats")),
        )
        while key not in scrape and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except requests.ConnectionError:
                continue
            scrape = samples(body)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert scrape.get(key, 0) >= 1, output
    assert f"probe metrics on http://127.0.0.1:{port}/metrics" in output
