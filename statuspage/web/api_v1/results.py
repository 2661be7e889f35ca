"""What probe agents at other locations send to /api/v1/results, and the rules each result
must meet beyond its schema.

An agent is believed only about what it can know: a result must come from the location its
token is bound to (else the whole request is refused), be for a probe this site configures,
start no later than a minute from now by the site's clock and no earlier than the raw results
it keeps. A result that breaks one of these is refused alone, with its reason, and the others
are recorded; a request the agent could not have meant (a malformed item) is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from probes import InvalidResult, Result
from probes.results import RESULT_FIELDS
from statuspage.config import StatusConfig
from statuspage.store import limits
from statuspage.vocabulary import Outcome
from statuspage.web.api_v1.bodies import CARRIED, SLUG, WHEN, Body, enum_values, nullable
from statuspage.web.api_v1.errors import ApiError

# A probe agent sends up to MAX_RESULTS results a request, each up to about 1 KiB as JSON
# (a 300-character reason, a 200-character probe key...): 64 KiB would hold only some 60.
RESULTS_MAX_BYTES = 1024 * 1024
MAX_RESULTS = 1000
# How far ahead of the site's clock a result may start. A result from the future would count
# as its location's newest for as long as the agent's clock is wrong, so it is refused.
MAX_CLOCK_SKEW = timedelta(minutes=1)
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
    "gives it. Keys not listed here are ignored (but must be text every format can carry).",
    "propertyNames": {"pattern": CARRIED},
    "additionalProperties": {"$ref": "#/components/schemas/Carried"},
    "properties": {
        "id": {
            "type": "string",
            "minLength": 1,
            "pattern": CARRIED,
            "maxLength": RESULT_LENGTHS["id"],
            "description": "Unique per result (a uuid4 hex). A result sent again is counted "
            "as a duplicate and stored once.",
        },
        "probe_key": {
            "type": "string",
            "minLength": 1,
            "pattern": CARRIED,
            "maxLength": RESULT_LENGTHS["probe_key"],
            "description": "<component slug>/<probe slug>, like live-updates/update-check.",
        },
        "component": SLUG,
        "location": {
            "type": "string",
            "minLength": 1,
            "pattern": CARRIED,
            "maxLength": RESULT_LENGTHS["location"],
            "description": "Where the agent runs (its STATUSPAGE_LOCATION): the location its "
            "token is bound to.",
        },
        "started_at": dict(
            WHEN,
            description="ISO 8601 with an offset; at most a minute ahead of the site's clock, "
            "and within the raw results the site keeps ([retention] raw_days).",
        ),
        "latency_ms": {"type": ["number", "null"], "minimum": 0},
        "outcome": {"type": "string", "enum": enum_values(Outcome)},
        "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
        "reason": {"type": "string", "maxLength": RESULT_LENGTHS["reason"], "pattern": CARRIED},
        "certificate_expires_at": nullable(
            dict(
                WHEN,
                description="When the TLS certificate the probe saw expires (https probes); "
                "null or left out when unknown.",
            )
        ),
    },
    "required": list(RESULT_FIELDS),
}
RECORD_RESULTS = Body(
    {
        "results": {
            "type": "array",
            "items": RESULT,
            "maxItems": MAX_RESULTS,
            "description": "Recorded in order. A malformed item refuses the whole request; "
            "a result the site does not believe (unknown probe, wrong time) is refused alone.",
        }
    },
    required=("results",),
)


@dataclass(frozen=True)
class Refusal:
    """A result the site did not record, and why."""

    index: int
    id: str
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the refusal as the answer lists it."""
        return {"index": self.index, "id": self.id, "field": self.field, "reason": self.reason}


def agent_result(index: int, item: Any, location: str) -> Result:
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
    if result.location != location:
        field = f"{where}.location"
        raise ApiError(
            403,
            "forbidden",
            f"{field} is {result.location!r}, but this token reports for {location!r} only",
            field,
        )
    return result


def refusal(index: int, result: Result, config: StatusConfig, now: datetime) -> Refusal | None:
    """Return why the site does not believe a result, or None when it records it."""
    where = f"results[{index}]"

    def refuse(name: str, reason: str) -> Refusal:
        return Refusal(index, result.id, f"{where}.{name}", reason)

    probes = {probe.key: probe for probe in config.probes}
    probe = probes.get(result.probe_key)
    if probe is None:
        return refuse("probe_key", f"no probe {result.probe_key!r} on this site")
    if probe.component != result.component:
        return refuse("component", f"probe {probe.key!r} belongs to {probe.component!r}")
    if probe.is_heartbeat:
        return refuse("probe_key", f"probe {probe.key!r} is a heartbeat: the site judges it")
    try:
        started = result.started_at.astimezone(UTC)
    except OverflowError:
        return refuse("started_at", "started_at is out of range")
    if started > now + MAX_CLOCK_SKEW:
        return refuse(
            "started_at",
            f"started_at is {started.isoformat()}, ahead of the site's clock "
            f"({now.isoformat()}) by more than a minute: check the agent's clock",
        )
    if started < now - timedelta(days=config.raw_days):
        return refuse(
            "started_at",
            f"started_at is {started.isoformat()}, older than the {config.raw_days} days of "
            "raw results this site keeps",
        )
    return None
