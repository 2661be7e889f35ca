"""Maintenance and update rules: the maintenance timeline, default texts and update labels."""

from __future__ import annotations

from datetime import datetime

from statuspage.vocabulary import N_, IncidentStatus, MaintenanceStatus

# Maintenance only moves forward; staff may move it ahead of the clock (start early, verify),
# but the clock never moves it back.
_MAINTENANCE_ORDER: dict[MaintenanceStatus, int] = {
    MaintenanceStatus.SCHEDULED: 0,
    MaintenanceStatus.IN_PROGRESS: 1,
    MaintenanceStatus.VERIFYING: 2,
    MaintenanceStatus.COMPLETED: 3,
}


def maintenance_status(
    scheduled_for: datetime,
    scheduled_until: datetime,
    now: datetime,
    current: MaintenanceStatus | str,
) -> MaintenanceStatus:
    """Return a maintenance's status at `now` given its window and its current status.

    Before the start -> scheduled; from the start (inclusive) -> in progress; at or after the
    end -> completed. Statuses only move forward: a maintenance staff moved to verifying (or
    started early) keeps that status until the end, and completed never goes back. A window
    that ends before it starts (bad data) is simply completed from its end on: this runs on
    every public read, which must not fail over one bad row.
    """
    current = MaintenanceStatus(current)
    if now >= scheduled_until:
        by_clock = MaintenanceStatus.COMPLETED
    elif now >= scheduled_for:
        by_clock = MaintenanceStatus.IN_PROGRESS
    else:
        by_clock = MaintenanceStatus.SCHEDULED
    return max(current, by_clock, key=_MAINTENANCE_ORDER.__getitem__)


# The update text used when staff (or the system) change the status without writing one.
# Incident texts are the reference's; maintenance texts are the ones Statuspage pages commonly
# publish, in the same voice.
DEFAULT_TEXTS: dict[IncidentStatus | MaintenanceStatus, str] = {
    IncidentStatus.INVESTIGATING: N_("We are currently investigating this issue."),
    IncidentStatus.IDENTIFIED: N_("The issue has been identified and a fix is being implemented."),
    IncidentStatus.MONITORING: N_("A fix has been implemented and we are monitoring the results."),
    IncidentStatus.RESOLVED: N_("This incident has been resolved."),
    IncidentStatus.POSTMORTEM: N_("We have published a postmortem of this incident."),
    MaintenanceStatus.SCHEDULED: N_("This maintenance has been scheduled."),
    MaintenanceStatus.IN_PROGRESS: (
        N_("Scheduled maintenance is currently in progress. We will provide updates as necessary.")
    ),
    MaintenanceStatus.VERIFYING: N_(
        "Verification is currently underway for the maintenance items."
    ),
    MaintenanceStatus.COMPLETED: N_("The scheduled maintenance has been completed."),
}

# Labels shown in front of each update on the page and in the feeds.
UPDATE_LABELS: dict[IncidentStatus | MaintenanceStatus, str] = {
    IncidentStatus.INVESTIGATING: N_("Investigating"),
    IncidentStatus.IDENTIFIED: N_("Identified"),
    IncidentStatus.MONITORING: N_("Monitoring"),
    IncidentStatus.RESOLVED: N_("Resolved"),
    IncidentStatus.POSTMORTEM: N_("Postmortem"),
    MaintenanceStatus.SCHEDULED: N_("Scheduled"),
    MaintenanceStatus.IN_PROGRESS: N_("In progress"),
    MaintenanceStatus.VERIFYING: N_("Verifying"),
    MaintenanceStatus.COMPLETED: N_("Completed"),
}

# The label of an update that did not change the status.
UNCHANGED_LABEL = N_("Update")


def update_label(
    status: IncidentStatus | MaintenanceStatus | str,
    previous_status: IncidentStatus | MaintenanceStatus | str | None,
) -> str:
    """Return an update's label: "Update" when the status did not change, else the status's."""
    if previous_status is not None and str(status) == str(previous_status):
        return UNCHANGED_LABEL
    return UPDATE_LABELS[status]
