"""The result of one probe run, and how it travels as JSON."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from probes.definitions import Outcome


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

    def __post_init__(self) -> None:
        """Reject naive datetimes and coerce the outcome to ``Outcome``."""
        if self.started_at.tzinfo is None or self.started_at.utcoffset() is None:
            raise ValueError("started_at must be timezone-aware")
        object.__setattr__(self, "outcome", Outcome(self.outcome))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (ISO 8601 ``started_at``)."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["outcome"] = self.outcome.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Build a result from ``to_dict()`` output; raises ``ValueError`` on bad input."""
        try:
            latency = data["latency_ms"]
            status = data["http_status"]
            return cls(
                id=str(data["id"]),
                probe_key=str(data["probe_key"]),
                component=str(data["component"]),
                location=str(data["location"]),
                started_at=datetime.fromisoformat(data["started_at"]),
                latency_ms=None if latency is None else float(latency),
                outcome=Outcome(data["outcome"]),
                http_status=None if status is None else int(status),
                reason=str(data["reason"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a probe result: {exc!r}") from exc


def default_location(environ: Mapping[str, str]) -> str:
    """Return ``STATUSPAGE_LOCATION`` if set, else this machine's host name."""
    return environ.get("STATUSPAGE_LOCATION", "").strip() or socket.gethostname()
