"""Read a provider's status page (Statuspage v2): one bounded, conditional GET of its summary.

The request has a probe's bounds (``probes.transport``): a whole-exchange deadline, at most
1 MiB of body, at most 5 redirects. It sends the ETag and Last-Modified of the previous read,
so an unchanged page answers 304 and costs the provider nothing. Whatever goes wrong (no
answer, an error status, a body that is not a valid summary) gives a reading that says
"unknown" and why, never an exception.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests

from probes.reasons import classify
from probes.statuspage_summary import InvalidSummary, Summary, parse_summary
from probes.transport import Answer, Deadline, new_session, send

SUMMARY_PATH = "/api/v2/summary.json"
DEFAULT_TIMEOUT_S = 10.0
# What a validator may look like to be sent back: visible ASCII, a sane length.
_VALIDATOR = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,199}")


class ReadOutcome:
    """How a read went (plain strings, stored as they are)."""

    READ = "read"  # a fresh, valid summary
    NOT_MODIFIED = "not_modified"  # 304: the summary read before still holds
    UNKNOWN = "unknown"  # no valid answer: the provider's status is not known


@dataclass(frozen=True)
class Reading:
    """One read of a provider's summary."""

    outcome: str
    reason: str = ""
    summary: Summary | None = None
    etag: str | None = None
    last_modified: str | None = None
    latency_ms: float | None = None


def summary_url(page_url: str) -> str:
    """Return where a Statuspage page publishes its summary."""
    return page_url.rstrip("/") + SUMMARY_PATH


def read_summary(
    page_url: str,
    now: datetime,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    session: requests.Session | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Reading:
    """Read the summary of the page at ``page_url``; ``now`` bounds the times it may hold."""
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    answer = Answer()
    own_session = session is None
    session = session or new_session()
    start = clock()
    try:
        with Deadline(timeout_s) as deadline:
            try:
                send(session, "GET", summary_url(page_url), None, headers, deadline, answer)
            except Exception as exc:
                reason = classify(exc, deadline.seconds, deadline.expired)
                return Reading(
                    ReadOutcome.UNKNOWN, reason or f"request failed: {type(exc).__name__}"
                )
    finally:
        if own_session:
            session.close()
    latency_ms = (clock() - start) * 1000
    if answer.status == 304 and (etag or last_modified):
        return Reading(
            ReadOutcome.NOT_MODIFIED,
            etag=_validator(answer.headers.get("etag")) or etag,
            last_modified=_validator(answer.headers.get("last-modified")) or last_modified,
            latency_ms=latency_ms,
        )
    if answer.status != 200:
        return Reading(
            ReadOutcome.UNKNOWN, f"HTTP {answer.status}, expected 200", latency_ms=latency_ms
        )
    if answer.truncated:
        return Reading(ReadOutcome.UNKNOWN, "body over 1 MiB", latency_ms=latency_ms)
    try:
        summary = parse_summary(answer.body, now)
    except InvalidSummary as error:
        return Reading(ReadOutcome.UNKNOWN, str(error), latency_ms=latency_ms)
    return Reading(
        ReadOutcome.READ,
        summary=summary,
        etag=_validator(answer.headers.get("etag")),
        last_modified=_validator(answer.headers.get("last-modified")),
        latency_ms=latency_ms,
    )


def _validator(value: str | None) -> str | None:
    """Return an ETag or Last-Modified fit to send back, or None."""
    return value if value is not None and _VALIDATOR.fullmatch(value) else None
