"""A public Statuspage page, read and checked: its components, incidents and maintenances.

Everything here is remote input, so nothing is believed (statuspage_fetch bounds the
requests): every field is checked for type, vocabulary, length and time, and an entry that fails
is reported by its id and field and left out, never a crash. Nothing here opens the database;
statuspage_import.py maps what is read onto this site and writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statuspage.rules import DEFAULT_TEXTS
from statuspage.staff.validation import StaffError, valid_aware, valid_enum, valid_text
from statuspage.store import limits
from statuspage.vocabulary import (
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)

MAX_ENTRIES = 1000  # incidents (or components) read from one list
MAX_UPDATES = 500  # updates read from one incident
# Clocks differ: a time this far ahead of ours is still taken as "now" rather than refused.
CLOCK_SKEW = timedelta(minutes=5)
REMOTE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INCIDENT_IMPACTS = (Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL)


class Bad(Exception):
    """One remote field that cannot be used: `field` names it, as `incident_updates[2].body`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RemoteComponent:
    """A component of the remote page."""

    id: str
    name: str
    status: ComponentStatus | None
    group: bool


@dataclass(frozen=True)
class RemoteChange:
    """A component status change an update made, by the remote component's id."""

    component_id: str
    old_status: str
    new_status: str


@dataclass(frozen=True)
class RemoteUpdate:
    """One update of a remote incident's timeline."""

    id: str
    status: str
    body: str
    created_at: datetime
    display_at: datetime
    changes: tuple[RemoteChange, ...] = ()


@dataclass(frozen=True)
class RemoteIncident:
    """A remote incident or maintenance, checked; updates oldest first."""

    id: str
    kind: EventKind
    name: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    component_ids: tuple[str, ...]
    updates: tuple[RemoteUpdate, ...]
    postmortem: str | None
    origin: str = "api"  # or "feed": read from /history.atom, which says less


@dataclass
class RemotePage:
    """What one import read: the page, its components and events, and what was refused."""

    url: str
    page_id: str | None
    name: str | None
    time_zone: str | None
    components: dict[str, RemoteComponent] = field(default_factory=dict)
    incidents: list[RemoteIncident] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "incident ID: field: message"
    warnings: list[str] = field(default_factory=list)


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str | None:
    try:
        return valid_text(data.get(key), key, limit=limit, required=required)
    except StaffError as error:
        raise Bad(key, error.message) from None


def _id(data: dict[str, Any], key: str = "id") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not REMOTE_ID.match(value):
        raise Bad(key, "must be an id of letters, digits, _ or - (at most 64)")
    return value


def _time(
    data: dict[str, Any], key: str, now: datetime, *, future: bool = False
) -> datetime | None:
    """Return an aware time, or None when absent; refuse one ahead of now unless `future`."""
    value = data.get(key)
    if value is None:
        return None
    try:
        moment = valid_aware(value, key)
    except StaffError as error:
        raise Bad(key, error.message) from None
    if not future and moment > now + CLOCK_SKEW:
        raise Bad(key, f"is in the future ({value})")
    return min(moment, now) if not future else moment


def _enum(enum: type, value: Any, key: str) -> Any:
    try:
        return valid_enum(enum, value, key)
    except StaffError as error:
        raise Bad(key, error.message) from None


def _list(data: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Bad(key, "must be a list")
    if len(value) > limit:
        raise Bad(key, f"more than {limit} entries")
    return value


def read_page(summary: dict[str, Any], url: str) -> RemotePage:
    """Return the page summary.json describes, with its components (bad ones refused)."""
    about = summary.get("page") if isinstance(summary.get("page"), dict) else {}
    page_id = about.get("id")
    zone = about.get("time_zone")
    try:
        if not isinstance(zone, str) or not zone:
            raise ValueError
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = None
    name = about.get("name")
    page = RemotePage(
        url=url,
        page_id=page_id if isinstance(page_id, str) and REMOTE_ID.match(page_id) else None,
        name=name.strip()[:200] if isinstance(name, str) and name.strip() else None,
        time_zone=zone,
    )
    read_components(summary, page)
    return page


def read_components(summary: dict[str, Any], page: RemotePage) -> None:
    """Read summary.json's components into the page; refuse bad ones by index."""
    try:
        entries = _list(summary, "components", MAX_ENTRIES)
    except Bad as error:
        page.refused.append(f"summary.json: {error}")
        return
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict):
                raise Bad("component", "must be an object")
            status = entry.get("status")
            component = RemoteComponent(
                id=_id(entry),
                name=_text(entry, "name", limits.COMPONENT_NAME) or "",
                status=None if status is None else _enum(ComponentStatus, status, "status"),
                group=entry.get("group") is True,
            )
        except Bad as error:
            page.refused.append(f"component #{index + 1}: {error}")
            continue
        page.components[component.id] = component


