"""One incident or maintenance, as its permanent page shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.reads.incidents import (
    TimelineEntry,
    duration,
    event_start,
    get_incident,
    live_status,
    timeline,
)
from statuspage.reads.status import shown_statuses
from statuspage.rules import UPDATE_LABELS
from statuspage.store.models import Incident
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    RESOLVED_INCIDENT_STATUSES,
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    MaintenanceStatus,
)


@dataclass
class IncidentPage:
    """Everything an incident's page shows."""

    incident: Incident
    timeline: list[TimelineEntry]
    duration: timedelta
    status_label: str
    ongoing: bool
    # Resolved, or completed: nothing will change but a postmortem, so the page stays still.
    over: bool
    # A maintenance's planned length, and whether the event has begun yet.
    planned: timedelta | None
    started: bool
    # Each affected component's status now, by id, shown apart from its status in the event.
    current: dict[int, ComponentStatus]


def incident_page(code: str, now: datetime) -> IncidentPage | None:
    """Return the page of the event with this public code, or None if there is none."""
    incident = get_incident(code)
    if incident is None:
        return None
    status = live_status(incident, now)
    ongoing = status in (*UNRESOLVED_INCIDENT_STATUSES, *ACTIVE_MAINTENANCE_STATUSES)
    return IncidentPage(
        incident=incident,
        timeline=timeline(incident),
        duration=duration(incident, now),
        status_label=UPDATE_LABELS.get(status, str(status).replace("_", " ").capitalize()),
        ongoing=ongoing,
        over=status in (*RESOLVED_INCIDENT_STATUSES, MaintenanceStatus.COMPLETED),
        planned=(
            incident.scheduled_until - incident.scheduled_for
            if incident.scheduled_for and incident.scheduled_until
            else None
        ),
        started=event_start(incident) <= now,
        current=shown_statuses([a.component for a in incident.affected], now),
    )
