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
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from requests.auth import AuthBase

from probes.agent.queue import DiskQueue
from probes.definitions import ProbeDefinition
from probes.redact import scrub
from probes.results import Result
from probes.runner import ProbeRunner
from probes.schedule import add_probe_jobs
from probes.transport import describe_error

log = logging.getLogger("probes.agent")

RESULTS_PATH = "/api/v1/results"
# The site takes at most 1,000 results per request; 500 keeps a request near 200 KB.
DEFAULT_BATCH = 500
SEND_TIMEOUT_S = 30.0
# Retries after a failure wait 1, 2, 4 ... seconds, never more than this (nor less than a
# Retry-After the site asked for, up to MAX_RETRY_AFTER_S).
MAX_BACKOFF_S = 60.0
MAX_RETRY_AFTER_S = 600.0
# How often the scheduled agent looks for queued results to send (cheap when there are none).
DELIVERY_CHECK_S = 2.0
_SHOWN_CHARS = 300
_ITEM = re.compile(r"^results\[(\d+)\]")


def check_site_url(url: str) -> str:
    """Return the site's base URL without a trailing slash; ``ValueError`` says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the site URL must look like https://status.example (got {url!r})")
    if parts.username is not None or parts.password is not None:
        # Written in a URL, a credential would show in every log line naming the site.
        raise ValueError("the site URL must not hold credentials: pass the token separately")
    if parts.query or parts.fragment:
        raise ValueError(f"the site URL must have no query or fragment (got {url!r})")
    return url.strip().rstrip("/")


# ---------------------------------------------------------------------------------------
# Sending results to the site


class Verdict(StrEnum):
    """What to do with a batch after the site's answer."""

    DELIVERED = "delivered"  # stored (or known already): forget it
    RETRY = "retry"  # the site is unreachable or busy: keep it, try later
    INVALID = "invalid"  # the site will never take it (400, 422): drop it
    TOO_LARGE = "too_large"  # 413: send fewer at a time
    REFUSED = "refused"  # the site refuses this agent (401, 403, 404...): stop until restart


@dataclass(frozen=True)
class Delivery:
    """The site's answer to one batch."""

    verdict: Verdict
    reason: str
    accepted: int = 0
    duplicates: int = 0
    retry_after_s: float | None = None
    # For INVALID: the field at fault, as the site named it ("results[3].started_at").
    field: str | None = None


class _Bearer(AuthBase):
    """Send the token; also keeps requests from adding ~/.netrc credentials instead."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class _HideToken(logging.Filter):
    """Replace the token in this module's log records, should any text ever carry it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = scrub(message, [self.token]), None
        return True


class Reporter:
    """Posts batches of results to a site's ``POST /api/v1/results``."""

    def __init__(
        self,
        site_url: str,
        token: str,
        *,
        timeout_s: float = SEND_TIMEOUT_S,
        session: requests.Session | None = None,
    ) -> None:
        if not token.strip():
            raise ValueError("a token is needed to report results")
        self.site_url = check_site_url(site_url)
        self.url = self.site_url + RESULTS_PATH
        self.timeout_s = timeout_s
        self._auth = _Bearer(token.strip())
        # Proxies and CA bundles from the environment apply, as an agent behind one needs them.
        self.session = session or requests.Session()
        self._filter = _HideToken(token.strip())
        log.addFilter(self._filter)

    def __repr__(self) -> str:
        """Name the site, never the token."""
        return f"Reporter({self.site_url!r})"

    def close(self) -> None:
        """Close the connections."""
        self.session.close()
        log.removeFilter(self._filter)

    def send(self, batch: Sequence[Mapping[str, Any]]) -> Delivery:
        """Post one batch and say what the answer means for it."""
        try:
            response = self.session.post(
                self.url,
                json={"results": list(batch)},
                auth=self._auth,
                timeout=(min(10.0, self.timeout_s), self.timeout_s),
                # A redirect would lose the body (and, to another host, the token).
                allow_redirects=False,
            )
        except (requests.RequestException, OSError) as error:
            return Delivery(Verdict.RETRY, describe_error(error, self.timeout_s))
        with response:
            return self._judge(response, len(batch))

    def _judge(self, response: requests.Response, size: int) -> Delivery:
        status = response.status_code
        body = _json_object(response)
        if 200 <= status < 300:
            accepted, duplicates = body.get("accepted"), body.get("duplicates")
            if isinstance(accepted, int) and isinstance(duplicates, int):
                return Delivery(Verdict.DELIVERED, f"HTTP {status}", accepted, duplicates)
            return Delivery(Verdict.DELIVERED, f"HTTP {status}", size, 0)
        message = _shown(body.get("message"))
        reason = f"HTTP {status}" + (f": {message}" if message else "")
        if status in (408, 429) or status >= 500:
            return Delivery(Verdict.RETRY, reason, retry_after_s=_retry_after(response))
        if status == 413:
            return Delivery(Verdict.TOO_LARGE, reason)
        if status in (400, 422):
            field = body.get("field") if isinstance(body.get("field"), str) else None
            return Delivery(Verdict.INVALID, reason, field=field)
        if 300 <= status < 400:
            where = _shown(response.headers.get("Location")) or "elsewhere"
            reason = f"HTTP {status} to {where}: give that address to --report-to"
        return Delivery(Verdict.REFUSED, reason)


def _json_object(response: requests.Response) -> dict[str, Any]:
    """Return the answer's JSON object, or {} when it is something else."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _shown(text: Any) -> str:
    """Return text from the site fit for one log line."""
    if not isinstance(text, str):
        return ""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _retry_after(response: requests.Response) -> float | None:
    """Return the seconds a Retry-After header asks for (its number form), if any."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


# ---------------------------------------------------------------------------------------
# The agent


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
