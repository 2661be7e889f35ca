"""Put probes on an APScheduler scheduler: one job per probe, at its own interval, in UTC."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from probes.definitions import ProbeDefinition


def add_probe_jobs(
    scheduler: BaseScheduler,
    probes: Iterable[ProbeDefinition],
    run: Callable[[ProbeDefinition], None],
    now: datetime | None = None,
) -> None:
    """Add a job per probe calling ``run(probe)``, each starting at a random point of its first
    interval; the job id is the probe key."""
    now = now or datetime.now(UTC)
    for probe in probes:
        # Jittered starts keep probes from firing in one burst every minute.
        start = now + timedelta(seconds=random.uniform(0, probe.interval_s))
        scheduler.add_job(
            run,
            IntervalTrigger(seconds=probe.interval_s, start_date=start, timezone=UTC),
            args=[probe],
            id=probe.key,
            name=probe.key,
            coalesce=True,  # after a pause, run once, not once per missed turn
            max_instances=1,  # an overrunning probe is skipped, never piled up
            misfire_grace_time=max(1, int(probe.interval_s / 2)),
        )
