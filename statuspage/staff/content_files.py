"""Incident files, parsed: content/incidents/*.md text in, a Document or a ContentError out.

A file is TOML front matter between `+++` lines, then one `## <date> <time> <zone> · <Status>`
section per update and an optional `## Postmortem` section; content/incidents/README.md
describes the format. Nothing here opens the database, and no clock is read but the `now`
passed in: content_sync checks Documents against the database and writes them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statuspage.rules import DEFAULT_TEXTS, incident_impact
from statuspage.store import limits
from statuspage.store.text import uncarried
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)

FENCE = "+++"
# Sources are named "incidents/<file name>" wherever the folder is checked out, so the same
# files synced from another clone (or with --dir) find the same incidents.
SOURCE_FOLDER = "incidents"
IGNORED_NAMES = {"readme.md"}
CODE_PATTERN = re.compile(r"^[a-z0-9]{12}$")
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

COMMON_KEYS = {"title", "code", "kind", "impact", "components"}
KEYS = {
    EventKind.INCIDENT: COMMON_KEYS | {"started", "resolved"},
    EventKind.MAINTENANCE: COMMON_KEYS | {"scheduled_for", "scheduled_until"},
}
STATUSES: dict[str, type[IncidentStatus] | type[MaintenanceStatus]] = {
    EventKind.INCIDENT: IncidentStatus,
    EventKind.MAINTENANCE: MaintenanceStatus,
}
INCIDENT_IMPACTS = (Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL)
# A component listed without a status gets the one that gives the incident its impact
# (incident_impact, read backwards).
STATUS_FOR_IMPACT = {
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.NONE: ComponentStatus.DEGRADED_PERFORMANCE,
}

# A level-2 ATX heading: "##", then a space or the end of the line ("###" is body text).
HEADING = re.compile(r"^##(?:[ \t]+(?P<text>.*))?$")
CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)")
UPDATE_HEADING = re.compile(
    r"""
    (?P<date>\d{4}-\d{2}-\d{2}) (?:T|[ \t]+) (?P<time>\d{2}:\d{2}(?::\d{2})?)
    [ \t]* (?P<zone>(?i:Z|UTC|GMT)|[+-]\d{2}:?\d{2}|[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+)?
    [ \t]* [·•|:—–-]* [ \t]*
    (?P<status>\S.*?)?
    [ \t]* \#* $
    """,
    re.VERBOSE,
)
HEADING_GRAMMAR = "'## 2026-03-01 10:05 UTC · Investigating'"
TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")


class ContentError(Exception):
    """A file that cannot be imported: `field` names the key or line that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UpdateSection:
    """One dated `## ` section of a file: an incident update."""

    line: int
    at: datetime
    status: str
    body: str


@dataclass(frozen=True)
class Document:
    """A parsed, self-consistent incident file, not yet checked against the database."""

    source: str
    digest: str
    code: str
    kind: str
    title: str
    impact: str
    components: dict[str, str]
    # The last update's status; a maintenance's window may move it on when it is written.
    status: str
    started_at: datetime
    resolved_at: datetime | None
    monitoring_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    updates: tuple[UpdateSection, ...]  # oldest first
    postmortem: str | None
    # The index in `updates` of the update that resolved the incident, if it is resolved.
    resolving: int | None


def incident_files(directory: Path) -> list[Path]:
    """Return the incident files of a folder in name order (not README.md nor hidden files)."""
    return sorted(
        path
        for path in directory.glob("*.md")
        if path.is_file()
        and path.name.lower() not in IGNORED_NAMES
        and not path.name.startswith(".")
    )


def source_name(path: Path) -> str:
    """Return the name an incident file is known by: `incidents/<file name>`."""
    return f"{SOURCE_FOLDER}/{path.name}"


def derived_code(source: str) -> str:
    """Return the stable incident code of a file without `code`: 12 base-36 digits of a hash."""
    number = int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest(), "big")
    digits = []
    for _ in range(12):
        number, digit = divmod(number, 36)
        digits.append(BASE36[digit])
    return "".join(digits)


