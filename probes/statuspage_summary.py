"""Read a provider's Statuspage v2 ``summary.json``, believing nothing in it.

Every value used is checked: its JSON type, its length, that its text is printable, that a
status or impact is one Statuspage defines, that a time is ISO 8601 with an offset and not
implausibly far ahead. The first value at fault makes the whole summary invalid, named by
its place (``components[3].status``), so a provider's page is either read whole or reported
unknown, never half believed. Only what the site shows is kept: component names and
statuses, and unresolved incidents with their names, times and components. Links are never
taken from the page: the site builds them from the configured URL and a checked incident id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
INDICATORS = ("none", "minor", "major", "critical", "maintenance")
OPEN_INCIDENT_STATUSES = ("investigating", "identified", "monitoring")
CLOSED_INCIDENT_STATUSES = ("resolved", "postmortem", "completed")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")

# Generous for real pages (Cloudflare lists some 300 components), small enough to show.
MAX_COMPONENTS = 2000
MAX_INCIDENTS = 100
MAX_NAME = 255
# Statuspage ids are 12 lowercase letters and digits; other products' are similar.
_ID = re.compile(r"[A-Za-z0-9]{1,64}")
# Controls (C0, DEL, C1), lone surrogates and non-characters: nothing a name needs.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A provider's clock may run a little ahead of ours; a time further ahead is not believed.
MAX_AHEAD = timedelta(days=1)
YEARS = (1970, 9998)


class InvalidSummary(ValueError):
    """A body that is not a Statuspage summary; the message names the first value at fault."""


@dataclass(frozen=True)
class RemoteComponent:
    """One component as the provider reports it."""

    id: str
    name: str
    status: str
    group: bool = False


@dataclass(frozen=True)
class RemoteIncident:
    """One unresolved incident as the provider reports it."""

    id: str
    name: str
    status: str
    impact: str
    started_at: datetime
    components: tuple[str, ...] = ()  # the names of the components it affects


@dataclass(frozen=True)
class Summary:
    """What the site keeps of a provider's summary."""

    indicator: str
    description: str
    components: tuple[RemoteComponent, ...]
    incidents: tuple[RemoteIncident, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready values (how the site stores it)."""
        return {
            "indicator": self.indicator,
            "description": self.description,
            "components": [
                {"id": c.id, "name": c.name, "status": c.status, "group": c.group}
                for c in self.components
            ],
            "incidents": [
                {
                    "id": i.id,
                    "name": i.name,
                    "status": i.status,
                    "impact": i.impact,
                    "started_at": i.started_at.isoformat(),
                    "components": list(i.components),
                }
                for i in self.incidents
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        """Return a summary stored by ``to_dict`` (checked when it was read, so trusted)."""
        return cls(
            indicator=data["indicator"],
            description=data["description"],
            components=tuple(RemoteComponent(**c) for c in data["components"]),
            incidents=tuple(
                RemoteIncident(
                    id=i["id"],
                    name=i["name"],
                    status=i["status"],
                    impact=i["impact"],
                    started_at=datetime.fromisoformat(i["started_at"]),
                    components=tuple(i["components"]),
                )
                for i in data["incidents"]
            ),
        )


def parse_summary(body: bytes, now: datetime) -> Summary:
    """Return the checked summary in ``body``, or raise InvalidSummary naming the fault."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise InvalidSummary("body is not UTF-8") from None
    except RecursionError:
        raise InvalidSummary("body is nested too deeply") from None
    except ValueError:
        raise InvalidSummary("body is not JSON") from None
    top = _object(data, "body")
    status = _object(top.get("status"), "status")
    components = _array(top.get("components"), "components", MAX_COMPONENTS)
    incidents = _array(top.get("incidents"), "incidents", MAX_INCIDENTS)
    return Summary(
        indicator=_choice(status.get("indicator"), "status.indicator", INDICATORS),
        description=_text(status.get("description"), "status.description"),
        components=tuple(
            _component(item, f"components[{index}]") for index, item in enumerate(components)
        ),
        incidents=tuple(
            incident
            for index, item in enumerate(incidents)
            if (incident := _incident(item, f"incidents[{index}]", now)) is not None
        ),
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _component(value: Any, where: str) -> RemoteComponent:
    item = _object(value, where)
    group = item.get("group", False)
    if not isinstance(group, bool):
        raise InvalidSummary(f"{where}.group must be true or false")
    return RemoteComponent(
        id=_id(item.get("id"), f"{where}.id"),
        name=_text(item.get("name"), f"{where}.name"),
        status=_choice(item.get("status"), f"{where}.status", COMPONENT_STATUSES),
        group=group,
    )


def _incident(value: Any, where: str, now: datetime) -> RemoteIncident | None:
    """Return an unresolved incident; None for one that is over (summaries list none)."""
    item = _object(value, where)
    status = _choice(
        item.get("status"), f"{where}.status", OPEN_INCIDENT_STATUSES + CLOSED_INCIDENT_STATUSES
    )
    started = "started_at" if item.get("started_at") is not None else "created_at"
    incident = RemoteIncident(
        id=_id(item.get("id"), f"{where}.id"),
        name=_text(item.get("name"), f"{where}.name"),
        status=status,
        impact=_choice(item.get("impact"), f"{where}.impact", IMPACTS),
        started_at=_time(item.get(started), f"{where}.{started}", now),
        components=tuple(
            _text(
                _object(c, f"{where}.components[{n}]").get("name"), f"{where}.components[{n}].name"
            )
            for n, c in enumerate(
                _array(item.get("components", []), f"{where}.components", MAX_COMPONENTS)
            )
        ),
    )
    return incident if status in OPEN_INCIDENT_STATUSES else None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidSummary(f"{where} must be an object")
    return value


def _array(value: Any, where: str, longest: int) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidSummary(f"{where} must be an array")
    if len(value) > longest:
        raise InvalidSummary(f"{where} holds more than {longest} entries")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSummary(f"{where} must be a non-empty string")
    if len(value) > MAX_NAME:
        raise InvalidSummary(f"{where} is longer than {MAX_NAME} characters")
    if _UNPRINTABLE.search(value):
        raise InvalidSummary(f"{where} holds a control character")
    return value.strip()


def _id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidSummary(f"{where} must be 1 to 64 letters or digits")
    return value


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidSummary(f"{where} must be one of {', '.join(allowed)}")
    return value


def _time(value: Any, where: str, now: datetime) -> datetime:
    wanted = f"{where} must be an ISO 8601 time with an offset"
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidSummary(wanted)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidSummary(wanted) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidSummary(wanted)
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise InvalidSummary(f"{where} is out of range")
    moment = moment.astimezone(UTC)
    if moment > now + MAX_AHEAD:
        raise InvalidSummary(f"{where} is more than a day ahead of this site's clock")
    return moment
