"""The exchange against a real loopback stand-in: redirects, bounds, deadlines, failures named."""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from probes import Outcome
from probes.transport import format_seconds, new_session
from tests.probes.helpers import (
    TIMEOUT_S,
    UPDATE_REQUEST,
    assert_down,
    assert_timed_out,
    probe,
    run,
    timed,
)
from tests.standin import (
    CLOSE,
    HANG,
    HUGE,
    REDIRECT_LOOP,
    RESET,
    CapgoStandIn,
    endless,
    redirect,
    status,
    trickle,
    trickle_headers,
    unused_port,
)

# --- Requests and redirects -------------------------------------------------------------------


def test_custom_user_agent_wins(capgo: CapgoStandIn) -> None:
    run(probe(f"{capgo.url}/ok", headers={"user-agent": "mine/1.0"}))
    assert capgo.last_headers("/ok")["user-agent"] == "mine/1.0"


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


def test_redirect_loop(capgo: CapgoStandIn) -> None:
    capgo.set("/loop", REDIRECT_LOOP)
    result = run(probe(f"{capgo.url}/loop"))
    assert_down(result, "too many redirects")
    assert capgo.hits("/loop") == 6  # the request and five redirects, then it gives up


# --- Bodies -----------------------------------------------------------------------------------


def test_oversized_body_is_judged_on_its_first_mebibyte(capgo: CapgoStandIn) -> None:
    capgo.set("/big", HUGE)
    result, took = timed(probe(f"{capgo.url}/big", expect_json={"status": "ok"}))
    assert_down(result, "body over 1 MiB")
    assert took < TIMEOUT_S / 2  # judged once the first MiB is in, far from the deadline
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
    result, took = timed(probe(f"{capgo.url}/stream", expect_json={"status": "ok"}))
    assert_down(result, "body over 1 MiB")
    assert took < TIMEOUT_S / 2  # stopped at 1 MiB, far from the deadline


def test_endless_slow_body_ends_at_the_deadline(capgo: CapgoStandIn) -> None:
    capgo.set("/stream", endless(chunk_delay_s=0.05))
    result, took = timed(probe(f"{capgo.url}/stream", timeout_s=0.6))
    assert_timed_out(result, took, 0.6)
    assert result.http_status == 200


def test_trickled_body_ends_at_the_deadline(capgo: CapgoStandIn) -> None:
    # Each byte comes well within any per-read timeout: only the whole-request deadline stops it.
    capgo.set("/slowbody", trickle(interval_s=0.1))
    result, took = timed(probe(f"{capgo.url}/slowbody", timeout_s=0.6))
    assert_timed_out(result, took, 0.6)


def test_trickled_headers_end_at_the_deadline(capgo: CapgoStandIn) -> None:
    capgo.set("/slowhead", trickle_headers(interval_s=0.1))
    result, took = timed(probe(f"{capgo.url}/slowhead", timeout_s=0.6))
    assert_timed_out(result, took, 0.6)


def test_a_reused_session_keeps_the_deadline(capgo: CapgoStandIn) -> None:
    # The second probe gets the kept-alive connection of the first; the deadline must still
    # reach its socket, since nothing else stops trickled headers.
    capgo.set("/slowhead", trickle_headers(interval_s=0.1))
    with new_session() as session:
        assert run(probe(f"{capgo.url}/ok"), session=session).outcome is Outcome.UP
        result, took = timed(probe(f"{capgo.url}/slowhead", timeout_s=0.6), session=session)
    assert_timed_out(result, took, 0.6)


def test_plain_session_still_ends_a_trickled_body_at_the_deadline(capgo: CapgoStandIn) -> None:
    # Without the deadline timer, per-read socket timeouts and checks between reads remain.
    capgo.set("/slowbody", trickle(interval_s=0.1))
    with requests.Session() as session:
        session.trust_env = False
        result, took = timed(probe(f"{capgo.url}/slowbody", timeout_s=0.6), session=session)
    assert_timed_out(result, took, 0.6)


# --- Time -------------------------------------------------------------------------------------


def test_hanging_server_times_out(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", HANG)
    result, took = timed(probe(f"{capgo.url}/ok", timeout_s=0.5))
    assert_timed_out(result, took, 0.5)
    assert result.http_status is None
    assert result.latency_ms is not None and 450 < result.latency_ms <= took * 1000


@pytest.mark.parametrize(("seconds", "shown"), [(10, "10 s"), (2.0, "2 s"), (0.5, "0.5 s")])
def test_format_seconds(seconds: float, shown: str) -> None:
    assert format_seconds(seconds) == shown


# --- Connections ------------------------------------------------------------------------------


def test_connection_refused() -> None:
    result, took = timed(probe(f"http://127.0.0.1:{unused_port()}/ok"))
    assert_down(result, "connection refused")
    assert result.latency_ms is not None and took < TIMEOUT_S / 2  # at once, not at the deadline


def test_connection_closed_without_answer(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", CLOSE)
    assert_down(run(probe(f"{capgo.url}/ok")), "connection closed without response")


def test_connection_reset(capgo: CapgoStandIn) -> None:
    capgo.set("/ok", RESET)
    assert_down(run(probe(f"{capgo.url}/ok")), "connection reset")


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
    assert_timed_out(result, took, 0.6)


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
