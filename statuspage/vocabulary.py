"""The words of the site, each defined once: the Statuspage enumerations (spelled exactly as
customers' tools expect them), the groups of them the rules use, and the kinds of event."""

from collections.abc import Iterable
from enum import StrEnum

from probes import Outcome

__all__ = [
    "ACTIVE_MAINTENANCE_STATUSES",
    "HTTP_CHANNELS",
    "IMPACT_SEVERITY",
    "LANGUAGES",
    "RESOLVED_INCIDENT_STATUSES",
    "STATUS_LABELS",
    "UNRESOLVED_INCIDENT_STATUSES",
    "Audience",
    "Cause",
    "Channel",
    "ComponentStatus",
    "DeliveryState",
    "EventKind",
    "Impact",
    "IncidentStatus",
    "Indicator",
    "MaintenanceStatus",
    "NotificationKind",
    "Outcome",
    "Role",
    "N_",
    "worst_impact",
]


def N_(text: str) -> str:
    """Mark a word for translation where it is defined; it is translated where it is shown."""
    return text


# The languages the pages speak (statuspage/translations/ holds a catalog for each), by the
# code of their address prefix (/es/), with each one's own name for the language switcher.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "de": "Deutsch",
    "pt": "Português",
    "zh": "简体中文",
}
# BCP 47 tags where the code alone says too little: the Chinese catalog is Simplified.
LANGUAGE_TAGS = {"zh": "zh-Hans"}


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
    ComponentStatus.OPERATIONAL: N_("Operational"),
    ComponentStatus.DEGRADED_PERFORMANCE: N_("Degraded Performance"),
    ComponentStatus.PARTIAL_OUTAGE: N_("Partial Outage"),
    ComponentStatus.MAJOR_OUTAGE: N_("Major Outage"),
    ComponentStatus.UNDER_MAINTENANCE: N_("Under Maintenance"),
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


# ---------------------------------------------------------------------------------------
# Notifications: who is told (subscribers and their channels) and what about.


class Channel(StrEnum):
    """How a subscriber (or the on-call team) is reached."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"


# Channels reached by an HTTP POST (everything but mail).
HTTP_CHANNELS = (Channel.WEBHOOK, Channel.SLACK, Channel.DISCORD, Channel.TEAMS)


class NotificationKind(StrEnum):
    """What an outbox event tells: the public events, staff alerts, and mail to one owner."""

    INCIDENT_CREATED = "incident.created"
    INCIDENT_UPDATED = "incident.updated"
    INCIDENT_RESOLVED = "incident.resolved"
    INCIDENT_POSTMORTEM = "incident.postmortem"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled"
    MAINTENANCE_STARTED = "maintenance.started"
    MAINTENANCE_UPDATED = "maintenance.updated"
    MAINTENANCE_COMPLETED = "maintenance.completed"
    # Webhooks only, as Statuspage does.
    COMPONENT_UPDATED = "component.updated"
    # The on-call team ([alerts]).
    ALERT_OPENED = "alert.opened"
    ALERT_ESCALATED = "alert.escalated"
    ALERT_IMPROVED = "alert.improved"
    ALERT_RESOLVED = "alert.resolved"
    ALERT_AGENT_STALLED = "alert.agent_stalled"
    ALERT_AGENT_RESUMED = "alert.agent_resumed"
    ALERT_CERTIFICATE = "alert.certificate"  # a probe's TLS certificate expires soon
    ALERT_UPSTREAM = "alert.upstream"  # a provider reports an incident while one of ours is open
    # One message to one subscriber's own address.
    CONFIRM = "subscriber.confirm"
    DISABLED = "subscriber.disabled"


class Audience(StrEnum):
    """Whom an outbox event is fanned out to."""

    SUBSCRIBERS = "subscribers"  # every matching subscriber, by components
    WEBHOOKS = "webhooks"  # matching webhook subscribers only (component status changes)
    STAFF = "staff"  # the [alerts] targets
    DIRECT = "direct"  # one subscriber, written with the event (no fan-out)


class DeliveryState(StrEnum):
    """Where one notification stands."""

    PENDING = "pending"  # waiting, claimed (leased) or backing off before a retry
    SENT = "sent"
    FAILED = "failed"  # gave up: retried for a day, or refused for good
    DROPPED = "dropped"  # its subscriber left (unsubscribed or disabled) before it went
