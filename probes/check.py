"""Run one probe: one bounded HTTP exchange, judged against the definition's expectations.

``probes.transport`` makes the exchange, within its bounds, and words why one failed; this
module judges a complete answer and words why it is not healthy. Reasons are built from our
own classification, never from exception text (requests puts the URL, which may hold an
expanded secret, into its messages), and are scrubbed of secrets anyway.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from probes.definitions import Outcome, ProbeDefinition, expand, missing_env
from probes.reasons import SHOWN_CHARS, classify
from probes.redact import ACTIVE_SECRETS, scrub, secret_values
from probes.results import Result
from probes.transport import Answer, Deadline, exchange, new_session

logger = logging.getLogger("probes")

BLOCKED_ERROR = "provider_infrastructure_request_blocked"

_MAX_REASON_CHARS = 240
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")
_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)


def _utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


# --- Judging ----------------------------------------------------------------------------------


def _clean(text: str, secrets: Iterable[str]) -> str:
    """Return server-supplied text fit for a reason: scrubbed, one line, at most 60 chars."""
    text = _CONTROL_CHARS.sub(" ", scrub(text, secrets)).strip()
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _show(value: Any, secrets: Iterable[str]) -> str:
    """Return a JSON value as shown in reasons (JSON spelling, scrubbed, truncated)."""
    if isinstance(value, str):
        value = scrub(value, secrets)  # before json.dumps escapes characters of the secret
    return _clean(json.dumps(value, ensure_ascii=False), secrets)


def _same(actual: Any, expected: Any) -> bool:
    """Return whether two JSON values are equal, with true/false never equal to 1/0."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return bool(actual == expected)


def _matches(actual: Any, expected: Any) -> bool:
    """Return whether ``actual`` satisfies one expected value (objects match as subsets)."""
    if isinstance(expected, Mapping):
        return _json_mismatch(expected, actual, "json", ()) is None
    return _same(actual, expected)


def _expected_text(expected: Any, secrets: Iterable[str]) -> str:
    """Return how an expectation is described after "expected"."""
    if isinstance(expected, Mapping):
        return "an object"
    if isinstance(expected, list):
        return "one of " + ", ".join(_show(item, secrets) for item in expected)
    return _show(expected, secrets)


def _json_mismatch(
    expected: Mapping[str, Any], actual: Any, path: str, secrets: Iterable[str]
) -> str | None:
    """Return why ``actual`` does not contain ``expected``, or None when it does.

    Every expected key must be present; a list means "one of these"; objects recurse.
    """
    if not isinstance(actual, dict):
        return f"{path} = {_show(actual, secrets)}, expected an object"
    for key, want in expected.items():
        where = f"{path}.{key}"
        if key not in actual:
            return f"{where} missing, expected {_expected_text(want, secrets)}"
        got = actual[key]
        if isinstance(want, Mapping):
            mismatch = _json_mismatch(want, got, where, secrets)
            if mismatch:
                return mismatch
        elif isinstance(want, list):
            if not any(_matches(got, option) for option in want):
                return f"{where} = {_show(got, secrets)}, expected {_expected_text(want, secrets)}"
        elif not _same(got, want):
            return f"{where} = {_show(got, secrets)}, expected {_expected_text(want, secrets)}"
    return None


def _statuses(statuses: tuple[int, ...]) -> str:
    """Return ``200``, ``200 or 204``, ``200, 201 or 204``."""
    shown = [str(s) for s in statuses]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


_NOT_PARSED = object()


