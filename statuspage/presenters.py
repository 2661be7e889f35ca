"""Gather what the public sees from the database, once, for pages, feeds and the API alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import selectinload

from statuspage.components import visible_components
from statuspage.config import SiteConfig
from statuspage.db import db
from statuspage.engine import shown_statuses
from statuspage.models import Component, Incident, IncidentUpdate, StatusChange
from statuspage.rules import maintenance_status, page_status, worst_status
from statuspage.vocabulary import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus

OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)


@dataclass
class ComponentView:
    """A component or group as shown: its current status and, for a group, its children."""

    component: Component
    status: ComponentStatus
    children: list[ComponentView] = field(default_factory=list)


@dataclass
class MaintenanceView:
    """A maintenance with its status as of now (time moves it even with no process running)."""

    maintenance: Incident
    status: MaintenanceStatus


@dataclass
class PageSummary:
    """Everything the top of the public page and the summary API show."""

    site: SiteConfig
    components: list[ComponentView]
    indicator: str
    description: str
    incidents: list[Incident]
    active_maintenances: list[MaintenanceView]
    upcoming_maintenances: list[MaintenanceView]
    updated_at: datetime | None


def page_summary(site: SiteConfig, now: datetime) -> PageSummary:
    """Build the current summary of the page from stored state."""
    components = visible_components()
    tree = _component_tree(components, shown_statuses(components, now))
    leaves = [leaf for view in tree for leaf in (view.children or [view])]

    incidents = list(
        db.session.execute(
            db.select(Incident)
            .where(Incident.kind == "incident", Incident.status.in_(OPEN_INCIDENT_STATUSES))
            .options(selectinload(Incident.updates), selectinload(Incident.affected))
            .order_by(Incident.started_at.desc())
        ).scalars()
    )
    active, upcoming = _maintenances(now)
    indicator, description = page_status(
        [leaf.status for leaf in leaves], [Impact(i.impact) for i in incidents]
    )
    return PageSummary(
        site=site,
        components=tree,
        indicator=indicator,
        description=description,
        incidents=incidents,
        active_maintenances=active,
        upcoming_maintenances=upcoming,
        updated_at=last_change(),
    )


def _component_tree(
    components: list[Component], statuses: dict[int, ComponentStatus]
) -> list[ComponentView]:
    views = {
        c.id: ComponentView(c, statuses.get(c.id, ComponentStatus.OPERATIONAL)) for c in components
    }
    top: list[ComponentView] = []
    for component in components:
        view = views[component.id]
        parent = views.get(component.group_id) if component.group_id else None
        (parent.children if parent else top).append(view)
    for view in top:
        if view.component.is_group and view.children:
            view.status = worst_status(child.status for child in view.children)
    return [view for view in top if not (view.component.is_group and not view.children)]


def _maintenances(now: datetime) -> tuple[list[MaintenanceView], list[MaintenanceView]]:
    rows = db.session.execute(
        db.select(Incident)
        .where(Incident.kind == "maintenance", Incident.status != MaintenanceStatus.COMPLETED)
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.scheduled_for)
    ).scalars()
    active: list[MaintenanceView] = []
    upcoming: list[MaintenanceView] = []
    for row in rows:
        status = maintenance_status(
            row.scheduled_for, row.scheduled_until, now, MaintenanceStatus(row.status)
        )
        if status == MaintenanceStatus.SCHEDULED:
            upcoming.append(MaintenanceView(row, status))
        elif status != MaintenanceStatus.COMPLETED:
            active.append(MaintenanceView(row, status))
    return active, upcoming


def last_change() -> datetime | None:
    """Return when the page's data last changed, or None on an empty database."""
    candidates = [
        db.session.execute(db.select(func.max(StatusChange.at))).scalar(),
        db.session.execute(db.select(func.max(IncidentUpdate.created_at))).scalar(),
        db.session.execute(db.select(func.max(Incident.updated_at))).scalar(),
    ]
    known = [c for c in candidates if c is not None]
    return max(known) if known else None
