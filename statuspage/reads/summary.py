"""The top of the public page: the banner, the component tree, open incidents and maintenance.

The summary API, the website's status.json and the badges read the same summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func

from statuspage.config import SiteConfig
from statuspage.reads.incidents import (
    TimelineEntry,
    event_start,
    maintenances,
    shown_note,
    timeline,
    unresolved_incidents,
)
from statuspage.reads.moment import shared
from statuspage.reads.status import newest_result_at, shown_statuses, visible_components
from statuspage.rules import page_status, worst_status
from statuspage.store.db import db
from statuspage.store.models import Component, Incident, IncidentUpdate, StatusChange
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    ComponentStatus,
    Impact,
    MaintenanceStatus,
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

    @property
    def note(self) -> TimelineEntry | None:
        """Return the update whose text the page shows (staff's note over the clock's text)."""
        return shown_note(self.maintenance, timeline(self.maintenance))


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
    # When the newest probe result (from any location) was taken: when status was last checked.
    checked_at: datetime | None = None

    def leaves(self) -> list[ComponentView]:
        """Return the shown leaf components, each group replaced by its members."""
        return _leaves(self.components)

    def view_of(self, slug: str) -> ComponentView | None:
        """Return the shown component or group with this slug, or None."""
        views = (shown for view in self.components for shown in (view, *view.children))
        return next((view for view in views if view.component.slug == slug), None)


def page_summary(site: SiteConfig, now: datetime) -> PageSummary:
    """Build the current summary of the page from stored state."""
    return shared("page_summary", lambda: _build_summary(site, now))


def _build_summary(site: SiteConfig, now: datetime) -> PageSummary:
    components = visible_components()
    tree = _component_tree(components, shown_statuses(components, now))
    incidents = unresolved_incidents()
    active, upcoming = _maintenances(now)
    indicator, description = page_status(
        [leaf.status for leaf in _leaves(tree)], [Impact(i.impact) for i in incidents]
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
        checked_at=newest_result_at(),
    )


def current_indicator(now: datetime) -> str:
    """Return the page indicator at `now` (none, minor, major, critical or maintenance).

    The banner's rule without the rest of the summary: pages other than the home page need
    only this, for their favicon.
    """
    components = visible_components()
    tree = _component_tree(components, shown_statuses(components, now))
    impacts = [Impact(incident.impact) for incident in unresolved_incidents()]
    return page_status([leaf.status for leaf in _leaves(tree)], impacts)[0]


def _leaves(tree: list[ComponentView]) -> list[ComponentView]:
    return [leaf for view in tree for leaf in (view.children or [view])]


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
    """Return active and upcoming maintenances, each soonest first."""
    current = maintenances(
        now, statuses=(MaintenanceStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES)
    )
    # The shared query lists newest first; a page reads best with the soonest work on top.
    current.sort(key=lambda pair: (event_start(pair[0]), pair[0].id))
    active = [MaintenanceView(m, s) for m, s in current if s != MaintenanceStatus.SCHEDULED]
    upcoming = [MaintenanceView(m, s) for m, s in current if s == MaintenanceStatus.SCHEDULED]
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


def leaf_components() -> list[Component]:
    """Return the visible components that are not groups, in page order."""
    return [c for c in visible_components() if not c.is_group]
