"""What each change notifies, written to the outbox inside the change's own transaction.

Callers are the write sequences (staff writes, the engine's automatic incidents, the
maintenance clock, component status history): each calls one function here before it
commits, so a rolled-back change records nothing and a committed one is never forgotten.
An event's payload is frozen JSON of what was true then; the probe process fans it out to
subscribers and delivers it later (notify.outbox, notify.delivery).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from statuspage.reads.serializers import (
    Snapshot,
    incident_json,
    page_id,
    snapshot,
    timestamp,
)
from statuspage.reads.upstreams import reports_for
from statuspage.rules import UPDATE_LABELS
from statuspage.store.db import db
from statuspage.store.models import (
    Component,
    Incident,
    IncidentUpdate,
    Notification,
    NotificationEvent,
    StatusChange,
    Subscriber,
)
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    STATUS_LABELS,
    Audience,
    Channel,
    ComponentStatus,
    EventKind,
    IncidentStatus,
    MaintenanceStatus,
    NotificationKind,
)

log = logging.getLogger(__name__)

# How bad each component status is, for telling an escalation from an improvement.
STATUS_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 0,
    ComponentStatus.DEGRADED_PERFORMANCE: 1,
    ComponentStatus.PARTIAL_OUTAGE: 2,
    ComponentStatus.MAJOR_OUTAGE: 3,
}


def update_kind(update: IncidentUpdate) -> NotificationKind:
    """Return what an update announces: a creation, a resolution, a maintenance step..."""
    incident = update.incident
    first = len(incident.updates) <= 1
    if incident.kind == EventKind.MAINTENANCE:
        return {
            MaintenanceStatus.SCHEDULED: NotificationKind.MAINTENANCE_SCHEDULED,
            MaintenanceStatus.IN_PROGRESS: NotificationKind.MAINTENANCE_STARTED,
            MaintenanceStatus.COMPLETED: NotificationKind.MAINTENANCE_COMPLETED,
        }.get(MaintenanceStatus(update.status), NotificationKind.MAINTENANCE_UPDATED)
    if first:
        return NotificationKind.INCIDENT_CREATED
    if update.status in RESOLVED_INCIDENT_STATUSES:
        return NotificationKind.INCIDENT_RESOLVED
    return NotificationKind.INCIDENT_UPDATED


def announced(maintenance: Incident) -> bool:
    """Tell whether a maintenance was announced, so the clock's steps are announced too."""
    oldest = min(maintenance.updates, key=lambda u: (u.created_at, u.id or 0), default=None)
    return bool(oldest and oldest.deliver_notifications)


def announce_update(update: IncidentUpdate, now: datetime) -> NotificationEvent | None:
    """Record the event an update tells subscribers of, when its notify flag is set."""
    if not update.deliver_notifications:
        return None
    db.session.flush()  # the update's code names the event
    incident = update.incident
    snap = snapshot(now)
    payload = _incident_payload(incident, snap)
    payload["update"] = {
        "id": update.code,
        "status": update.status,
        "label": UPDATE_LABELS[_status(incident, update.status)],
        "body": update.body,
        # The system's message parts (none for staff's own words), so each subscriber's mail
        # words the system's text in their language.
        "message": update.message,
        "created_at": update.created_at.isoformat(),
    }
    return record(
        f"update:{update.code}",
        update_kind(update),
        Audience.SUBSCRIBERS,
        payload,
        now,
        incident=incident,
        components=[a.component_id for a in incident.affected],
    )


def announce_postmortem(incident: Incident, now: datetime) -> NotificationEvent | None:
    """Record the event of a postmortem's first publication."""
    db.session.flush()
    payload = _incident_payload(incident, snapshot(now))
    payload["postmortem"] = incident.postmortem
    return record(
        f"postmortem:{incident.code}",
        NotificationKind.INCIDENT_POSTMORTEM,
        Audience.SUBSCRIBERS,
        payload,
        now,
        incident=incident,
        components=[a.component_id for a in incident.affected],
    )


def announce_component_change(
    component: Component, old: str, change: StatusChange, now: datetime
) -> NotificationEvent | None:
    """Record a component status change for webhooks (Statuspage's `component_update`).

    Skipped when no webhook is subscribed: status changes are frequent, and the event would
    reach no one.
    """
    if not _any_webhook():
        return None
    db.session.flush()
    snap = snapshot(now)
    zone = snap.zone
    payload = {
        "page": _page(snap),
        "component_update": {
            "created_at": timestamp(change.at, zone),
            "old_status": old,
            "new_status": change.status,
            "id": f"cu{change.id}",
            "component_id": component.code,
        },
        "component": {
            "id": component.code,
            "name": component.name,
            "status": change.status,
            "created_at": timestamp(component.created_at, zone),
        },
        "site": site_fields(),
    }
    return record(
        f"component:{change.id}",
        NotificationKind.COMPONENT_UPDATED,
        Audience.WEBHOOKS,
        payload,
        now,
        components=[component.id],
    )


