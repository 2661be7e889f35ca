"""What staff can do: incidents, updates, postmortems, maintenance, manual status.

The admin screens, the write API and content sync all call these functions, so every path
validates the same way, writes the same audit entry and moves status the same way. Each
function validates everything before it writes anything: a refused request changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from statuspage.config import StatusConfig
from statuspage.engine import close_automatic_incident, evaluate, move_maintenance
from statuspage.rules import DEFAULT_TEXTS, incident_impact, maintenance_status
from statuspage.store import limits
from statuspage.store.db import db, findable
from statuspage.store.models import (
    AffectedComponent,
    AuditEntry,
    Component,
    Incident,
    IncidentUpdate,
    UpdateComponentChange,
    UpdateRevision,
)
from statuspage.store.site_state import bump_version, lock_site
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    Cause,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    worst_impact,
)

CANCELLED_TEXT = "This maintenance has been cancelled."


class StaffError(Exception):
    """A request staff made that cannot be carried out; `field` names what is wrong."""

    code = "invalid"
    http_status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(StaffError):
    """A value that is missing, unknown or out of range."""


class Conflict(StaffError):
    """A change that does not fit the current state."""

    code = "conflict"
    http_status = 409


class NotFound(StaffError):
    """Nothing with that code or slug."""

    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Actor:
    """Who is writing: a staff email, `token:NAME`, or `content:FILE`."""

    name: str


# ---------------------------------------------------------------------------------------
# Validation helpers: each names the field it checks.


def _text(value: Any, field: str, *, limit: int, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{field} is required", field)
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field)
    if len(value) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{field} is not valid text (unpaired surrogate)", field) from None
    if "\x00" in value:
        # PostgreSQL refuses NUL in text, and no person means to write one.
        raise Invalid(f"{field} contains a NUL character", field)
    return value.strip()


def _enum(enum: type, value: Any, field: str) -> Any:
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(member.value for member in enum)
        raise Invalid(f"{field} must be one of: {allowed} (got {value!r})", field) from None


def _aware(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"{field} is not an ISO 8601 date and time", field) from None
    if not isinstance(value, datetime):
        raise Invalid(f"{field} must be an ISO 8601 date and time", field)
    if value.tzinfo is None:
        raise Invalid(f"{field} needs a time zone offset (for example Z or +02:00)", field)
    if not 1970 <= value.year <= 9998:
        # Outside this, converting to UTC can overflow; no incident happens there anyway.
        raise Invalid(f"{field} must be between the years 1970 and 9998", field)
    return value


def _component(slug: Any, field: str) -> Component:
    component = None
    if findable(slug):
        component = db.session.execute(
            db.select(Component).where(Component.slug == slug, Component.is_group.is_(False))
        ).scalar()
    if component is None or component.hidden:
        raise Invalid(f"{field}: unknown component {slug!r}", field)
    return component


def _component_statuses(value: Any, field: str) -> dict[Component, ComponentStatus]:
    """Validate a {slug: status} mapping."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be an object of component slug to status", field)
    return {
        _component(slug, f"{field}.{slug}"): _enum(ComponentStatus, status, f"{field}.{slug}")
        for slug, status in value.items()
    }


def _incident_status(incident: Incident, value: Any, field: str = "status") -> str:
    """Validate a status for this kind of event; the other kind's statuses conflict."""
    own = IncidentStatus if incident.kind == EventKind.INCIDENT else MaintenanceStatus
    other = MaintenanceStatus if own is IncidentStatus else IncidentStatus
    own_values, other_values = {m.value for m in own}, {m.value for m in other}
    if isinstance(value, str) and value not in own_values and value in other_values:
        raise Conflict(f"{field} {value!r} does not apply to a {incident.kind}", field)
    return _enum(own, value, field).value


# ---------------------------------------------------------------------------------------
# Audit


def snapshot(incident: Incident) -> dict[str, Any]:
    """Return the audited fields of an incident."""
    return {
        "code": incident.code,
        "kind": incident.kind,
        "name": incident.name,
        "status": incident.status,
        "impact": incident.impact,
        "scheduled_for": incident.scheduled_for.isoformat() if incident.scheduled_for else None,
        "scheduled_until": (
            incident.scheduled_until.isoformat() if incident.scheduled_until else None
        ),
        "components": {a.component.slug: a.status for a in incident.affected},
        "postmortem": incident.postmortem,
    }


