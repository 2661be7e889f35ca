"""The result of one probe run, and how it travels as JSON."""

from __future__ import annotations

import math
import socket
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from probes.definitions import Outcome, ProbeDefinition


def _new_id() -> str:
    """Return a fresh result id (uuid4 hex)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Result:
    """One run of one probe from one location."""

    # Made per result so that a result sent twice (for example by an agent retrying an upload)
    # can be recognised and stored once.
    id: str = field(default_factory=_new_id)
    probe_key: str
    component: str
    location: str
    started_at: datetime
    latency_ms: float | None
    outcome: Outcome
    http_status: int | None
    reason: str
    # When the TLS certificate the server presented expires: an https probe whose certificate
    # was verified knows it, whatever the answer; None otherwise.
    certificate_expires_at: datetime | None = None

    def __post_init__(self) -> None:
        """Reject naive datetimes and coerce the outcome to ``Outcome``."""
        for moment in (self.started_at, self.certificate_expires_at):
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise ValueError("times must be timezone-aware")
        object.__setattr__(self, "outcome", Outcome(self.outcome))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (ISO 8601 times)."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        expires = self.certificate_expires_at
        data["certificate_expires_at"] = expires.isoformat() if expires else None
        data["outcome"] = self.outcome.value
        return data

    def summary(self) -> str:
        """Return the one-line log form: what ran, from where, and how it went."""
        latency = "-" if self.latency_ms is None else f"{self.latency_ms:.0f} ms"
        status = "-" if self.http_status is None else self.http_status
        reason = f", {self.reason}" if self.reason else ""
        return (
            f"{self.probe_key} from {self.location}: {self.outcome}, {latency}, "
            f"HTTP {status}{reason}"
        )

    @classmethod
    def for_probe(
        cls,
        definition: ProbeDefinition,
        *,
        location: str,
        started_at: datetime,
        outcome: Outcome,
        reason: str,
        latency_ms: float | None = None,
        http_status: int | None = None,
        certificate_expires_at: datetime | None = None,
    ) -> Result:
        """Return the result of one run of ``definition`` from ``location``."""
        return cls(
            probe_key=definition.key,
            component=definition.component,
            location=location,
            started_at=started_at,
            latency_ms=latency_ms,
            outcome=outcome,
            http_status=http_status,
            reason=reason,
            certificate_expires_at=certificate_expires_at,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Build a result from ``to_dict()`` output, checking every field's JSON type.

        Raises ``InvalidResult`` (a ``ValueError``) naming the first field at fault. Keys this
        version does not know are ignored, so a newer agent can add some; an older agent leaves
        out ``certificate_expires_at``, which is then None.
        """
        if not isinstance(data, Mapping):
            raise InvalidResult("", "must be an object")
        for name in RESULT_FIELDS:
            if name not in data:
                raise InvalidResult(name, "is required")
        for name in ("id", "probe_key", "component", "location"):
            if not isinstance(data[name], str) or not data[name].strip():
                raise InvalidResult(name, "must be a non-empty string")
        if not isinstance(data["reason"], str):
            raise InvalidResult("reason", "must be a string")
        return cls(
            id=data["id"],
            probe_key=data["probe_key"],
            component=data["component"],
            location=data["location"],
            started_at=_started_at(data["started_at"]),
            latency_ms=_latency(data["latency_ms"]),
            outcome=_outcome(data["outcome"]),
            http_status=_http_status(data["http_status"]),
            reason=data["reason"],
            certificate_expires_at=_optional_time(data, "certificate_expires_at"),
        )


# Every field a result must carry: the agent's queue and the results API agree. (Its
# certificate_expires_at may be left out: agents older than it send none.)
RESULT_FIELDS = (
    "id",
    "probe_key",
    "component",
    "location",
    "started_at",
    "latency_ms",
    "outcome",
    "http_status",
    "reason",
)


class InvalidResult(ValueError):
    """A value that is not a probe result; ``field`` names the key at fault ("" for the whole)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}" if field else problem)
        self.field = field
        self.problem = problem


def _started_at(value: Any, name: str = "started_at") -> datetime:
    """Return an ISO 8601 time with a UTC offset as an aware datetime."""
    wanted = "must be an ISO 8601 time with a UTC offset, like 2026-03-02T10:02:00+00:00"
    if not isinstance(value, str):
        raise InvalidResult(name, wanted)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidResult(name, wanted) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidResult(name, wanted)
    return moment


def _optional_time(data: Mapping[str, Any], name: str) -> datetime | None:
    """Return an optional time: absent or null is None, anything else must be a valid time."""
    value = data.get(name)
    return None if value is None else _started_at(value, name)


def _latency(value: Any) -> float | None:
    """Return a latency in milliseconds: null, or a finite number not below zero."""
    if value is None:
        return None
    # bool is an int in Python; JSON keeps them apart, and so does this check.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResult("latency_ms", "must be a number or null")
    if not math.isfinite(value) or value < 0:
        raise InvalidResult("latency_ms", "must be a finite number, 0 or more")
    return float(value)


def _outcome(value: Any) -> Outcome:
    """Return the outcome named by ``value``."""
    if not isinstance(value, str) or value not in {o.value for o in Outcome}:
        raise InvalidResult("outcome", "must be one of up, degraded, down")
    return Outcome(value)


def _http_status(value: Any) -> int | None:
    """Return an HTTP status code: null, or an integer from 100 to 599."""
    if value is None:
        return None
    # JSON does not tell 200 from 200.0 (JSON Schema calls both an integer): take either.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise InvalidResult("http_status", "must be an integer from 100 to 599, or null")
    return value


def default_location(environ: Mapping[str, str]) -> str:
    """Return ``STATUSPAGE_LOCATION`` if set, else this machine's host name."""
    return environ.get("STATUSPAGE_LOCATION", "").strip() or socket.gethostname()
