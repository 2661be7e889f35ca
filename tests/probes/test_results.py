"""Results: their JSON form, the checks on reading one back, and the default location."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from probes import InvalidResult, Outcome, Result, default_location
from tests.probes.helpers import result


def test_result_round_trips_through_json() -> None:
    result = Result(
        probe_key="api/ok",
        component="api",
        location="eu-1",
        started_at=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        latency_ms=12.5,
        outcome=Outcome.DEGRADED,
        http_status=429,
        reason="HTTP 429 (degraded)",
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["started_at"] == "2025-01-02T03:04:05.678000+00:00"
    assert data["outcome"] == "degraded"
    assert Result.from_dict(data) == result
    assert len(result.id) == 32 and result.id != Result.from_dict({**data, "id": "x"}).id


def test_result_requires_an_aware_time_and_keeps_other_offsets() -> None:
    fields = {
        "probe_key": "api/ok",
        "component": "api",
        "location": "x",
        "latency_ms": None,
        "outcome": "down",
        "http_status": None,
        "reason": "connection refused",
    }
    with pytest.raises(ValueError):
        Result(started_at=datetime(2025, 1, 1), **fields)  # type: ignore[arg-type]
    paris = datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=1)))
    result = Result(started_at=paris, **fields)  # type: ignore[arg-type]
    assert result.outcome is Outcome.DOWN
    assert Result.from_dict(result.to_dict()).started_at == paris
    with pytest.raises(ValueError):
        Result.from_dict({"id": "x"})


def test_result_from_dict_names_the_field_at_fault() -> None:
    data = result().to_dict()
    assert Result.from_dict(data | {"new_field": 1}) == Result.from_dict(data)
    with pytest.raises(InvalidResult) as caught:
        Result.from_dict(data | {"started_at": "yesterday"})
    assert caught.value.field == "started_at"


def test_default_location() -> None:
    assert default_location({"STATUSPAGE_LOCATION": " eu-west "}) == "eu-west"
    assert default_location({}) != ""