def audit(actor: Actor, action: str, target: str, before: Any, after: Any, now: datetime) -> None:
    """Append an audit entry (who, what, when, before and after)."""
    db.session.add(
        AuditEntry(
            at=now,
            actor=actor.name,
            action=action,
            target=target,
            before=None if before is None else json.dumps(before, sort_keys=True),
            after=None if after is None else json.dumps(after, sort_keys=True),
        )
    )


def _finish(
    actor: Actor,
    action: str,
    incident: Incident,
    before: Any,
    config: StatusConfig,
    now: datetime,
    components: Sequence[Component],
) -> None:
    """Audit, bump the version, commit, then let the engine re-derive component status."""
    db.session.flush()
    audit(actor, action, f"incident:{incident.code}", before, snapshot(incident), now)
    bump_version(now)
    db.session.commit()
    for component in components:
        evaluate(component.id, config, now, Cause.INCIDENT)


# ---------------------------------------------------------------------------------------
# Incidents


def _by_code(model: type[Incident] | type[IncidentUpdate], code: str, what: str) -> Any:
    """Return the row of `model` with this public code, or raise NotFound naming `what`."""
    row = None
    if findable(code):
        row = db.session.execute(db.select(model).where(model.code == code)).scalar()
    if row is None:
        raise NotFound(f"no {what} with code {code!r}")
    return row


def get_incident(code: str) -> Incident:
    """Return the incident or maintenance with this code, or raise NotFound."""
    return _by_code(Incident, code, "incident or maintenance")


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
    title = _text(name, "name", limit=limits.EVENT_NAME)
    state = _enum(IncidentStatus, status, "status")
    text = _text(body, "body", limit=limits.BODY, required=False) or DEFAULT_TEXTS[state]
    affected = _component_statuses(components, "components")
    chosen = None if impact in (None, "", "from_components") else _enum(Impact, impact, "impact")
    started = now if started_at in (None, "") else _aware(started_at, "started_at")
    if started > now:
        raise Invalid("started_at is in the future", "started_at")
    resolved = None
    if state in RESOLVED_INCIDENT_STATUSES:
        resolved = now if resolved_at in (None, "") else _aware(resolved_at, "resolved_at")
        if resolved < started:
            raise Invalid("resolved_at is before started_at", "resolved_at")

    lock_site()
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
    update = IncidentUpdate(
        incident=incident,
        status=state,
        body=text,
        author=actor.name,
        created_at=resolved if resolved and resolved < now else now,
        display_at=resolved if resolved and resolved < now else now,
        deliver_notifications=bool(notify),
    )
    _change_components(incident, update, affected)
    db.session.add(update)
    _finish(actor, "incident.create", incident, None, config, now, list(affected))
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
    state = _incident_status(incident, status)
    text = (
        _text(body, "body", limit=limits.BODY, required=False)
        or DEFAULT_TEXTS[_status_enum(incident, state)]
    )
    changes = _component_statuses(components, "components")
    before = snapshot(incident)

    lock_site()
    update = IncidentUpdate(
        incident=incident,
        status=state,
        body=text,
        author=actor.name,
        created_at=now,
        display_at=now,
        deliver_notifications=bool(notify),
    )
    _change_components(incident, update, changes)
    db.session.add(update)
    _apply_status(incident, state, now)
    if incident.kind == EventKind.INCIDENT and incident.automatic is False and changes:
        incident.impact = worst_impact(
            (incident.impact, incident_impact(a.status for a in incident.affected))
        )
    components_touched = [a.component for a in incident.affected] + list(changes)
    _finish(actor, "update.create", incident, before, config, now, _unique(components_touched))
    return update


def _change_components(
    incident: Incident, update: IncidentUpdate, changes: Mapping[Component, ComponentStatus]
) -> None:
    """Give components their new status in the incident, noting each change on the update."""
    current = {affected.component_id: affected for affected in incident.affected}
    for component, status in changes.items():
        affected = current.get(component.id)
        old = ComponentStatus(affected.status) if affected else ComponentStatus.OPERATIONAL
        if affected is None:
            db.session.add(AffectedComponent(incident=incident, component=component, status=status))
        else:
            affected.status = status
        if old != status:
            update.changes.append(
                UpdateComponentChange(component=component, old_status=old, new_status=status)
            )


def _status_enum(incident: Incident, value: str) -> IncidentStatus | MaintenanceStatus:
    return (
        IncidentStatus(value) if incident.kind == EventKind.INCIDENT else MaintenanceStatus(value)
    )


def _unique(components: Sequence[Component]) -> list[Component]:
    return list({component.id: component for component in components}.values())


