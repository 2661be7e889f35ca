"""A Statuspage page's /history.atom, read for the incidents its 50-entry API leaves out.

An entry is one incident: its title, its link (/incidents/<id>), and its updates as HTML
paragraphs, newest first: `<p><small>Feb 15, 13:14 UTC</small><br><strong>Resolved</strong> -
text</p>`. The feed gives no year, impact or components: the year comes from the entry's own
dates, the impact is none, and components are left empty. Every entry is checked like an API
object (statuspage_source), and refused by its id when it does not fit.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from statuspage.rules.maintenance import UNCHANGED_LABEL, UPDATE_LABELS
from statuspage.staff.statuspage_source import (
    REMOTE_ID,
    Bad,
    RemoteIncident,
    RemotePage,
    RemoteUpdate,
    _text,
    _time,
)
from statuspage.store import limits
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)

ATOM = "{http://www.w3.org/2005/Atom}"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STAMP = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}), (?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?: (?P<zone>[A-Za-z][A-Za-z0-9+:-]{0,9}))?$"
)
LABELS = {label.lower(): status for status, label in UPDATE_LABELS.items()}
BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "table", "tr"}


class _Updates(HTMLParser):
    """Split an entry's HTML into (time, label, text) triples, one per <small> time stamp."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list[str]] = []  # [time, label, body]
        self.part = -1  # which of the three the text goes to; -1: none yet

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "small":
            self.found.append(["", "", ""])
            self.part = 0
        elif tag == "strong" and self.found and self.part == 1 and not self.found[-1][1]:
            self.part = 1
        elif tag == "br" and self.part == 2:
            self.found[-1][2] += "\n"
        elif tag in BLOCKS and self.part == 2:
            self.found[-1][2] += "\n\n"

    def handle_endtag(self, tag: str) -> None:
        if tag == "small" and self.part == 0:
            self.part = 1  # the label is next
        elif tag == "strong" and self.part == 1 and self.found[-1][1]:
            self.part = 2
        elif tag in BLOCKS and self.part == 2:
            self.found[-1][2] += "\n\n"

    def handle_data(self, data: str) -> None:
        if self.part == 1 and not data.strip():
            return  # the <br> and spaces between the time and the label
        if self.part >= 0:
            self.found[-1][self.part] += data


def read_feed(body: bytes, page: RemotePage, now: datetime) -> list[RemoteIncident]:
    """Return the feed's incidents, adding what it refuses to page.refused."""
    if b"<!doctype" in body[:4096].lower() or b"<!entity" in body.lower():
        raise Bad("history.atom", "declares a DTD or entities, which a feed does not need")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise Bad("history.atom", f"not XML ({error})") from None
    if root.tag != f"{ATOM}feed":
        raise Bad("history.atom", "not an Atom feed")
    zone = ZoneInfo(page.time_zone) if page.time_zone else UTC
    incidents = []
    for index, entry in enumerate(root.findall(f"{ATOM}entry")[:1000]):
        link = entry.find(f"{ATOM}link")
        href = link.get("href", "") if link is not None else ""
        remote_id = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]
        label = remote_id if REMOTE_ID.match(remote_id) else f"#{index + 1}"
        try:
            incidents.append(_entry(entry, remote_id, zone, now))
        except Bad as error:
            page.refused.append(f"feed entry {label}: {error}")
    return incidents


