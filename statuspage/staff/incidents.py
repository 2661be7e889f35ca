"""What staff write on incidents: open one, post and correct updates, rename, postmortem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statuspage.config import StatusConfig
from statuspage.notify.events import announce_postmortem, announce_update
from statuspage.reads.incidents import get_incident as read_incident
from statuspage.rules import incident_impact
from statuspage.staff.validation import (
    Conflict,
    Invalid,
    NotFound,
    valid_aware,
    valid_component_statuses,
    valid_enum,
    valid_event_status,
    valid_text,
)
from statuspage.staff.writes import (
    Actor,
    apply_status,
    change_components,
    revise,
    snapshot,
    staff_update,
    text_or_default,
    writing,
)
from statuspage.store import limits
from statuspage.store.db import db, findable
from statuspage.store.models import Incident, IncidentUpdate
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    worst_impact,
)


def get_incident(code: str) -> Incident:
    """Return the incident or maintenance with this code, or raise NotFound."""
    incident = read_incident(code)
    if incident is None:
        raise NotFound(f"no incident or maintenance with code {code!r}")
    return incident


def get_update(code: str) -> IncidentUpdate:
    """Return the update with this code, or raise NotFound."""
    update = None
    if findable(code):
        update = db.session.execute(
            db.select(IncidentUpdate).where(IncidentUpdate.code == code)
        ).scalar()
    if update is None:
        raise NotFound(f"no update with code {code!r}")
    return update


def create_incident(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    *,
    name: Any,
    status: Any,
    body: Any,
    components: Any = None,
    impact: Any = None,
    started_at: Any = None,
    resolved_at: Any = None,
    notify: bool = False,
) -> Incident:
    """Open an incident (or record a past one: created resolved, with a past started_at)."""
    title = valid_text(name, "name", limit=limits.EVENT_NAME)
    state = valid_enum(IncidentStatus, status, "status")
    text, message = text_or_default(
        valid_text(body, "body", limit=limits.BODY, required=False), state
    )
    affected = valid_component_statuses(components, "components")
    # Only None means "not given": an empty string is a value, and not a valid one.
    chosen = None if impact in (None, "from_components") else valid_enum(Impact, impact, "impact")
    started = now if started_at is None else valid_aware(started_at, "started_at")
    if started > now:
        raise Invalid("started_at is in the future", "started_at")
    resolved = None
    if state in RESOLVED_INCIDENT_STATUSES:
        resolved = now if resolved_at is None else valid_aware(resolved_at, "resolved_at")
        if resolved < started:
            raise Invalid("resolved_at is before started_at", "resolved_at")
        if resolved > now:
            raise Invalid("resolved_at is in the future", "resolved_at")
    elif resolved_at is not None:
        raise Invalid("resolved_at goes only with status resolved or postmortem", "resolved_at")

    with writing(actor, "incident.create", config, now) as write:
        incident = Incident(
            name=title,
            kind=EventKind.INCIDENT,
            status=state,
            impact=chosen or incident_impact(affected.values()),
            started_at=started,
            resolved_at=resolved,
            monitoring_at=now if state == IncidentStatus.MONITORING else None,
            created_at=now,
            updated_at=now,
        )
        db.session.add(incident)
        # A past incident's first update is dated when it was resolved.
        at = resolved if resolved and resolved < now else now
        update = staff_update(
            incident, actor, at, status=state, body=text, message=message, notify=notify
        )
        change_components(incident, update, affected)
        db.session.add(update)
        write.audit_incident(incident, None)
        write.touch(affected)
        announce_update(update, now)
    return incident


def post_update(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    incident: Incident,
    *,
    status: Any,
    body: Any,
    components: Any = None,
    notify: bool = False,
) -> IncidentUpdate:
    """Add an update to an incident or maintenance, with any component status changes."""
    state = valid_event_status(incident, status)
    text, message = text_or_default(
        valid_text(body, "body", limit=limits.BODY, required=False), _status_enum(incident, state)
    )
    changes = valid_component_statuses(components, "components")
    before = snapshot(incident)

    with writing(actor, "update.create", config, now) as write:
        update = staff_update(
            incident, actor, now, status=state, body=text, message=message, notify=notify
        )
        change_components(incident, update, changes)
        db.session.add(update)
        apply_status(incident, state, now)
        if incident.kind == EventKind.INCIDENT and incident.automatic is False and changes:
            incident.impact = worst_impact(
                (incident.impact, incident_impact(a.status for a in incident.affected))
            )
        write.audit_incident(incident, before)
        write.touch([a.component for a in incident.affected] + list(changes))
        announce_update(update, now)
    return update


def _status_enum(incident: Incident, value: str) -> IncidentStatus | MaintenanceStatus:
    return (
        IncidentStatus(value) if incident.kind == EventKind.INCIDENT else MaintenanceStatus(value)
    )


def edit_update(
    actor: Actor, config: StatusConfig, now: datetime, update: IncidentUpdate, *, body: Any
) -> IncidentUpdate:
    """Change an update's text; the earlier text is kept as a revision, visible in the audit."""
    text = valid_text(body, "body", limit=limits.BODY)
    if text == update.body:
        return update
    with writing(actor, "update.edit", config, now) as write:
        before = {"code": update.code, "body": update.body}
        revise(update, actor, now, status=update.status, body=text)
        update.incident.updated_at = now
        write.audit(f"update:{update.code}", before, {"code": update.code, "body": text})
    return update


def change_incident(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    incident: Incident,
    *,
    name: Any = None,
    impact: Any = None,
    postmortem: Any = None,
    notify: bool = False,
) -> Incident:
    """Rename an incident, set its impact, or publish its postmortem (resolved incidents only).

    With `notify`, a postmortem's first publication is announced to subscribers.
    """
    title = valid_text(name, "name", limit=limits.EVENT_NAME, required=False)
    chosen = None if impact is None else valid_enum(Impact, impact, "impact")
    text = valid_text(postmortem, "postmortem", limit=limits.POSTMORTEM, required=False)
    if text is not None and (
        incident.kind != EventKind.INCIDENT or incident.status not in RESOLVED_INCIDENT_STATUSES
    ):
        raise Conflict(
            "a postmortem can only be written once the incident is resolved", "postmortem"
        )
    if title is None and chosen is None and text is None:
        raise Invalid("nothing to change: give name, impact or postmortem", None)
    before = snapshot(incident)
    with writing(actor, "incident.change", config, now) as write:
        if title is not None:
            incident.name = title
        if chosen is not None:
            incident.impact = chosen
        first_publication = text is not None and incident.postmortem_at is None
        if text is not None:
            incident.postmortem = text
            incident.postmortem_at = now
            incident.status = IncidentStatus.POSTMORTEM
        incident.updated_at = now
        write.audit_incident(incident, before)
        if notify and first_publication:
            announce_postmortem(incident, now)
    return incident
