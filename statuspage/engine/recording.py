"""Store probe results, and keep their history small: daily rollups and pruning."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from probes import ProbeDefinition, Result
from probes.definitions import DEFAULT_FAILURES_TO_OPEN, DEFAULT_SUCCESSES_TO_CLOSE
from statuspage.config import StatusConfig
from statuspage.engine.evaluation import evaluate_components
from statuspage.engine.history import judge_late, probe_rule, states_before, verdict_of
from statuspage.engine.rollups import roll_up, roll_up_component_days
from statuspage.rules.confirmation import Rule, Verdict, replay
from statuspage.rules.wording import intermittent_part, word
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import Component, ProbeHour, ProbeResult, ProbeState
from statuspage.store.site_state import lock_site
from statuspage.vocabulary import Cause, Outcome

log = logging.getLogger(__name__)


def record_results(results: Sequence[Result]) -> list[ProbeResult]:
    """Store results once each (a result id seen before is skipped) and return the new rows."""
    if not results:
        return []
    ids = [r.id for r in results]
    known = set(
        db.session.execute(
            db.select(ProbeResult.result_id).where(ProbeResult.result_id.in_(ids))
        ).scalars()
    )
    slugs = {r.component for r in results}
    components = dict(
        db.session.execute(
            db.select(Component.slug, Component.id).where(Component.slug.in_(slugs))
        ).all()
    )
    rows = []
    for result in results:
        if result.id in known or result.component not in components:
            if result.component not in components:
                log.warning("result for unknown component %r ignored", result.component)
            continue
        known.add(result.id)
        rows.append(
            ProbeResult(
                result_id=result.id,
                probe_key=result.probe_key,
                component_id=components[result.component],
                location=result.location,
                started_at=result.started_at,
                latency_ms=result.latency_ms,
                outcome=str(result.outcome),
                http_status=result.http_status,
                reason=result.reason[: limits.REASON],
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return rows


def prune(now: datetime, raw_days: int) -> int:
    """Roll up, then delete raw results older than raw_days; return how many were deleted."""
    roll_up(now)
    cutoff = now - timedelta(days=raw_days)
    deleted = db.session.execute(delete(ProbeResult).where(ProbeResult.started_at < cutoff))
    db.session.execute(delete(ProbeHour).where(ProbeHour.hour < cutoff))
    db.session.commit()
    return deleted.rowcount or 0


def ingest(results: Sequence[Result], config: StatusConfig, now: datetime) -> list[ProbeResult]:
    """Record results, confirm each probe's state, and re-evaluate the components concerned.

    Each probe location's new results are judged one by one in time order. Results that
    arrive late (an agent's queue after a cut, the probe process's own after a database
    outage) are judged at their own times too: what they show that the page missed is
    appended to the status history at those times (engine.history.judge_late).
    Return the rows stored: a result whose id was stored before is skipped.
    """
    rows = record_results(results)
    if not rows:
        return rows
    probes = {probe.key: probe for probe in config.probes}
    # The newest certificate expiry each probe saw at each location, for the alerts' check.
    expiries = {
        (r.probe_key, r.location): r.certificate_expires_at
        for r in sorted(results, key=lambda r: r.started_at)
        if r.certificate_expires_at is not None
    }
    lock_site()
    late = _late_rows(rows, probes, now)
    before = states_before(sorted({row.component_id for row in late}))
    by_pair: dict[tuple[str, str, int], list[ProbeResult]] = defaultdict(list)
    for row in rows:
        by_pair[(row.probe_key, row.location, row.component_id)].append(row)
    for probe_key, location, component_id in sorted(by_pair):
        new = by_pair[(probe_key, location, component_id)]
        state = _confirm_probe(probe_key, location, component_id, probes.get(probe_key), new)
        state.certificate_expires_at = expiries.get((probe_key, location)) or (
            state.certificate_expires_at
        )
    db.session.flush()
    late_since: dict[int, datetime] = {}
    for component_id in sorted({row.component_id for row in late}):
        component = db.session.get(Component, component_id)
        mine = [row for row in late if row.component_id == component_id]
        if component is not None:
            late_since[component_id] = min(row.started_at for row in mine)
            locations = sorted({row.location for row in mine})
            # The results of this batch on time carry on where the late ones stop.
            until = max(row.started_at for row in rows if row.component_id == component_id)
            judge_late(component, late_since[component_id], until, before, locations, config, now)
    db.session.commit()
    evaluate_components(sorted({row.component_id for row in rows}), config, now, Cause.PROBE)
    if late_since:
        # Late results fill minutes that had no data: the days they fall on are rolled up again.
        lock_site()
        for component_id, since in late_since.items():
            component = db.session.get(Component, component_id)
            day = since.astimezone(config.site.zone).date()
            roll_up_component_days(component, day, config, now)
        db.session.commit()
    return rows


def _late_rows(
    rows: Sequence[ProbeResult], probes: dict[str, ProbeDefinition], now: datetime
) -> list[ProbeResult]:
    """Return the rows recorded later than their probe's next run would have been."""
    late = []
    for row in rows:
        probe = probes.get(row.probe_key)
        if probe is None:
            continue
        # A result is known at most one timeout after it started; later than an interval
        # beyond that, the page has already been judged without it.
        if now - row.started_at > timedelta(seconds=probe.interval_s + probe.timeout_s):
            late.append(row)
    return late