def _apply_status(incident: Incident, state: str, now: datetime) -> None:
    """Set the status and the timestamps that go with it."""
    incident.status = state
    incident.updated_at = now
    if state == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if state in (*RESOLVED_INCIDENT_STATUSES, MaintenanceStatus.COMPLETED):
        if incident.resolved_at is None:
            incident.resolved_at = now
        if incident.automatic:
            close_automatic_incident(incident, now)
            incident.status = state  # close_automatic_incident sets resolved
    elif incident.kind == EventKind.INCIDENT:
        incident.resolved_at = None


def edit_update(
    actor: Actor, config: StatusConfig, now: datetime, update: IncidentUpdate, *, body: Any
) -> IncidentUpdate:
    """Change an update's text; the earlier text is kept as a revision, visible in the audit."""
    text = _text(body, "body", limit=limits.BODY)
    if text == update.body:
        return update
    lock_site()
    before = {"code": update.code, "body": update.body}
    db.session.add(
        UpdateRevision(
            update=update,
            status=update.status,
            body=update.body,
            replaced_at=now,
            replaced_by=actor.name,
        )
    )
    update.body = text
    update.edited_at = now
    update.incident.updated_at = now
    db.session.flush()
    audit(
        actor,
        "update.edit",
        f"update:{update.code}",
        before,
        {"code": update.code, "body": text},
        now,
    )
    bump_version(now)
    db.session.commit()
    return update


def get_update(code: str) -> IncidentUpdate:
    """Return the update with this code, or raise NotFound."""
    return _by_code(IncidentUpdate, code, "update")


def change_incident(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    incident: Incident,
    *,
    name: Any = None,
    impact: Any = None,
    postmortem: Any = None,
) -> Incident:
    """Rename an incident, set its impact, or publish its postmortem (resolved incidents only)."""
    title = _text(name, "name", limit=limits.EVENT_NAME, required=False)
    chosen = None if impact in (None, "") else _enum(Impact, impact, "impact")
    text = _text(postmortem, "postmortem", limit=limits.POSTMORTEM, required=False)
    if text is not None and (
        incident.kind != EventKind.INCIDENT or incident.status not in RESOLVED_INCIDENT_STATUSES
    ):
        raise Conflict(
            "a postmortem can only be written once the incident is resolved", "postmortem"
        )
    if title is None and chosen is None and text is None:
        raise Invalid("nothing to change: give name, impact or postmortem", None)
    before = snapshot(incident)
    lock_site()
    if title is not None:
        incident.name = title
    if chosen is not None:
        incident.impact = chosen
    if text is not None:
        incident.postmortem = text
        incident.postmortem_at = now
        incident.status = IncidentStatus.POSTMORTEM
    incident.updated_at = now
    _finish(actor, "incident.change", incident, before, config, now, [])
    return incident


# ---------------------------------------------------------------------------------------
# Maintenance


def schedule_maintenance(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    *,
    name: Any,
    scheduled_for: Any,
    scheduled_until: Any,
    components: Any,
    body: Any = None,
) -> Incident:
    """Schedule a maintenance window over some components (starting now if it has begun)."""
    title = _text(name, "name", limit=limits.EVENT_NAME)
    start = _aware(scheduled_for, "scheduled_for")
    end = _aware(scheduled_until, "scheduled_until")
    if end <= start:
        raise Invalid("scheduled_until must be after scheduled_for", "scheduled_until")
    if not isinstance(components, list | tuple) or not components:
        raise Invalid("components must be a non-empty list of component slugs", "components")
    chosen = [_component(slug, f"components[{i}]") for i, slug in enumerate(components)]
    status = maintenance_status(start, end, now, MaintenanceStatus.SCHEDULED)
    text = (
        _text(body, "body", limit=limits.BODY, required=False)
        or DEFAULT_TEXTS[MaintenanceStatus.SCHEDULED]
    )

    lock_site()
    maintenance = Incident(
        name=title,
        kind=EventKind.MAINTENANCE,
        status=MaintenanceStatus.SCHEDULED,
        impact=Impact.MAINTENANCE,
        started_at=start,
        scheduled_for=start,
        scheduled_until=end,
        created_at=now,
        updated_at=now,
    )
    db.session.add(maintenance)
    for component in _unique(chosen):
        db.session.add(
            AffectedComponent(
                incident=maintenance, component=component, status=ComponentStatus.UNDER_MAINTENANCE
            )
        )
    db.session.add(
        IncidentUpdate(
            incident=maintenance,
            status=MaintenanceStatus.SCHEDULED,
            body=text,
            author=actor.name,
            created_at=now,
            display_at=now,
        )
    )
    if status != MaintenanceStatus.SCHEDULED:
        # Already begun (a window entered after its start): in progress at once.
        move_maintenance(maintenance, status, now)
    _finish(actor, "maintenance.create", maintenance, None, config, now, _unique(chosen))
    return maintenance


