"""Incident history as Atom, RSS and JSON Feed 1.1, for the whole page and per component.

The entries are built once (reads/feed.py); each format only writes them out.
"""

from __future__ import annotations

import json
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app

from statuspage.reads.feed import FeedEntry, HistoryFeed, history_feed
from statuspage.reads.status import visible_components
from statuspage.store.models import Component

bp = Blueprint("feeds", __name__)

CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@bp.get("/history.<any(atom, rss, json):fmt>")
def history(fmt: str) -> Response:
    """Serve every incident and maintenance, newest first."""
    return _feed(fmt, component=None)


@bp.get("/components/<slug>/history.<any(atom, rss, json):fmt>")
def component_history(slug: str, fmt: str) -> Response:
    """Serve the incidents and maintenances that affected one component."""
    component = next((c for c in visible_components() if c.slug == slug), None)
    if component is None:
        abort(404)
    return _feed(fmt, component=component)


def _feed(fmt: str, component: Component | None) -> Response:
    feed = history_feed(current_app.config["STATUS"].site, component)
    body = json_feed(feed) if fmt == "json" else _xml_feed(feed, fmt)
    return Response(body, content_type=CONTENT_TYPES[fmt])


def _xml_feed(feed: HistoryFeed, fmt: str) -> bytes:
    """Return the feed as Atom or RSS 2.0."""
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.description(feed.description)
    # feedgen gives RSS the last link as the channel's <link>: the page, not the feed.
    generator.link(href=feed.url(fmt), rel="self")
    generator.link(href=feed.home_url, rel="alternate")
    generator.language("en")
    generator.updated(feed.updated)
    generator.pubDate(feed.updated)
    generator.lastBuildDate(feed.updated)
    for item in feed.entries:
        entry = generator.add_entry(order="append")  # the default prepends, reversing our order
        # feedgen shares one field between the Atom id and the RSS guid: set the right one.
        if fmt == "atom":
            entry.id(item.id)
        else:
            entry.guid(item.url, permalink=True)
        entry.title(item.title)  # feedgen escapes it: a plain-text title
        entry.link(href=item.url, rel="alternate")
        entry.published(item.published)
        entry.updated(item.updated)
        entry.content(item.html, type="html")
        # Each affected component as a category, for readers that filter: slug and name.
        for slug, name in item.components:
            entry.category(term=slug, label=name)
    return generator.atom_str(pretty=True) if fmt == "atom" else generator.rss_str(pretty=True)


def json_feed(feed: HistoryFeed) -> str:
    """Return the feed as JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    items: list[dict[str, Any]] = [_json_item(item) for item in feed.entries]
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.url("json"),
        "description": feed.description,
        "language": "en",
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def _json_item(item: FeedEntry) -> dict[str, Any]:
    """Return one entry as a JSON Feed item; the components and window also as data.

    `tags` are the components' names; `_statuspage` (an extension: JSON Feed 1.1 reserves
    keys starting with "_" for them) carries their slugs and a maintenance's window.
    """
    extension: dict[str, Any] = {"components": [slug for slug, _ in item.components]}
    if item.window is not None:
        extension["scheduled_for"] = item.window[0].isoformat()
        extension["scheduled_until"] = item.window[1].isoformat()
    document: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.html,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
    }
    if item.components:
        document["tags"] = [name for _, name in item.components]
    document["_statuspage"] = extension
    return document