def alert_automatic(
    update: IncidentUpdate, old: ComponentStatus, new: ComponentStatus, now: datetime
) -> NotificationEvent | None:
    """Tell the on-call team what the system just wrote on an incident (opened, escalated...)."""
    if not current_app.config["STATUS"].alerts.targets():
        return None
    incident = update.incident
    if len(incident.updates) <= 1:
        kind = NotificationKind.ALERT_OPENED
    elif update.status in (IncidentStatus.RESOLVED, IncidentStatus.MONITORING):
        kind = NotificationKind.ALERT_RESOLVED
    elif STATUS_SEVERITY[new] > STATUS_SEVERITY[old]:
        kind = NotificationKind.ALERT_ESCALATED
    else:
        kind = NotificationKind.ALERT_IMPROVED
    db.session.flush()
    site = site_fields()
    # "Cloudflare reports: ..." when a provider these components depend on has an incident:
    # the first thing on-call is asked is whether it is us or them.
    reports = reports_for(
        [a.component.slug for a in incident.affected], current_app.config["STATUS"], now
    )
    payload = {
        "site": site,
        "title": incident.name,
        "text": "\n\n".join([update.body, *reports]),
        "upstreams": reports,
        "status": update.status,
        "impact": incident.impact,
        "components": alert_components(incident),
        "url": f"{site['url']}/incidents/{incident.code}",
        "admin_url": f"{site['url']}/admin/incidents/{incident.code}",
    }
    return record(f"alert:{update.code}", kind, Audience.STAFF, payload, now, incident=incident)


def alert_components(incident: Incident) -> list[dict[str, str]]:
    """Return an incident's components as an alert lists them: name, status and its words."""
    return [
        {"name": a.component.name, "status": a.status, "label": STATUS_LABELS[a.status]}
        for a in incident.affected
    ]


def alert_agent(location: str, stalled: bool, reported_at: datetime, now: datetime) -> bool:
    """Tell the on-call team a location stopped (or resumed) reporting; once per stall."""
    site = site_fields()
    when = reported_at.isoformat(timespec="seconds")
    if stalled:
        title = f"Probes at {location} stopped reporting"
        text = f"No result from {location} since {when}: its probe process or agent is down."
    else:
        title = f"Probes at {location} report again"
        text = f"Results from {location} arrive again (the last one before the gap: {when})."
    payload = {
        "site": site,
        "title": title,
        "text": text,
        "status": "stalled" if stalled else "resumed",
        "impact": "major" if stalled else "none",
        "components": [],
        "url": site["url"],
        "admin_url": f"{site['url']}/admin/",
        "location": location,
    }
    kind = NotificationKind.ALERT_AGENT_STALLED if stalled else NotificationKind.ALERT_AGENT_RESUMED
    key = f"agent:{location}:{'stalled' if stalled else 'resumed'}:{when}"
    return record(key, kind, Audience.STAFF, payload, now, exclusive=True) is not None


def direct(
    subscriber: Subscriber, kind: NotificationKind, payload: dict[str, Any], now: datetime
) -> NotificationEvent:
    """Record one mail to a subscriber's own address (a confirmation, a failure notice)."""
    event = record(
        f"{kind}:{subscriber.code}:{now.isoformat()}",
        kind,
        Audience.DIRECT,
        {"site": site_fields(), **payload},
        now,
    )
    assert event is not None  # a fresh key
    event.fanned_out_at = now
    db.session.add(
        Notification(
            event=event,
            recipient=f"o{subscriber.id}",
            subscriber_id=subscriber.id,
            channel=Channel.EMAIL,
            priority=0,  # a person is waiting for it
            created_at=now,
            next_attempt_at=now,
        )
    )
    return event


def record(
    key: str,
    kind: NotificationKind,
    audience: Audience,
    payload: dict[str, Any],
    now: datetime,
    *,
    incident: Incident | None = None,
    components: Iterable[int] = (),
    exclusive: bool = False,
) -> NotificationEvent | None:
    """Add an outbox event (None when one with this key exists: recording is idempotent).

    `exclusive`: another process may record the same key at the same moment (an agent's
    stall, seen by every probe process); a savepoint lets the database pick one.
    """
    key = key[:200]
    if db.session.execute(
        db.select(NotificationEvent.id).where(NotificationEvent.key == key)
    ).first():
        return None
    event = NotificationEvent(
        key=key,
        kind=kind,
        audience=audience,
        incident_id=incident.id if incident is not None else None,
        component_ids=json.dumps(sorted(set(components))),
        payload=json.dumps(payload, sort_keys=True),
        created_at=now,
    )
    if not exclusive:
        db.session.add(event)
        return event
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return None
    return event


def _incident_payload(incident: Incident, snap: Snapshot) -> dict[str, Any]:
    """Return what every incident event carries: the page, the incident, the site."""
    return {
        "page": _page(snap),
        "incident": incident_json(incident, snap),
        "site": site_fields(),
        "name_message": incident.name_message,  # an automatic title's parts, for mail
    }


def _page(snap: Snapshot) -> dict[str, Any]:
    """Return the webhook body's `page` object."""
    return {
        "id": page_id(snap.summary.site.url),
        "status_indicator": snap.summary.indicator,
        "status_description": snap.summary.description,
    }


def site_fields() -> dict[str, str]:
    site = current_app.config["STATUS"].site
    return {"name": site.name, "url": site.url, "timezone": site.timezone}


def _status(incident: Incident, value: str) -> IncidentStatus | MaintenanceStatus:
    if incident.kind == EventKind.MAINTENANCE:
        return MaintenanceStatus(value)
    return IncidentStatus(value)


def _any_webhook() -> bool:
    """Tell whether any confirmed, enabled webhook subscriber exists."""
    return (
        db.session.execute(
            db.select(Subscriber.id)
            .where(
                Subscriber.kind == Channel.WEBHOOK,
                Subscriber.confirmed_at.is_not(None),
                Subscriber.disabled_at.is_(None),
            )
            .limit(1)
        ).first()
        is not None
    )
