"""The Statuspage JSON shapes: page, status, component, incident, update, maintenance.

Every key of the reference is present, with null where there is no value, so the tools that
read Statuspage pages read this one unchanged. Ids are the 12-character public codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func

from statuspage.reads.incidents import live_status
from statuspage.reads.status import shown_statuses
from statuspage.reads.summary import PageSummary, page_summary
from statuspage.store.db import CODE_ALPHABET, db, utcnow
from statuspage.store.models import Component, Incident, IncidentUpdate, StatusChange
from statuspage.vocabulary import ComponentStatus, MaintenanceStatus

Json = dict[str, Any]


@dataclass
class Snapshot:
    """What every object of one response shares, read from the database once."""

    summary: PageSummary
    now: datetime
    components: dict[int, Component]
    statuses: dict[int, ComponentStatus]
    first_data: dict[int, date]
    children: dict[int, list[Component]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """Return the site's time zone."""
        return self.summary.site.zone

    def status_of(self, component: Component) -> ComponentStatus:
        """Return the status the page shows for a component (a hidden one is computed here)."""
        if component.id not in self.statuses:
            self.statuses.update(shown_statuses([component], self.now))
        return self.statuses[component.id]


def snapshot(now: datetime | None = None) -> Snapshot:
    """Read the page summary and every component once, for one response."""
    now = now or utcnow()
    summary = page_summary(current_app.config["STATUS"].site, now)
    statuses: dict[int, ComponentStatus] = {}
    children: dict[int, list[Component]] = {}
    for view in summary.components:
        statuses[view.component.id] = view.status
        if view.component.is_group:
            children[view.component.id] = [child.component for child in view.children]
        for child in view.children:
            statuses[child.component.id] = child.status
    components = {c.id: c for c in db.session.execute(db.select(Component)).scalars()}
    return Snapshot(summary, now, components, statuses, _first_data(summary), children)


def _first_data(summary: PageSummary) -> dict[int, date]:
    """Return each component's first day with data (a group's: its earliest member's)."""
    zone = summary.site.zone
    rows = db.session.execute(
        db.select(StatusChange.component_id, func.min(StatusChange.at))
        .where(StatusChange.overridden.is_(False))
        .group_by(StatusChange.component_id)
    )
    first = {component_id: at.astimezone(zone).date() for component_id, at in rows if at}
    for view in summary.components:
        days = [first[c.component.id] for c in view.children if c.component.id in first]
        if days:
            first[view.component.id] = min(days)
    return first


def page_id(site_url: str) -> str:
    """Return the page's stable id: 12 lowercase alphanumerics derived from its URL."""
    number = int.from_bytes(hashlib.sha256(site_url.encode("utf-8")).digest(), "big")
    digits = []
    for _ in range(12):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def timestamp(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """Return ISO 8601 with milliseconds in the site's zone: "...13:14:17.744Z" or "...+01:00"."""
    if moment is None:
        return None
    text = moment.astimezone(zone).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def page_json(snap: Snapshot) -> Json:
    """Return the `page` object."""
    site = snap.summary.site
    return {
        "id": page_id(site.url),
        "name": site.name,
        "url": site.url,
        "time_zone": site.timezone,
        "updated_at": timestamp(snap.summary.updated_at, snap.zone),
    }


def status_json(snap: Snapshot) -> Json:
    """Return the `status` object: the banner's indicator and description."""
    return {"indicator": snap.summary.indicator, "description": snap.summary.description}


def component_json(component: Component, snap: Snapshot) -> Json:
    """Return a component object; a group also lists its members' ids in `components`."""
    group = snap.components.get(component.group_id) if component.group_id else None
    first = snap.first_data.get(component.id)
    data: Json = {
        "id": component.code,
        "name": component.name,
        "status": snap.status_of(component),
        "created_at": timestamp(component.created_at, snap.zone),
        "updated_at": timestamp(component.updated_at, snap.zone),
        # Statuspage counts positions from 1.
        "position": component.position + 1,
        "description": component.description,
        # Leaf components show uptime bars; groups show their members'.
        "showcase": not component.is_group,
        "start_date": first.isoformat() if first else None,
        "group_id": group.code if group else None,
        "page_id": page_id(snap.summary.site.url),
        "group": component.is_group,
        "only_show_if_degraded": False,
    }
    if component.is_group:
        data["components"] = [child.code for child in snap.children.get(component.id, [])]
    return data


def components_json(snap: Snapshot) -> list[Json]:
    """Return every shown component and group in page order, groups before their members."""
    result = []
    for view in snap.summary.components:
        result.append(component_json(view.component, snap))
        result.extend(component_json(child.component, snap) for child in view.children)
    return result


def update_json(update: IncidentUpdate, incident: Incident, snap: Snapshot) -> Json:
    """Return an incident update object; `body` is the markdown as written, not HTML."""
    affected = [
        {
            "code": snap.components[change.component_id].code,
            "name": snap.components[change.component_id].name,
            "old_status": change.old_status,
            "new_status": change.new_status,
        }
        for change in update.changes
        if change.component_id in snap.components
    ]
    return {
        "id": update.code,
        "status": update.status,
        "body": update.body,
        "incident_id": incident.code,
        "created_at": timestamp(update.created_at, snap.zone),
        "updated_at": timestamp(update.edited_at or update.created_at, snap.zone),
        "display_at": timestamp(update.display_at, snap.zone),
        "affected_components": affected or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(incident: Incident, snap: Snapshot | None = None) -> Json:
    """Return an incident object, or for a maintenance the scheduled maintenance object.

    Without a snapshot one is read (one response's worth of queries); pass one when
    serializing many. A maintenance's status is the one its window gives it now.
    """
    snap = snap or snapshot()
    site = snap.summary.site
    status = live_status(incident, snap.now)
    resolved_at = incident.resolved_at
    if status == MaintenanceStatus.COMPLETED and resolved_at is None:
        resolved_at = incident.scheduled_until  # completed by the clock, not by a process
    updates = sorted(incident.updates, key=lambda u: (u.created_at, u.id or 0), reverse=True)
    affected = sorted(
        (snap.components[a.component_id] for a in incident.affected),
        key=lambda c: (c.position, c.id),
    )
    data: Json = {
        "id": incident.code,
        "name": incident.name,
        "status": status,
        "created_at": timestamp(incident.created_at, snap.zone),
        "updated_at": timestamp(incident.updated_at, snap.zone),
        "monitoring_at": timestamp(incident.monitoring_at, snap.zone),
        "resolved_at": timestamp(resolved_at, snap.zone),
        "impact": incident.impact,
        "shortlink": f"{site.url}/incidents/{incident.code}",
        "started_at": timestamp(incident.started_at, snap.zone),
        "page_id": page_id(site.url),
        "incident_updates": [update_json(u, incident, snap) for u in updates],
        "components": [component_json(c, snap) for c in affected],
    }
    if incident.is_maintenance:
        data["scheduled_for"] = timestamp(incident.scheduled_for, snap.zone)
        data["scheduled_until"] = timestamp(incident.scheduled_until, snap.zone)
    return data
