"""Probes run by the site: recorded results, `statuspage probe`, scheduling, secrets, health."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.engine import prune, record_results, roll_up
from statuspage.store.db import db
from statuspage.store.models import ProbeResult, ProbeRollup
from statuspage.web import health
from tests.conftest import REPO_ROOT, stored_bytes
from tests.factories import (
    UPDATE_CHECK,
    cli_env,
    component_toml,
    config_toml,
    minutes_ago,
    probe_result,
    probe_toml,
)
from tests.standin import HANG, NOT_JSON, REDIRECT_LOOP, CapgoStandIn, json_body, slow, unused_port

SECRET = "sk-live-7f3a9c0d1e2b4a6f"
OK_JSON = {"expect_json": {"status": "ok"}}


def standin_config(base: str, refused: str) -> str:
    """Return a config whose probes each meet one way a server fails."""
    return config_toml(
        component_toml(
            "live-updates",
            "Live Updates",
            probe_toml(
                "Update check",
                f"{base}/updates",
                **UPDATE_CHECK,
                degraded_status=[429],
            ),
            probe_toml("Worker", f"{base}/ok", **OK_JSON),
            probe_toml("Hanging", f"{base}/hang"),
            probe_toml("Slow", f"{base}/latency", degraded_ms=300, timeout_s=5),
            probe_toml("Refused", refused),
            probe_toml("Not JSON", f"{base}/notjson", **OK_JSON),
            probe_toml("Loop", f"{base}/loop"),
        ),
        component_toml(
            "analytics",
            "Analytics",
            probe_toml("Stats", f"{base}/stats", **OK_JSON),
            probe_toml(
                "Keyed",
                f"{base}/app",
                headers={"authorization": "${NO_SUCH_KEY_FOR_TESTS}"},
                requires_env=["NO_SUCH_KEY_FOR_TESTS"],
            ),
        ),
        # Healthy probes get a generous degraded_ms: a loaded CI machine must not slow them
        # past it. The slow probe gets a low one and a timeout well past its delay.
        defaults={"timeout_s": 1, "degraded_ms": 2000},
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


def test_probe_once_records_and_prints_every_failure_kind(app, capgo, write_config) -> None:
    misbehave(capgo)
    config = write_config(standin_config(capgo.url, f"http://127.0.0.1:{unused_port()}/ok"))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["probe", "--once"], env=cli_env(app, config, "test-location"))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    # The hanging probe is cut off at the 1 s of [defaults]: the run ends in a few seconds, with
    # room for a loaded machine, where the 10 s default timeout alone would pass this bound.
    # (That probes run side by side is tests/probes/test_runner.py's to prove.)
    assert elapsed < 8

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
        config_toml(
            component_toml(
                "app-management",
                "App Management",
                probe_toml(
                    "App listing",
                    f"{capgo.url}/app?key=${{PROBE_SECRET_FOR_TESTS}}",
                    headers={"authorization": "${PROBE_SECRET_FOR_TESTS}"},
                    json={"token": "${PROBE_SECRET_FOR_TESTS}"},
                ),
                probe_toml("Down one", f"{capgo.url}/down?key=${{PROBE_SECRET_FOR_TESTS}}"),
            )
        )
    )
    capgo.set("/down", 500)
    env = cli_env(app, config, "test-location") | {"PROBE_SECRET_FOR_TESTS": SECRET}
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
        config_toml(
            component_toml("live-updates", "Live Updates", probe_toml("Worker", f"{capgo.url}/ok")),
            defaults={"interval_s": 1, "timeout_s": 1},
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage", "probe"],
        cwd=REPO_ROOT,
        env=os.environ | cli_env(app, config, "test-location"),
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


def test_a_result_delivered_twice_is_stored_once(app) -> None:
    result = probe_result(started_at=minutes_ago(1))
    with app.app_context():
        assert len(record_results([result])) == 1
        assert record_results([result, result]) == []
        assert db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar() == 1


def test_rollups_are_idempotent_and_survive_pruning(app) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    day_before = [
        probe_result(started_at=minutes_ago(24 * 60 + m, now), latency_ms=float(10 * (m + 1)))
        for m in range(10)
    ]
    old = [
        probe_result(
            outcome="down", started_at=minutes_ago(40 * 24 * 60, now), latency_ms=None, reason=""
        ),
        probe_result(
            outcome="degraded", started_at=minutes_ago(40 * 24 * 60 - 1, now), latency_ms=4000.0
        ),
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


def test_healthz_reports_result_age_and_stalls(app, client, monkeypatch) -> None:
    now = datetime.now(UTC)
    monkeypatch.setattr(health, "utcnow", lambda: now)  # ages are exact, however slow the run
    with app.app_context():
        record_results([probe_result(started_at=minutes_ago(0.5, now))])
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["newest_result_age_s"] == 30
    with app.app_context():
        db.session.execute(db.delete(ProbeResult))
        db.session.commit()
        # The default probes run every 60 s: stalled after three intervals.
        record_results([probe_result(started_at=minutes_ago(3.5, now))])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["probes"].startswith("stalled")
