"""The words of the site, each defined once: the Statuspage enumerations (spelled exactly as
customers' tools expect them), the groups of them the rules use, and the kinds of event."""

from collections.abc import Iterable
from enum import StrEnum

from probes import Outcome

__all__ = [
    "ACTIVE_MAINTENANCE_STATUSES",
    "IMPACT_SEVERITY",
    "RESOLVED_INCIDENT_STATUSES",
    "STATUS_LABELS",
    "UNRESOLVED_INCIDENT_STATUSES",
    "Cause",
    "ComponentStatus",
    "EventKind",
    "Impact",
    "IncidentStatus",
    "Indicator",
    "MaintenanceStatus",
    "Outcome",
    "Role",
    "worst_impact",
]


class EventKind(StrEnum):
    """What a public event is: an incident, or a scheduled maintenance."""

    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class ComponentStatus(StrEnum):
    """A component's status, from best to worst, then maintenance."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class Indicator(StrEnum):
    """The page-level indicator."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


class IncidentStatus(StrEnum):
    """The status of an incident."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"


class MaintenanceStatus(StrEnum):
    """The status of a scheduled maintenance."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Impact(StrEnum):
    """The impact of an incident or maintenance."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


class Role(StrEnum):
    """What a staff account may do."""

    EDITOR = "editor"  # incidents, maintenance, notes
    ADMIN = "admin"  # also users, tokens, components and subscribers


class Cause(StrEnum):
    """Why a component's status changed."""

    PROBE = "probe"
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"
    STAFF = "staff"


STATUS_LABELS: dict[ComponentStatus, str] = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded Performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial Outage",
    ComponentStatus.MAJOR_OUTAGE: "Major Outage",
    ComponentStatus.UNDER_MAINTENANCE: "Under Maintenance",
}


# An incident still being worked on, and one that is over.
UNRESOLVED_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)
RESOLVED_INCIDENT_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM)
# A maintenance whose work is under way (its window has begun, it has not completed).
ACTIVE_MAINTENANCE_STATUSES = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)

# How bad each impact is, for picking the worst: maintenance is a departure from normal, but
# never worse than a real problem.
IMPACT_SEVERITY: dict[Impact, int] = {
    Impact.NONE: 0,
    Impact.MAINTENANCE: 1,
    Impact.MINOR: 2,
    Impact.MAJOR: 3,
    Impact.CRITICAL: 4,
}


def worst_impact(impacts: Iterable[Impact | str]) -> Impact:
    """Return the worst of some impacts (none when there are none)."""
    return max(
        (Impact(impact) for impact in impacts), key=IMPACT_SEVERITY.__getitem__, default=Impact.NONE
    )
