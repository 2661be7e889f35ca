"""What the page shows for each component now, and the queries that decide it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func

from statuspage.rules import effective_status, maintenance_status, worst_status
from statuspage.store.db import db, findable
from statuspage.store.models import AffectedComponent, Component, Incident, ProbeResult
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    MaintenanceStatus,
)

log = logging.getLogger(__name__)


def visible_components() -> list[Component]:
    """Return configured components and groups in page order."""
    query = db.select(Component).where(Component.hidden.is_(False)).order_by(Component.position)
    return list(db.session.execute(query).scalars())


def shown_component(slug: str, groups: bool = False) -> Component | None:
    """Return the visible component with this slug (a group too if `groups`), or None."""
    if not findable(slug):
        return None
    query = db.select(Component).where(Component.slug == slug, Component.hidden.is_(False))
    if not groups:
        query = query.where(Component.is_group.is_(False))
    return db.session.execute(query).scalar()


def shown_statuses(components: Iterable[Component], now: datetime) -> dict[int, ComponentStatus]:
    """Return what the page shows for each component at `now`, maintenance windows included.

    Reads compute this live, so a maintenance shows in progress from its start even when no
    probe process is running to record the change.
    """
    result = {}
    for component in components:
        result[component.id] = effective_status(
            component.automatic_status,
            component.manual_status,
            maintenance_covering(component.id, now) is not None,
            staff_incident_status(component.id),
        )
    return result


def observed_statuses(components: Iterable[Component], now: datetime) -> dict[int, ComponentStatus]:
    """Return what the page would show for each component at `now` without a manual status.

    What probes, incidents and maintenance say: the admin screen shows it beside a manual
    status, and asks before a manual status hides it.
    """
    return {component.id: observed(component, now).status for component in components}


@dataclass
class Observed:
    """What is observed of a component, and from where: what a manual status would hide."""

    status: ComponentStatus
    automatic: ComponentStatus | None
    automatic_since: datetime | None
    incident: Incident | None  # the newest open staff incident affecting it
    incident_status: ComponentStatus | None
    maintenance: Incident | None  # a maintenance in progress over it


def observed(component: Component, now: datetime) -> Observed:
    """Return what probes, open incidents and maintenance say of a component at `now`."""
    maintenance = maintenance_covering(component.id, now)
    incident_status = staff_incident_status(component.id)
    return Observed(
        status=effective_status(
            component.automatic_status, None, maintenance is not None, incident_status
        ),
        automatic=ComponentStatus(component.automatic_status)
        if component.automatic_status
        else None,
        automatic_since=component.automatic_since,
        incident=open_staff_incident(component.id) if incident_status else None,
        incident_status=incident_status,
        maintenance=maintenance,
    )


def maintenance_covering(component_id: int, now: datetime) -> Incident | None:
    """Return a maintenance in progress over the component at `now`, if any."""
    rows = db.session.execute(
        db.select(Incident)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(
            AffectedComponent.component_id == component_id,
            Incident.kind == EventKind.MAINTENANCE,
            Incident.status != MaintenanceStatus.COMPLETED,
        )
    ).scalars()
    for row in rows:
        status = maintenance_status(row.scheduled_for, row.scheduled_until, now, row.status)
        if status in ACTIVE_MAINTENANCE_STATUSES:
            return row
    return None


def _staff_incident_affects(component_id: int) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of an unresolved staff incident affecting a component."""
    return (
        AffectedComponent.component_id == component_id,
        Incident.kind == EventKind.INCIDENT,
        Incident.automatic.is_(False),
        Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES),
    )


def staff_incident_status(component_id: int) -> ComponentStatus | None:
    """Return the worst status unresolved staff incidents give a component, if any."""
    statuses = db.session.execute(
        db.select(AffectedComponent.status)
        .join(Incident, Incident.id == AffectedComponent.incident_id)
        .where(*_staff_incident_affects(component_id))
    ).scalars()
    known = list(statuses)
    return worst_status(known) if known else None


def open_staff_incident(component_id: int) -> Incident | None:
    """Return the newest unresolved staff incident affecting a component, if any."""
    return db.session.execute(
        db.select(Incident)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(*_staff_incident_affects(component_id))
        .order_by(Incident.started_at.desc())
        .limit(1)
    ).scalar()


def newest_result_at() -> datetime | None:
    """Return when the newest stored result started, or None when there is none."""
    return db.session.execute(db.select(func.max(ProbeResult.started_at))).scalar()
