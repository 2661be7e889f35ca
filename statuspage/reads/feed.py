"""The incident history feed's entries, built once for every format (Atom, RSS, JSON Feed).

One entry per incident or maintenance, newest first, each with every update as a labelled
paragraph; the formats differ only in how web/feeds.py writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from statuspage.config import SiteConfig
from statuspage.reads.incidents import list_incidents, timeline
from statuspage.reads.markdown import render_update
from statuspage.reads.moment import shared
from statuspage.reads.summary import last_change
from statuspage.store.db import utcnow
from statuspage.store.models import AffectedComponent, Component, Incident
from statuspage.store.text import carried
from statuspage.vocabulary import EventKind

FEED_SIZE = 50
# Tag URIs (RFC 4151) need a date on which the site owned its domain; any fixed one keeps the
# ids stable forever, which is all feed readers need.
TAG_DATE = "2026"


@dataclass(frozen=True)
class FeedEntry:
    """One incident or maintenance as every feed format shows it."""

    id: str  # a stable tag URI
    url: str  # the incident's permanent page
    title: str  # plain text
    published: datetime
    updated: datetime
    html: str  # sanitized: a maintenance's window, every update newest first, the components
    # The affected components as (slug, name), in page order: categories, tags.
    components: tuple[tuple[str, str], ...] = ()
    # A maintenance's window (start, end), None for an incident.
    window: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class HistoryFeed:
    """A feed of incident history: the whole page's, or one component's."""

    id: str
    title: str
    description: str
    home_url: str
    path: str  # the feed's path without its extension: /history, /components/<slug>/history
    updated: datetime
    entries: list[FeedEntry]

    def url(self, extension: str) -> str:
        """Return the feed's own URL in one format: `atom`, `rss` or `json`."""
        return f"{self.home_url}{self.path}.{extension}"


def history_feed(site: SiteConfig, component: Component | None = None) -> HistoryFeed:
    """Return the newest FEED_SIZE incidents and maintenances (of one component, if given)."""
    key = ("history_feed", component.id if component else None)
    return shared(key, lambda: _build_feed(site, component))


def _build_feed(site: SiteConfig, component: Component | None) -> HistoryFeed:
    incidents, _ = list_incidents(
        component_id=component.id if component else None, per_page=FEED_SIZE
    )
    path = f"/components/{component.slug}/history" if component else "/history"
    subject = f"{component.name} " if component else ""
    entries = [
        FeedEntry(
            id=tag(site, f"incidents/{incident.code}"),
            url=f"{site.url}/incidents/{incident.code}",
            title=carried(incident.name),
            published=incident.created_at,
            updated=changed_at(incident),
            # Dropping what XML cannot carry, which text stored by an older version may hold.
            html=carried(entry_html(incident, site.zone)),
            components=tuple(
                (affected.component.slug, carried(affected.component.name))
                for affected in _affected(incident)
            ),
            window=_window(incident),
        )
        for incident in incidents
    ]
    updated = max((entry.updated for entry in entries), default=None) or last_change() or utcnow()
    return HistoryFeed(
        id=tag(site, path.strip("/")),
        title=carried(f"{site.name} Status - {subject}Incident History"),
        description=carried(
            f"Incidents and maintenance of {component.name if component else site.name}"
        ),
        home_url=site.url,
        path=path,
        updated=updated,
        entries=entries,
    )


def tag(site: SiteConfig, specific: str) -> str:
    """Return a stable tag URI on the site's host, e.g. tag:status.capgo.app,2026:history."""
    return f"tag:{urlsplit(site.url).hostname},{TAG_DATE}:{specific}"


def changed_at(incident: Incident) -> datetime:
    """Return when an incident last changed: its own row or its newest update."""
    times = [incident.updated_at]
    times.extend(update.edited_at or update.created_at for update in incident.updates)
    return max(times)


def feed_time(moment: datetime, zone: ZoneInfo) -> str:
    """Return a time as feeds print it: "Feb 15, 13:14 UTC", in the site's zone."""
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}, {local:%H:%M} {local.tzname()}"


def _affected(incident: Incident) -> list[AffectedComponent]:
    return sorted(incident.affected, key=lambda affected: affected.component.position)


def _window(incident: Incident) -> tuple[datetime, datetime] | None:
    if incident.kind != EventKind.MAINTENANCE:
        return None
    if incident.scheduled_for is None or incident.scheduled_until is None:
        return None
    return incident.scheduled_for, incident.scheduled_until


def entry_html(incident: Incident, zone: ZoneInfo) -> str:
    """Return an entry's HTML: every update newest first, each as one labelled paragraph.

    Each update goes through render_update (a person's markdown sanitized, the system's text
    escaped); its first paragraph is unwrapped into the labelled one, so paragraphs never nest.
    A maintenance starts with its window (as Statuspage's feeds do), and an entry with
    affected components ends by naming them, so a reader knows what it is about.
    """
    parts = []
    window = _window(incident)
    if window is not None:
        parts.append(
            Markup("<p><strong>Scheduled maintenance</strong> - {} to {}</p>").format(
                feed_time(window[0], zone), feed_time(window[1], zone)
            )
        )
    for entry in timeline(incident):
        head = Markup("<small>{}</small><br><strong>{}</strong> - ").format(
            feed_time(entry.update.display_at, zone), entry.label
        )
        body = str(render_update(entry.update)).strip()
        if body.startswith("<p>"):
            parts.append(f"<p>{head}{body[3:]}")
        else:
            parts.append(f"<p>{head}</p>{body}")
    affected = _affected(incident)
    if affected:
        names = Markup(", ").join(each.component.name for each in affected)
        parts.append(Markup("<p>Affected components: {}.</p>").format(names))
    return "\n".join(parts) or str(escape(incident.name))
