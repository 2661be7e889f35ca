"""run_probe against a real loopback stand-in: every way an endpoint can fail, and its reason."""

from __future__ import annotations

import gzip
import ipaddress
import itertools
import json
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from probes import Outcome, ProbeDefinition, Result, run_probe
from probes.transport import format_seconds, new_session
from tests.standin import (
    CLOSE,
    HANG,
    HUGE,
    NOT_JSON,
    REDIRECT_LOOP,
    RESET,
    CapgoStandIn,
    delay_ms,
    endless,
    json_body,
    redirect,
    slow,
    status,
    trickle,
    trickle_headers,
    unused_port,
)

UPDATE_REQUEST = {
    "app_id": "com.example.app",
    "device_id": "00000000-0000-0000-0000-000000000000",
    "version_name": "builtin",
    "version_build": "1.0.0",
    "is_emulator": False,
    "is_prod": False,
    "platform": "android",
    "plugin_version": "7.0.0",
    "defaultChannel": "",
}


def probe(url: str, **options: Any) -> ProbeDefinition:
    """Return a probe of ``url`` with a short timeout."""
    options.setdefault("timeout_s", 0.5)
    return ProbeDefinition.build("live-updates", "test probe", url, **options)


def run(definition: ProbeDefinition, **kwargs: Any) -> Result:
    """Run a probe from location "test" with an empty environment unless given."""
    kwargs.setdefault("environ", {})
    return run_probe(definition, location="test", **kwargs)


def timed(definition: ProbeDefinition, **kwargs: Any) -> tuple[Result, float]:
    """Run a probe; return its result and the wall time it took."""
    start = time.monotonic()
    result = run(definition, **kwargs)
    return result, time.monotonic() - start


def assert_down(result: Result, reason: str) -> None:
    """Assert a down result with exactly ``reason``."""
    assert (result.outcome, result.reason) == (Outcome.DOWN, reason)


# --- Healthy answers --------------------------------------------------------------------------


def test_healthy_get_is_up_with_measured_latency(capgo: CapgoStandIn) -> None:
    before = datetime.now(UTC)
    result = run(probe(f"{capgo.url}/ok", expect_json={"status": "ok"}))
    assert result.outcome is Outcome.UP and result.reason == ""
    assert result.http_status == 200
    assert result.latency_ms is not None and 0 < result.latency_ms < 500
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


def test_custom_user_agent_wins(capgo: CapgoStandIn) -> None:
    run(probe(f"{capgo.url}/ok", headers={"user-agent": "mine/1.0"}))
    assert capgo.last_headers("/ok")["user-agent"] == "mine/1.0"


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


def test_a_redirect_is_followed(capgo: CapgoStandIn) -> None:
    capgo.set("/old", redirect("/ok", 301))
    result = run(probe(f"{capgo.url}/old", expect_json={"status": "ok"}))
    assert result.outcome is Outcome.UP and capgo.hits("/ok") == 1


def test_a_303_after_post_becomes_a_get_without_body(capgo: CapgoStandIn) -> None:
    capgo.set("/updates", redirect("/ok", 303))
    result = run(probe(f"{capgo.url}/updates", method="POST", json=UPDATE_REQUEST))
    assert result.outcome is Outcome.UP
    received = capgo.last("/ok")
    assert received is not None and (received.method, received.body) == ("GET", b"")


def test_credentials_do_not_follow_a_redirect_to_another_host(capgo: CapgoStandIn) -> None:
    with CapgoStandIn() as other:
        # Same address, other port: another origin.
        capgo.set("/app", redirect(f"{other.url}/app"))
        definition = probe(
            f"{capgo.url}/app",
            headers={"authorization": "${KEY}", "x-token": "${KEY}", "x-plain": "kept"},
            expect_status=(401,),
        )
        result = run(definition, environ={"KEY": "secret-key-123"})
        assert result.outcome is Outcome.UP  # other origin saw no key: 401, as expected here
        headers = other.last_headers("/app")
        assert "authorization" not in headers and "x-token" not in headers
        assert headers["x-plain"] == "kept"


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


def test_oversized_body_is_judged_on_its_first_mebibyte(capgo: CapgoStandIn) -> None:
    capgo.set("/big", HUGE)
    result, took = timed(probe(f"{capgo.url}/big", expect_json={"status": "ok"}))
    assert_down(result, "body over 1 MiB")
    assert took < 0.5
    assert run(probe(f"{capgo.url}/big")).outcome is Outcome.UP
    assert run(probe(f"{capgo.url}/big", expect_text='"padding"')).outcome is Outcome.UP


