"""Reading a provider's Statuspage summary: recorded bodies served on 127.0.0.1, bad ones too."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from probes.statuspage_summary import InvalidSummary, Summary, parse_summary
from probes.upstream import SUMMARY_PATH, ReadOutcome, read_summary, summary_url
from tests.standin import (
    HANG,
    HUGE,
    NOT_JSON,
    CapgoStandIn,
    conditional,
    endless,
    status,
    trickle,
)

PAGES = Path(__file__).parent / "statuspage_pages"
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def page(name: str) -> bytes:
    """Return a recorded summary body."""
    return (PAGES / name).read_bytes()


def test_a_summary_with_an_incident_is_read_whole() -> None:
    summary = parse_summary(page("incident.json"), NOW)
    assert (summary.indicator, summary.description) == ("major", "Partial System Outage")
    workers = next(c for c in summary.components if c.name == "Workers")
    assert workers.status == "partial_outage" and not workers.group
    assert next(c for c in summary.components if c.id == "grp000000001").group
    [incident] = summary.incidents
    assert incident.name == "Workers elevated errors"
    assert (incident.status, incident.impact) == ("identified", "major")
    assert incident.started_at == datetime(2026, 3, 2, 10, 2, tzinfo=UTC)
    assert incident.components == ("Workers",)
    # What is stored comes back the same.
    assert Summary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_a_resolved_incident_in_a_summary_is_left_out() -> None:
    summary = parse_summary(page("other_incident.json"), NOW)
    assert [i.name for i in summary.incidents] == ["Pages builds delayed"]


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("malformed_status.json", "components[1].status must be one of"),
        ("malformed_time.json", "incidents[0].started_at must be an ISO 8601 time"),
        ("malformed_control.json", "incidents[0].name holds a control character"),
        ("malformed_id.json", "incidents[0].id must be 1 to 64 letters or digits"),
        ("malformed_components.json", "components must be an array"),
        ("malformed_no_status.json", "status must be an object"),
        ("malformed_truncated.json", "body is not JSON"),
    ],
)
def test_every_malformed_body_is_refused_naming_the_value(name: str, fault: str) -> None:
    with pytest.raises(InvalidSummary, match=fault.replace("[", r"\[").replace("]", r"\]")):
        parse_summary(page(name), NOW)


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (b"\xff\xfe", "body is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "body is nested too deeply"),
        (b'{"status": NaN}', "body is not JSON"),
        (b"[]", "body must be an object"),
        (
            json.dumps(
                {
                    "components": [],
                    "incidents": [],
                    "status": {"indicator": "none", "description": "x" * 300},
                }
            ).encode(),
            "status.description is longer than 255",
        ),
    ],
)
def test_bodies_that_are_no_summary_at_all(body: bytes, fault: str) -> None:
    with pytest.raises(InvalidSummary, match=fault):
        parse_summary(body, NOW)


def test_a_time_far_ahead_of_ours_is_not_believed() -> None:
    data = json.loads(page("incident.json"))
    data["incidents"][0]["started_at"] = "2026-03-05T10:02:00Z"
    with pytest.raises(InvalidSummary, match="more than a day ahead"):
        parse_summary(json.dumps(data).encode(), NOW)


def test_too_many_components_are_refused() -> None:
    data = json.loads(page("quiet.json"))
    data["components"] = data["components"] * 500
    with pytest.raises(InvalidSummary, match="more than 2000 entries"):
        parse_summary(json.dumps(data).encode(), NOW)


def test_read_is_conditional_and_a_304_keeps_what_was_read() -> None:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, conditional(page("incident.json"), '"v1"'))
        first = read_summary(provider.url, NOW)
        assert first.outcome == ReadOutcome.READ and first.etag == '"v1"'
        assert first.summary is not None and first.summary.incidents
        headers = provider.last_headers(SUMMARY_PATH)
        assert headers["accept"] == "application/json" and "if-none-match" not in headers
        again = read_summary(provider.url, NOW, etag=first.etag)
        assert again.outcome == ReadOutcome.NOT_MODIFIED and again.summary is None
        assert provider.last_headers(SUMMARY_PATH)["if-none-match"] == '"v1"'
        assert again.etag == '"v1"'
        assert provider.hits(SUMMARY_PATH) == 2


def test_last_modified_is_sent_back_too() -> None:
    stamp = "Mon, 02 Mar 2026 10:05:12 GMT"
    with CapgoStandIn() as provider:
        provider.set(
            SUMMARY_PATH, status(200, page("quiet.json"), headers={"Last-Modified": stamp})
        )
        first = read_summary(provider.url + "/", NOW)
        assert first.last_modified == stamp
        read_summary(provider.url, NOW, last_modified=first.last_modified)
        assert provider.last_headers(SUMMARY_PATH)["if-modified-since"] == stamp


def test_a_validator_unfit_to_send_back_is_dropped() -> None:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, status(200, page("quiet.json"), headers={"ETag": "x" * 500}))
        assert read_summary(provider.url, NOW).etag is None


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (status(503, "<html>down</html>"), "HTTP 503, expected 200"),
        (NOT_JSON, "body is not JSON"),
        (HUGE, "body over 1 MiB"),
        (status(200, page("malformed_status.json")), "components[1].status must be one of"),
        (status(304, b""), "HTTP 304, expected 200"),  # 304 to a request that asked for none
    ],
)
def test_a_bad_answer_reads_as_unknown_with_its_reason(behaviour, reason: str) -> None:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, behaviour)
        reading = read_summary(provider.url, NOW, timeout_s=5)
    assert reading.outcome == ReadOutcome.UNKNOWN
    assert reading.reason.startswith(reason)
    assert reading.summary is None and reading.etag is None


@pytest.mark.parametrize("behaviour", [HANG, endless(0.05), trickle(0.2)], ids=str)
def test_a_hanging_provider_is_cut_off_at_the_deadline(behaviour) -> None:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, behaviour)
        started = time.monotonic()
        reading = read_summary(provider.url, NOW, timeout_s=1)
        took = time.monotonic() - started
    assert reading.outcome == ReadOutcome.UNKNOWN
    assert reading.reason in ("timeout after 1 s", "body over 1 MiB")
    assert took < 3


def test_nothing_listening_reads_as_unknown() -> None:
    from tests.standin import unused_port

    reading = read_summary(f"http://127.0.0.1:{unused_port()}", NOW, timeout_s=2)
    assert (reading.outcome, reading.reason) == (ReadOutcome.UNKNOWN, "connection refused")


def test_summary_url_is_the_pages_api() -> None:
    assert summary_url("https://www.cloudflarestatus.com/") == (
        "https://www.cloudflarestatus.com/api/v2/summary.json"
    )
