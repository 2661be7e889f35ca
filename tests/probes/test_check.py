"""run_probe against a real loopback stand-in: how each answer is judged, and its reason."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from probes import Outcome
from tests.probes.helpers import UPDATE_REQUEST, assert_down, probe, run, timed
from tests.standin import NOT_JSON, CapgoStandIn, delay_ms, json_body, slow, status, unused_port

# --- Healthy answers --------------------------------------------------------------------------


def test_healthy_get_is_up_with_measured_latency(capgo: CapgoStandIn) -> None:
    before = datetime.now(UTC)
    result, took = timed(probe(f"{capgo.url}/ok", expect_json={"status": "ok"}))
    assert result.outcome is Outcome.UP and result.reason == ""
    assert result.http_status == 200
    # Measured, in milliseconds, and within the run: no longer than the call itself took.
    assert result.latency_ms is not None and 0 < result.latency_ms <= took * 1000
    assert result.started_at.tzinfo is not None and before <= result.started_at
    assert (result.probe_key, result.component, result.location) == (
        "live-updates/test-probe",
        "live-updates",
        "test",
    )
    assert capgo.last_headers("/ok")["user-agent"] == "capgo-status-probe"


def test_update_check_posts_the_expanded_json_body(capgo: CapgoStandIn) -> None:
    body = {**UPDATE_REQUEST, "device_id": "${DEVICE_ID:-00000000-0000-0000-0000-000000000000}"}
    definition = probe(
        f"{capgo.url}/updates",
        method="POST",
        json=body,
        expect_json={"error": ["no_new_version_available", "no_channel"], "kind": "up_to_date"},
    )
    result = run(definition, environ={"DEVICE_ID": "11111111-2222-3333-4444-555555555555"})
    assert result.outcome is Outcome.UP
    received = capgo.last("/updates")
    assert received is not None and received.method == "POST"
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.body)["device_id"] == "11111111-2222-3333-4444-555555555555"


def test_app_route_answers_401_without_a_key(capgo: CapgoStandIn) -> None:
    assert_down(run(probe(f"{capgo.url}/app")), "HTTP 401, expected 200")


def test_several_expected_statuses(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", 204)
    assert run(probe(f"{capgo.url}/ok", expect_status=(200, 204))).outcome is Outcome.UP
    capgo.set("/ok", 503)
    assert_down(
        run(probe(f"{capgo.url}/ok", expect_status=(200, 204))), "HTTP 503, expected 200 or 204"
    )
    assert_down(
        run(probe(f"{capgo.url}/ok", expect_status=(200, 201, 204))),
        "HTTP 503, expected 200, 201 or 204",
    )


# --- Status codes -----------------------------------------------------------------------------


def test_server_error_is_down(capgo: CapgoStandIn) -> None:
    capgo.set("/latency", status(500, {"error": "unknown_error", "message": "Unknown error"}))
    result = run(probe(f"{capgo.url}/latency"))
    assert_down(result, "HTTP 500, expected 200")
    assert result.http_status == 500


def test_unexpected_client_error_is_down(capgo: CapgoStandIn) -> None:
    capgo.set("/latency", status(400, {"error": "cannot_get_apps"}))
    assert_down(run(probe(f"{capgo.url}/latency")), "HTTP 400, expected 200")


def test_degraded_status_names_the_json_error(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", status(429, {"error": "on_premise_app", "message": "On-premise app"}))
    result = run(probe(f"{capgo.url}/updates", method="POST", degraded_status=(429,)))
    assert result.outcome is Outcome.DEGRADED
    assert result.reason == "HTTP 429 on_premise_app (degraded)"
    assert result.http_status == 429


def test_degraded_status_without_json_error(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", status(429, "Too many requests"))
    result = run(probe(f"{capgo.url}/updates", degraded_status=(429,)))
    assert (result.outcome, result.reason) == (Outcome.DEGRADED, "HTTP 429 (degraded)")


def test_blocked_probe_is_never_up(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", json_body({"error": "provider_infrastructure_request_blocked"}))
    result = run(probe(f"{capgo.url}/updates", method="POST", json=UPDATE_REQUEST))
    assert_down(result, "blocked: provider_infrastructure_request_blocked")


# --- Bodies -----------------------------------------------------------------------------------


def test_body_not_json(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", NOT_JSON)
    assert_down(run(probe(f"{capgo.url}/ok", expect_json={"status": "ok"})), "body is not JSON")


def test_wrong_json_value(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", json_body({"error": "unknown_error", "message": "Unknown error"}))
    definition = probe(f"{capgo.url}/updates", expect_json={"error": "no_new_version_available"})
    reason = 'json.error = "unknown_error", expected "no_new_version_available"'
    assert_down(run(definition), reason)


def test_missing_json_key(capgo: CapgoStandIn) -> None:
    definition = probe(f"{capgo.url}/ok", expect_json={"status": "ok", "kind": "up_to_date"})
    assert_down(run(definition), 'json.kind missing, expected "up_to_date"')


def test_one_of_list(capgo: CapgoStandIn) -> None:
    expect = {"error": ["no_new_version_available", "no_channel"]}
    capgo.set("/updates", json_body({"error": "no_channel", "kind": "blocked"}))
    assert run(probe(f"{capgo.url}/updates", expect_json=expect)).outcome is Outcome.UP
    capgo.set("/updates", json_body({"error": "semver_error"}))
    assert_down(
        run(probe(f"{capgo.url}/updates", expect_json=expect)),
        'json.error = "semver_error", expected one of "no_new_version_available", "no_channel"',
    )
    capgo.set("/updates", json_body({}))
    assert_down(
        run(probe(f"{capgo.url}/updates", expect_json=expect)),
        'json.error missing, expected one of "no_new_version_available", "no_channel"',
    )


def test_nested_json_and_strict_types(capgo: CapgoStandIn) -> None:
    capgo.set("/x", json_body({"a": {"b": {"c": 1, "d": True}}, "list": [1, 2]}))
    good = {"a": {"b": {"d": True}}}
    assert run(probe(f"{capgo.url}/x", expect_json=good)).outcome is Outcome.UP
    assert_down(
        run(probe(f"{capgo.url}/x", expect_json={"a": {"b": {"c": True}}})),
        "json.a.b.c = 1, expected true",
    )
    assert_down(
        run(probe(f"{capgo.url}/x", expect_json={"list": {"x": 1}})),
        "json.list = [1, 2], expected an object",
    )
    assert_down(
        run(probe(f"{capgo.url}/x", expect_json={"a": {"z": {"y": 1}}})),
        "json.a.z missing, expected an object",
    )
    capgo.set("/x", json_body([]))
    assert_down(
        run(probe(f"{capgo.url}/x", expect_json={"status": "ok"})), "json = [], expected an object"
    )


def test_long_values_are_truncated(capgo: CapgoStandIn) -> None:
    capgo.set("/x", json_body({"error": "e" * 500}))
    result = run(probe(f"{capgo.url}/x", expect_json={"error": "ok"}))
    assert result.outcome is Outcome.DOWN
    shown = result.reason.removeprefix("json.error = ").removesuffix(', expected "ok"')
    assert len(shown) == 60 and shown.endswith("…")


def test_expected_text(capgo: CapgoStandIn) -> None:
    capgo.set("/page", status(200, "<html>All Systems Operational</html>"))
    assert run(probe(f"{capgo.url}/page", expect_text="Operational")).outcome is Outcome.UP
    assert_down(
        run(probe(f"{capgo.url}/page", expect_text="Ready")), 'body does not contain "Ready"'
    )
    long = "x" * 100
    reason = run(probe(f"{capgo.url}/page", expect_text=long)).reason
    assert reason.startswith('body does not contain "xxx') and len(reason) < 100


# --- Time -------------------------------------------------------------------------------------


def test_slow_answer_is_degraded(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", slow(0.25))
    result = run(probe(f"{capgo.url}/ok", degraded_ms=100, timeout_s=2))
    assert result.outcome is Outcome.DEGRADED
    assert result.latency_ms is not None
    assert result.reason == f"slow: {round(result.latency_ms)} ms > 100 ms"
    assert result.latency_ms >= 250


def test_latency_is_accurate(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", delay_ms(150))
    result, took = timed(probe(f"{capgo.url}/ok"))
    # At least the 150 ms the server waited, and no more than the whole run_probe call: the
    # latency is the exchange's, whatever else the loaded machine is doing.
    assert result.latency_ms is not None and 150 <= result.latency_ms <= took * 1000


def test_injected_clock_and_now() -> None:
    # Nothing listens: the exchange fails at once, and the fake clock says it took 4.21 s.
    ticks: Iterator[float] = itertools.count(start=100.0, step=4.21)
    moment = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    result = run(
        probe(f"http://127.0.0.1:{unused_port()}/ok"),
        clock=lambda: next(ticks),
        now=lambda: moment,
    )
    assert result.started_at == moment
    assert result.latency_ms == pytest.approx(4210)


def test_injected_clock_drives_the_slow_verdict(capgo: CapgoStandIn) -> None:
    ticks = itertools.count(start=0.0, step=4.21)
    result = run(probe(f"{capgo.url}/ok", timeout_s=2), clock=lambda: next(ticks))
    assert (result.outcome, result.reason) == (Outcome.DEGRADED, "slow: 4210 ms > 3000 ms")


# --- Configuration ----------------------------------------------------------------------------


def test_unconfigured_probe_is_refused(capgo: CapgoStandIn) -> None:
    definition = probe(f"{capgo.url}/app", headers={"authorization": "${CAPGO_API_KEY}"})
    with pytest.raises(ValueError, match="CAPGO_API_KEY"):
        run(definition, environ={"CAPGO_API_KEY": ""})
    assert capgo.hits("/app") == 0
