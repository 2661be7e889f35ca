"""Automatic incidents: opened, updated and resolved so they match what the probes say."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from probes.definitions import DEFAULT_FAILURES_TO_OPEN
from statuspage.config import StatusConfig
from statuspage.notify.events import alert_automatic, announce_update
from statuspage.reads.status import open_staff_incident
from statuspage.rules import (
    ProbeFailure,
    failure_part,
    incident_impact,
    recovery_part,
    status_change_part,
    title_part,
    word,
)
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentUpdate,
    OpenAutomaticIncident,
    ProbeResult,
    ProbeState,
    UpdateComponentChange,
)
from statuspage.vocabulary import (
    IMPACT_SEVERITY,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    Outcome,
)

log = logging.getLogger(__name__)


def reconcile_incidents(
    component: Component,
    previous: ComponentStatus | None,
    current: ComponentStatus,
    failing: list[ProbeState],
    in_maintenance: bool,
    config: StatusConfig,
    now: datetime,
) -> bool:
    """Open, update, or close incidents so they match what the probes say; True if any wrote."""
    zone = config.site.zone
    was = previous or ComponentStatus.OPERATIONAL
    changed_status = current != was
    open_auto = _open_automatic_incident(component.id)
    staff = open_staff_incident(component.id)

    if current != ComponentStatus.OPERATIONAL:
        if in_maintenance:
            return False  # planned work: results are recorded, nobody is paged
        detail = failure_part(
            component.name,
            _failing_since(failing, component, now),
            _failures(failing, config),
            current,
        )
        changed = [status_change_part(component.name, was, current), detail]
        if open_auto is not None:
            if not changed_status and open_auto.status != IncidentStatus.MONITORING:
                return False
            _add_update(
                open_auto, changed, zone, now, IncidentStatus.INVESTIGATING, component, was, current
            )
            return True
        if staff is not None:
            if not changed_status:
                return False
            _add_update(
                staff, changed, zone, now, IncidentStatus(staff.status), component, was, current
            )
            return True
        return _open_incident(component, was, current, [detail], zone, now)

    if open_auto is not None:
        written_by_staff = any(u.author for u in open_auto.updates)
        if written_by_staff:
            if open_auto.status == IncidentStatus.MONITORING:
                return False
            parts = [recovery_part(component.name, component.automatic_since or now, True)]
            _add_update(
                open_auto, parts, zone, now, IncidentStatus.MONITORING, component, was, current
            )
            open_auto.monitoring_at = now
            return True
        parts = [recovery_part(component.name, component.automatic_since or now)]
        _add_update(open_auto, parts, zone, now, IncidentStatus.RESOLVED, component, was, current)
        close_automatic_incident(open_auto, now)
        return True
    if staff is not None and changed_status:
        parts = [recovery_part(component.name, now, monitoring=True)]
        _add_update(staff, parts, zone, now, IncidentStatus(staff.status), component, was, current)
        return True
    return False


def _open_automatic_incident(component_id: int) -> Incident | None:
    return db.session.execute(
        db.select(Incident)
        .join(OpenAutomaticIncident, OpenAutomaticIncident.incident_id == Incident.id)
        .where(OpenAutomaticIncident.component_id == component_id)
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
    ).scalar()


def _open_incident(
    component: Component,
    was: ComponentStatus,
    current: ComponentStatus,
    parts: list[dict[str, Any]],
    zone: ZoneInfo,
    now: datetime,
) -> bool:
    """Open an automatic incident, unless another process has just opened one."""
    title = title_part(current, component.name)
    try:
        with db.session.begin_nested():
            incident = Incident(
                name=word([title], zone),
                name_message=json.dumps([title]),
                kind=EventKind.INCIDENT,
                status=IncidentStatus.INVESTIGATING,
                impact=incident_impact([current]),
                automatic=True,
                started_at=component.automatic_since or now,
                created_at=now,
                updated_at=now,
            )
            db.session.add(incident)
            db.session.add(
                AffectedComponent(incident=incident, component=component, status=current)
            )
            db.session.flush()
            db.session.add(
                OpenAutomaticIncident(component_id=component.id, incident_id=incident.id)
            )
            db.session.flush()
    except IntegrityError:
        # The primary key of open_automatic_incident said no: someone else opened it.
        log.info("automatic incident for %s already opened by another process", component.slug)
        return False
    _add_update(incident, parts, zone, now, IncidentStatus.INVESTIGATING, component, was, current)
    log.info("opened automatic incident %s for %s (%s)", incident.code, component.slug, current)
    return True


def close_automatic_incident(incident: Incident, now: datetime) -> None:
    """Mark an automatic incident resolved and free its component for a new one."""
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now
    db.session.execute(
        db.delete(OpenAutomaticIncident).where(OpenAutomaticIncident.incident_id == incident.id)
    )


def _add_update(
    incident: Incident,
    parts: list[dict[str, Any]],
    zone: ZoneInfo,
    now: datetime,
    status: IncidentStatus,
    component: Component,
    old: ComponentStatus,
    new: ComponentStatus,
) -> None:
    """Append the system's own update (author None) with the component change it reports.

    Its text is written in English and kept as message parts, which pages word in each
    reader's language. On an automatic incident it is announced to subscribers; on a staff
    incident, staff choose what customers are told. The on-call team hears of it either way.
    """
    update_row = IncidentUpdate(
        incident=incident,
        status=status,
        body=word(parts, zone, now),
        message=json.dumps(parts),
        author=None,
        created_at=now,
        display_at=now,
        deliver_notifications=incident.automatic,
    )
    if old != new:
        update_row.changes.append(
            UpdateComponentChange(component=component, old_status=old, new_status=new)
        )
    db.session.add(update_row)
    incident.status = status
    incident.updated_at = now
    # Set here as well as by the callers, so the announcement carries them.
    if status == IncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    for affected in incident.affected:
        if affected.component_id == component.id:
            affected.status = new
    if incident.automatic and new != ComponentStatus.OPERATIONAL:
        raised = incident_impact([new])
        if IMPACT_SEVERITY[raised] > IMPACT_SEVERITY[Impact(incident.impact)]:
            incident.impact = raised
    announce_update(update_row, now)
    alert_automatic(update_row, old, new, now)


def _failing_since(failing: list[ProbeState], component: Component, now: datetime) -> datetime:
    times = [state.confirmed_since for state in failing]
    return min(times) if times else component.automatic_since or now


def _failures(failing: Iterable[ProbeState], config: StatusConfig) -> list[ProbeFailure]:
    names = {probe.key: probe for probe in config.probes}
    states = list(failing)
    several_locations = len({s.location for s in states}) > 1
    failures = []
    for state in states:
        probe = names.get(state.probe_key)
        window = probe.failures_to_open if probe else DEFAULT_FAILURES_TO_OPEN
        outcomes = db.session.execute(
            db.select(ProbeResult.outcome)
            .where(ProbeResult.probe_key == state.probe_key, ProbeResult.location == state.location)
            .order_by(ProbeResult.started_at.desc())
            .limit(window)
        ).scalars()
        recent = list(outcomes)
        failures.append(
            ProbeFailure(
                probe_name=probe.name if probe else state.probe_key,
                location=state.location if several_locations else None,
                reason=state.last_failure_reason or state.last_reason,
                failing_count=sum(1 for outcome in recent if outcome != Outcome.UP),
                total_count=len(recent),
            )
        )
    return failures
