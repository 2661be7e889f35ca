"""What probe agents at other locations send to /api/v1/results, and the rules each result
must meet beyond its schema (the site's components, its clock, the columns' lengths).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from probes import InvalidResult, Result
from statuspage.store import limits
from statuspage.vocabulary import Outcome
from statuspage.web.api_v1.bodies import WHEN, YEARS, Body, enum_values
from statuspage.web.api_v1.errors import ApiError

# A probe agent sends up to MAX_RESULTS results a request, each up to about 1 KiB as JSON
# (a 300-character reason, a 200-character probe key...): 64 KiB would hold only some 60.
RESULTS_MAX_BYTES = 1024 * 1024
MAX_RESULTS = 1000
# How far ahead of the site's clock a result may start. A result from the future would count
# as its location's newest for as long as the agent's clock is wrong, so it is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# The longest text each result field may hold (the probe_result columns).
RESULT_LENGTHS = {
    "id": limits.RESULT_ID,
    "probe_key": limits.PROBE_KEY,
    "component": limits.SLUG,
    "location": limits.LOCATION,
    "reason": limits.REASON,
}
RESULT = {
    "type": "object",
    "description": "One run of one probe from one location, as `probes.Result.to_dict()` "
    "gives it. Keys not listed here are ignored.",
    "properties": {
        "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": RESULT_LENGTHS["id"],
            "description": "Unique per result (a uuid4 hex). A result sent again is counted "
            "as a duplicate and stored once.",
        },
        "probe_key": {
            "type": "string",
            "maxLength": RESULT_LENGTHS["probe_key"],
            "description": "<component slug>/<probe slug>, like live-updates/update-check.",
        },
        "component": {"type": "string", "description": "A component slug of this site."},
        "location": {
            "type": "string",
            "minLength": 1,
            "maxLength": RESULT_LENGTHS["location"],
            "description": "Where the agent runs (its STATUSPAGE_LOCATION).",
        },
        "started_at": dict(
            WHEN,
            description="ISO 8601 with an offset; at most 5 minutes ahead of the site's clock.",
        ),
        "latency_ms": {"type": ["number", "null"], "minimum": 0},
        "outcome": {"type": "string", "enum": enum_values(Outcome)},
        "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
        "reason": {"type": "string", "maxLength": RESULT_LENGTHS["reason"]},
    },
    "required": [
        "id",
        "probe_key",
        "component",
        "location",
        "started_at",
        "latency_ms",
        "outcome",
        "http_status",
        "reason",
    ],
}
RECORD_RESULTS = Body(
    {
        "results": {
            "type": "array",
            "items": RESULT,
            "maxItems": MAX_RESULTS,
            "description": "Recorded in order; a request with any invalid item records none.",
        }
    },
    required=("results",),
)


def agent_result(index: int, item: Any, components: set[str], now: datetime) -> Result:
    """Return one item of a results request as a Result, or refuse the request naming it."""
    where = f"results[{index}]"
    try:
        result = Result.from_dict(item)
    except InvalidResult as error:
        field = f"{where}.{error.field}" if error.field else where
        raise ApiError(422, "invalid", f"{field} {error.problem}", field) from None
    for name, longest in RESULT_LENGTHS.items():
        if len(getattr(result, name)) > longest:
            field = f"{where}.{name}"
            raise ApiError(422, "invalid", f"{field} is longer than {longest} characters", field)
    if result.component not in components:
        field = f"{where}.component"
        known = ", ".join(sorted(components))
        raise ApiError(
            422,
            "invalid",
            f"{field}: no component {result.component!r} on this site (it has: {known})",
            field,
        )
    if not result.probe_key.startswith(result.component + "/"):
        field = f"{where}.probe_key"
        raise ApiError(
            422, "invalid", f"{field} must start with its component, {result.component}/", field
        )
    field = f"{where}.started_at"
    try:
        started = result.started_at.astimezone(UTC)
    except OverflowError:
        raise ApiError(422, "invalid", f"{field} is out of range", field) from None
    if started.year < YEARS[0]:
        raise ApiError(422, "invalid", f"{field} is before {YEARS[0]}", field)
    if started > now + MAX_CLOCK_SKEW:
        raise ApiError(
            422,
            "invalid",
            f"{field} is {started.isoformat()}, ahead of the site's clock ({now.isoformat()}) "
            "by more than 5 minutes: check the agent's clock",
            field,
        )
    return result