def parse_document(text: str, source: str, now: datetime, digest: str = "") -> Document:
    """Parse and validate one incident file, raising ContentError naming the field or line."""
    if len(f"content:{source}") > limits.ACTOR:
        limit = limits.ACTOR - len(f"content:{SOURCE_FOLDER}/")
        raise ContentError("file name", f"longer than {limit} characters")
    front, body_start, body = split_front_matter(text)
    data = read_toml(front)
    kind = data.get("kind", EventKind.INCIDENT)
    if not isinstance(kind, str) or kind not in KEYS:
        raise ContentError("kind", f"must be 'incident' or 'maintenance', got {kind!r}")
    unknown = sorted(set(data) - KEYS[kind])
    if unknown:
        hint = ""
        if unknown[0] in KEYS[EventKind.INCIDENT] | KEYS[EventKind.MAINTENANCE]:
            hint = f" of a {kind}"
        allowed = ", ".join(sorted(KEYS[kind]))
        raise ContentError(unknown[0], f"unknown key{hint} (allowed: {allowed})")

    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError("title", "required: a non-empty string")
    if len(title.strip()) > limits.EVENT_NAME:
        raise ContentError("title", f"longer than {limits.EVENT_NAME} characters")
    if problem := uncarried(title):
        raise ContentError("title", f"contains {problem}")
    code = data.get("code", derived_code(source))
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise ContentError("code", f"must be 12 lowercase letters or digits, got {code!r}")

    updates, postmortem = _read_sections(body, body_start, STATUSES[kind], now)
    if not updates:
        raise ContentError(
            f"line {body_start}", f"no update: add at least one section like {HEADING_GRAMMAR}"
        )
    fields: dict[str, Any] = {
        "source": source,
        "digest": digest,
        "code": code,
        "kind": kind,
        "title": title.strip(),
        "updates": updates,
        "postmortem": postmortem,
    }
    if kind == EventKind.MAINTENANCE:
        fields.update(_maintenance_fields(data, updates, postmortem))
    else:
        fields.update(_incident_fields(data, updates, postmortem, now))
    return Document(**fields)


