"""Automatic incidents: one per outage, opened, joined, updated and resolved as probes say.

An outage is one incident however many components it takes down. Components failing in the
same evaluation open it together; a component failing while it is open joins it; a failure
that began within `[incidents] group_window_s` of the last one resolving opens that one
again. Each component recovers on its own inside it, and it resolves when the last one does.
Its title and impact follow the worst current status ("Major outage of Live Updates and
Analytics"); once over, they keep the worst it reached. At most one automatic incident is
open at a time: it holds the single row of open_automatic_incident.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from statuspage.config import StatusConfig
from statuspage.engine.observed import Observed, failures
from statuspage.notify.events import alert_automatic, announce_update
from statuspage.reads.status import open_staff_incident
from statuspage.rules import failure_update, incident_impact, recovery_update, status_change_update
from statuspage.rules.page import STATUS_SEVERITY, worst_status
from statuspage.rules.wording import incident_title, recovered_update
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    AuditEntry,
    Component,
    Incident,
    IncidentUpdate,
    OpenAutomaticIncident,
    UpdateComponentChange,
)
from statuspage.vocabulary import (
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    IncidentStatus,
)

log = logging.getLogger(__name__)

__all__ = ["Observed", "close_automatic_incident", "reconcile_incidents"]

OPERATIONAL = ComponentStatus.OPERATIONAL


@dataclass
class Step:
    """One component's part of an automatic update: its change, and the sentence telling it."""

    component: Component
    old: ComponentStatus
    new: ComponentStatus
    text: str


def reconcile_incidents(observed: Sequence[Observed], config: StatusConfig, now: datetime) -> bool:
    """Open, join, update or close incidents so they match what the probes say; True if any
    was written."""
    open_incidents = _open_automatic_incidents()
    holding = {a.component_id: i for i in open_incidents for a in i.affected}
    steps: dict[int, list[tuple[Observed, ComponentStatus]]] = {}
    joining: list[Observed] = []
    wrote = False
    for seen in observed:
        if seen.failing_now and seen.in_maintenance:
            continue  # planned work: results are recorded, nobody is paged
        incident = holding.get(seen.component.id)
        if incident is not None:
            monitored = seen.failing_now and incident.status == IncidentStatus.MONITORING
            if seen.changed or monitored:
                steps.setdefault(incident.id, []).append((seen, seen.was))
            continue
        staff = open_staff_incident(seen.component.id)
        if staff is not None:
            wrote |= _note_on_staff_incident(staff, seen, config, now)
        elif seen.failing_now and not seen.quiet:
            joining.append(seen)
    if joining:
        target = _slot_incident(open_incidents)
        if target is None:
            target = _reopen(joining, config, now)
            if target is None:
                return _open(joining, config, now) or wrote
            open_incidents.append(target)
        # A joining component was operational in this incident, if it ever was in it.
        steps.setdefault(target.id, []).extend((seen, OPERATIONAL) for seen in joining)
    for incident in open_incidents:
        if incident.id in steps:
            wrote |= _write(incident, steps[incident.id], config, now)
    return wrote


def _open_automatic_incidents() -> list[Incident]:
    """Return the unresolved automatic incidents, the one holding the slot first.

    There is one at most, except just after the upgrade that merged the per-component slots.
    """
    rows = db.session.execute(
        db.select(Incident)
        .where(
            Incident.automatic.is_(True),
            Incident.kind == EventKind.INCIDENT,
            Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES),
        )
        .order_by(Incident.id.desc())
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
    ).scalars()
    held = db.session.execute(db.select(OpenAutomaticIncident.incident_id)).scalar()
    return sorted(rows, key=lambda incident: incident.id != held)


def _slot_incident(open_incidents: Sequence[Incident]) -> Incident | None:
    """Return the open automatic incident a new failure joins."""
    return open_incidents[0] if open_incidents else None


def _take_slot(incident: Incident) -> bool:
    """Give the incident the slot, unless another process just took it; True if taken."""
    try:
        with db.session.begin_nested():
            db.session.add(OpenAutomaticIncident(slot=1, incident_id=incident.id))
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _open(joining: Sequence[Observed], config: StatusConfig, now: datetime) -> bool:
    """Open one automatic incident for every component failing now."""
    zone = config.site.zone
    steps = [
        Step(
            seen.component,
            seen.was,
            seen.current,
            failure_update(
                seen.component.name,
                seen.failing_since(now),
                failures(seen.failing, config, now),
                zone,
                seen.current,
                now=now,
            ),
        )
        for seen in joining
    ]
    return _open_with(steps, now)


def _open_incident(
    component: Component, was: ComponentStatus, current: ComponentStatus, text: str, now: datetime
) -> bool:
    """Open an automatic incident for one component with this text (tests drive this)."""
    return _open_with([Step(component, was, current, text)], now)


