"""Secrets from the environment reach the server and nothing else: results, reasons, logs."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
from requests.utils import requote_uri

import probes.check
from probes import Outcome, ProbeDefinition, ProbeRunner, Result, run_probe, secret_values
from probes.redact import scrub
from tests.probes.helpers import SECRET, updates_probe
from tests.standin import HANG, REDIRECT_LOOP, CapgoStandIn, json_body, status, unused_port

API_KEY = "sk-test-9b8c7d6e5f4a3b2c"
TOKEN = "tok/ABC DEF+123=="  # characters that URL encoding changes
ENVIRON = {"CAPGO_API_KEY": API_KEY, "PROBE_TOKEN": TOKEN}
# Every spelling the token can take on its way out: raw, URL-quoted, re-quoted by requests.
FORMS = {API_KEY, TOKEN, quote(TOKEN), quote(TOKEN, safe=""), requote_uri(TOKEN)}


def keyed_probe(base_url: str, **options: object) -> ProbeDefinition:
    """Return a GET /app probe with a secret header and a secret in the query string."""
    return ProbeDefinition.build(
        "app-management",
        "list apps",
        base_url + "/app?token=${PROBE_TOKEN}",
        headers={"authorization": "${CAPGO_API_KEY}"},
        timeout_s=0.5,
        **options,  # type: ignore[arg-type]
    )


def assert_nowhere(results: list[Result], caplog: pytest.LogCaptureFixture) -> None:
    """Assert that no form of any secret is in the results or in any log record."""
    texts = [json.dumps(result.to_dict()) for result in results]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(record.exc_text or "")
    texts.append(caplog.text)
    for text in texts:
        for form in FORMS:
            assert form not in text


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, urllib3's request lines included."""
    caplog.set_level(logging.DEBUG)


def test_secret_header_reaches_the_server_only(
    capgo: CapgoStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    result = run_probe(keyed_probe(capgo.url), location="test", environ=ENVIRON)
    assert result.outcome is Outcome.UP
    received = capgo.last("/app")
    assert received is not None
    assert received.headers["authorization"] == API_KEY
    assert received.query == "token=" + requote_uri(TOKEN)
    # urllib3 did log the request line, but with the token scrubbed.
    request_lines = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert any("/app?token=***" in line for line in request_lines)
    assert_nowhere([result], caplog)


@pytest.mark.parametrize(
    "behaviour",
    [
        json_body({"error": API_KEY}, 429),  # a server echoing the key back
        json_body({"status": TOKEN}),
        json_body({"status": "x" * 50 + API_KEY}),  # a secret straddling the truncation point
        status(500, API_KEY),
        HANG,
        REDIRECT_LOOP,
    ],
    ids=["degraded-echo", "mismatch-echo", "truncated-echo", "500", "hang", "redirect-loop"],
)
def test_failures_never_show_the_secret(
    capgo: CapgoStandIn, caplog: pytest.LogCaptureFixture, behaviour: object
) -> None:
    capgo.set("/app", behaviour)  # type: ignore[arg-type]
    definition = keyed_probe(capgo.url, expect_json={"status": "ok"}, degraded_status=(429,))
    result = run_probe(definition, location="test", environ=ENVIRON)
    assert result.outcome is not Outcome.UP
    assert_nowhere([result], caplog)


def test_echoed_secret_is_masked_in_the_reason(capgo: CapgoStandIn) -> None:
    capgo.set("/app", json_body({"error": API_KEY}, 429))
    definition = keyed_probe(capgo.url, degraded_status=(429,))
    result = run_probe(definition, location="test", environ=ENVIRON)
    assert result.reason == "HTTP 429 *** (degraded)"


def test_connection_failure_never_shows_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    definition = keyed_probe(f"http://127.0.0.1:{unused_port()}")
    result = run_probe(definition, location="test", environ=ENVIRON)
    assert result.reason == "connection refused"
    assert_nowhere([result], caplog)


def test_unexpected_error_is_logged_scrubbed(
    capgo: CapgoStandIn, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(definition: ProbeDefinition, **kwargs: object) -> Result:
        # The kind of message requests builds: it contains the expanded URL.
        raise RuntimeError(f"failed: {capgo.url}/app?token={quote(TOKEN)} key={API_KEY}")

    monkeypatch.setattr(probes.check, "run_probe", explode)
    with ProbeRunner(max_workers=2) as runner:
        [result] = runner.run_cycle([keyed_probe(capgo.url)], location="test", environ=ENVIRON)
    assert (result.outcome, result.reason) == (Outcome.DOWN, "probe error: RuntimeError")
    assert result.latency_ms is None
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "Traceback" in record.getMessage() and "key=***" in record.getMessage()
    assert_nowhere([result], caplog)


# --- Which values are secret, and scrubbing them ----------------------------------------------


def test_secret_values_cover_variables_and_header_values() -> None:
    environ = {"CAPGO_API_KEY": SECRET, "DEVICE": "dev-1", "UNRELATED": "nope"}
    secrets = secret_values(updates_probe(), environ)
    assert secrets == {SECRET, "dev-1", "fixed-value"}


def test_scrub_replaces_plain_and_url_encoded_forms() -> None:
    secret = "a b/c+d=="
    text = f"raw {secret} quoted a%20b%2Fc%2Bd%3D%3D plus a+b%2Fc%2Bd%3D%3D path a%20b/c%2Bd%3D%3D"
    assert scrub(text, {secret}) == "raw *** quoted *** plus *** path ***"
    assert scrub("HTTP 200", {"200"}) == "HTTP 200"  # too short to be worth mangling text
