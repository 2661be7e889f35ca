"""The system's own incident text: plain words, observed values, and since when."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from statuspage.rules.maintenance import DEFAULT_TEXTS
from statuspage.vocabulary import STATUS_LABELS, ComponentStatus, IncidentStatus

# Fixed English month names, so the wording does not depend on the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TIMEOUT = re.compile(r"(?:timeout|timed out)(?: after (?P<after>.+))?", re.IGNORECASE)
_HTTP = re.compile(r"HTTP (?P<code>\d{3})\b.*", re.IGNORECASE)

MONITORING_TEXT = "A team member will confirm the resolution."


@dataclass(frozen=True)
class ProbeFailure:
    """What one probe observed while failing, as the system words it."""

    probe_name: str
    location: str | None
    reason: str
    failing_count: int
    total_count: int
    # True when the intermittent rule (k of the last n checks) made the probe degraded.
    intermittent: bool = False


def format_moment(moment: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    """Return a time in `tz` with its zone: "10:02 UTC", or "Feb 15, 10:02 UTC" on another day.

    The date is left out only when `moment` falls on the same local day as `now`; without
    `now` it is always given, so the text never leaves the day to guesswork. The year is added
    when it differs from now's.
    """
    local = moment.astimezone(tz)
    clock = f"{local:%H:%M} {local.tzname()}"
    local_now = now.astimezone(tz) if now is not None else None
    if local_now is not None and local_now.date() == local.date():
        return clock
    day = f"{_MONTHS[local.month - 1]} {local.day}"
    if local_now is None or local_now.year != local.year:
        day += f", {local.year}"
    return f"{day}, {clock}"


def describe_reason(reason: str, degraded: bool = False) -> str:
    """Turn a probe's short reason into a clause: "timed out after 10 s", "answered HTTP 503"."""
    text = reason.strip().rstrip(".")
    timeout = _TIMEOUT.fullmatch(text)
    if timeout:
        after = timeout.group("after")
        return f"timed out after {after}" if after else "timed out"
    http = _HTTP.fullmatch(text)
    if http:
        return f"answered HTTP {http.group('code')}"
    # A heartbeat's reasons (rules.heartbeat) read as what the job did, or did not do.
    if text.startswith("no heartbeat"):
        return f"has sent {text}"
    if text.startswith("reported failure"):
        return "reported a failure" + text.removeprefix("reported failure")
    verb = "was degraded" if degraded else "failed"
    return f"{verb}: {text}" if text else verb


def _failure_clause(failure: ProbeFailure, degraded: bool) -> str:
    """Return one probe's clause, e.g. "Update check timed out after 10 s (3 of 3 checks)"."""
    where = f" from {failure.location}" if failure.location else ""
    clause = f"{failure.probe_name}{where} {describe_reason(failure.reason, degraded)}"
    if failure.intermittent:
        return clause + (
            f" intermittently ({failure.failing_count} of the last {failure.total_count} checks)"
        )
    if failure.total_count > 0:
        noun = "check" if failure.total_count == 1 else "checks"
        clause += f" ({failure.failing_count} of {failure.total_count} {noun})"
    return clause


def failure_update(
    component_name: str,
    since: datetime,
    failures: Sequence[ProbeFailure],
    tz: ZoneInfo,
    status: ComponentStatus | str,
    now: datetime | None = None,
) -> str:
    """Return the text of an automatic incident update about failing checks.

    Example: "Automated checks of Live Updates have been failing since 10:02 UTC: Update check
    timed out after 10 s (3 of 3 checks); Europe edge answered HTTP 503." A location is named
    only when given (pass None with a single location).
    """
    degraded = ComponentStatus(status) == ComponentStatus.DEGRADED_PERFORMANCE
    state = "shown degraded performance" if degraded else "been failing"
    text = (
        f"Automated checks of {component_name} have {state} since {format_moment(since, tz, now)}"
    )
    if failures:
        text += ": " + "; ".join(_failure_clause(f, degraded) for f in failures)
    return text + "."


