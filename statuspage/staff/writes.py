"""The one write sequence every staff writer goes through, and the changes writers share.

`writing` takes the writers' lock, lets the caller change rows, then audits the change, bumps
the site's version, commits, and lets the engine re-derive the status of the components the
change touched. The admin screens, the write API and content files all write through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from statuspage.config import StatusConfig
from statuspage.engine import close_automatic_incident, evaluate, lay_incident
from statuspage.staff.validation import unique
from statuspage.store.db import db
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
    IncidentStatus,
    MaintenanceStatus,
)


@dataclass(frozen=True)
class Actor:
    """Who is writing: a staff email, `token:NAME`, or `content:FILE`."""

    name: str


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


@dataclass
class Write:
    """A write under way: what its audit entry names, and the components it may move."""

    target: str = ""
    before: Any = None
    after: Any = None
    incident: Incident | None = None
    components: list[Component] = field(default_factory=list)

    def audit_incident(self, incident: Incident, before: Any) -> None:
        """Audit the incident: `before`, then its snapshot once the change is flushed."""
        self.incident, self.before = incident, before

    def audit(self, target: str, before: Any, after: Any) -> None:
        """Audit something other than an incident, with its state before and after."""
        self.target, self.before, self.after = target, before, after

    def touch(self, components: Iterable[Component]) -> None:
        """Have the engine re-derive these components' status once the write is committed."""
        self.components.extend(components)


@contextmanager
def writing(
    actor: Actor,
    action: str,
    config: StatusConfig,
    now: datetime,
    *,
    cause: Cause = Cause.INCIDENT,
) -> Iterator[Write]:
    """Lock, let the caller change rows, then audit, bump the version, commit and evaluate.

    Callers validate everything before: nothing is committed when the change raises.
    """
    lock_site()
    write = Write()
    yield write
    db.session.flush()  # gives new rows the codes that the audit entry names
    if write.incident is not None:
        write.target, write.after = f"incident:{write.incident.code}", snapshot(write.incident)
        # Entered afterwards, it counts in the history (uptime, bars, CSV) over its real times.
        lay_incident(write.incident, config, now)
    audit(actor, action, write.target, write.before, write.after, now)
    touched = [component.id for component in unique(write.components)]
    bump_version(now)
    db.session.commit()
    for component_id in touched:
        evaluate(component_id, config, now, cause)


# ---------------------------------------------------------------------------------------
# Changes more than one writer makes


def affect(incident: Incident, statuses: Mapping[Component, str]) -> None:
    """Give components these statuses in the incident, adding those it does not affect yet."""
    current = {affected.component_id: affected for affected in incident.affected}
    for component, status in statuses.items():
        if component.id in current:
            current[component.id].status = status
        else:
            incident.affected.append(AffectedComponent(component=component, status=status))


def affect_only(incident: Incident, statuses: Mapping[Component, str]) -> None:
    """Make the incident affect exactly these components, with these statuses."""
    ids = {component.id for component in statuses}
    for affected in list(incident.affected):
        if affected.component_id not in ids:
            incident.affected.remove(affected)
            db.session.delete(affected)
    affect(incident, statuses)


def staff_update(
    incident: Incident, actor: Actor, at: datetime, *, status: str, body: str, notify: bool = False
) -> IncidentUpdate:
    """Return a new update of the incident by `actor`, dated `at` (the caller adds it)."""
    return IncidentUpdate(
        incident=incident,
        status=status,
        body=body,
        author=actor.name,
        created_at=at,
        display_at=at,
        deliver_notifications=bool(notify),
    )


def change_components(
    incident: Incident, update: IncidentUpdate, changes: Mapping[Component, ComponentStatus]
) -> None:
    """Give components their new status in the incident, noting each change on the update."""
    earlier = {a.component_id: ComponentStatus(a.status) for a in incident.affected}
    affect(incident, changes)
    for component, status in changes.items():
        old = earlier.get(component.id, ComponentStatus.OPERATIONAL)
        if old != status:
            update.changes.append(
                UpdateComponentChange(component=component, old_status=old, new_status=status)
            )


def revise(update: IncidentUpdate, actor: Actor, now: datetime, *, status: str, body: str) -> None:
    """Give an update a new status and text, keeping the earlier ones as a revision."""
    db.session.add(
        UpdateRevision(
            update=update,
            status=update.status,
            body=update.body,
            replaced_at=now,
            replaced_by=actor.name,
        )
    )
    update.status, update.body, update.edited_at = status, body, now


def apply_status(incident: Incident, state: str, now: datetime) -> None:
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
