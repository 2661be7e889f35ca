"""The Statuspage enumerations, spelled exactly as customers' tools expect them."""

from enum import StrEnum


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