def status_change_update(
    component_name: str, old: ComponentStatus | str, new: ComponentStatus | str
) -> str:
    """Return the text for a status change: "Live Updates changed from X to Y."."""
    old_label = STATUS_LABELS[ComponentStatus(old)]
    new_label = STATUS_LABELS[ComponentStatus(new)]
    return f"{component_name} changed from {old_label} to {new_label}."


def join_names(names: Sequence[str]) -> str:
    """Join names in English: "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def recovery_update(
    component_names: Sequence[str] | str,
    since: datetime,
    tz: ZoneInfo,
    monitoring: bool = False,
    now: datetime | None = None,
) -> str:
    """Return the text of the update that ends an automatic incident.

    The incident is resolved, unless staff wrote on it (`monitoring`): then it goes to
    monitoring and the text says a team member will confirm the resolution.
    """
    names = [component_names] if isinstance(component_names, str) else list(component_names)
    subject = f"Automated checks of {join_names(names)}" if names else "Automated checks"
    closing = MONITORING_TEXT if monitoring else DEFAULT_TEXTS[IncidentStatus.RESOLVED]
    return f"{subject} have passed since {format_moment(since, tz, now)}. {closing}"


# ---------------------------------------------------------------------------------------
# One incident per outage: titles, joins and recoveries inside it, and the notes the
# history's late entries carry.

INCIDENT_TITLES = {
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance of {name}",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage of {name}",
    ComponentStatus.MAJOR_OUTAGE: "Major outage of {name}",
}


def incident_title(status: ComponentStatus | str, names: Sequence[str], limit: int) -> str:
    """Return an automatic incident's title: "Major outage of Live Updates and Analytics".

    When the names would make it longer than `limit`, they are counted instead.
    """
    template = INCIDENT_TITLES[ComponentStatus(status)]
    title = template.format(name=join_names(names))
    if len(title) > limit:
        title = template.format(name=f"{len(names)} components")
    return title


def recovered_update(
    component_name: str,
    since: datetime,
    still_affected: Sequence[str],
    tz: ZoneInfo,
    now: datetime | None = None,
) -> str:
    """Return the text for one component recovering inside an incident others still hold.

    Example: "Automated checks of Analytics have passed since 10:20 UTC; Live Updates is
    still affected."
    """
    verb = "is" if len(still_affected) == 1 else "are"
    return (
        f"Automated checks of {component_name} have passed since "
        f"{format_moment(since, tz, now)}; {join_names(still_affected)} {verb} still affected."
    )


def intermittent_reason(failed: int, checked: int, last_failure: str) -> str:
    """Return why the intermittent rule made a probe degraded, quoting its last failure.

    Example: "intermittent: 3 of the last 10 checks failed (HTTP 503)".
    """
    text = last_failure.strip().rstrip(".")
    http = _HTTP.fullmatch(text)
    timeout = _TIMEOUT.fullmatch(text)
    if http:
        text = f"HTTP {http.group('code')}"
    elif timeout:
        text = describe_reason(text)
    detail = f" ({text})" if text else ""
    return f"intermittent: {failed} of the last {checked} checks failed{detail}"


def silent_location(location: str, since: datetime, tz: ZoneInfo, now: datetime) -> str:
    """Return the note of a location gone quiet: "no results from eu-west since 10:42 UTC"."""
    return f"no results from {location} since {format_moment(since, tz, now)}"


def late_results_note(locations: Sequence[str], arrived: datetime, tz: ZoneInfo) -> str:
    """Return the note of history entries judged from results that arrived late."""
    where = join_names(sorted(locations))
    return f"judged from results from {where} that arrived late, at {format_moment(arrived, tz)}"


def entered_afterwards_note(code: str, entered: datetime, tz: ZoneInfo) -> str:
    """Return the note of history entries laid in from an incident entered afterwards."""
    return f"laid in from incident {code}, entered by staff at {format_moment(entered, tz)}"
