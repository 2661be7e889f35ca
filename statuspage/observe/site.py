"""The site's metrics: state read from the database at scrape time, and the cache's counters.

Component status, open incidents and confirmed probe states live in the database, so any web
worker reads the same figures when scraped: nothing to share between workers, nothing lost
on a restart. Only the response cache counts per process; with PROMETHEUS_MULTIPROC_DIR set
(gunicorn's several workers) the client keeps those counts in files there and sums them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func

from statuspage.config import StatusConfig
from statuspage.reads.summary import page_summary
from statuspage.store.db import db, utcnow
from statuspage.store.models import Notification, ProbeState
from statuspage.vocabulary import Channel, ComponentStatus, DeliveryState, Impact, Outcome

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
INCIDENT_IMPACTS = (Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL)

# Per process; without multiprocess mode only this process's counts are in this registry.
_cache_registry = CollectorRegistry(auto_describe=True)
_cache_hits = Counter(
    "statuspage_response_cache_hits",
    "Public responses served from the response cache.",
    registry=_cache_registry,
)
_cache_misses = Counter(
    "statuspage_response_cache_misses",
    "Public responses rendered because the cache had no current copy.",
    registry=_cache_registry,
)


def cache_hit() -> None:
    """Count a response served from the cache."""
    _cache_hits.inc()


def cache_miss() -> None:
    """Count a response the cache did not have, so rendered."""
    _cache_misses.inc()


class DatabaseCollector(Collector):
    """Component status, open incidents and confirmed probe states, read when scraped."""

    def __init__(self, config: StatusConfig) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges, read from the database now (needs an app context)."""
        now = utcnow()
        summary = page_summary(self.config.site, now)
        status = GaugeMetricFamily(
            "statuspage_component_status",
            "1 for the status the page shows for each component (and group), 0 for the others.",
            labels=["component", "status"],
        )
        for view in summary.components:
            for shown in (view, *view.children):
                for candidate in ComponentStatus:
                    value = 1.0 if candidate == shown.status else 0.0
                    status.add_metric([shown.component.slug, candidate.value], value)
        yield status

        open_incidents = GaugeMetricFamily(
            "statuspage_incidents_open",
            "Incidents investigating, identified or monitoring, by impact (maintenance aside).",
            labels=["impact"],
        )
        for impact in INCIDENT_IMPACTS:
            count = sum(1 for incident in summary.incidents if incident.impact == impact)
            open_incidents.add_metric([impact.value], count)
        yield open_incidents
        yield self._confirmed_states()
        yield from _outbox(now)

    def _confirmed_states(self) -> Metric:
        """Return each configured probe's confirmed state per location, as 1 and 0s."""
        configured = {probe.key for probe in self.config.probes}
        family = GaugeMetricFamily(
            "statuspage_probe_confirmed_state",
            "1 for each probe's confirmed state at each location (after the confirmation "
            "rule), 0 for the others.",
            labels=["probe", "location", "state"],
        )
        rows = db.session.execute(
            db.select(ProbeState.probe_key, ProbeState.location, ProbeState.confirmed).order_by(
                ProbeState.probe_key, ProbeState.location
            )
        )
        for probe_key, location, confirmed in rows:
            if probe_key not in configured:
                continue  # a probe since removed from the configuration
            for state in Outcome:
                family.add_metric([probe_key, location, state.value], float(state == confirmed))
        return family


def _outbox(now: datetime) -> Iterator[Metric]:
    """Yield the outbox's notifications by channel and state, and the oldest one waiting."""
    counts = GaugeMetricFamily(
        "statuspage_notifications",
        "Notifications in the outbox by channel and state (pending, sent, failed, dropped).",
        labels=["channel", "state"],
    )
    found = dict.fromkeys(((c.value, s.value) for c in Channel for s in DeliveryState), 0)
    rows = db.session.execute(
        db.select(Notification.channel, Notification.state, func.count()).group_by(
            Notification.channel, Notification.state
        )
    )
    for channel, state, count in rows:
        found[channel, state] = count
    for labels, count in found.items():  # every series, zeros included, so none vanishes
        counts.add_metric(list(labels), count)
    yield counts
    # A growing age means delivery is stuck (no `deliver` running, or a channel failing).
    oldest = db.session.execute(
        db.select(func.min(Notification.created_at)).where(
            Notification.state == DeliveryState.PENDING
        )
    ).scalar()
    age = GaugeMetricFamily(
        "statuspage_notifications_oldest_pending_seconds",
        "Age of the oldest notification not yet sent or given up on; 0 when none waits.",
    )
    age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    yield age


class _Together(Collector):
    """Several collectors scraped as one."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        """Yield every collector's metrics in turn."""
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_mode() -> bool:
    """Tell whether per-process counters are kept in PROMETHEUS_MULTIPROC_DIR and summed."""
    return bool(os.environ.get(MULTIPROCESS_VARIABLE))


def scrape(config: StatusConfig) -> bytes:
    """Return the site's metrics in Prometheus' text format (inside an app context)."""
    if multiprocess_mode():
        counters = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(counters)
    else:
        counters = _cache_registry
    return generate_latest(_Together([counters, DatabaseCollector(config)]))
