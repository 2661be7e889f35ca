"""The system's own incident text: plain words, observed values, and since when.

Each text is built from *parts* (plain JSON-able dicts: a message key and its values), which
the engine stores beside the English it writes, so a page can word the same update in its
reader's language. One set of templates serves both: `ENGLISH` words them as written, and the
reads give `word` another `Words` (the request's catalog, its way with times and lists).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from statuspage.rules.maintenance import DEFAULT_TEXTS
from statuspage.vocabulary import (
    N_,
    STATUS_LABELS,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
)

# Fixed English month names, so the wording does not depend on the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TIMEOUT = re.compile(r"(?:timeout|timed out)(?: after (?P<after>.+))?", re.IGNORECASE)
_HTTP = re.compile(r"HTTP (?P<code>\d{3})\b.*", re.IGNORECASE)

MONITORING_TEXT = N_("A team member will confirm the resolution.")

INCIDENT_TITLES = {
    ComponentStatus.DEGRADED_PERFORMANCE: N_("Degraded performance of %(component)s"),
    ComponentStatus.PARTIAL_OUTAGE: N_("Partial outage of %(component)s"),
    ComponentStatus.MAJOR_OUTAGE: N_("Major outage of %(component)s"),
}
STATUS_CHANGE = N_("%(component)s changed from %(old)s to %(new)s.")
FAILING = N_("Automated checks of %(component)s have been failing since %(since)s")
DEGRADED = N_("Automated checks of %(component)s have shown degraded performance since %(since)s")
# The failing summary, then what each probe saw: "...since 10:02 UTC: A (...); B (...)."
WITH_DETAILS = N_("%(summary)s: %(details)s.")
ALONE = N_("%(summary)s.")
ONE_MORE = N_("%(first)s; %(next)s")
CLAUSE = N_("%(probe)s %(reason)s")
CLAUSE_FROM = N_("%(probe)s from %(location)s %(reason)s")
TIMED_OUT_AFTER = N_("timed out after %(after)s")
TIMED_OUT = N_("timed out")
ANSWERED_HTTP = N_("answered HTTP %(code)s")
FAILED_BECAUSE = N_("failed: %(reason)s")
FAILED = N_("failed")
DEGRADED_BECAUSE = N_("was degraded: %(reason)s")
WAS_DEGRADED = N_("was degraded")
HAS_SENT = N_("has sent %(reason)s")
REPORTED_FAILURE = N_("reported a failure")
REPORTED_FAILURE_BECAUSE = N_("reported a failure: %(message)s")
PASSED = N_("Automated checks of %(components)s have passed since %(since)s.")
PASSED_ALL = N_("Automated checks have passed since %(since)s.")
THEN = N_("%(first)s %(next)s")
INTERMITTENTLY = N_("%(clause)s intermittently (%(failing)d of the last %(num)d checks)")
INTERMITTENT = N_("intermittent: %(failed)d of the last %(checked)d checks failed")
INTERMITTENT_BECAUSE = N_(
    "intermittent: %(failed)d of the last %(checked)d checks failed (%(detail)s)"
)
SILENT = N_("no results from %(location)s since %(since)s")


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


@dataclass(frozen=True)
class Words:
    """How the system's text is worded: a language's lookups, and its way with times and lists."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    # A moment in a zone, with the date left out on `now`'s day (None: always the date).
    moment: Callable[[datetime, ZoneInfo, datetime | None], str]
    names: Callable[[Sequence[str]], str]


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


def join_names(names: Sequence[str]) -> str:
    """Join names in English: "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


ENGLISH = Words(
    gettext=lambda text: text,
    ngettext=lambda singular, plural, n: singular if n == 1 else plural,
    moment=format_moment,
    names=join_names,
)


def describe_reason(reason: str, degraded: bool = False, words: Words = ENGLISH) -> str:
    """Turn a probe's short reason into a clause: "timed out after 10 s", "answered HTTP 503"."""
    text = reason.strip().rstrip(".")
    timeout = _TIMEOUT.fullmatch(text)
    if timeout:
        after = timeout.group("after")
        if after:
            return words.gettext(TIMED_OUT_AFTER) % {"after": after}
        return words.gettext(TIMED_OUT)
    http = _HTTP.fullmatch(text)
    if http:
        return words.gettext(ANSWERED_HTTP) % {"code": http.group("code")}
    # A heartbeat's reasons (rules.heartbeat) read as what the job did, or did not do.
    if text.startswith("no heartbeat"):
        return words.gettext(HAS_SENT) % {"reason": text}
    if text.startswith("reported failure"):
        message = text.removeprefix("reported failure")
        if message.startswith(": "):
            return words.gettext(REPORTED_FAILURE_BECAUSE) % {"message": message[2:]}
        return words.gettext(REPORTED_FAILURE) + message
    # What the probe said stays as it said it; only the verb is the system's.
    if degraded:
        return (
            words.gettext(DEGRADED_BECAUSE) % {"reason": text}
            if text
            else words.gettext(WAS_DEGRADED)
        )
    return words.gettext(FAILED_BECAUSE) % {"reason": text} if text else words.gettext(FAILED)


