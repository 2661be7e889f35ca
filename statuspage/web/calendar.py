"""Scheduled maintenance as an iCalendar feed (RFC 5545), for the page and per component.

Calendar apps subscribe to /maintenance.ics and poll it: one VEVENT per scheduled or
in-progress maintenance, with a UID that never changes and a SEQUENCE that grows with every
change (reads/calendar.py), times in UTC, and cancelled maintenances as STATUS:CANCELLED.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app
from icalendar import Calendar, Event, vDuration

from statuspage.config import SiteConfig
from statuspage.reads.calendar import CalendarEvent, calendar_events
from statuspage.reads.status import visible_components
from statuspage.store.db import utcnow
from statuspage.store.models import Component
from statuspage.store.text import carried

bp = Blueprint("calendar", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often subscribed calendars should look again (a hint: each app picks its own pace).
REFRESH = timedelta(hours=1)


@bp.get("/maintenance.ics")
def maintenance_calendar() -> Response:
    """Serve every scheduled and in-progress maintenance."""
    return _calendar(component=None)


@bp.get("/components/<slug>/maintenance.ics")
def component_maintenance_calendar(slug: str) -> Response:
    """Serve the maintenances of one component (or of a group's members)."""
    component = next((c for c in visible_components() if c.slug == slug), None)
    if component is None:
        abort(404)
    return _calendar(component=component)


def _calendar(component: Component | None) -> Response:
    site: SiteConfig = current_app.config["STATUS"].site
    events = calendar_events(utcnow(), component)
    return Response(maintenance_ical(site, events, component), content_type=CONTENT_TYPE)


def maintenance_ical(
    site: SiteConfig, events: list[CalendarEvent], component: Component | None = None
) -> bytes:
    """Return the calendar of these maintenance events."""
    name = f"{site.name} maintenance" + (f": {component.name}" if component else "")
    calendar = Calendar()
    calendar.add("prodid", f"-//{site.name} Status//Maintenance calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # the same, for the apps that predate RFC 7986
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    host = urlsplit(site.url).hostname
    for event in events:
        calendar.add_component(_vevent(site, host, event))
    return calendar.to_ical()


def _vevent(site: SiteConfig, host: str | None, event: CalendarEvent) -> Event:
    maintenance = event.maintenance
    url = f"{site.url}/incidents/{maintenance.code}"
    names = sorted(
        (affected.component for affected in maintenance.affected),
        key=lambda c: (c.position, c.id),
    )
    newest = max(maintenance.updates, key=lambda u: (u.created_at, u.id or 0), default=None)
    lines = []
    if names:
        lines.append("Components: " + ", ".join(c.name for c in names))
    if newest is not None:
        lines.append(newest.body)
    lines.append(url)

    vevent = Event()
    vevent.add("uid", f"maintenance-{maintenance.code}@{host}")
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.last_modified)
    vevent.add("last-modified", event.last_modified)
    vevent.add("created", maintenance.created_at)
    vevent.add("dtstart", maintenance.scheduled_for)
    vevent.add("dtend", maintenance.scheduled_until)
    # Calendars, like XML, cannot carry control characters an older version may have stored.
    vevent.add("summary", carried(f"{site.name} maintenance: {maintenance.name}"))
    vevent.add("description", carried("\n\n".join(lines)))
    vevent.add("url", url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    # Maintenance is something to know about, not time the subscriber is busy.
    vevent.add("transp", "TRANSPARENT")
    return vevent