def test_compressed_body_sent_anyway_is_decoded_within_bounds(capgo: CapgoStandIn) -> None:
    gzipped = {"Content-Encoding": "gzip"}
    capgo.set("/gz", status(200, gzip.compress(b'{"status":"ok"}'), headers=gzipped))
    result = run(probe(f"{capgo.url}/gz", expect_json={"status": "ok"}))
    assert result.outcome is Outcome.UP
    assert capgo.last_headers("/gz")["accept-encoding"] == "identity"
    # 20 KiB on the wire, 20 MiB once inflated: judged on the first MiB, never inflated whole.
    bomb = gzip.compress(b'{"padding":"' + b"0" * (20 * 1024 * 1024) + b'"}')
    capgo.set("/gz", status(200, bomb, headers=gzipped))
    assert_down(run(probe(f"{capgo.url}/gz", expect_json={"status": "ok"})), "body over 1 MiB")


def test_endless_fast_body_stops_at_one_mebibyte(capgo: CapgoStandIn) -> None:
    capgo.set("/stream", endless())
    result, took = timed(probe(f"{capgo.url}/stream", expect_json={"status": "ok"}, timeout_s=5))
    assert_down(result, "body over 1 MiB")
    assert took < 1


def test_endless_slow_body_ends_at_the_deadline(capgo: CapgoStandIn) -> None:
    capgo.set("/stream", endless(chunk_delay_s=0.05))
    result, took = timed(probe(f"{capgo.url}/stream", timeout_s=0.6))
    assert_down(result, "timeout after 0.6 s")
    assert result.http_status == 200
    assert 0.55 < took < 1.2


def test_trickled_body_ends_at_the_deadline(capgo: CapgoStandIn) -> None:
    # Each byte comes well within any per-read timeout: only the whole-request deadline stops it.
    capgo.set("/slowbody", trickle(interval_s=0.1))
    result, took = timed(probe(f"{capgo.url}/slowbody", timeout_s=0.6))
    assert_down(result, "timeout after 0.6 s")
    assert 0.55 < took < 1.2


def test_trickled_headers_end_at_the_deadline(capgo: CapgoStandIn) -> None:
    capgo.set("/slowhead", trickle_headers(interval_s=0.1))
    result, took = timed(probe(f"{capgo.url}/slowhead", timeout_s=0.6))
    assert_down(result, "timeout after 0.6 s")
    assert 0.55 < took < 1.2


def test_a_reused_session_keeps_the_deadline(capgo: CapgoStandIn) -> None:
    # The second probe gets the kept-alive connection of the first; the deadline must still
    # reach its socket, since nothing else stops trickled headers.
    capgo.set("/slowhead", trickle_headers(interval_s=0.1))
    with new_session() as session:
        assert run(probe(f"{capgo.url}/ok"), session=session).outcome is Outcome.UP
        result, took = timed(probe(f"{capgo.url}/slowhead", timeout_s=0.6), session=session)
    assert_down(result, "timeout after 0.6 s")
    assert took < 1.2


def test_plain_session_still_ends_a_trickled_body_at_the_deadline(capgo: CapgoStandIn) -> None:
    # Without the deadline timer, per-read socket timeouts and checks between reads remain.
    capgo.set("/slowbody", trickle(interval_s=0.1))
    with requests.Session() as session:
        session.trust_env = False
        result, took = timed(probe(f"{capgo.url}/slowbody", timeout_s=0.6), session=session)
    assert_down(result, "timeout after 0.6 s")
    assert took < 1.2


# --- Time -------------------------------------------------------------------------------------


