"""What the admin screens list: incidents and maintenance by state, audit entries, labels."""

from __future__ import annotations

from dataclasses import dataclass

from statuspage.rules import update_label
from statuspage.store.db import db
from statuspage.store.models import AuditEntry, Incident
from statuspage.vocabulary import UNRESOLVED_INCIDENT_STATUSES, EventKind, MaintenanceStatus

# The incidents screen looks at this many of the newest events, and lists this many closed.
RECENT_EVENTS = 200
RECENT_CLOSED = 50
# Entries on one page of the audit log (admin/audit.html offers "Older" after a full page).
AUDIT_PAGE_SIZE = 100


@dataclass
class IncidentLists:
    """The incidents screen: open incidents, maintenance not completed, and recent others."""

    open_incidents: list[Incident]
    maintenances: list[Incident]
    closed: list[Incident]


def incident_lists() -> IncidentLists:
    """Return the newest events sorted into what staff act on first and what is over."""
    rows = list(
        db.session.execute(
            db.select(Incident).order_by(Incident.started_at.desc()).limit(RECENT_EVENTS)
        ).scalars()
    )
    open_incidents = [
        i for i in rows if i.kind == EventKind.INCIDENT and i.status in UNRESOLVED_INCIDENT_STATUSES
    ]
    maintenances = [
        i
        for i in rows
        if i.kind == EventKind.MAINTENANCE and i.status != MaintenanceStatus.COMPLETED
    ]
    closed = [i for i in rows if i not in open_incidents and i not in maintenances]
    return IncidentLists(open_incidents, maintenances, closed[:RECENT_CLOSED])


def update_labels(event: Incident) -> dict[int, str]:
    """Return each update's label by id ("Identified", "Update"...), as the timeline shows it."""
    labels = {}
    previous = None
    for update in reversed(event.updates):  # oldest first, to label status changes
        labels[update.id] = update_label(update.status, previous)
        previous = update.status
    return labels


def audit_trail(event: Incident) -> list[AuditEntry]:
    """Return the audit entries of an event and of its updates, newest first."""
    targets = [f"incident:{event.code}", *(f"update:{u.code}" for u in event.updates)]
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.target.in_(targets))
            .order_by(AuditEntry.id.desc())
        ).scalars()
    )


def audit_page(number: int) -> list[AuditEntry]:
    """Return one page of the audit log, newest first; pages count from 1."""
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .order_by(AuditEntry.id.desc())
            .limit(AUDIT_PAGE_SIZE)
            .offset((number - 1) * AUDIT_PAGE_SIZE)
        ).scalars()
    )