def split_front_matter(text: str) -> tuple[str, int, list[str]]:
    """Return the front matter, the line number the body starts on, and the body's lines."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ContentError(
            "line 1", f"a file starts with a {FENCE!r} line opening its front matter"
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            return "\n".join(lines[1:index]), index + 2, lines[index + 1 :]
    raise ContentError("line 1", f"the front matter is never closed by a {FENCE!r} line")


def read_toml(front: str) -> dict[str, Any]:
    try:
        return tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = TOML_POSITION.search(message)
        if position is None:
            raise ContentError("front matter", f"invalid TOML: {message}") from None
        # The front matter starts on the file's second line.
        line = int(position.group(1)) + 1
        raise ContentError(f"line {line}", f"invalid TOML: {message[: position.start()]}") from None


def _read_sections(
    lines: list[str], first_line: int, statuses: type, now: datetime
) -> tuple[tuple[UpdateSection, ...], str | None]:
    """Split the body into dated update sections and the postmortem."""
    sections: list[tuple[int, str, list[str]]] = []  # (line, heading text, body lines)
    in_code = False
    for offset, line in enumerate(lines):
        number = first_line + offset
        if CODE_FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            sections.append((number, (heading.group("text") or "").strip(), []))
        elif sections:
            sections[-1][2].append(line)
        elif line.strip():
            raise ContentError(
                f"line {number}", f"text before the first update heading, such as {HEADING_GRAMMAR}"
            )

    updates: list[UpdateSection] = []
    seen: dict[tuple[datetime, str], int] = {}
    postmortem: str | None = None
    postmortem_line = 0
    for number, heading, body_lines in sections:
        body = "\n".join(body_lines).strip()
        if problem := uncarried(body):
            raise ContentError(f"line {number}", f"the section contains {problem}")
        if heading.rstrip("#").strip().lower() == "postmortem":
            if postmortem_line:
                raise ContentError(
                    f"line {number}", f"a second Postmortem (first on line {postmortem_line})"
                )
            if not body:
                raise ContentError(f"line {number}", "the Postmortem section is empty")
            if len(body) > limits.POSTMORTEM:
                raise ContentError(
                    f"line {number}",
                    f"the postmortem is longer than {limits.POSTMORTEM} characters",
                )
            postmortem, postmortem_line = body, number
            continue
        at, status = _read_heading(heading, number, statuses)
        if at > now:
            raise ContentError(f"line {number}", "this update is dated in the future")
        if len(body) > limits.BODY:
            raise ContentError(
                f"line {number}", f"the update is longer than {limits.BODY} characters"
            )
        if (at, status) in seen:
            raise ContentError(
                f"line {number}", f"same time and status as the update on line {seen[at, status]}"
            )
        seen[at, status] = number
        updates.append(UpdateSection(number, at, status, body or DEFAULT_TEXTS[statuses(status)]))
    # Oldest first, whichever order the file lists them in.
    updates.sort(key=lambda update: (update.at, update.line))
    return tuple(updates), postmortem


def _read_heading(text: str, line: int, statuses: type) -> tuple[datetime, str]:
    """Read `<date> <time> <zone> <separator> <status>` into a UTC time and a status."""
    where = f"line {line}"
    match = UPDATE_HEADING.fullmatch(text)
    if match is None:
        raise ContentError(
            where,
            f"a '## ' heading is either an update, like {HEADING_GRAMMAR}, or '## Postmortem'",
        )
    try:
        day = date.fromisoformat(match.group("date"))
        clock = time.fromisoformat(match.group("time"))
    except ValueError:
        raise ContentError(
            where, f"not a real date and time: {match.group('date')} {match.group('time')}"
        ) from None
    if match.group("zone") is None:
        raise ContentError(
            where, "the time needs a zone: UTC, Z, an offset like +02:00, or Europe/Paris"
        )
    zone = _zone(match.group("zone"), where)
    word = match.group("status")
    if not word:
        raise ContentError(where, "no status after the time")
    status = re.sub(r"[\s_-]+", "_", word.strip().lower())
    allowed = [member.value for member in statuses]
    if status not in allowed:
        kind = "an incident" if statuses is IncidentStatus else "a maintenance"
        names = ", ".join(value.replace("_", " ").capitalize() for value in allowed)
        raise ContentError(where, f"unknown status {word!r}: {kind}'s statuses are {names}")
    return datetime.combine(day, clock, zone).astimezone(UTC), status


def _zone(text: str, where: str) -> tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    if text[0] in "+-":
        digits = text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            raise ContentError(where, f"not a time zone offset: {text}")
        offset = timedelta(hours=hours, minutes=minutes)
        return timezone(-offset if text[0] == "-" else offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(where, f"unknown time zone {text!r}") from None


def _moment(data: dict[str, Any], key: str) -> datetime | None:
    """Return a TOML date-time with an offset, in UTC."""
    if key not in data:
        return None
    value = data[key]
    example = "for example 2026-03-01T10:02:00Z, without quotes"
    if isinstance(value, str):
        raise ContentError(key, f"write a TOML date-time, not a string ({example})")
    if not isinstance(value, datetime):
        raise ContentError(key, f"must be a date and time with an offset ({example})")
    if value.tzinfo is None:
        raise ContentError(key, f"needs an offset such as Z or +02:00 ({example})")
    return value.astimezone(UTC)


def read_components(
    data: dict[str, Any], default: ComponentStatus, allowed: Iterable[str]
) -> dict[str, str]:
    """Read `components`: a list of slugs, or a table of slug = status."""
    value = data.get("components", [])
    allowed = list(allowed)
    if isinstance(value, list):
        if not all(isinstance(slug, str) and slug for slug in value):
            raise ContentError("components", "must be a list of component slugs")
        return {slug: default.value for slug in value}
    if isinstance(value, dict):
        for slug, status in value.items():
            if status not in allowed:
                raise ContentError(
                    f"components.{slug}",
                    f"status must be one of: {', '.join(allowed)} (got {status!r})",
                )
        return dict(value)
    raise ContentError("components", "must be a list of slugs or a table of slug = status")


def _incident_fields(
    data: dict[str, Any], updates: Sequence[UpdateSection], postmortem: str | None, now: datetime
) -> dict[str, Any]:
    impact = data.get("impact")
    if impact is not None and impact not in INCIDENT_IMPACTS:
        names = ", ".join(INCIDENT_IMPACTS)
        raise ContentError("impact", f"must be one of: {names} (got {impact!r})")
    listed = STATUS_FOR_IMPACT[Impact(impact or Impact.MINOR)]
    statuses = [s.value for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE]
    components = read_components(data, listed, statuses)
    started = _moment(data, "started") or updates[0].at
    if started > now:
        raise ContentError("started", "is in the future")
    for update in updates:
        if update.at < started:
            raise ContentError(f"line {update.line}", "this update is dated before `started`")

    status = updates[-1].status
    resolving = None
    if status in RESOLVED_INCIDENT_STATUSES:
        # The first of the resolved updates at the end of the timeline resolved it.
        resolving = len(updates) - 1
        while resolving > 0 and updates[resolving - 1].status in RESOLVED_INCIDENT_STATUSES:
            resolving -= 1
    resolved = _moment(data, "resolved")
    if resolving is None:
        if resolved is not None:
            raise ContentError("resolved", f"the last update says {status!r}, not resolved")
        if postmortem is not None:
            raise ContentError("postmortem", "a postmortem needs the last update to be Resolved")
    else:
        resolved = resolved or updates[resolving].at
        if resolved < started:
            raise ContentError("resolved", "is before `started`")
        if resolved > now:
            raise ContentError("resolved", "is in the future")
    monitoring = [u.at for u in updates if u.status == IncidentStatus.MONITORING]
    return {
        "impact": impact or incident_impact(components.values()).value,
        "components": components,
        "status": IncidentStatus.POSTMORTEM.value if postmortem else status,
        "started_at": started,
        "resolved_at": resolved,
        "monitoring_at": monitoring[0] if monitoring else None,
        "scheduled_for": None,
        "scheduled_until": None,
        "resolving": resolving,
    }


def _maintenance_fields(
    data: dict[str, Any], updates: Sequence[UpdateSection], postmortem: str | None
) -> dict[str, Any]:
    impact = data.get("impact", Impact.MAINTENANCE)
    if impact != Impact.MAINTENANCE:
        raise ContentError("impact", f"a maintenance's impact is 'maintenance' (got {impact!r})")
    maintenance = ComponentStatus.UNDER_MAINTENANCE
    components = read_components(data, maintenance, [maintenance.value])
    if not components:
        raise ContentError("components", "a maintenance needs at least one component")
    start = _moment(data, "scheduled_for")
    end = _moment(data, "scheduled_until")
    if start is None:
        raise ContentError("scheduled_for", "required for a maintenance")
    if end is None:
        raise ContentError("scheduled_until", "required for a maintenance")
    if end <= start:
        raise ContentError("scheduled_until", "must be after `scheduled_for`")
    if postmortem is not None:
        raise ContentError("postmortem", "only an incident has a postmortem")
    completed = [u.at for u in updates if u.status == MaintenanceStatus.COMPLETED]
    return {
        "impact": Impact.MAINTENANCE.value,
        "components": components,
        "status": updates[-1].status,
        "started_at": start,
        "resolved_at": completed[0] if completed else None,
        "monitoring_at": None,
        "scheduled_for": start,
        "scheduled_until": end,
        "resolving": None,
    }


def decode(raw: bytes) -> str:
    """Return a file's text: UTF-8, with or without a byte order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError("file", f"not UTF-8 text (byte {error.start})") from None