def _open_with(steps: Sequence[Step], now: datetime) -> bool:
    """Open an automatic incident of these steps, or join the one another process opened."""
    ordered = sorted(steps, key=lambda step: step.component.position)
    worst = worst_status(step.new for step in ordered)
    try:
        with db.session.begin_nested():
            incident = Incident(
                name=incident_title(worst, [s.component.name for s in ordered], limits.EVENT_NAME),
                kind=EventKind.INCIDENT,
                status=IncidentStatus.INVESTIGATING,
                impact=incident_impact([worst]),
                automatic=True,
                started_at=min(s.component.automatic_since or now for s in ordered),
                created_at=now,
                updated_at=now,
            )
            db.session.add(incident)
            for step in ordered:
                db.session.add(
                    AffectedComponent(incident=incident, component=step.component, status=step.new)
                )
            db.session.flush()
            db.session.add(OpenAutomaticIncident(slot=1, incident_id=incident.id))
            db.session.flush()
    except IntegrityError:
        # The primary key of open_automatic_incident said no: another process opened it.
        winner = _open_automatic_incidents()
        log.info("automatic incident already opened by another process: joining it")
        if not winner:
            return False
        joined = [Step(s.component, OPERATIONAL, s.new, s.text) for s in ordered]
        return _add_update(winner[0], joined, IncidentStatus.INVESTIGATING, now)
    _add_update(incident, ordered, IncidentStatus.INVESTIGATING, now)
    log.info("opened automatic incident %s (%s)", incident.code, incident.name)
    return True


def _reopen(joining: Sequence[Observed], config: StatusConfig, now: datetime) -> Incident | None:
    """Return the automatic incident these failures belong to again, if it ended that recently.

    A failure that began no later than the group window after the last automatic incident
    resolved is the same outage coming back (a flap, or a second component right behind the
    first). Only one that resolved by itself (no staff wrote on it) is opened again; it goes
    back to investigating with the slot.
    """
    window = timedelta(seconds=config.incidents.group_window_s)
    if window <= timedelta(0):
        return None
    incident = db.session.execute(
        db.select(Incident)
        .where(Incident.automatic.is_(True), Incident.status == IncidentStatus.RESOLVED)
        .order_by(Incident.resolved_at.desc(), Incident.id.desc())
        .limit(1)
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
    ).scalar()
    if incident is None or incident.resolved_at is None:
        return None
    if any(update.author for update in incident.updates):
        return None
    began = min(seen.failing_since(now) for seen in joining)
    if began - incident.resolved_at > window or not _take_slot(incident):
        return None
    incident.resolved_at = None
    log.info("automatic incident %s opened again: a failure within the window", incident.code)
    return incident


def _write(
    incident: Incident,
    changes: Sequence[tuple[Observed, ComponentStatus]],
    config: StatusConfig,
    now: datetime,
) -> bool:
    """Write one update telling every change of this evaluation inside the incident."""
    zone = config.site.zone
    statuses = {a.component_id: ComponentStatus(a.status) for a in incident.affected}
    for seen, _ in changes:
        statuses[seen.component.id] = seen.current
    affected = {a.component_id: a.component for a in incident.affected}
    affected.update({seen.component.id: seen.component for seen, _ in changes})
    still = [
        affected[i].name
        for i in sorted(affected, key=lambda i: affected[i].position)
        if statuses[i] != OPERATIONAL
    ]
    recovering = [(seen, old) for seen, old in changes if not seen.failing_now]
    steps = []
    for seen, old in changes:
        name, new = seen.component.name, seen.current
        # "Live Updates changed from X to Y." unless nothing changed (still failing, again).
        said = f"{status_change_update(name, old, new)} " if old != new else ""
        if seen.failing_now:
            since = seen.failing_since(now)
            found = failures(seen.failing, config, now)
            steps.append(
                Step(
                    seen.component,
                    old,
                    new,
                    said + failure_update(name, since, found, zone, new, now=now),
                )
            )
        elif still:
            since = seen.component.automatic_since or now
            steps.append(
                Step(
                    seen.component, old, new, said + recovered_update(name, since, still, zone, now)
                )
            )
    if still:
        status = IncidentStatus(incident.status)
        if any(step.new != OPERATIONAL for step in steps) and status != IncidentStatus.IDENTIFIED:
            status = IncidentStatus.INVESTIGATING  # failing again: someone has to look
        if status not in UNRESOLVED_INCIDENT_STATUSES or status == IncidentStatus.MONITORING:
            status = IncidentStatus.INVESTIGATING
        return _add_update(incident, steps, status, now)
    # The last component recovered: resolve, or leave it to the person who wrote on it.
    written_by_staff = any(update.author for update in incident.updates)
    if written_by_staff and incident.status == IncidentStatus.MONITORING:
        return False
    names = [seen.component.name for seen, _ in recovering]
    since = min(seen.component.automatic_since or now for seen, _ in recovering)
    text = recovery_update(names, since, zone, monitoring=written_by_staff, now=now)
    # One sentence for all of them; each change is still noted on the update.
    steps = [Step(seen.component, old, seen.current, text) for seen, old in recovering]
    status = IncidentStatus.MONITORING if written_by_staff else IncidentStatus.RESOLVED
    _add_update(incident, steps, status, now, text=text)
    if status == IncidentStatus.RESOLVED:
        close_automatic_incident(incident, now)
    return True


