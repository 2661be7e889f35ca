"""Read incidents and maintenances once, the same way, for the pages, the feeds and the API.

Every query here eager-loads what the pages need (updates, the component changes each update
made, affected components), so listing fifty incidents costs a fixed handful of queries.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import selectinload

from statuspage.rules import maintenance_status, update_label
from statuspage.store.db import db, findable
from statuspage.store.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentUpdate,
)
from statuspage.vocabulary import UNRESOLVED_INCIDENT_STATUSES, EventKind, MaintenanceStatus

# What presenting an incident touches, loaded in one query per relationship.
_LOAD = (
    selectinload(Incident.updates).selectinload(IncidentUpdate.changes),
    selectinload(Incident.affected).selectinload(AffectedComponent.component),
)

# When an event "happened" for ordering: a maintenance by its window, an incident by its start.
_starts_at: ColumnElement[datetime] = func.coalesce(Incident.scheduled_for, Incident.started_at)


@dataclass
class TimelineEntry:
    """One update as shown: the update and its label ("Identified", "Update", "Completed"...)."""

    update: IncidentUpdate
    label: str


@dataclass
class PastIncident:
    """An event in a list of them (past incidents, history), with its newest update.

    `note` is the update whose text the list shows (see shown_note).
    """

    incident: Incident
    latest: TimelineEntry | None
    note: TimelineEntry | None = None


def timeline(incident: Incident) -> list[TimelineEntry]:
    """Return the incident's updates newest first, each labelled.

    The label is the update's status in words (Investigating, Identified, Monitoring,
    Resolved, Postmortem; for maintenance Scheduled, In progress, Verifying, Completed), or
    "Update" when the status is the same as the previous (older) update's.
    """
    oldest_first = sorted(incident.updates, key=lambda u: (u.created_at, u.id or 0))
    entries: list[TimelineEntry] = []
    previous: str | None = None
    for update in oldest_first:
        entries.append(TimelineEntry(update, update_label(update.status, previous)))
        previous = update.status
    return entries[::-1]


def past_incident(incident: Incident) -> PastIncident:
    """Return an event as a list shows it: with its newest update, if it has any."""
    entries = timeline(incident)
    return PastIncident(incident, entries[0] if entries else None, shown_note(incident, entries))


def shown_note(incident: Incident, entries: list[TimelineEntry]) -> TimelineEntry | None:
    """Return the update whose text a card shows: the newest, or for a maintenance the newest
    a person wrote.

    The clock moves a maintenance along with the system's texts ("Scheduled maintenance is
    currently in progress."), which only repeat the status the card already states; the
    staff's note says what customers need to know, so it stays the visible text.
    """
    if incident.kind == EventKind.MAINTENANCE:
        written = next((entry for entry in entries if entry.update.author is not None), None)
        if written is not None:
            return written
    return entries[0] if entries else None


def list_incidents(
    *,
    kind: EventKind | None = None,
    component_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Incident], int]:
    """Return one page of incidents and maintenances, newest first, and the total count.

    `kind` is an EventKind, or None for both. Newest means latest start: an incident's
    started_at, a maintenance's scheduled_for. `component_id` keeps only events affecting
    that component (for a group: the group or any of its members). `page` counts from 1.
    Updates (with their component changes) and affected components are loaded.
    """
    conditions = _conditions(kind, component_id)
    total = db.session.execute(
        db.select(func.count()).select_from(Incident).where(*conditions)
    ).scalar_one()
    rows = db.session.execute(
        db.select(Incident)
        .where(*conditions)
        .options(*_LOAD)
        .order_by(_starts_at.desc(), Incident.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return list(rows), total


def _conditions(kind: EventKind | None, component_id: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if kind is not None:
        conditions.append(Incident.kind == kind)
    if component_id is not None:
        members = db.select(Component.id).where(
            or_(Component.id == component_id, Component.group_id == component_id)
        )
        conditions.append(
            Incident.affected.any(AffectedComponent.component_id.in_(members.scalar_subquery()))
        )
    return conditions


def unresolved_incidents() -> list[Incident]:
    """Return incidents (never maintenance) still investigating, identified or monitoring.

    Newest start first, with updates and affected components loaded.
    """
    rows = db.session.execute(
        db.select(Incident)
        .where(
            Incident.kind == EventKind.INCIDENT, Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES)
        )
        .options(*_LOAD)
        .order_by(Incident.started_at.desc(), Incident.id.desc())
    ).scalars()
    return list(rows)


def live_status(incident: Incident, now: datetime) -> str:
    """Return the status at `now`: a maintenance's follows its window, an incident's is stored.

    A maintenance without a complete window (bad data) keeps its stored status.
    """
    if incident.kind != EventKind.MAINTENANCE:
        return incident.status
    if incident.scheduled_for is None or incident.scheduled_until is None:
        return MaintenanceStatus(incident.status)
    return maintenance_status(
        incident.scheduled_for, incident.scheduled_until, now, MaintenanceStatus(incident.status)
    )


def maintenances(
    now: datetime,
    statuses: Collection[MaintenanceStatus] | None = None,
    limit: int | None = None,
) -> list[tuple[Incident, MaintenanceStatus]]:
    """Return maintenances with their status at `now`, newest scheduled_for first.

    The status is computed from the window by rules.maintenance_status, so it is right even
    when no process has moved the stored status yet. `statuses` keeps only those statuses
    (None: all); `limit` caps how many are returned after that filter.
    """
    wanted = set(statuses) if statuses is not None else set(MaintenanceStatus)
    query = (
        db.select(Incident)
        .where(Incident.kind == EventKind.MAINTENANCE)
        .options(*_LOAD)
        .order_by(_starts_at.desc(), Incident.id.desc())
    )
    if MaintenanceStatus.COMPLETED not in wanted:
        # Completed never goes back, so the stored status is enough to leave those out.
        query = query.where(Incident.status != MaintenanceStatus.COMPLETED)
    if wanted == set(MaintenanceStatus) and limit is not None:
        query = query.limit(limit)
    result: list[tuple[Incident, MaintenanceStatus]] = []
    for row in db.session.execute(query).scalars():
        status = MaintenanceStatus(live_status(row, now))
        if status in wanted:
            result.append((row, status))
            if limit is not None and len(result) >= limit:
                break
    return result


def incidents_between(start: datetime, end: datetime, *, timelines: bool = True) -> list[Incident]:
    """Return incidents and maintenances that started or were resolved in [start, end).

    A maintenance starts at its scheduled_for. Newest start first, with affected components
    loaded, and updates too unless `timelines` is False (the uptime bars need only names and
    components, and loading 90 days of timelines would be most of the page's cost).
    """
    rows = db.session.execute(
        db.select(Incident)
        .where(
            or_(
                and_(_starts_at >= start, _starts_at < end),
                and_(Incident.resolved_at >= start, Incident.resolved_at < end),
            )
        )
        .options(*(_LOAD if timelines else _LOAD[1:]))
        .order_by(_starts_at.desc(), Incident.id.desc())
    ).scalars()
    return list(rows)


def incident_codes() -> list[str]:
    """Return the public code of every incident and maintenance, newest first."""
    query = db.select(Incident.code).order_by(_starts_at.desc(), Incident.id.desc())
    return list(db.session.execute(query).scalars())


def get_incident(code: str) -> Incident | None:
    """Return the incident or maintenance with this public code, with its updates, or None."""
    if not findable(code):
        return None
    return db.session.execute(
        db.select(Incident).where(Incident.code == code).options(*_LOAD)
    ).scalar()


def duration(incident: Incident, now: datetime) -> timedelta:
    """Return how long the event lasted, or has lasted so far (never negative).

    An incident runs from started_at to resolved_at (or now). A maintenance runs from its
    scheduled_for to its completion: resolved_at, or the end of its window when the clock
    completed it, or now while it runs; a maintenance that has not started lasted nothing.
    """
    if incident.kind == EventKind.MAINTENANCE and incident.scheduled_for is not None:
        start = incident.scheduled_for
        end = incident.resolved_at or now
        if incident.scheduled_until is not None and incident.resolved_at is None:
            end = min(end, incident.scheduled_until)
    else:
        start = incident.started_at
        end = incident.resolved_at or now
    return max(end - start, timedelta(0))


def event_start(incident: Incident) -> datetime:
    """Return when an event counts as happening: a maintenance's window start, else its start.

    The same rule (`_starts_at`) orders the queries above, so groups follow their order.
    """
    return incident.scheduled_for or incident.started_at


def event_span(incident: Incident, now: datetime) -> tuple[datetime, datetime] | None:
    """Return when an event was under way up to now, or None if it has not started."""
    start = event_start(incident)
    if start > now:
        return None
    return start, start + duration(incident, now)
