"""Store probe results, and keep their history small: daily rollups and pruning."""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func

from probes import Result
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import Component, ProbeResult, ProbeRollup
from statuspage.vocabulary import Outcome

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


def roll_up(now: datetime) -> int:
    """Recompute daily rollups from the day before the last rolled-up one; return days written.

    The last rolled-up day may have been partial, and the day before it may have received late
    results (from an agent's queue), so both are recomputed: running this any number of times
    gives the same rollups.
    """
    last = db.session.execute(db.select(func.max(ProbeRollup.day))).scalar()
    if last is not None:
        last -= timedelta(days=1)
    else:
        first_raw = db.session.execute(db.select(func.min(ProbeResult.started_at))).scalar()
        if first_raw is None:
            return 0
        last = first_raw.astimezone(UTC).date()
    today = now.astimezone(UTC).date()
    day, written = last, 0
    while day <= today:
        _roll_up_day(day)
        day += timedelta(days=1)
        written += 1
    db.session.commit()
    return written


def _roll_up_day(day: date) -> None:
    start = datetime.combine(day, time(), tzinfo=UTC)
    rows = db.session.execute(
        db.select(
            ProbeResult.probe_key,
            ProbeResult.location,
            ProbeResult.component_id,
            ProbeResult.outcome,
            ProbeResult.latency_ms,
        ).where(ProbeResult.started_at >= start, ProbeResult.started_at < start + timedelta(days=1))
    )
    groups: dict[tuple[str, str, int], list[tuple[str, float | None]]] = defaultdict(list)
    for probe_key, location, component_id, outcome, latency in rows:
        groups[(probe_key, location, component_id)].append((outcome, latency))
    db.session.execute(delete(ProbeRollup).where(ProbeRollup.day == day))
    for (probe_key, location, component_id), items in groups.items():
        db.session.add(
            ProbeRollup(
                probe_key=probe_key,
                location=location,
                component_id=component_id,
                day=day,
                checks=len(items),
                down=sum(1 for outcome, _ in items if outcome == Outcome.DOWN),
                degraded=sum(1 for outcome, _ in items if outcome == Outcome.DEGRADED),
                **_latency_figures([latency for _, latency in items if latency is not None]),
            )
        )


def latency_percentiles(latencies: Iterable[float]) -> tuple[float, float] | None:
    """Return the median and 95th percentile of some latencies, or None without any."""
    values = sorted(latencies)
    if not values:
        return None
    # Inclusive: a few samples must not extrapolate a p95 slower than the slowest seen.
    p95 = (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )
    return statistics.median(values), p95


def _latency_figures(latencies: list[float]) -> dict[str, float | None]:
    figures = latency_percentiles(latencies)
    if figures is None:
        return {"latency_p50": None, "latency_p95": None, "latency_max": None}
    return {"latency_p50": figures[0], "latency_p95": figures[1], "latency_max": max(latencies)}


def prune(now: datetime, raw_days: int) -> int:
    """Roll up, then delete raw results older than raw_days; return how many were deleted."""
    roll_up(now)
    cutoff = now - timedelta(days=raw_days)
    deleted = db.session.execute(delete(ProbeResult).where(ProbeResult.started_at < cutoff))
    db.session.commit()
    return deleted.rowcount or 0


def newest_result_at() -> datetime | None:
    """Return when the newest stored result started, or None when there is none."""
    return db.session.execute(db.select(func.max(ProbeResult.started_at))).scalar()
