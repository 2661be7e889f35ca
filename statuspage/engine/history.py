"""Late evidence into the append-only status history: results that arrive late, and
incidents staff enter afterwards.

The history is never rewritten. What is learnt late is appended as change points dated in
the past (statuspage.rules.history.amend), each with a note saying where it came from, so
the history read in order (by time, then as appended) tells the new truth over the window
concerned and nothing else moves. The daily figures of the days touched are rolled up again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from probes import ProbeDefinition
from statuspage.config import StatusConfig
from statuspage.engine.rollups import history_points, roll_up_component_days
from statuspage.rules.confirmation import Rule, Verdict, replay
from statuspage.rules.history import Point, Recorded, amend, laid_over
from statuspage.rules.timeline import Change, component_timeline, probe_timeline, spans
from statuspage.rules.wording import entered_afterwards_note, late_results_note
from statuspage.store.db import db
from statuspage.store.models import Component, Incident, ProbeResult, ProbeState, StatusChange
from statuspage.vocabulary import Cause, ComponentStatus, EventKind, Outcome

log = logging.getLogger(__name__)

# Recorded points laid over only by what caused them to be shown: a status staff set by
# hand, or a maintenance window, holds as it was.
OPEN_TO_LATE_EVIDENCE = (Cause.PROBE, Cause.INCIDENT)


@dataclass(frozen=True)
class Before:
    """A location's state as it stood before a batch of results was recorded."""

    verdict: Verdict
    reported_at: datetime


def verdict_of(state: ProbeState) -> Verdict:
    """Return the verdict a stored probe state holds."""
    return Verdict(
        state.confirmed,
        state.confirmed_since,
        failed=1 if state.intermittent_reason else 0,
        counted_since=state.counted_since,
    )


def states_before(component_ids: Sequence[int]) -> dict[tuple[str, str], Before]:
    """Return the stored state of every probe location of these components."""
    rows = db.session.execute(
        db.select(ProbeState).where(ProbeState.component_id.in_(component_ids))
    ).scalars()
    return {(s.probe_key, s.location): Before(verdict_of(s), s.reported_at) for s in rows}


def probe_rule(probe: ProbeDefinition) -> Rule:
    """Return the confirmation rule a probe is configured with."""
    return Rule(
        probe.failures_to_open,
        probe.successes_to_close,
        probe.intermittent_failures,
        probe.intermittent_window,
    )


def judge_late(
    component: Component,
    since: datetime,
    until: datetime,
    before: Mapping[tuple[str, str], Before],
    locations: Sequence[str],
    config: StatusConfig,
    now: datetime,
) -> int:
    """Judge a component's results from `since` on in time order; append what was missed.

    Every location of every probe is replayed from the state it had at `since`, and their
    combination gives the component status moment by moment. Where that is worse than what
    the history recorded (an outage seen only by an agent that was cut off), the history is
    amended from the real times on. The results (the newest of the batch started at
    `until`) speak for one interval after the last of them: a queue delivered in batches
    leaves no stretch of guessing for the next batch to contradict. Returns how many points
    were appended.
    """
    entry = next((c for c in config.components if c.slug == component.slug), None)
    if entry is None or not entry.probes:
        return 0
    probes = list(entry.probes)
    lookback = timedelta(seconds=max(probe_rule(p).window * p.interval_s for p in probes) * 2)
    results: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for key, location, at, outcome in db.session.execute(
        db.select(
            ProbeResult.probe_key, ProbeResult.location, ProbeResult.started_at, ProbeResult.outcome
        )
        .where(
            ProbeResult.component_id == component.id,
            ProbeResult.started_at >= since - lookback,
            ProbeResult.started_at <= now,
        )
        .order_by(ProbeResult.started_at, ProbeResult.id)
    ):
        results[key, location].append((at, outcome))
    timelines = [_probe_changes(p, since, before, results, now) for p in probes]
    spoken = min(now, until + timedelta(seconds=max(p.interval_s for p in probes)))
    missed = [
        (start, min(end, spoken), status)
        for start, end, status in spans(component_timeline(timelines), now)
        if start < spoken
    ]
    if not missed:
        return 0
    recorded = recorded_history(component.id)
    desired = laid_over(recorded, missed, since, now)
    # The tail is not restored: the live evaluation that follows appends what holds now.
    points = amend(_plain(recorded), desired, since, now, restore=False)
    note = late_results_note(locations, now, config.site.zone)
    # The caller rolls the days up once the live evaluation has run (late results fill in
    # minutes that had no data, whether or not they change the history).
    append_points(component, points, Cause.PROBE, note, None, config, now, roll=False)
    if points:
        log.info("late results changed the history of %s from %s", component.slug, points[0][0])
    return len(points)


