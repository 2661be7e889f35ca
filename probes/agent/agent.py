"""A probe agent: run probes from another location and report the results to the site.

An agent needs no database. It posts each batch of results to the site's
``POST /api/v1/results`` with a bearer token of scope ``results``. While the site cannot be
reached, results wait in a bounded queue on disk and go later, oldest first. Every result
carries its id and the site stores each id once, so a batch sent twice (its answer lost on the
way back) stores nothing twice.

    queue = DiskQueue(default_queue_dir(os.environ))  # probes.agent.queue
    agent = Agent(probes, Reporter("https://status.example", token), queue, location="eu")
    agent.run_cycle()  # or agent.schedule(scheduler)
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from probes.agent.queue import DiskQueue
from probes.agent.reporter import Delivery, Reporter, Verdict, shown
from probes.definitions import ProbeDefinition
from probes.results import Result
from probes.runner import ProbeRunner
from probes.schedule import add_probe_jobs

log = logging.getLogger("probes.agent")

# The site takes at most 1,000 results per request; 500 keeps a request near 200 KB.
DEFAULT_BATCH = 500
# Retries after a failure wait 1, 2, 4 ... seconds, never more than this (nor less than a
# Retry-After the site asked for, up to MAX_RETRY_AFTER_S).
MAX_BACKOFF_S = 60.0
MAX_RETRY_AFTER_S = 600.0
# How often the scheduled agent looks for queued results to send (cheap when there are none).
DELIVERY_CHECK_S = 2.0
_ITEM = re.compile(r"^results\[(\d+)\]")


class Agent:
    """Runs probes from this location, queues their results on disk, and reports them.

    Sending is serialised: whichever thread finds the queue idle sends everything queued, in
    batches, oldest first. A batch the site cannot take now (unreachable, 5xx, 429) stays
    queued and sending pauses 1, 2, 4 ... up to ``max_backoff_s`` seconds. A result the site
    will never take (422) is dropped with an error naming it. A refusal of the agent itself
    (401, 403, 404) stops sending until restart; probing and queueing go on.
    """

    def __init__(
        self,
        probes: Iterable[ProbeDefinition],
        reporter: Reporter,
        queue: DiskQueue,
        *,
        location: str,
        environ: Mapping[str, str] | None = None,
        batch_size: int = DEFAULT_BATCH,
        max_backoff_s: float = MAX_BACKOFF_S,
        runner: ProbeRunner | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.probes = list(probes)
        self.reporter = reporter
        self.queue = queue
        self.location = location
        self.environ = dict(os.environ if environ is None else environ)
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        # One worker per probe, so a cycle where every probe hangs still ends in one timeout.
        self.runner = runner or ProbeRunner(max_workers=max(32, len(self.probes)))
        self._clock = clock
        self._sending = threading.Lock()
        self._failures = 0
        self._retry_at = 0.0
        # Why the site last failed to take results, while it does.
        self.last_failure: str | None = None
        # Why the site refused this agent (bad token...): no more sending until restart.
        self.refused: str | None = None

    def close(self) -> None:
        """Stop probing, write the queue down and release it."""
        self.runner.close()
        self.queue.close()
        self.reporter.close()

    def run_cycle(self) -> list[Result]:
        """Run every probe once, in parallel, queue the results and send what is queued."""
        results = self.runner.run_cycle(self.probes, location=self.location, environ=self.environ)
        self._record(results)
        return results

    def run_probe(self, probe: ProbeDefinition) -> None:
        """Run one probe, queue its result and send; never raise into the scheduler."""
        try:
            result = self.runner.run_one(probe, location=self.location, environ=self.environ)
            if result is not None:  # None: still running from its previous turn
                self._record([result])
        except Exception:
            log.exception("running or reporting %s failed", probe.key)

    def _record(self, results: Sequence[Result]) -> None:
        for result in results:
            log.info("%s", result.summary())
        self.queue.put(results)
        self.deliver()

    def deliver(self, *, force: bool = False) -> bool:
        """Send queued results, oldest first; return True when none remain queued.

        Does nothing while an earlier failure's pause runs, unless ``force``; nor once the site
        has refused this agent; nor while another thread is sending (it sends these too).
        """
        if not self._sending.acquire(blocking=False):
            return False
        try:
            if self.refused is None and (force or self._clock() >= self._retry_at):
                self._send_queued()
            try:
                self.queue.persist()
            except OSError as error:
                log.error("agent queue %s cannot be written (%s)", self.queue.path, error)
            return len(self.queue) == 0
        finally:
            self._sending.release()

    def _send_queued(self) -> None:
        size = self.batch_size
        accepted = duplicates = 0
        while batch := self.queue.oldest(size):
            delivery = self.reporter.send(batch)
            verdict = delivery.verdict
            if verdict is Verdict.DELIVERED:
                self._log_refused(batch, delivery)
                self.queue.discard(entry["id"] for entry in batch)
                accepted += delivery.accepted
                duplicates += delivery.duplicates
            elif verdict is Verdict.TOO_LARGE and size > 1:
                size = max(1, len(batch) // 2)
                log.warning(
                    "the site refused %d results as too large (%s): sending %d at a time",
                    len(batch),
                    delivery.reason,
                    size,
                )
            elif verdict in (Verdict.INVALID, Verdict.TOO_LARGE):
                self._drop_invalid(batch, delivery)
            elif verdict is Verdict.REFUSED:
                self.refused = delivery.reason
                log.error(
                    "the site %s refused this agent's results (%s): sending stops until the "
                    "agent restarts; %d results stay queued in %s",
                    self.reporter.site_url,
                    delivery.reason,
                    len(self.queue),
                    self.queue.path,
                )
                return
            else:
                self._pause(delivery)
                return
        if self._failures:
            log.info(
                "the site %s takes results again: %d queued results delivered (%d it had already)",
                self.reporter.site_url,
                accepted,
                duplicates,
            )
        elif accepted or duplicates:
            log.debug("delivered %d results (%d duplicates)", accepted, duplicates)
        self._failures = 0
        self._retry_at = 0.0
        self.last_failure = None

    def _log_refused(self, batch: list[dict[str, Any]], delivery: Delivery) -> None:
        """Say which delivered results the site did not believe: they are dropped, not resent."""
        by_id = {entry["id"]: entry for entry in batch}
        for refused in delivery.refused:
            entry = by_id.get(refused.get("id"), {})
            log.error(
                "the site refused result %s (%s from %s, started %s) at %s: %s; dropped it",
                shown(refused.get("id")),
                entry.get("probe_key"),
                entry.get("location"),
                entry.get("started_at"),
                shown(refused.get("field")),
                shown(refused.get("reason")),
            )

    def _drop_invalid(self, batch: list[dict[str, Any]], delivery: Delivery) -> None:
        """Drop the result the site named as invalid, or the whole batch when it named none."""
        match = _ITEM.match(delivery.field or "")
        index = int(match[1]) if match else None
        if index is not None and index < len(batch):
            bad = batch[index]
            log.error(
                "the site rejected result %s (%s from %s, started %s): %s; dropped it",
                bad.get("id"),
                bad.get("probe_key"),
                bad.get("location"),
                bad.get("started_at"),
                delivery.reason,
            )
            self.queue.discard([bad["id"]])
            return
        log.error(
            "the site rejected a batch of %d results (%s); dropped them (started %s to %s)",
            len(batch),
            delivery.reason,
            batch[0].get("started_at"),
            batch[-1].get("started_at"),
        )
        self.queue.discard(entry["id"] for entry in batch)

    def _pause(self, delivery: Delivery) -> None:
        """Keep the results and wait longer after each failure in a row before trying again."""
        self._failures += 1
        delay = min(self.max_backoff_s, 2.0 ** (self._failures - 1))
        if delivery.retry_after_s is not None:
            delay = max(delay, min(delivery.retry_after_s, MAX_RETRY_AFTER_S))
        self._retry_at = self._clock() + delay
        self.last_failure = delivery.reason
        log.warning(
            "cannot deliver results to %s (%s): %d results queued in %s; next try in %.0f s",
            self.reporter.site_url,
            delivery.reason,
            len(self.queue),
            self.queue.path,
            delay,
        )

    def schedule(self, scheduler: BaseScheduler, now: datetime | None = None) -> None:
        """Add a job per probe, and one that sends whatever is queued every few seconds."""
        now = now or datetime.now(UTC)
        add_probe_jobs(scheduler, self.probes, self.run_probe, now)
        scheduler.add_job(
            self.deliver,
            IntervalTrigger(seconds=DELIVERY_CHECK_S, start_date=now, timezone=UTC),
            id="deliver",
            coalesce=True,
            max_instances=1,
        )
