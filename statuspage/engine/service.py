"""Run every probe at its interval and record what it finds (APScheduler 3, in UTC)."""

from __future__ import annotations

import logging
import os
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from probes import ProbeDefinition, ProbeRunner, Result, configured, default_location
from probes.definitions import heartbeat_key
from probes.schedule import add_probe_jobs
from probes.upstream import Reading
from statuspage.config import ConfigError, UpstreamConfig
from statuspage.engine.heartbeats import judge_heartbeats
from statuspage.engine.maintenance import advance_maintenances
from statuspage.engine.recording import ingest, prune
from statuspage.engine.rollups import roll_up_days
from statuspage.engine.upstreams import poll_upstream
from statuspage.notify.alerts import check_certificates, check_locations
from statuspage.notify.delivery import Deliverer
from statuspage.notify.outcomes import prune as prune_outbox
from statuspage.observe.probes import ObservedRunner, ProbeMetrics
from statuspage.publish.watch import Republisher
from statuspage.store import limits
from statuspage.store.db import utcnow

log = logging.getLogger("statuspage.probes")

# Maintenance windows open and close on time; daily figures stay fresh for the uptime bars.
TICK_INTERVAL = timedelta(seconds=15)
HOUSEKEEPING_INTERVAL = timedelta(minutes=10)
MAX_PENDING = 10_000


def log_result(result: Result) -> None:
    """Log one line per result: what ran, from where, and how it went."""
    log.info("%s", result.summary())


