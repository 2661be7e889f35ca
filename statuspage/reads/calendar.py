"""The maintenance calendar's events: what /maintenance.ics lists, and each event's SEQUENCE.

An event is listed while its maintenance is scheduled or under way. A cancelled one stays
listed, marked cancelled, until CANCELLED_LISTED_FOR after the later of its cancellation and
its planned end, so a calendar that refreshes rarely still learns of it, then it goes.

SEQUENCE comes from the audit log, which every front door writes for every change to a
maintenance (schedule, edit, update, cancel, content files, imports) and which is never
rewritten: the number of audited changes after the first. The clock's own moves (scheduled,
in progress, completed) are not audited, and change nothing a calendar shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, or_

from statuspage.reads.feed import changed_at
from statuspage.reads.incidents import event_start, live_status, maintenances
from statuspage.store.db import db
from statuspage.store.models import AuditEntry, Component, Incident
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    EventKind,
    MaintenanceStatus,
)

CANCELLED_LISTED_FOR = timedelta(days=7)
CANCEL_ACTION = "maintenance.cancel"  # the audit action of staff.cancel_maintenance


@dataclass(frozen=True)
class CalendarEvent:
    """One maintenance as a calendar shows it."""

    maintenance: Incident
    status: MaintenanceStatus  # as of now, from its window
    cancelled: bool
    sequence: int
    last_modified: datetime


def _target(code: str) -> str:
    return f"incident:{code}"


def calendar_events(now: datetime, component: Component | None = None) -> list[CalendarEvent]:
    """Return the listed maintenances (of one component or group, if given), soonest first."""
    current = [
        row
        for row, _ in maintenances(
            now, statuses=(MaintenanceStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES)
        )
    ]
    cancelled = _recently_cancelled(now)
    rows = [row for row in current + cancelled if _concerns(row, component)]
    counts = _audited_changes([row.code for row in rows])
    cancelled_ids = {row.id for row in cancelled}
    events = [
        CalendarEvent(
            maintenance=row,
            status=MaintenanceStatus.COMPLETED if row.id in cancelled_ids else _status(row, now),
            cancelled=row.id in cancelled_ids,
            sequence=max(counts.get(_target(row.code), 0) - 1, 0),
            last_modified=changed_at(row),
        )
        for row in rows
    ]
    events.sort(key=lambda event: (event_start(event.maintenance), event.maintenance.id))
    return events


def _status(row: Incident, now: datetime) -> MaintenanceStatus:
    return MaintenanceStatus(live_status(row, now))


def _concerns(row: Incident, component: Component | None) -> bool:
    """Tell whether a maintenance affects the component, or for a group any of its members."""
    if component is None:
        return True
    ids = {component.id, *(child.id for child in component.children)}
    return any(affected.component_id in ids for affected in row.affected)


def _recently_cancelled(now: datetime) -> list[Incident]:
    """Return maintenances cancelled by staff that are still listed (see the module's note)."""
    cutoff = now - CANCELLED_LISTED_FOR
    cancels = db.select(AuditEntry.target).where(AuditEntry.action == CANCEL_ACTION)
    rows = db.session.execute(
        db.select(Incident).where(
            Incident.kind == EventKind.MAINTENANCE,
            Incident.status == MaintenanceStatus.COMPLETED,
            or_(Incident.resolved_at >= cutoff, Incident.scheduled_until >= cutoff),
            literal("incident:").concat(Incident.code).in_(cancels.scalar_subquery()),
        )
    ).scalars()
    return list(rows)


def _audited_changes(codes: list[str]) -> dict[str, int]:
    """Return how many audit entries name each maintenance (by audit target)."""
    if not codes:
        return {}
    rows = db.session.execute(
        db.select(AuditEntry.target, func.count())
        .where(AuditEntry.target.in_([_target(code) for code in codes]))
        .group_by(AuditEntry.target)
    )
    return {target: count for target, count in rows}
