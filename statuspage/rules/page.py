"""Page-level rules: the banner, incident impact, the worst status, the website's indicator."""

from __future__ import annotations

from collections.abc import Iterable

from statuspage.vocabulary import N_, ComponentStatus, Impact, Indicator

# How bad each status is when picking the worst. Maintenance ranks just above operational and
# below every degraded state: planned work is a departure from normal, but never worse than a
# real problem happening at the same time.
STATUS_SEVERITY: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}

# How loud each indicator is; an incident can only make the banner louder.
INDICATOR_SEVERITY: dict[Indicator, int] = {
    Indicator.NONE: 0,
    Indicator.MAINTENANCE: 1,
    Indicator.MINOR: 2,
    Indicator.MAJOR: 3,
    Indicator.CRITICAL: 4,
}

# The description that goes with an indicator raised by an incident rather than by components.
RAISED_DESCRIPTIONS: dict[Indicator, str] = {
    Indicator.CRITICAL: N_("Major System Outage"),
    Indicator.MAJOR: N_("Partial System Outage"),
    Indicator.MINOR: N_("Minor Service Outage"),
    Indicator.MAINTENANCE: N_("Service Under Maintenance"),
    Indicator.NONE: N_("All Systems Operational"),
}

_IMPACT_INDICATOR: dict[Impact, Indicator] = {
    Impact.NONE: Indicator.NONE,
    Impact.MINOR: Indicator.MINOR,
    Impact.MAJOR: Indicator.MAJOR,
    Impact.CRITICAL: Indicator.CRITICAL,
    Impact.MAINTENANCE: Indicator.MAINTENANCE,
}


def _statuses(values: Iterable[ComponentStatus | str]) -> list[ComponentStatus]:
    """Return the values as ComponentStatus members (plain strings are accepted)."""
    return [ComponentStatus(value) for value in values]


def components_indicator(
    component_statuses: Iterable[ComponentStatus | str],
) -> tuple[Indicator, str]:
    """Return the banner the leaf components alone give (the reference table, first match)."""
    statuses = _statuses(component_statuses)
    if not statuses:
        return Indicator.NONE, N_("All Systems Operational")

    def every(status: ComponentStatus) -> bool:
        return all(s == status for s in statuses)

    def some(status: ComponentStatus) -> bool:
        return status in statuses

    major, partial = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE
    degraded = ComponentStatus.DEGRADED_PERFORMANCE
    if every(major):
        return Indicator.CRITICAL, N_("Major System Outage")
    if some(major) or every(partial):
        return Indicator.MAJOR, N_("Partial System Outage")
    if some(partial):
        return Indicator.MINOR, N_("Minor Service Outage")
    if every(degraded):
        return Indicator.MINOR, N_("Degraded System Service")
    if some(degraded):
        return Indicator.MINOR, N_("Partially Degraded Service")
    if some(ComponentStatus.UNDER_MAINTENANCE):
        return Indicator.MAINTENANCE, N_("Service Under Maintenance")
    return Indicator.NONE, N_("All Systems Operational")


def page_status(
    component_statuses: Iterable[ComponentStatus | str],
    unresolved_impacts: Iterable[Impact | str] = (),
) -> tuple[Indicator, str]:
    """Return the page indicator and description, raised by any unresolved incident's impact.

    The components give the banner from the reference table. Each unresolved incident raises
    the indicator to at least its impact; since maintenance ranks lowest among departures, an
    impact of `maintenance` only changes a `none` indicator. When an incident raises the
    indicator, the description is the one that goes with the raised indicator.
    """
    indicator, description = components_indicator(component_statuses)
    raised = indicator
    for impact in unresolved_impacts:
        candidate = _IMPACT_INDICATOR[Impact(impact)]
        if INDICATOR_SEVERITY[candidate] > INDICATOR_SEVERITY[raised]:
            raised = candidate
    if raised != indicator:
        return raised, RAISED_DESCRIPTIONS[raised]
    return indicator, description


def worst_status(statuses: Iterable[ComponentStatus | str]) -> ComponentStatus:
    """Return the worst status (maintenance ranks below degraded); operational when empty."""
    return max(
        _statuses(statuses), key=STATUS_SEVERITY.__getitem__, default=ComponentStatus.OPERATIONAL
    )


def incident_impact(component_statuses: Iterable[ComponentStatus | str]) -> Impact:
    """Return an incident's impact from its affected components' statuses.

    The worst affected component decides: major outage -> critical, partial outage -> major,
    degraded -> minor. Maintenance is not a problem, so it gives `maintenance` only when every
    affected component is under maintenance (and there is at least one); otherwise `none`.
    """
    statuses = _statuses(component_statuses)
    worst = worst_status(statuses)
    if worst == ComponentStatus.MAJOR_OUTAGE:
        return Impact.CRITICAL
    if worst == ComponentStatus.PARTIAL_OUTAGE:
        return Impact.MAJOR
    if worst == ComponentStatus.DEGRADED_PERFORMANCE:
        return Impact.MINOR
    if statuses and all(s == ComponentStatus.UNDER_MAINTENANCE for s in statuses):
        return Impact.MAINTENANCE
    return Impact.NONE


def site_indicator(component_statuses: Iterable[ComponentStatus | str]) -> str:
    """Return the capgo.app website's word: "up", "down", "maintenance" or "degraded".

    "up" when every component is operational (or there are none), "down" when any is in major
    outage, "maintenance" when maintenance is the only departure, "degraded" otherwise.
    """
    statuses = set(_statuses(component_statuses))
    departures = statuses - {ComponentStatus.OPERATIONAL}
    if not departures:
        return "up"
    if ComponentStatus.MAJOR_OUTAGE in departures:
        return "down"
    if departures == {ComponentStatus.UNDER_MAINTENANCE}:
        return "maintenance"
    return "degraded"