def test_hanging_server_times_out(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", HANG)
    result, took = timed(probe(f"{capgo.url}/ok", timeout_s=0.5))
    assert_down(result, "timeout after 0.5 s")
    assert result.http_status is None
    assert result.latency_ms is not None and 450 < result.latency_ms < 1000
    assert took < 1


def test_slow_answer_is_degraded(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", slow(0.25))
    result = run(probe(f"{capgo.url}/ok", degraded_ms=100, timeout_s=2))
    assert result.outcome is Outcome.DEGRADED
    assert result.latency_ms is not None
    assert result.reason == f"slow: {round(result.latency_ms)} ms > 100 ms"
    assert result.latency_ms >= 250


def test_latency_is_accurate(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", delay_ms(150))
    result = run(probe(f"{capgo.url}/ok", timeout_s=2))
    assert result.latency_ms is not None and 150 <= result.latency_ms < 190


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


@pytest.mark.parametrize(("seconds", "shown"), [(10, "10 s"), (2.0, "2 s"), (0.5, "0.5 s")])
def test_format_seconds(seconds: float, shown: str) -> None:
    assert format_seconds(seconds) == shown


# --- Connections ------------------------------------------------------------------------------


def test_connection_refused() -> None:
    result, took = timed(probe(f"http://127.0.0.1:{unused_port()}/ok"))
    assert_down(result, "connection refused")
    assert result.latency_ms is not None and took < 0.5


def test_connection_closed_without_answer(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", CLOSE)
    assert_down(run(probe(f"{capgo.url}/ok")), "connection closed without response")


def test_connection_reset(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", RESET)
    assert_down(run(probe(f"{capgo.url}/ok")), "connection reset")


def test_redirect_loop(capgo: CapgoStandIn) -> None:
    capgo.set("/loop", REDIRECT_LOOP)
    result = run(probe(f"{capgo.url}/loop"))
    assert_down(result, "too many redirects")
    assert capgo.hits("/loop") == 6  # the request and five redirects, then it gives up


def test_self_signed_certificate_is_rejected(capgo_tls: CapgoStandIn) -> None:
    assert_down(run(probe(f"{capgo_tls.url}/ok")), "TLS: certificate verify failed")
    assert capgo_tls.hits("/ok") == 0


def test_tls_server_works_when_its_ca_is_trusted(capgo_tls: CapgoStandIn) -> None:
    # Proves the rejection above is about trust, not a broken stand-in.
    session = new_session()
    session.verify = capgo_tls.ca_path
    result = run(probe(f"{capgo_tls.url}/ok", expect_json={"status": "ok"}), session=session)
    assert result.outcome is Outcome.UP


def test_tls_trickle_ends_at_the_deadline(capgo_tls: CapgoStandIn) -> None:
    capgo_tls.set("/slowbody", trickle(interval_s=0.1))
    session = new_session()
    session.verify = capgo_tls.ca_path
    result, took = timed(probe(f"{capgo_tls.url}/slowbody", timeout_s=0.6), session=session)
    assert_down(result, "timeout after 0.6 s")
    assert took < 1.2


def test_plain_http_to_a_tls_port(capgo_tls: CapgoStandIn) -> None:
    plain = capgo_tls.url.replace("https://", "http://")
    assert run(probe(f"{plain}/ok")).outcome is Outcome.DOWN


def test_tls_to_a_plain_port(capgo: CapgoStandIn) -> None:
    tls = capgo.url.replace("http://", "https://")
    assert_down(run(probe(f"{tls}/ok")), "TLS: wrong version number")


def _resolvers_are_local() -> bool:
    """Return whether looking up a name would only ask resolvers on this machine."""
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        return False
    servers = [line.split()[1] for line in lines if line.startswith("nameserver ")]
    return all(ipaddress.ip_address(server.split("%")[0]).is_loopback for server in servers)


@pytest.mark.skipif(
    not _resolvers_are_local(), reason="resolving a name here would ask a non-loopback DNS server"
)
def test_dns_failure_with_the_real_resolver() -> None:
    result, took = timed(probe("http://nonexistent.invalid/ok", timeout_s=2))
    assert_down(result, "DNS lookup failed")


def test_dns_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver, not requests, is made to fail: urllib3 calls socket.getaddrinfo as usual and
    # gets what a real resolver gives for a .invalid name, without any DNS traffic.
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert_down(run(probe("http://nonexistent.invalid/ok")), "DNS lookup failed")


def test_invalid_url() -> None:
    assert_down(run(probe("not a url")), "invalid URL")


# --- Configuration ----------------------------------------------------------------------------


def test_unconfigured_probe_is_refused(capgo: CapgoStandIn) -> None:
    definition = probe(f"{capgo.url}/app", headers={"authorization": "${CAPGO_API_KEY}"})
    with pytest.raises(ValueError, match="CAPGO_API_KEY"):
        run(definition, environ={"CAPGO_API_KEY": ""})
    assert capgo.hits("/app") == 0
