"""Store probe results, and keep their history small: daily rollups and pruning."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete

from probes import ProbeDefinition, Result
from probes.definitions import DEFAULT_FAILURES_TO_OPEN, DEFAULT_SUCCESSES_TO_CLOSE
from statuspage.config import StatusConfig
from statuspage.engine.evaluation import evaluate
from statuspage.engine.rollups import roll_up
from statuspage.rules import confirm
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
    pairs = sorted({(row.probe_key, row.location, row.component_id) for row in rows})
    for probe_key, location, component_id in pairs:
        state = _confirm_probe(probe_key, location, component_id, probes.get(probe_key))
        state.certificate_expires_at = expiries.get((probe_key, location)) or (
            state.certificate_expires_at
        )
    db.session.commit()
    for component_id in sorted({component_id for _, _, component_id in pairs}):
        evaluate(component_id, config, now, Cause.PROBE)
    return rows


def _confirm_probe(
    probe_key: str, location: str, component_id: int, probe: ProbeDefinition | None
) -> ProbeState:
    failures_to_open = probe.failures_to_open if probe else DEFAULT_FAILURES_TO_OPEN
    successes_to_close = probe.successes_to_close if probe else DEFAULT_SUCCESSES_TO_CLOSE
    window = max(failures_to_open, successes_to_close)
    recent = list(
        db.session.execute(
            db.select(ProbeResult)
            .where(ProbeResult.probe_key == probe_key, ProbeResult.location == location)
            .order_by(ProbeResult.started_at.desc(), ProbeResult.id.desc())
            .limit(window)
        ).scalars()
    )[::-1]
    newest = recent[-1]
    state = db.session.get(ProbeState, (probe_key, location))
    if state is None:
        state = ProbeState(
            probe_key=probe_key,
            location=location,
            component_id=component_id,
            confirmed=Outcome.UP,
            confirmed_since=newest.started_at,
        )
        db.session.add(state)
    confirmed = confirm(
        state.confirmed, [r.outcome for r in recent], failures_to_open, successes_to_close
    )
    if confirmed != state.confirmed:
        # The change dates from the first result of the streak that confirmed it.
        streak = failures_to_open if confirmed != Outcome.UP else successes_to_close
        state.confirmed_since = recent[-min(streak, len(recent))].started_at
        state.confirmed = confirmed
    state.reported_at = newest.started_at
    state.last_outcome = newest.outcome
    state.last_latency_ms = newest.latency_ms
    state.last_http_status = newest.http_status
    state.last_reason = newest.reason
    if newest.outcome != Outcome.UP:
        state.last_failure_reason = newest.reason
    return state