def edit_maintenance(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    maintenance: Incident,
    *,
    name: Any = None,
    scheduled_for: Any = None,
    scheduled_until: Any = None,
    components: Any = None,
) -> Incident:
    """Change a maintenance's name, window or components (not once it has completed)."""
    if maintenance.kind != EventKind.MAINTENANCE:
        raise Conflict("this is an incident, not a maintenance", None)
    if maintenance.status == MaintenanceStatus.COMPLETED:
        raise Conflict("this maintenance has completed and can no longer change", None)
    title = _text(name, "name", limit=limits.EVENT_NAME, required=False)
    start = (
        maintenance.scheduled_for
        if scheduled_for in (None, "")
        else _aware(scheduled_for, "scheduled_for")
    )
    end = (
        maintenance.scheduled_until
        if scheduled_until in (None, "")
        else _aware(scheduled_until, "scheduled_until")
    )
    if end <= start:
        raise Invalid("scheduled_until must be after scheduled_for", "scheduled_until")
    chosen = None
    if components is not None:
        if not isinstance(components, list | tuple) or not components:
            raise Invalid("components must be a non-empty list of component slugs", "components")
        chosen = _unique(
            [_component(slug, f"components[{i}]") for i, slug in enumerate(components)]
        )
    before = snapshot(maintenance)
    previous = [a.component for a in maintenance.affected]

    lock_site()
    if title is not None:
        maintenance.name = title
    maintenance.scheduled_for, maintenance.scheduled_until, maintenance.started_at = (
        start,
        end,
        start,
    )
    if chosen is not None:
        for affected in list(maintenance.affected):
            if affected.component_id not in {c.id for c in chosen}:
                db.session.delete(affected)
        present = {a.component_id for a in maintenance.affected}
        for component in chosen:
            if component.id not in present:
                db.session.add(
                    AffectedComponent(
                        incident=maintenance,
                        component=component,
                        status=ComponentStatus.UNDER_MAINTENANCE,
                    )
                )
    maintenance.updated_at = now
    _finish(
        actor,
        "maintenance.edit",
        maintenance,
        before,
        config,
        now,
        _unique(previous + (chosen or [])),
    )
    return maintenance


def cancel_maintenance(
    actor: Actor, config: StatusConfig, now: datetime, maintenance: Incident
) -> Incident:
    """End a maintenance now, whether or not it began; its window stops counting from now."""
    if maintenance.kind != EventKind.MAINTENANCE:
        raise Conflict("this is an incident, not a maintenance", None)
    if maintenance.status == MaintenanceStatus.COMPLETED:
        raise Conflict("this maintenance has already completed", None)
    before = snapshot(maintenance)
    lock_site()
    db.session.add(
        IncidentUpdate(
            incident=maintenance,
            status=MaintenanceStatus.COMPLETED,
            body=CANCELLED_TEXT,
            author=actor.name,
            created_at=now,
            display_at=now,
        )
    )
    _apply_status(maintenance, MaintenanceStatus.COMPLETED, now)
    components = [a.component for a in maintenance.affected]
    _finish(actor, "maintenance.cancel", maintenance, before, config, now, components)
    return maintenance


# ---------------------------------------------------------------------------------------
# Component status


def set_component_status(
    actor: Actor, config: StatusConfig, now: datetime, slug: Any, status: Any
) -> Component:
    """Set a component's manual status (None clears it); it holds until cleared."""
    component = None
    if findable(slug):
        component = db.session.execute(
            db.select(Component).where(Component.slug == slug, Component.is_group.is_(False))
        ).scalar()
    if component is None or component.hidden:
        raise NotFound(f"no component with slug {slug!r}")
    chosen = None if status is None else _enum(ComponentStatus, status, "status")
    before = component.manual_status
    lock_site()
    component.manual_status = chosen
    component.manual_set_at = now if chosen else None
    component.manual_set_by = actor.name if chosen else None
    audit(actor, "component.status", f"component:{component.slug}", before, chosen, now)
    bump_version(now)
    db.session.commit()
    evaluate(component.id, config, now, Cause.STAFF)
    return component
