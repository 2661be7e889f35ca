"""Latency figures: the median and 95th percentile of some probe latencies, and hours."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, datetime


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


def top_of_hour(moment: datetime) -> datetime:
    """Return the start of the UTC hour a moment falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