def _rule(probe: ProbeDefinition | None) -> Rule:
    if probe is None:
        return Rule(DEFAULT_FAILURES_TO_OPEN, DEFAULT_SUCCESSES_TO_CLOSE)
    return probe_rule(probe)


def _confirm_probe(
    probe_key: str,
    location: str,
    component_id: int,
    probe: ProbeDefinition | None,
    new: Sequence[ProbeResult],
) -> ProbeState:
    """Judge a location's new results one by one, in time order, from its stored state."""
    rule = _rule(probe)
    first = min(row.started_at for row in new)
    of_location = (ProbeResult.probe_key == probe_key, ProbeResult.location == location)
    context = list(
        db.session.execute(
            db.select(ProbeResult)
            .where(*of_location, ProbeResult.started_at < first)
            .order_by(ProbeResult.started_at.desc(), ProbeResult.id.desc())
            .limit(rule.window)
        ).scalars()
    )[::-1]
    later = list(
        db.session.execute(
            db.select(ProbeResult)
            .where(*of_location, ProbeResult.started_at >= first)
            .order_by(ProbeResult.started_at, ProbeResult.id)
        ).scalars()
    )
    newest = later[-1]
    state = db.session.get(ProbeState, (probe_key, location))
    if state is None:
        state = ProbeState(
            probe_key=probe_key,
            location=location,
            component_id=component_id,
            confirmed=Outcome.UP,
            confirmed_since=first,
            reported_at=newest.started_at,
        )
        db.session.add(state)
    # Results older than the state's newest came out of order: judged again from an up
    # state, unless the stored state already held before them.
    previous = verdict_of(state)
    if state.confirmed_since > first:
        previous = Verdict(Outcome.UP, first)
    timed = [(row.started_at, row.outcome) for row in later]
    verdict = replay(previous, [(r.started_at, r.outcome) for r in context], timed, rule)[-1]
    state.confirmed = verdict.state
    state.confirmed_since = verdict.since or state.confirmed_since
    state.counted_since = verdict.counted_since
    newest = max(later, key=lambda row: (row.started_at, row.id))
    if state.reported_at is None or newest.started_at >= state.reported_at:
        state.reported_at = newest.started_at
        state.last_outcome = newest.outcome
        state.last_latency_ms = newest.latency_ms
        state.last_http_status = newest.http_status
        state.last_reason = newest.reason
    failures = [row for row in [*context, *later] if row.outcome != Outcome.UP]
    if failures:
        state.last_failure_reason = failures[-1].reason
    if verdict.intermittent:
        part = intermittent_part(verdict.failed, verdict.checked, state.last_failure_reason or "")
        state.intermittent_reason = word([part], ZoneInfo("UTC"))[: limits.REASON]
        state.intermittent_message = json.dumps([part])
    else:
        state.intermittent_reason = state.intermittent_message = None
    return state
