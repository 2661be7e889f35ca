"""Probe results summed up over a span: checks, failures and latency figures per probe."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from statuspage.rules.latency import latency_percentiles
from statuspage.store.db import db
from statuspage.store.models import ProbeResult
from statuspage.vocabulary import Outcome


def probe_figures(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Return each probe and location's checks, failures and latency figures in [start, end)."""
    rows = db.session.execute(
        db.select(
            ProbeResult.probe_key,
            ProbeResult.location,
            ProbeResult.component_id,
            ProbeResult.outcome,
            ProbeResult.latency_ms,
        ).where(ProbeResult.started_at >= start, ProbeResult.started_at < end)
    )
    groups: dict[tuple[str, str, int], list[tuple[str, float | None]]] = defaultdict(list)
    for probe_key, location, component_id, outcome, latency in rows:
        groups[(probe_key, location, component_id)].append((outcome, latency))
    return [
        {
            "probe_key": probe_key,
            "location": location,
            "component_id": component_id,
            "checks": len(items),
            "down": sum(1 for outcome, _ in items if outcome == Outcome.DOWN),
            "degraded": sum(1 for outcome, _ in items if outcome == Outcome.DEGRADED),
            **_latency_figures([latency for _, latency in items if latency is not None]),
        }
        for (probe_key, location, component_id), items in groups.items()
    ]


def _latency_figures(latencies: list[float]) -> dict[str, float | None]:
    figures = latency_percentiles(latencies)
    if figures is None:
        return {"latency_p50": None, "latency_p95": None, "latency_max": None}
    return {"latency_p50": figures[0], "latency_p95": figures[1], "latency_max": max(latencies)}