def _failure_clause(failure: Mapping[str, Any], degraded: bool, words: Words) -> str:
    """Return one probe's clause, e.g. "Update check timed out after 10 s (3 of 3 checks)"."""
    values = {
        "probe": failure["probe_name"],
        "location": failure["location"],
        "reason": describe_reason(failure["reason"], degraded, words),
    }
    clause = words.gettext(CLAUSE_FROM if failure["location"] else CLAUSE) % values
    total = failure["total_count"]
    counts = {"clause": clause, "failing": failure["failing_count"], "num": total}
    if failure.get("intermittent"):
        # Always plural: the k-of-n window is several checks.
        return words.gettext(INTERMITTENTLY) % counts
    if total > 0:
        # Written out here (not a constant) so the catalog gets it as one plural message.
        counted = words.ngettext(
            "%(clause)s (%(failing)d of %(num)d check)",
            "%(clause)s (%(failing)d of %(num)d checks)",
            total,
        )
        clause = counted % counts
    return clause


def status_change_part(
    component_name: str, old: ComponentStatus | str, new: ComponentStatus | str
) -> dict[str, Any]:
    """Return the part that says a component's status changed."""
    return {
        "key": "status_change",
        "component": component_name,
        "old": str(ComponentStatus(old)),
        "new": str(ComponentStatus(new)),
    }


def failure_part(
    component_name: str,
    since: datetime,
    failures: Sequence[ProbeFailure],
    status: ComponentStatus | str,
) -> dict[str, Any]:
    """Return the part that says which checks fail, since when, and what each one saw."""
    return {
        "key": "failure",
        "component": component_name,
        "since": since.isoformat(),
        "status": str(ComponentStatus(status)),
        "failures": [asdict(failure) for failure in failures],
    }


def recovery_part(
    component_names: Sequence[str] | str, since: datetime, monitoring: bool = False
) -> dict[str, Any]:
    """Return the part that ends an automatic incident (or sends it to monitoring)."""
    names = [component_names] if isinstance(component_names, str) else list(component_names)
    return {
        "key": "recovery",
        "components": names,
        "since": since.isoformat(),
        "monitoring": monitoring,
    }


def default_part(status: IncidentStatus | MaintenanceStatus) -> dict[str, Any]:
    """Return the part of a status's default text, as the clock writes on a maintenance."""
    return {"key": "default", "status": str(status)}


def title_part(status: ComponentStatus | str, names: Sequence[str], limit: int) -> dict[str, Any]:
    """Return the title of an automatic incident: "Major outage of Live Updates and Analytics".

    When the names would make the English title longer than `limit`, they are counted instead.
    """
    english = INCIDENT_TITLES[ComponentStatus(status)] % {"component": join_names(names)}
    return {
        "key": "title",
        "status": str(ComponentStatus(status)),
        "components": list(names),
        "counted": len(english) > limit,
    }


def recovered_part(
    component_name: str, since: datetime, still_affected: Sequence[str]
) -> dict[str, Any]:
    """Return the part of one component recovering inside an incident others still hold."""
    return {
        "key": "recovered",
        "component": component_name,
        "since": since.isoformat(),
        "still": list(still_affected),
    }


def intermittent_part(failed: int, checked: int, last_failure: str) -> dict[str, Any]:
    """Return the part saying why the intermittent rule holds a probe degraded."""
    return {"key": "intermittent", "failed": failed, "checked": checked, "reason": last_failure}


def silent_part(location: str, since: datetime) -> dict[str, Any]:
    """Return the part of a location gone quiet since its last result."""
    return {"key": "silent", "location": location, "since": since.isoformat()}


def _status(value: str, words: Words) -> str:
    return words.gettext(STATUS_LABELS[ComponentStatus(value)])


def _default_status(value: str) -> IncidentStatus | MaintenanceStatus:
    try:
        return IncidentStatus(value)
    except ValueError:
        return MaintenanceStatus(value)


def word(
    parts: Sequence[Mapping[str, Any]],
    tz: ZoneInfo,
    now: datetime | None = None,
    words: Words = ENGLISH,
) -> str:
    """Return the text of a stored message, in the language `words` speaks.

    `now` is when the text was written: a time on that day is given without its date.
    """
    texts = [_word_part(part, tz, now, words) for part in parts]
    text = texts[0] if texts else ""
    for following in texts[1:]:
        text = words.gettext(THEN) % {"first": text, "next": following}
    return text