class ProbeService:
    """Run and record one location's probes, judge the heartbeats and read the upstreams."""

    def __init__(
        self,
        app: Flask,
        environ: Mapping[str, str] | None = None,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.clock = clock  # tests move it; probe latencies are measured on their own clock
        self.environ = dict(os.environ if environ is None else environ)
        self.location = default_location(self.environ)
        if len(self.location) > limits.LOCATION:
            # Refused now: PostgreSQL would refuse every result, and the process look stalled.
            raise ConfigError(
                f"STATUSPAGE_LOCATION is longer than {limits.LOCATION} characters: "
                f"{self.location[:40]!r}..."
            )
        self.config = app.config["STATUS"]
        self.probes = configured(self.config.http_probes, self.environ)
        # A heartbeat whose key is unset (or too weak) takes no beats, so it is not judged.
        self.heartbeats = [
            probe for probe in self.config.heartbeats if heartbeat_key(probe, self.environ)
        ]
        # The last reading of each provider by this process (None: another read was recent).
        self.readings: dict[str, Reading | None] = {}
        # What the probes measure, served on loopback when STATUSPAGE_PROBE_METRICS_PORT is set.
        self.metrics = ProbeMetrics()
        # One worker per probe, so a cycle where every probe hangs still ends in one timeout.
        self.runner: ProbeRunner = ObservedRunner(
            self.metrics, max_workers=max(32, len(self.probes))
        )
        # Results waiting for the database, oldest first; bounded so an outage cannot
        # exhaust memory (at the default 23 probes a minute, 10,000 is about seven hours).
        self.pending: deque[Result] = deque(maxlen=max_pending)
        self._flushing = threading.Lock()
        self.database_down_since: datetime | None = None
        # Drains the outbox in this process's background (never in a web request).
        self.deliverer = Deliverer(app)
        # Keeps the published tree (served by nginx) current, when there is one.
        publish_dir = self.environ.get("STATUSPAGE_PUBLISH_DIR")
        self.republisher = Republisher(app, Path(publish_dir)) if publish_dir else None

    def record(self, results: list[Result]) -> bool:
        """Queue results and store everything queued; False while the database is unreachable."""
        dropped = max(0, len(self.pending) + len(results) - (self.pending.maxlen or 0))
        if dropped:
            log.error("result queue full: dropping the %d oldest results", dropped)
        self.pending.extend(results)
        if not self._flushing.acquire(blocking=False):
            return True  # another thread is storing; it or the next call takes these too
        try:
            batch = list(self.pending)
            if not batch:
                return True
            try:
                with self.app.app_context():
                    ingest(batch, self.config, self.clock())
            except SQLAlchemyError as error:
                if self.database_down_since is None:
                    self.database_down_since = self.clock()
                log.warning(
                    "database unreachable (%s): %d results kept in memory, retrying with the next",
                    error.__class__.__name__,
                    len(self.pending),
                )
                return False
            for _ in batch:
                self.pending.popleft()
            if self.database_down_since is not None:
                log.info("database reachable again: recorded %d kept results", len(batch))
                self.database_down_since = None
            return True
        finally:
            self._flushing.release()

    def run_once(self) -> list[Result]:
        """Run every probe once in parallel, judge the heartbeats, read the upstreams, tidy up."""
        results = self.runner.run_cycle(self.probes, location=self.location, environ=self.environ)
        results += self.judge(self.heartbeats)
        for result in results:
            log_result(result)
        self.record(results)
        for upstream in self.config.upstreams:
            self.read_upstream(upstream)
        self.tick()
        self.housekeeping()
        if self.republisher is not None:
            self.republisher.tick()
        return results

    def tick(self) -> None:
        """Move maintenances on; alert on silent locations and certificates near their end."""
        for check, what in (
            (advance_maintenances, "advancing maintenances"),
            (check_locations, "checking probe locations"),
            (check_certificates, "checking certificates"),
        ):
            try:
                with self.app.app_context():
                    check(self.config, self.clock())
            except Exception:
                log.exception("%s failed", what)

    def judge(self, heartbeats: list[ProbeDefinition]) -> list[Result]:
        """Return a result for each of these heartbeats that is due one (none on error)."""
        if not heartbeats:
            return []
        try:
            zone, now = self.config.site.zone, self.clock()
            with self.app.app_context():
                return judge_heartbeats(heartbeats, self.location, zone, now)
        except SQLAlchemyError as error:
            log.warning("heartbeats not judged: database unreachable (%s)", type(error).__name__)
            return []

    def judge_heartbeat(self, probe: ProbeDefinition) -> None:
        """Judge one heartbeat and record its result; never raise into the scheduler."""
        try:
            results = self.judge([probe])
            for result in results:
                log_result(result)
            self.record(results)
        except Exception:
            log.exception("judging heartbeat %s failed", probe.key)

    def read_upstream(self, upstream: UpstreamConfig) -> None:
        """Read one provider's page (at most once a minute); never raise into the scheduler."""
        try:
            with self.app.app_context():
                self.readings[upstream.slug] = poll_upstream(upstream, self.config, self.clock())
        except Exception:
            log.exception("reading upstream %s failed", upstream.name)

    def run_probe(self, probe: ProbeDefinition) -> None:
        """Run one probe and record its result; never raise into the scheduler."""
        try:
            result = self.runner.run_one(probe, location=self.location, environ=self.environ)
            if result is None:  # still running from its previous turn
                return
            log_result(result)
            self.record([result])
        except Exception:
            log.exception("recording the result of %s failed", probe.key)

    def housekeeping(self) -> None:
        """Roll up daily figures and prune old raw results."""
        try:
            with self.app.app_context():
                now = self.clock()
                deleted = prune(now, self.config.raw_days)
                days = roll_up_days(self.config, now)
                prune_outbox(now)
            log.info("housekeeping: %d component-days rolled up, %d results pruned", days, deleted)
        except Exception:
            log.exception("housekeeping failed")

    def schedule(self, scheduler: BaseScheduler, now: datetime | None = None) -> None:
        """Add a job per probe, each starting at a random point of its first interval.

        The outbox's delivery lanes start beside them, and the publisher when there is one.
        """
        now = now or datetime.now(UTC)
        # Tests drive delivery themselves, unless they ask for the background lanes.
        if self.app.config.get("DELIVER_IN_BACKGROUND", not self.app.testing):
            self.deliverer.start()
        if self.republisher is not None:
            self.republisher.start()
        add_probe_jobs(scheduler, self.probes, self.run_probe, now)
        add_probe_jobs(scheduler, self.heartbeats, self.judge_heartbeat, now)
        for upstream in self.config.upstreams:
            # The first read comes soon after start, so the section does not stay unknown.
            start = now + timedelta(seconds=random.uniform(0, min(upstream.interval_s, 60)))
            scheduler.add_job(
                self.read_upstream,
                IntervalTrigger(seconds=upstream.interval_s, start_date=start, timezone=UTC),
                args=[upstream],
                id=f"upstream:{upstream.slug}",
                coalesce=True,
                max_instances=1,
            )
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=TICK_INTERVAL.total_seconds(), start_date=now, timezone=UTC),
            id="maintenance",
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_job(
            self.housekeeping,
            IntervalTrigger(
                seconds=HOUSEKEEPING_INTERVAL.total_seconds(),
                start_date=now + timedelta(seconds=30),
                timezone=UTC,
            ),
            id="housekeeping",
            coalesce=True,
            max_instances=1,
        )
