"""Turn recorded results, staff actions and the clock into component status and incidents.

The decisions are the pure rules in statuspage.rules; this module reads their inputs from the
database and writes their outcome back. Every evaluation runs in one transaction that first
takes the site lock (a no-op UPDATE of the single site_state row): that serialises writers on
SQLite and PostgreSQL alike, so two probe processes never act on the same stale view.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from statuspage.config import StatusConfig
from statuspage.engine.automatic import Observed, reconcile_incidents
from statuspage.notify.events import announce_component_change
from statuspage.reads.status import maintenance_covering, staff_incident_status
from statuspage.rules import (
    LocationState,
    combine_locations,
    component_status_from_probes,
    effective_status,
)
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.store.db import db
from statuspage.store.models import Component, ProbeState, StatusChange
from statuspage.store.site_state import bump_version, lock_site
from statuspage.vocabulary import Cause, ComponentStatus, Outcome

log = logging.getLogger(__name__)


def automatic_status(
    component_id: int, config: StatusConfig, now: datetime
) -> tuple[ComponentStatus | None, list[ProbeState]]:
    """Return what the probes say of a component now, and the states of its failing probes."""
    probes = {probe.key: probe for probe in config.probes}
    by_probe: dict[str, dict[str, ProbeState]] = defaultdict(dict)
    for state in db.session.execute(
        db.select(ProbeState).where(ProbeState.component_id == component_id)
    ).scalars():
        if state.probe_key in probes:  # a probe removed from the config no longer counts
            by_probe[state.probe_key][state.location] = state
    verdicts = []
    failing: list[ProbeState] = []
    for probe_key in probes:  # config order, so the incident text reads like the page
        states = by_probe.get(probe_key)
        if not states:
            continue
        verdict = combine_locations(
            {loc: LocationState(s.confirmed, s.reported_at) for loc, s in states.items()},
            now,
            probes[probe_key].interval_s,
        )
        verdicts.append(verdict)
        if verdict not in (None, Outcome.UP):
            # Only locations still reporting speak for the probe (a silent one is left out).
            oldest = now - timedelta(seconds=STALE_AFTER_INTERVALS * probes[probe_key].interval_s)
            failing.extend(
                s for s in states.values() if s.confirmed != Outcome.UP and s.reported_at >= oldest
            )
    return component_status_from_probes(verdicts), failing


def evaluate(component_id: int, config: StatusConfig, now: datetime, cause: Cause) -> None:
    """Bring a component's automatic status, incidents and status history up to date."""
    evaluate_components([component_id], config, now, cause)


def evaluate_components(
    component_ids: Sequence[int], config: StatusConfig, now: datetime, cause: Cause
) -> None:
    """Bring components' automatic status, incidents and history up to date, in one go.

    The components are judged together so that those failing at once share one automatic
    incident and one update naming them all.
    """
    lock_site()
    changed = False
    observed: list[Observed] = []
    components = []
    for component_id in component_ids:
        component = db.session.get(Component, component_id)
        if component is None:
            continue
        components.append(component)
        automatic, failing = automatic_status(component_id, config, now)
        previous_auto = (
            ComponentStatus(component.automatic_status) if component.automatic_status else None
        )
        if automatic is not None and automatic != previous_auto:
            component.automatic_status = automatic
            component.automatic_since = now
            changed = True
            if component.manual_status is not None:
                db.session.add(
                    StatusChange(
                        component=component,
                        status=automatic,
                        at=now,
                        cause=Cause.PROBE,
                        overridden=True,
                    )
                )
        in_maintenance = maintenance_covering(component_id, now) is not None
        if automatic is not None:
            observed.append(Observed(component, previous_auto, automatic, failing, in_maintenance))
    changed |= reconcile_incidents(observed, config, now)
    for component in components:
        in_maintenance = maintenance_covering(component.id, now) is not None
        changed |= _record_shown_status(component, in_maintenance, now, cause)
    if changed:
        bump_version(now)
    db.session.commit()


def _record_shown_status(
    component: Component, in_maintenance: bool, now: datetime, cause: Cause
) -> bool:
    """Append the status the page now shows to the history, when it differs."""
    shown = effective_status(
        component.automatic_status,
        component.manual_status,
        in_maintenance,
        staff_incident_status(component.id),
    )
    last = db.session.execute(
        db.select(StatusChange.status)
        .where(StatusChange.component_id == component.id, StatusChange.overridden.is_(False))
        # Read order: entries judged late are dated in the past, so the newest is by time.
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(1)
    ).scalar()
    # The very first entry marks when data starts, even when it says operational.
    if last == shown or (
        last is None and component.automatic_status is None and shown == ComponentStatus.OPERATIONAL
    ):
        return False
    if in_maintenance and shown == ComponentStatus.UNDER_MAINTENANCE:
        cause = Cause.MAINTENANCE
    change = StatusChange(component=component, status=shown, at=now, cause=cause)
    db.session.add(change)
    before = last or ComponentStatus.OPERATIONAL  # a first entry only marks when data starts
    if before != shown:
        announce_component_change(component, before, change, now)
    return True