def _word_part(part: Mapping[str, Any], tz: ZoneInfo, now: datetime | None, words: Words) -> str:
    key = part["key"]
    if key == "title":
        return _title(part, words)
    if key == "intermittent":
        return _intermittent(part, words)
    if key == "default":
        return words.gettext(DEFAULT_TEXTS[_default_status(part["status"])])
    if key == "status_change":
        return words.gettext(STATUS_CHANGE) % {
            "component": part["component"],
            "old": _status(part["old"], words),
            "new": _status(part["new"], words),
        }
    since = words.moment(datetime.fromisoformat(part["since"]), tz, now)
    if key == "failure":
        degraded = part["status"] == ComponentStatus.DEGRADED_PERFORMANCE
        summary = words.gettext(DEGRADED if degraded else FAILING) % {
            "component": part["component"],
            "since": since,
        }
        clauses = [_failure_clause(failure, degraded, words) for failure in part["failures"]]
        if not clauses:
            return words.gettext(ALONE) % {"summary": summary}
        details = clauses[0]
        for clause in clauses[1:]:
            details = words.gettext(ONE_MORE) % {"first": details, "next": clause}
        return words.gettext(WITH_DETAILS) % {"summary": summary, "details": details}
    if key == "recovery":
        names = part["components"]
        if names:
            passed = words.gettext(PASSED) % {"components": words.names(names), "since": since}
        else:
            passed = words.gettext(PASSED_ALL) % {"since": since}
        closing = MONITORING_TEXT if part["monitoring"] else DEFAULT_TEXTS[IncidentStatus.RESOLVED]
        return words.gettext(THEN) % {"first": passed, "next": words.gettext(closing)}
    if key == "recovered":
        still = part["still"]
        # Written out here (not a constant) so the catalog gets it as one plural message.
        template = words.ngettext(
            "Automated checks of %(component)s have passed since %(since)s; "
            "%(still)s is still affected.",
            "Automated checks of %(component)s have passed since %(since)s; "
            "%(still)s are still affected.",
            len(still),
        )
        return template % {
            "component": part["component"],
            "since": since,
            "still": words.names(still),
        }
    if key == "silent":
        return words.gettext(SILENT) % {"location": part["location"], "since": since}
    raise ValueError(f"unknown message key {key!r}")


def _title(part: Mapping[str, Any], words: Words) -> str:
    names = part["components"]
    if part["counted"]:
        count = len(names)
        named = words.ngettext("%(num)d component", "%(num)d components", count) % {"num": count}
    else:
        named = words.names(names)
    template = INCIDENT_TITLES[ComponentStatus(part["status"])]
    return words.gettext(template) % {"component": named}


def _intermittent(part: Mapping[str, Any], words: Words) -> str:
    """Word the intermittent reason, quoting the last failure: "... failed (HTTP 503)"."""
    text = part["reason"].strip().rstrip(".")
    http = _HTTP.fullmatch(text)
    if http:
        text = f"HTTP {http.group('code')}"
    elif _TIMEOUT.fullmatch(text):
        text = describe_reason(text, words=words)
    counts = {"failed": part["failed"], "checked": part["checked"], "detail": text}
    return words.gettext(INTERMITTENT_BECAUSE if text else INTERMITTENT) % counts


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
    return word([failure_part(component_name, since, failures, status)], tz, now)


def status_change_update(
    component_name: str, old: ComponentStatus | str, new: ComponentStatus | str
) -> str:
    """Return the text for a status change: "Live Updates changed from X to Y."."""
    return word([status_change_part(component_name, old, new)], ZoneInfo("UTC"))


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
    return word([recovery_part(component_names, since, monitoring)], tz, now)


def incident_title(status: ComponentStatus | str, names: Sequence[str], limit: int) -> str:
    """Return an automatic incident's title: "Major outage of Live Updates and Analytics".

    When the names would make it longer than `limit`, they are counted instead.
    """
    return word([title_part(status, names, limit)], ZoneInfo("UTC"))


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
    return word([recovered_part(component_name, since, still_affected)], tz, now)


def intermittent_reason(failed: int, checked: int, last_failure: str) -> str:
    """Return why the intermittent rule made a probe degraded, quoting its last failure.

    Example: "intermittent: 3 of the last 10 checks failed (HTTP 503)".
    """
    return word([intermittent_part(failed, checked, last_failure)], ZoneInfo("UTC"))


def silent_location(location: str, since: datetime, tz: ZoneInfo, now: datetime) -> str:
    """Return the note of a location gone quiet: "no results from eu-west since 10:42 UTC"."""
    return word([silent_part(location, since)], tz, now)


# The history's own notes stay English: no public page shows them.


def late_results_note(locations: Sequence[str], arrived: datetime, tz: ZoneInfo) -> str:
    """Return the note of history entries judged from results that arrived late."""
    where = join_names(sorted(locations))
    return f"judged from results from {where} that arrived late, at {format_moment(arrived, tz)}"


def entered_afterwards_note(code: str, entered: datetime, tz: ZoneInfo) -> str:
    """Return the note of history entries laid in from an incident entered afterwards."""
    return f"laid in from incident {code}, entered by staff at {format_moment(entered, tz)}"
