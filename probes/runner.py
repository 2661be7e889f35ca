"""Run many probes in parallel, never the same probe twice at once."""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from probes import check
from probes.definitions import Outcome, ProbeDefinition, missing_env
from probes.redact import scrub, secret_values
from probes.results import Result
from probes.transport import format_seconds, timeout_reason

logger = logging.getLogger("probes")

# How long past a probe's own timeout run_cycle keeps waiting before giving up on it. Only
# something the deadline timer cannot interrupt (a DNS lookup stuck in the resolver) gets here.
DEFAULT_GRACE_S = 1.0


@dataclass
class _Task:
    """One submitted probe and when its worker picked it up."""

    definition: ProbeDefinition
    future: Future[Result]
    started: float | None = None
    started_at: datetime | None = None


class ProbeRunner:
    """Runs probes on a bounded thread pool.

    A cycle of N probes that all hang ends in about one timeout while N <= ``max_workers``;
    beyond that the rest queue, so the worst case is ceil(N / max_workers) timeouts. Each run
    gets its own ``requests.Session`` (sessions are not thread-safe, and a fresh connection is
    what an app launch sees). Use as a context manager or call ``close()``.
    """

    def __init__(self, max_workers: int = 32, *, grace_s: float = DEFAULT_GRACE_S) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.grace_s = grace_s
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="probe")
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def __enter__(self) -> ProbeRunner:
        """Return the runner."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the runner."""
        self.close()

    def close(self) -> None:
        """Stop accepting work; probes already running finish within their deadline."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def running(self) -> set[str]:
        """Return the keys of the probes running (or queued) right now."""
        with self._lock:
            return set(self._running)

    def _claim(self, definition: ProbeDefinition, environ: Mapping[str, str]) -> bool:
        """Mark a probe as running; False (and a log line) when it must be skipped."""
        missing = missing_env(definition, environ)
        if missing:
            unset = ", ".join(missing)
            logger.debug("probe %s skipped: not configured (%s unset)", definition.key, unset)
            return False
        with self._lock:
            if definition.key in self._running:
                logger.info("probe %s skipped: still running from before", definition.key)
                return False
            self._running.add(definition.key)
            return True

    def _release(self, definition: ProbeDefinition) -> None:
        """Mark a probe as no longer running."""
        with self._lock:
            self._running.discard(definition.key)

    def _run_claimed(
        self, definition: ProbeDefinition, location: str, environ: Mapping[str, str]
    ) -> Result:
        """Run a claimed probe, turning any unexpected error into a down result."""
        started_at = datetime.now(UTC)
        try:
            return check.run_probe(definition, location=location, environ=environ)
        except Exception as exc:
            try:
                secrets = secret_values(definition, environ)
            except Exception:
                secrets = set()
            # Exception text may hold an expanded URL: log the traceback only once scrubbed.
            text = scrub("".join(traceback.format_exception(exc)), secrets)
            logger.error("probe %s (%s) raised:\n%s", definition.key, definition.url, text)
            reason = f"probe error: {type(exc).__name__}"
            return Result.for_probe(
                definition,
                location=location,
                started_at=started_at,
                outcome=Outcome.DOWN,
                reason=reason,
            )
        finally:
            self._release(definition)

    def run_one(
        self,
        definition: ProbeDefinition,
        *,
        location: str,
        environ: Mapping[str, str] = os.environ,
    ) -> Result | None:
        """Run one probe in the calling thread; None when it is not configured or still running."""
        if not self._claim(definition, environ):
            return None
        return self._run_claimed(definition, location, environ)

    def run_cycle(
        self,
        definitions: Iterable[ProbeDefinition],
        *,
        location: str,
        environ: Mapping[str, str] = os.environ,
    ) -> list[Result]:
        """Run the configured probes in parallel; return their results in definition order.

        Probes that are not configured, or still running from an earlier call, are skipped
        (no result). A probe that outlives its timeout by ``grace_s`` is reported as a timeout
        and left to finish in the background; its key stays busy until it does.
        """
        tasks: list[_Task] = []
        for definition in definitions:
            if self._claim(definition, environ):
                task = _Task(definition, Future())
                try:
                    task.future = self._executor.submit(self._run_task, task, location, environ)
                except RuntimeError:  # the runner was closed
                    self._release(definition)
                    raise
                tasks.append(task)
        results: dict[int, Result] = {}
        pending = {id(task): task for task in tasks}
        while pending:
            done, _ = wait(
                [task.future for task in pending.values()],
                timeout=self._next_check(pending.values()),
                return_when=FIRST_COMPLETED,
            )
            for key, task in list(pending.items()):
                if task.future in done:
                    results[key] = task.future.result()
                    del pending[key]
                elif self._overdue(task):
                    results[key] = self._abandon(task, location)
                    del pending[key]
        return [results[id(task)] for task in tasks]

    def _run_task(self, task: _Task, location: str, environ: Mapping[str, str]) -> Result:
        """Record the start time, then run the probe (on a worker thread)."""
        task.started_at = datetime.now(UTC)
        task.started = time.monotonic()
        return self._run_claimed(task.definition, location, environ)

    def _limit(self, task: _Task) -> float | None:
        """Return when run_cycle stops waiting for a started task, None when not started."""
        if task.started is None:
            return None
        return task.started + task.definition.timeout_s + self.grace_s

    def _overdue(self, task: _Task) -> bool:
        """Return whether a started task has run past its timeout and the grace period."""
        limit = self._limit(task)
        return limit is not None and time.monotonic() > limit

    def _next_check(self, tasks: Iterable[_Task]) -> float:
        """Return how long to wait before looking for overdue tasks again."""
        limits = [limit for task in tasks if (limit := self._limit(task)) is not None]
        # Tasks still queued have no limit yet; look again soon to pick theirs up.
        soonest = min(limits, default=time.monotonic() + 0.25)
        return max(0.01, min(soonest - time.monotonic(), 0.25))

    def _abandon(self, task: _Task, location: str) -> Result:
        """Report a probe that overran its deadline as timed out."""
        definition = task.definition
        logger.warning(
            "probe %s overran its %s timeout; reported as a timeout, still running",
            definition.key,
            format_seconds(definition.timeout_s),
        )
        started = task.started if task.started is not None else time.monotonic()
        return Result.for_probe(
            definition,
            location=location,
            started_at=task.started_at or datetime.now(UTC),
            outcome=Outcome.DOWN,
            reason=timeout_reason(definition.timeout_s),
            latency_ms=(time.monotonic() - started) * 1000,
        )