def read_incident(data: Any, kind: EventKind, now: datetime) -> RemoteIncident:
    """Check one incident or scheduled maintenance object of the API; raise Bad naming a field."""
    if not isinstance(data, dict):
        raise Bad("incident", "must be an object")
    remote_id = _id(data)
    statuses = IncidentStatus if kind == EventKind.INCIDENT else MaintenanceStatus
    status = _enum(statuses, data.get("status"), "status").value
    impact = _enum(Impact, data.get("impact"), "impact").value
    if kind == EventKind.INCIDENT and impact not in INCIDENT_IMPACTS:
        raise Bad("impact", f"{impact!r} is not an incident's impact")
    created = _time(data, "created_at", now)
    if created is None:
        raise Bad("created_at", "is required")
    listed = _list(data, "incident_updates", MAX_UPDATES)
    updates = tuple(
        sorted(
            (_update(entry, index, statuses, now) for index, entry in enumerate(listed)),
            key=lambda update: (update.created_at, update.id),
        )
    )
    if not updates:
        raise Bad("incident_updates", "an incident needs at least one update")
    window = (None, None)
    if kind == EventKind.MAINTENANCE:
        window = (
            _time(data, "scheduled_for", now, future=True),
            _time(data, "scheduled_until", now, future=True),
        )
        if window[0] is None or window[1] is None:
            raise Bad("scheduled_for", "a maintenance needs scheduled_for and scheduled_until")
        if window[1] <= window[0]:
            raise Bad("scheduled_until", "must be after scheduled_for")
    # A maintenance starts with its window, which may be ahead.
    maintenance = kind == EventKind.MAINTENANCE
    started = _time(data, "started_at", now, future=maintenance) or window[0] or created
    resolved = _time(data, "resolved_at", now)
    if resolved is not None and resolved < started and not maintenance:
        raise Bad("resolved_at", "is before started_at")
    component_ids = []
    for index, component in enumerate(_list(data, "components", MAX_ENTRIES)):
        if not isinstance(component, dict):
            raise Bad(f"components[{index}]", "must be an object")
        component_ids.append(_id(component))
    postmortem = _text(data, "postmortem_body", limits.POSTMORTEM, required=False)
    if postmortem is None:
        written = [u.body for u in updates if u.status == IncidentStatus.POSTMORTEM]
        postmortem = written[-1] if written else None
    times = [created, *(u.created_at for u in updates), *(t for t in (resolved,) if t)]
    return RemoteIncident(
        id=remote_id,
        kind=kind,
        name=_text(data, "name", limits.EVENT_NAME) or "",
        status=status,
        impact=impact,
        created_at=created,
        updated_at=_time(data, "updated_at", now) or max(times),
        started_at=started,
        monitoring_at=_time(data, "monitoring_at", now),
        resolved_at=resolved,
        scheduled_for=window[0],
        scheduled_until=window[1],
        component_ids=tuple(dict.fromkeys(component_ids)),
        updates=updates,
        postmortem=postmortem if kind == EventKind.INCIDENT else None,
    )


def _update(data: Any, index: int, statuses: type, now: datetime) -> RemoteUpdate:
    """Check one update; its errors name it as incident_updates[index]."""
    where = f"incident_updates[{index}]"
    try:
        if not isinstance(data, dict):
            raise Bad("update", "must be an object")
        status = _enum(statuses, data.get("status"), "status").value
        created = _time(data, "created_at", now)
        if created is None:
            raise Bad("created_at", "is required")
        body = _text(data, "body", limits.BODY, required=False) or DEFAULT_TEXTS[statuses(status)]
        changes = []
        for number, change in enumerate(_list(data, "affected_components", MAX_ENTRIES)):
            if not isinstance(change, dict):
                raise Bad(f"affected_components[{number}]", "must be an object")
            try:
                changes.append(_change(change))
            except Bad as error:
                raise Bad(f"affected_components[{number}].{error.field}", error.message) from None
        return RemoteUpdate(
            id=_id(data),
            status=status,
            body=body,
            created_at=created,
            display_at=_time(data, "display_at", now) or created,
            changes=tuple(changes),
        )
    except Bad as error:
        raise Bad(f"{where}.{error.field}", error.message) from None


def _change(data: dict[str, Any]) -> RemoteChange:
    return RemoteChange(
        component_id=_id(data, "code"),
        old_status=_enum(ComponentStatus, data.get("old_status"), "old_status").value,
        new_status=_enum(ComponentStatus, data.get("new_status"), "new_status").value,
    )


def read_incident_list(
    document: dict[str, Any], key: str, kind: EventKind, page: RemotePage, now: datetime
) -> None:
    """Add the checked events of one list (incidents or scheduled_maintenances) to the page."""
    try:
        entries = _list(document, key, MAX_ENTRIES)
    except Bad as error:
        page.refused.append(f"{key}: {error}")
        return
    known = {incident.id for incident in page.incidents}
    for index, entry in enumerate(entries):
        entry_kind = kind
        # incidents.json may list a maintenance too; it is told by its window.
        if isinstance(entry, dict) and entry.get("scheduled_for") is not None:
            entry_kind = EventKind.MAINTENANCE
        label = entry.get("id") if isinstance(entry, dict) else None
        name = label if isinstance(label, str) and REMOTE_ID.match(label) else f"#{index + 1}"
        try:
            incident = read_incident(entry, entry_kind, now)
        except Bad as error:
            page.refused.append(f"{entry_kind} {name}: {error}")
            continue
        if incident.id not in known:
            known.add(incident.id)
            page.incidents.append(incident)