def _probe_changes(
    probe: ProbeDefinition,
    since: datetime,
    before: Mapping[tuple[str, str], Before],
    results: Mapping[tuple[str, str], Sequence[tuple[datetime, str]]],
    now: datetime,
) -> list[Change]:
    """Return a probe's replayed state across its locations from `since` to now."""
    rule = probe_rule(probe)
    changes: dict[str, list[Change]] = {}
    reports: dict[str, list[datetime]] = {}
    names = {loc for key, loc in [*results, *before] if key == probe.key}
    for location in names:
        timed = results.get((probe.key, location), [])
        context = [r for r in timed if r[0] < since]
        later = [r for r in timed if r[0] >= since]
        known = before.get((probe.key, location))
        # Exact when the state held from before `since`; otherwise assume it was up then.
        start = known.verdict if known and known.verdict.since <= since else Verdict(Outcome.UP)
        verdicts = replay(start, context, later, rule)
        changes[location] = [(since, start.state)] + [
            (at, verdict.state) for (at, _), verdict in zip(later, verdicts, strict=True)
        ]
        reported = [at for at, _ in timed]
        if known is not None:
            reported.append(known.reported_at)
        reports[location] = sorted(reported)
    return probe_timeline(changes, reports, probe.interval_s, since, now)


def lay_incident(incident: Incident, config: StatusConfig, now: datetime) -> int:
    """Lay the part of a staff incident the page did not show at the time into the history.

    That part runs from its start until it was entered (or resolved, if earlier); from then
    on the live evaluation shows it. Laying it again (a content file that changed) first takes
    out what the earlier laying appended. Returns how many points were appended.
    """
    if incident.kind != EventKind.INCIDENT or incident.automatic:
        return 0
    end = min(incident.resolved_at or now, incident.created_at or now, now)
    start = incident.started_at
    # An incident written as it happens was shown live: only one entered afterwards is laid.
    wanted = {
        a.component_id: ComponentStatus(a.status)
        for a in incident.affected
        if incident.entered_afterwards
        and a.status not in (ComponentStatus.OPERATIONAL, ComponentStatus.UNDER_MAINTENANCE)
    }
    laid_before = set(
        db.session.execute(
            db.select(StatusChange.component_id).where(StatusChange.incident_id == incident.id)
        ).scalars()
    )
    if not wanted and not laid_before:
        return 0
    note = entered_afterwards_note(incident.code, incident.created_at or now, config.site.zone)
    appended = 0
    for component_id in sorted(set(wanted) | laid_before):
        component = db.session.get(Component, component_id)
        if component is None:
            continue
        recorded = recorded_history(component_id, with_incident=True)
        own = [at for at, _, _, laid_by in recorded if laid_by == incident.id]
        others: list[Recorded] = [
            (at, s, o) for at, s, o, laid_by in recorded if laid_by != incident.id
        ]
        first, last = min([start, *own]), max([end, *own])
        status = wanted.get(component_id)
        spans_ = [(start, end, status)] if status is not None and start < end else []
        desired = laid_over(others, spans_, first, last)
        points = amend([(at, s) for at, s, _, _ in recorded], desired, first, last)
        # Amended and restored by `last`: the days after it are as they were.
        append_points(
            component, points, Cause.INCIDENT, note, incident.id, config, now, through=last
        )
        appended += len(points)
    return appended


def recorded_history(component_id: int, with_incident: bool = False) -> list:
    """Return a component's shown history in read order: (at, status, open to late evidence),
    and with `with_incident` the incident whose laying appended each point."""
    rows = db.session.execute(
        db.select(
            StatusChange.at, StatusChange.status, StatusChange.cause, StatusChange.incident_id
        )
        .where(StatusChange.component_id == component_id, StatusChange.overridden.is_(False))
        .order_by(StatusChange.at, StatusChange.id)
    )
    history = []
    for at, status, cause, incident_id in rows:
        point = (at, ComponentStatus(status), cause in OPEN_TO_LATE_EVIDENCE)
        history.append((*point, incident_id) if with_incident else point)
    return history


def _plain(recorded: Sequence[Recorded]) -> list[Point]:
    return [(at, status) for at, status, _ in recorded]


def append_points(
    component: Component,
    points: Sequence[Point],
    cause: Cause,
    note: str,
    incident_id: int | None,
    config: StatusConfig,
    now: datetime,
    *,
    roll: bool = True,
    through: datetime | None = None,
) -> None:
    """Append amending points (dated in the past) and roll up the days from the first one on
    (through that of `through`, if given) again."""
    if not points:
        return
    previous = history_points(component.id) if roll else []
    for at, status in points:
        db.session.add(
            StatusChange(
                component_id=component.id,
                status=status,
                at=at,
                cause=cause,
                incident_id=incident_id,
                note=note,
            )
        )
    db.session.flush()
    if not roll:
        return
    zone = config.site.zone
    day = min(at for at, _ in points).astimezone(zone).date()
    last = through.astimezone(zone).date() if through else None
    roll_up_component_days(component, day, config, now, previous, last)
