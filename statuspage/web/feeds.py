"""Incident history as Atom and RSS feeds, for the whole page and per component."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app
from markupsafe import Markup, escape

from statuspage.config import SiteConfig
from statuspage.reads.incidents import list_incidents, timeline
from statuspage.reads.markdown import render_update
from statuspage.reads.status import visible_components
from statuspage.reads.summary import last_change
from statuspage.store.db import utcnow
from statuspage.store.models import Component, Incident
from statuspage.store.text import carried

bp = Blueprint("feeds", __name__)

FEED_SIZE = 50
CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
}
# Tag URIs (RFC 4151) need a date on which the site owned its domain; any fixed one keeps the
# ids stable forever, which is all feed readers need.
TAG_DATE = "2026"


@bp.get("/history.<any(atom, rss):fmt>")
def history(fmt: str) -> Response:
    """Serve every incident and maintenance, newest first."""
    return _feed(fmt, component=None)


@bp.get("/components/<slug>/history.<any(atom, rss):fmt>")
def component_history(slug: str, fmt: str) -> Response:
    """Serve the incidents and maintenances that affected one component."""
    component = next((c for c in visible_components() if c.slug == slug), None)
    if component is None:
        abort(404)
    return _feed(fmt, component=component)


def _feed(fmt: str, component: Component | None) -> Response:
    site: SiteConfig = current_app.config["STATUS"].site
    incidents, _ = list_incidents(
        component_id=component.id if component else None, per_page=FEED_SIZE
    )
    path = f"/components/{component.slug}/history" if component else "/history"
    subject = f"{component.name} " if component else ""

    feed = FeedGenerator()
    feed.id(_tag(site, path.strip("/")))
    feed.title(carried(f"{site.name} Status - {subject}Incident History"))
    feed.description(
        carried(f"Incidents and maintenance of {component.name if component else site.name}")
    )
    # feedgen gives RSS the last link as the channel's <link>: the page, not the feed.
    feed.link(href=f"{site.url}{path}.{fmt}", rel="self")
    feed.link(href=site.url, rel="alternate")
    feed.language("en")
    entry_times = [_changed_at(incident) for incident in incidents]
    updated = max(entry_times, default=None) or last_change() or utcnow()
    feed.updated(updated)
    feed.pubDate(updated)
    feed.lastBuildDate(updated)
    for incident, changed_at in zip(incidents, entry_times, strict=True):
        url = f"{site.url}/incidents/{incident.code}"
        entry = feed.add_entry(order="append")  # the default prepends, reversing our order
        # feedgen shares one field between the Atom id and the RSS guid: set the right one.
        if fmt == "atom":
            entry.id(_tag(site, f"incidents/{incident.code}"))
        else:
            entry.guid(url, permalink=True)
        entry.title(carried(incident.name))  # feedgen escapes it: a plain-text title
        entry.link(href=url, rel="alternate")
        entry.published(incident.created_at)
        entry.updated(changed_at)
        # Dropping what XML cannot carry, which text stored by an older version may hold.
        entry.content(carried(entry_html(incident, site.zone)), type="html")
    body = feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)
    return Response(body, content_type=CONTENT_TYPES[fmt])


def _tag(site: SiteConfig, specific: str) -> str:
    """Return a stable tag URI on the site's host, e.g. tag:status.capgo.app,2026:history."""
    return f"tag:{urlsplit(site.url).hostname},{TAG_DATE}:{specific}"


def _changed_at(incident: Incident) -> datetime:
    """Return when an incident last changed: its own row or its newest update."""
    times = [incident.updated_at]
    times.extend(update.edited_at or update.created_at for update in incident.updates)
    return max(times)


def feed_time(moment: datetime, zone: ZoneInfo) -> str:
    """Return a time as feeds print it: "Feb 15, 13:14 UTC", in the site's zone."""
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}, {local:%H:%M} {local.tzname()}"


def entry_html(incident: Incident, zone: ZoneInfo) -> str:
    """Return an entry's HTML: every update newest first, each as one labelled paragraph.

    Each update goes through render_update (a person's markdown sanitized, the system's text
    escaped); its first paragraph is unwrapped into the labelled one, so paragraphs never nest.
    """
    parts = []
    for entry in timeline(incident):
        head = Markup("<small>{}</small><br><strong>{}</strong> - ").format(
            feed_time(entry.update.display_at, zone), entry.label
        )
        body = str(render_update(entry.update)).strip()
        if body.startswith("<p>"):
            parts.append(f"<p>{head}{body[3:]}")
        else:
            parts.append(f"<p>{head}</p>{body}")
    return "\n".join(parts) or str(escape(incident.name))
