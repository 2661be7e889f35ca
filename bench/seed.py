"""The present state both benchmarks seed: recent results, one open incident, one maintenance."""

from __future__ import annotations

from datetime import datetime, timedelta

from probes import Result
from statuspage.config import StatusConfig
from statuspage.engine import ingest
from statuspage.staff import Actor, create_incident, post_update, schedule_maintenance

STAFF = Actor("oncall@capgo.app")


def seed_present(config: StatusConfig, now: datetime, *, location: str, minutes: int = 6) -> None:
    """Record the last minutes of results through the engine, and what staff posted lately.

    "Asia database" fails the last four minutes, which confirms it down and opens an automatic
    incident on Live Updates; a staff incident is open on Analytics, and a maintenance is due.
    """
    for minute in range(minutes, 0, -1):
        at = now - timedelta(minutes=minute)
        results = []
        for index, probe in enumerate(p for p in config.probes if not p.requires_env):
            fails = probe.name == "Asia database" and minute <= 4
            results.append(
                Result(
                    probe_key=probe.key,
                    component=probe.component,
                    location=location,
                    started_at=at + timedelta(seconds=index),
                    latency_ms=None if fails else 80.0 + index,
                    outcome="down" if fails else "up",
                    http_status=503 if fails else 200,
                    reason="HTTP 503, expected 200" if fails else "",
                )
            )
        ingest(results, config, at + timedelta(seconds=30))
    incident = create_incident(
        STAFF,
        config,
        now - timedelta(minutes=30),
        name="Delayed statistics",
        status="investigating",
        body="Device statistics are arriving late in the console.",
        components={"analytics": "degraded_performance"},
    )
    post_update(
        STAFF,
        config,
        now - timedelta(minutes=10),
        incident,
        status="identified",
        body="A queue consumer is lagging; we are adding capacity.",
    )
    soon = now + timedelta(days=2)
    schedule_maintenance(
        STAFF,
        config,
        now - timedelta(minutes=5),
        name="Bundle storage migration",
        scheduled_for=soon,
        scheduled_until=soon + timedelta(hours=2),
        components=["live-updates"],
        body="Bundle downloads may be slower during the migration.",
    )