def _note_on_staff_incident(
    staff: Incident, seen: Observed, config: StatusConfig, now: datetime
) -> bool:
    """Add what the probes saw to a staff incident, which only a person resolves."""
    if not seen.changed:
        return False
    zone = config.site.zone
    name = seen.component.name
    if seen.failing_now:
        detail = failure_update(
            name,
            seen.failing_since(now),
            failures(seen.failing, config, now),
            zone,
            seen.current,
            now=now,
        )
        text = f"{status_change_update(name, seen.was, seen.current)} {detail}"
    else:
        text = recovery_update(name, now, zone, monitoring=True, now=now)
    step = Step(seen.component, seen.was, seen.current, text)
    return _add_update(staff, [step], IncidentStatus(staff.status), now)


def close_automatic_incident(incident: Incident, now: datetime) -> None:
    """Mark an automatic incident resolved and free the slot for the next outage."""
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now
    db.session.execute(
        db.delete(OpenAutomaticIncident).where(OpenAutomaticIncident.incident_id == incident.id)
    )


def _add_update(
    incident: Incident,
    steps: Sequence[Step],
    status: IncidentStatus,
    now: datetime,
    text: str | None = None,
) -> bool:
    """Append the system's own update (author None) with the component changes it reports.

    On an automatic incident it is announced to subscribers; on a staff incident, staff
    choose what customers are told. The on-call team hears of it either way.
    """
    if not steps:
        return False
    body = text if text is not None else " ".join(dict.fromkeys(step.text for step in steps))
    update_row = IncidentUpdate(
        incident=incident,
        status=status,
        body=body,
        author=None,
        created_at=now,
        display_at=now,
        deliver_notifications=incident.automatic,
    )
    db.session.add(update_row)
    present = {a.component_id: a for a in incident.affected}
    for step in steps:
        if step.old != step.new:
            update_row.changes.append(
                UpdateComponentChange(
                    component=step.component, old_status=step.old, new_status=step.new
                )
            )
        if step.component.id in present:
            present[step.component.id].status = step.new
        elif incident.automatic:
            incident.affected.append(AffectedComponent(component=step.component, status=step.new))
    db.session.add(update_row)
    incident.status = status
    incident.updated_at = now
    if status == IncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if incident.automatic:
        _follow_worst(incident, update_row)
    announce_update(update_row, now)
    loudest = max(
        steps, key=lambda s: STATUS_SEVERITY[ComponentStatus(s.new)] - STATUS_SEVERITY[s.old]
    )
    alert_automatic(update_row, loudest.old, loudest.new, now)
    return True


def _follow_worst(incident: Incident, update_row: IncidentUpdate) -> None:
    """Give an automatic incident the title and impact of its worst current status.

    Once every component has recovered they keep the worst the incident reached, so the
    history says how bad it got. A title or impact staff set by hand is theirs.
    """
    if _changed_by_staff(incident):
        return
    current = [ComponentStatus(a.status) for a in incident.affected]
    failing = [s for s in current if s != OPERATIONAL]
    if failing:
        worst = worst_status(failing)
    else:
        reached = [
            ComponentStatus(change.new_status)
            for update in [*incident.updates, update_row]
            for change in update.changes
        ]
        worst = worst_status([s for s in reached if s != OPERATIONAL] or [OPERATIONAL])
    if worst == OPERATIONAL:
        return
    names = [
        a.component.name for a in sorted(incident.affected, key=lambda a: a.component.position)
    ]
    incident.name = incident_title(worst, names, limits.EVENT_NAME)
    incident.impact = incident_impact([worst])


def _changed_by_staff(incident: Incident) -> bool:
    """Tell whether staff renamed the incident or set its impact."""
    if incident.id is None:
        return False
    return (
        db.session.execute(
            db.select(AuditEntry.id)
            .where(
                AuditEntry.target == f"incident:{incident.code}",
                AuditEntry.action == "incident.change",
            )
            .limit(1)
        ).scalar()
        is not None
    )
