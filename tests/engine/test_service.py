"""Probes run by the site: recorded results, `statuspage probe`, scheduling, secrets, health."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from probes import Outcome, Result
from statuspage.cli import cli
from statuspage.engine import prune, record_results, roll_up
from statuspage.store.db import db
from statuspage.store.models import ProbeResult, ProbeRollup
from tests.conftest import REPO_ROOT, stored_bytes
from tests.standin import HANG, NOT_JSON, REDIRECT_LOOP, CapgoStandIn, json_body, slow, unused_port

SITE = '[site]\nname = "Capgo"\nurl = "https://status.capgo.app"\n'
SECRET = "sk-live-7f3a9c0d1e2b4a6f"


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    with CapgoStandIn() as standin:
        yield standin


def probe(name: str, url: str, extra: str = "") -> str:
    return f'[[components.probes]]\nname = "{name}"\nurl = "{url}"\n{extra}'


def standin_config(base: str, refused: str) -> str:
    """Return a config whose probes each meet one way a server fails."""
    return (
        SITE
        # Healthy probes get a generous degraded_ms: a loaded CI machine must not slow them
        # past it. The slow probe gets a low one and a timeout well past its delay.
        + "[defaults]\ntimeout_s = 1\ndegraded_ms = 2000\n"
        + '[[components]]\nslug = "live-updates"\nname = "Live Updates"\n'
        + probe(
            "Update check",
            f"{base}/updates",
            'method = "POST"\njson = { app_id = "com.capgo.statusprobe" }\n'
            'expect_json = { error = ["no_new_version_available"] }\ndegraded_status = [429]\n',
        )
        + probe("Worker", f"{base}/ok", 'expect_json = { status = "ok" }\n')
        + probe("Hanging", f"{base}/hang")
        + probe("Slow", f"{base}/latency", "degraded_ms = 300\ntimeout_s = 5\n")
        + probe("Refused", refused)
        + probe("Not JSON", f"{base}/notjson", 'expect_json = { status = "ok" }\n')
        + probe("Loop", f"{base}/loop")
        + '[[components]]\nslug = "analytics"\nname = "Analytics"\n'
        + probe("Stats", f"{base}/stats", 'expect_json = { status = "ok" }\n')
        + probe(
            "Keyed",
            f"{base}/app",
            'headers = { authorization = "${NO_SUCH_KEY_FOR_TESTS}" }\n'
            'requires_env = ["NO_SUCH_KEY_FOR_TESTS"]\n',
        )
    )


EXPECTED = {
    "live-updates/update-check": ("down", 503, "HTTP 503, expected 200"),
    "live-updates/worker": ("up", 200, ""),
    "live-updates/hanging": ("down", None, "timeout after 1 s"),
    "live-updates/slow": ("degraded", 200, "slow:"),
    "live-updates/refused": ("down", None, "connection refused"),
    "live-updates/not-json": ("down", 200, "body is not JSON"),
    "live-updates/loop": ("down", 302, "too many redirects"),
    "analytics/stats": ("down", 200, 'json.status = "broken", expected "ok"'),
}


def misbehave(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", 503)
    capgo.set("/hang", HANG)
    capgo.set("/latency", slow(0.7))
    capgo.set("/notjson", NOT_JSON)
    capgo.set("/loop", REDIRECT_LOOP)
    capgo.set("/stats", json_body({"status": "broken"}))


def cli_env(app, config_path) -> dict[str, str]:
    return {
        "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_CONFIG": str(config_path),
        "STATUSPAGE_LOCATION": "test-location",
    }


def test_probe_once_records_and_prints_every_failure_kind(app, capgo, write_config) -> None:
    misbehave(capgo)
    config = write_config(standin_config(capgo.url, f"http://127.0.0.1:{unused_port()}/ok"))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["probe", "--once"], env=cli_env(app, config))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 5  # probes run in parallel: one timeout, not one per hanging probe

    with app.app_context():
        rows = {r.probe_key: r for r in db.session.execute(db.select(ProbeResult)).scalars()}
    assert set(rows) == set(EXPECTED)  # the keyed probe is skipped, not run keyless
    for key, (outcome, http_status, reason) in EXPECTED.items():
        row = rows[key]
        assert (row.outcome, row.http_status) == (outcome, http_status), key
        assert row.reason.startswith(reason), (key, row.reason)
        assert row.location == "test-location"
        assert row.started_at.tzinfo is not None
    assert capgo.hits("/app") == 0

    lines = result.output.splitlines()
    assert lines[0].split() == ["COMPONENT", "PROBE", "OUTCOME", "LATENCY", "REASON"]
    assert any("Update check" in line and "HTTP 503, expected 200" in line for line in lines)
    assert any("Keyed" in line and "skipped" in line and "not configured" in line for line in lines)


def test_secret_appears_nowhere(app, capgo, write_config, caplog, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PROBE_SECRET_FOR_TESTS", SECRET)
    config = write_config(
        SITE
        + '[[components]]\nslug = "app-management"\nname = "App Management"\n'
        + probe(
            "App listing",
            f"{capgo.url}/app?key=${{PROBE_SECRET_FOR_TESTS}}",
            'headers = { authorization = "${PROBE_SECRET_FOR_TESTS}" }\n'
            'json = { token = "${PROBE_SECRET_FOR_TESTS}" }\n',
        )
        + probe("Down one", f"{capgo.url}/down?key=${{PROBE_SECRET_FOR_TESTS}}")
    )
    capgo.set("/down", 500)
    env = cli_env(app, config) | {"PROBE_SECRET_FOR_TESTS": SECRET}
    caplog.set_level(logging.DEBUG)
    outputs = [
        CliRunner().invoke(cli, ["probe", "--once"], env=env).output,
        CliRunner().invoke(cli, ["config", "check"], env=env).output,
    ]
    assert capgo.last_headers("/app")["authorization"] == SECRET  # it was really sent
    assert "App listing" in outputs[0] and "HTTP 500, expected 200" in outputs[0]
    assert "(redacted)" in outputs[1]
    page = app.test_client().get("/").get_data(as_text=True)
    health = app.test_client().get("/healthz").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
    stored = stored_bytes(app.config["SQLALCHEMY_DATABASE_URI"])
    for text in [*outputs, page, health, caplog.text]:
        assert SECRET not in text
    assert SECRET.encode() not in stored


def test_probe_process_records_on_schedule_and_stops_on_sigterm(app, capgo, write_config) -> None:
    config = write_config(
        SITE
        + "[defaults]\ninterval_s = 1\ntimeout_s = 1\n"
        + '[[components]]\nslug = "live-updates"\nname = "Live Updates"\n'
        + probe("Worker", f"{capgo.url}/ok")
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage", "probe"],
        cwd=REPO_ROOT,
        env=os.environ | cli_env(app, config),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while capgo.hits("/ok") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert capgo.hits("/ok") >= 3
    assert "live-updates/worker from test-location: up" in output
    assert "stopping" in output
    with app.app_context():
        count = db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar()
    assert count >= 3


def make_result(
    minutes_ago: float,
    outcome: str = "up",
    latency: float | None = 100.0,
    now: datetime | None = None,
    key: str = "live-updates/worker",
) -> Result:
    now = now or datetime.now(UTC)
    return Result(
        probe_key=key,
        component="live-updates",
        location="here",
        started_at=now - timedelta(minutes=minutes_ago),
        latency_ms=latency,
        outcome=Outcome(outcome),
        http_status=200 if outcome != "down" else 503,
        reason="",
    )


def test_a_result_delivered_twice_is_stored_once(app) -> None:
    result = make_result(1)
    with app.app_context():
        assert len(record_results([result])) == 1
        assert record_results([result, result]) == []
        assert db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar() == 1


def test_rollups_are_idempotent_and_survive_pruning(app) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    day_before = [make_result(24 * 60 + m, now=now, latency=float(10 * (m + 1))) for m in range(10)]
    old = [
        make_result(40 * 24 * 60, "down", None, now=now),
        make_result(40 * 24 * 60 - 1, "degraded", 4000.0, now=now),
    ]
    with app.app_context():
        record_results([*day_before, *old])
        roll_up(now)
        first = [
            (r.day, r.checks, r.down, r.degraded, r.latency_p50, r.latency_max)
            for r in db.session.execute(db.select(ProbeRollup).order_by(ProbeRollup.day)).scalars()
        ]
        roll_up(now)
        deleted = prune(now, raw_days=30)
        again = [
            (r.day, r.checks, r.down, r.degraded, r.latency_p50, r.latency_max)
            for r in db.session.execute(db.select(ProbeRollup).order_by(ProbeRollup.day)).scalars()
        ]
        remaining = db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar()
    assert first == again
    assert first[0] == (datetime(2026, 1, 29).date(), 2, 1, 1, 4000.0, 4000.0)
    assert len(first) == 2
    assert first[1] == (datetime(2026, 3, 9).date(), 10, 0, 0, 55.0, 100.0)
    assert deleted == 2 and remaining == 10


def test_healthz_reports_result_age_and_stalls(app, client) -> None:
    with app.app_context():
        record_results([make_result(0.5)])
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and 25 <= body["newest_result_age_s"] <= 40
    with app.app_context():
        db.session.execute(db.delete(ProbeResult))
        db.session.commit()
        # The default probes run every 60 s: stalled after three intervals.
        record_results([make_result(3.5)])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["probes"].startswith("stalled")
