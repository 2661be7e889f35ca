"""Component rules: status from probe states, and the status the page shows."""

from __future__ import annotations

from collections.abc import Iterable

from statuspage.rules.page import STATUS_SEVERITY, worst_status
from statuspage.vocabulary import ComponentStatus, Outcome


def component_status_from_probes(probe_states: Iterable[str | None]) -> ComponentStatus | None:
    """Return a component's automatic status from its probes' confirmed states.

    Unknown probes (None) are ignored. Every known probe down -> major outage; some down ->
    partial outage; any degraded -> degraded performance; otherwise operational. No known
    probe -> None (the component has no automatic status).
    """
    known = [str(state) for state in probe_states if state is not None]
    for state in known:
        if state not in (Outcome.UP, Outcome.DEGRADED, Outcome.DOWN):
            raise ValueError(f"unknown probe state {state!r} (expected up, degraded or down)")
    if not known:
        return None
    if all(state == Outcome.DOWN for state in known):
        return ComponentStatus.MAJOR_OUTAGE
    if Outcome.DOWN in known:
        return ComponentStatus.PARTIAL_OUTAGE
    if Outcome.DEGRADED in known:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def effective_status(
    automatic: ComponentStatus | str | None,
    manual: ComponentStatus | str | None,
    in_maintenance: bool,
    incident_status: ComponentStatus | str | None = None,
) -> ComponentStatus:
    """Return the status the page shows for a component.

    Precedence, first that applies:

    1. a manual status staff set holds until staff clear it (staff know things probes do not);
    2. during an in-progress maintenance the component shows under maintenance, so planned
       work does not read as an outage;
    3. otherwise the worse of the automatic status (None counts as operational) and the
       status an unresolved staff incident set for it; an incident can make a component look
       worse than the probes say, never better.
    """
    if manual is not None:
        return ComponentStatus(manual)
    if in_maintenance:
        return ComponentStatus.UNDER_MAINTENANCE
    candidates = [automatic or ComponentStatus.OPERATIONAL]
    if incident_status is not None:
        candidates.append(incident_status)
    return worst_status(candidates)


def manual_hides(manual: ComponentStatus | str, observed: ComponentStatus | str) -> bool:
    """Tell whether a manual status would show a component better than what is observed.

    `observed` is the status the page would show without a manual one (probes, incidents,
    maintenance). Maintenance ranks between operational and degraded, as everywhere: pinning
    "operational" over a maintenance hides it, pinning "under maintenance" over an outage too.
    """
    return STATUS_SEVERITY[ComponentStatus(manual)] < STATUS_SEVERITY[ComponentStatus(observed)]