def _parse_json(answer: Answer) -> Any:
    """Return the body as JSON, or ``_NOT_PARSED`` when it is not (or was cut short)."""
    if answer.truncated:
        return _NOT_PARSED
    try:
        return json.loads(answer.body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        return _NOT_PARSED


def _text(answer: Answer) -> str:
    """Return the body as text, in its declared charset (UTF-8 when none)."""
    match = _CHARSET.search(answer.content_type)
    try:
        return answer.body.decode(match[1] if match else "utf-8", errors="replace")
    except LookupError:
        return answer.body.decode("utf-8", errors="replace")


def _judge(
    definition: ProbeDefinition, answer: Answer, latency_ms: float, secrets: Iterable[str]
) -> tuple[Outcome, str]:
    """Return the outcome and reason for a complete answer."""
    status = answer.status
    data = _parse_json(answer)
    error = data.get("error") if isinstance(data, dict) else None
    if status == 200 and error == BLOCKED_ERROR:
        # The probe itself is blocked (hosted in a provider range Capgo refuses): it proves
        # nothing about the service, so it must not count as up.
        return Outcome.DOWN, f"blocked: {BLOCKED_ERROR}"
    if status not in definition.expect_status:
        if status in definition.degraded_status:
            if isinstance(error, str) and _clean(error, secrets):
                return Outcome.DEGRADED, f"HTTP {status} {_clean(error, secrets)} (degraded)"
            return Outcome.DEGRADED, f"HTTP {status} (degraded)"
        return Outcome.DOWN, f"HTTP {status}, expected {_statuses(definition.expect_status)}"
    if definition.expect_json is not None:
        if answer.truncated:
            return Outcome.DOWN, "body over 1 MiB"
        if data is _NOT_PARSED:
            return Outcome.DOWN, "body is not JSON"
        mismatch = _json_mismatch(definition.expect_json, data, "json", secrets)
        if mismatch:
            return Outcome.DOWN, mismatch
    if definition.expect_text is not None and definition.expect_text not in _text(answer):
        return Outcome.DOWN, f"body does not contain {_show(definition.expect_text, ())}"
    if latency_ms > definition.degraded_ms:
        limit = round(definition.degraded_ms)
        return Outcome.DEGRADED, f"slow: {round(latency_ms)} ms > {limit} ms"
    return Outcome.UP, ""


# --- The public entry point -------------------------------------------------------------------


def run_probe(
    definition: ProbeDefinition,
    *,
    location: str,
    environ: Mapping[str, str] = os.environ,
    session: requests.Session | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utcnow,
) -> Result:
    """Run one probe and return its result.

    Raises ``ValueError`` (naming variables, never values) when the probe is not configured:
    callers filter with ``configured()`` / ``missing_env()`` first. ``clock`` (seconds,
    monotonic) measures latency; the deadline always runs on the real monotonic clock.
    Pass a session from ``new_session()`` (a plain session loses the deadline timer and
    keeps only per-read timeouts). Unexpected errors propagate; ``ProbeRunner`` turns them
    into results.
    """
    if definition.kind != "http":
        raise ValueError(f"{definition.key}: a {definition.kind} probe is judged, not run")
    missing = missing_env(definition, environ)
    if missing:
        raise ValueError(f"{definition.key}: not configured, unset: {', '.join(missing)}")
    request = expand(definition, environ)
    secrets = secret_values(definition, environ)
    secret_headers = frozenset(
        name.lower() for name, value in definition.headers.items() if "${" in value
    )
    answer = Answer()
    own_session = session is None
    session = session or new_session()
    logger.debug("probe %s: %s %s", definition.key, definition.method, definition.url)
    started_at = now()
    start = clock()
    try:
        with ACTIVE_SECRETS.hold(secrets), Deadline(definition.timeout_s) as deadline:
            try:
                exchange(session, request, secret_headers, deadline, answer)
            except Exception as exc:
                latency_ms = (clock() - start) * 1000
                reason = classify(exc, deadline.seconds, deadline.expired)
                if reason is None:
                    raise
                outcome = Outcome.DOWN
            else:
                latency_ms = (clock() - start) * 1000
                outcome, reason = _judge(definition, answer, latency_ms, secrets)
    finally:
        if own_session:
            session.close()
    reason = scrub(reason, secrets)[:_MAX_REASON_CHARS]
    logger.log(
        logging.DEBUG if outcome is Outcome.UP else logging.INFO,
        "probe %s: %s%s (%.0f ms)",
        definition.key,
        outcome.value,
        f", {reason}" if reason else "",
        latency_ms,
    )
    return Result.for_probe(
        definition,
        location=location,
        started_at=started_at,
        outcome=outcome,
        reason=reason,
        latency_ms=latency_ms,
        http_status=answer.status,
        certificate_expires_at=answer.certificate_expires_at,
    )