def _entry(entry: ET.Element, remote_id: str, zone: ZoneInfo, now: datetime) -> RemoteIncident:
    if not REMOTE_ID.match(remote_id):
        raise Bad("link", "no /incidents/<id> link")
    fields = {
        key: (entry.findtext(f"{ATOM}{key}") or "").strip()
        for key in ("title", "published", "updated", "content")
    }
    name = _text(fields, "title", limits.EVENT_NAME) or ""
    published = _time(fields, "published", now) if fields["published"] else None
    updated = _time(fields, "updated", now) if fields["updated"] else None
    if published is None and updated is None:
        raise Bad("published", "the entry has neither published nor updated")
    published = published or updated
    updated = max(updated or published, published)
    parser = _Updates()
    parser.feed(fields["content"])
    parser.close()
    if not parser.found:
        raise Bad("content", "no dated update in the entry")
    if len(parser.found) > 500:
        raise Bad("content", "more than 500 updates")
    rows = []
    for number, (stamp, label, text) in enumerate(reversed(parser.found)):  # oldest first
        at = _stamp(stamp.strip(), zone, published, updated, f"update {number + 1}")
        body = re.sub(r"\n{3,}", "\n\n", re.sub(r"^\s*[-–—]\s*", "", text)).strip()
        rows.append((at, label.strip().lower(), body))
    kind = EventKind.INCIDENT
    if any(isinstance(LABELS.get(label), MaintenanceStatus) for _, label, _ in rows):
        kind = EventKind.MAINTENANCE
    updates = _updates(rows, kind, remote_id)
    statuses = [update.status for update in updates]
    resolved = None
    if kind == EventKind.INCIDENT and statuses[-1] in RESOLVED_INCIDENT_STATUSES:
        first = len(statuses) - 1
        while first > 0 and statuses[first - 1] in RESOLVED_INCIDENT_STATUSES:
            first -= 1
        resolved = updates[first].created_at
    window = (None, None)
    if kind == EventKind.MAINTENANCE:
        if statuses[-1] != MaintenanceStatus.COMPLETED:
            raise Bad("content", "the feed gives no window for a maintenance not yet completed")
        begun = [u.created_at for u in updates if u.status == MaintenanceStatus.IN_PROGRESS]
        window = (begun[0] if begun else updates[0].created_at, updates[-1].created_at)
        if window[1] <= window[0]:
            raise Bad("content", "the maintenance's updates give it no window")
    monitoring = [u.created_at for u in updates if u.status == IncidentStatus.MONITORING]
    postmortems = [u.body for u in updates if u.status == IncidentStatus.POSTMORTEM]
    return RemoteIncident(
        id=remote_id,
        kind=kind,
        name=name,
        status=statuses[-1],
        impact=Impact.MAINTENANCE.value if kind == EventKind.MAINTENANCE else Impact.NONE.value,
        created_at=min(published, updates[0].created_at),
        updated_at=max(updated, updates[-1].created_at),
        started_at=window[0] or updates[0].created_at,
        monitoring_at=monitoring[0] if monitoring else None,
        resolved_at=resolved,
        scheduled_for=window[0],
        scheduled_until=window[1],
        component_ids=(),
        updates=updates,
        postmortem=postmortems[-1] if postmortems else None,
        origin="feed",
    )


def _updates(
    rows: list[tuple[datetime, str, str]], kind: EventKind, remote_id: str
) -> tuple[RemoteUpdate, ...]:
    """Turn labelled rows into updates; "Update" keeps the status of the one before."""
    statuses = IncidentStatus if kind == EventKind.INCIDENT else MaintenanceStatus
    allowed = {member.value for member in statuses}
    previous = next(iter(statuses)).value  # investigating, or scheduled
    updates = []
    for number, (at, label, body) in enumerate(rows):
        status = previous if label == UNCHANGED_LABEL.lower() else LABELS.get(label)
        if status is None or str(status) not in allowed:
            raise Bad(f"update {number + 1}", f"unknown label {label!r} for a {kind}")
        if len(body) > limits.BODY:
            raise Bad(f"update {number + 1}", f"longer than {limits.BODY} characters")
        updates.append(
            RemoteUpdate(
                # The feed has no update ids: an update is known by its time and place.
                id=f"{remote_id}-feed-{number}",
                status=str(status),
                body=body or str(status),
                created_at=at,
                display_at=at,
            )
        )
        previous = str(status)
    return tuple(updates)


def _stamp(text: str, zone: ZoneInfo, first: datetime, last: datetime, where: str) -> datetime:
    """Read "Feb 15, 13:14 UTC" (no year) into the time between the entry's own dates."""
    match = STAMP.match(text)
    if match is None or match["month"] not in MONTHS:
        raise Bad(where, f"not a time like 'Feb 15, 13:14 UTC': {text[:40]!r}")
    named = (match["zone"] or "").upper()
    place = UTC if named in ("UTC", "GMT", "Z") else zone
    for year in sorted({first.year - 1, first.year, last.year}, reverse=True):
        try:
            local = datetime(
                year,
                MONTHS.index(match["month"]) + 1,
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                tzinfo=place,
            )
        except ValueError:
            continue  # Feb 29 of a year without one
        if named and place is zone and local.tzname() != match["zone"]:
            raise Bad(where, f"time zone {match['zone']!r} is not the page's {zone.key}")
        moment = local.astimezone(UTC)
        # Stamps are to the minute; the entry's dates are to the second.
        if first - timedelta(days=1) <= moment <= last + timedelta(minutes=1):
            return moment
    raise Bad(where, f"{text!r} falls outside the entry's published and updated dates")
