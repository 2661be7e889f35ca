"""JSON Feed 1.1 of the incident history: the spec's required fields, the Atom feed's entries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import jsonschema
import pytest

from statuspage.store.db import db
from tests.factories import add_incident
from tests.web.test_feeds import ATOM, HOSTILE_BODY, HOSTILE_NAME, LOOKING, T0, TEN_MINUTES

# What https://jsonfeed.org/version/1.1 requires (and the types of the optional fields used).
JSON_FEED_SCHEMA = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string"},
        "feed_url": {"type": "string"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "date_published": {"type": "string"},
                    "date_modified": {"type": "string"},
                },
            },
        },
    },
}


def json_feed(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.content_type == "application/feed+json; charset=utf-8"
    document = response.get_json(force=True)
    jsonschema.validate(document, JSON_FEED_SCHEMA)
    for item in document["items"]:
        for key in ("date_published", "date_modified"):  # RFC 3339, with an offset
            assert datetime.fromisoformat(item[key]).tzinfo is not None
    return document


def seed(app) -> None:
    with app.app_context():
        add_incident(
            "Update checks failing",
            started_at=T0,
            updates=[("investigating", "Looking, *sorry*."), ("resolved", "Fixed.")],
            every=TEN_MINUTES,
            affected=["live-updates"],
            dated=True,
        )
        add_incident(
            HOSTILE_NAME,
            started_at=T0 + timedelta(days=1),
            updates=[("identified", HOSTILE_BODY)],
            dated=True,
        )
        add_incident(
            "Planned",
            kind="maintenance",
            impact="minor",
            started_at=T0 + timedelta(days=2),
            scheduled_for=T0 + timedelta(days=2),
            updates=[("scheduled", "P.")],
            dated=True,
        )
        add_incident(
            "Analytics lag",
            started_at=T0 + timedelta(days=3),
            updates=LOOKING,
            affected=["analytics"],
            dated=True,
        )
        db.session.commit()


def test_empty_json_feed_is_valid(client) -> None:
    document = json_feed(client, "/history.json")
    assert document["title"] == "Capgo Status - Incident History"
    assert document["home_page_url"] == "https://status.capgo.app"
    assert document["feed_url"] == "https://status.capgo.app/history.json"
    assert document["items"] == []


@pytest.mark.parametrize("prefix", ["", "/components/live-updates"])
def test_json_feed_has_the_atom_feeds_entries(app, client, prefix) -> None:
    seed(app)
    document = json_feed(client, f"{prefix}/history.json")
    root = ET.fromstring(client.get(f"{prefix}/history.atom").data)
    entries = root.findall(f"{ATOM}entry")
    assert document["title"] == root.findtext(f"{ATOM}title")
    assert len(document["items"]) == len(entries) > 0
    for item, entry in zip(document["items"], entries, strict=True):
        assert item["id"] == entry.findtext(f"{ATOM}id")
        assert item["title"] == entry.findtext(f"{ATOM}title")
        assert item["url"] == entry.find(f"{ATOM}link").get("href")
        assert item["content_html"] == entry.findtext(f"{ATOM}content")
        for key, atom_key in (("date_published", "published"), ("date_modified", "updated")):
            assert datetime.fromisoformat(item[key]) == datetime.fromisoformat(
                entry.findtext(f"{ATOM}{atom_key}")
            )


def test_json_feed_per_component_keeps_only_its_incidents(app, client) -> None:
    seed(app)
    document = json_feed(client, "/components/analytics/history.json")
    assert [item["title"] for item in document["items"]] == ["Analytics lag"]
    assert document["feed_url"] == "https://status.capgo.app/components/analytics/history.json"
    assert client.get("/components/nope/history.json").status_code == 404


def test_json_feed_content_is_sanitized_and_titles_are_text(app, client) -> None:
    seed(app)
    items = json_feed(client, "/history.json")["items"]
    hostile = next(item for item in items if item["title"] == HOSTILE_NAME)  # plain text, as is
    for danger in ("<script", "<iframe", "onerror", "onload", "javascript:"):
        assert danger not in hostile["content_html"]
    update = next(item for item in items if item["title"] == "Update checks failing")
    assert update["content_html"].startswith("<p><small>Feb 15, 13:24 UTC</small><br><strong>")


def test_json_feed_is_cached_and_offered(client) -> None:
    response = client.get("/history.json")
    assert response.headers["Cache-Control"].startswith("public")
    assert (
        client.get("/history.json", headers={"If-None-Match": response.headers["ETag"]}).status_code
        == 304
    )
    page = client.get("/").get_data(as_text=True)
    assert 'href="/history.json"' in page and "application/feed+json" in page


def test_json_feed_drops_what_no_format_can_carry(app, client) -> None:
    with app.app_context():
        add_incident(
            "Bell\x07 and \x1f stored long ago",
            started_at=T0,
            updates=[("investigating", "Odd\x0b text.")],
            dated=True,
        )
        db.session.commit()
    (item,) = json_feed(client, "/history.json")["items"]
    assert item["title"] == "Bell and  stored long ago"
    assert "\x0b" not in item["content_html"] and "Odd text." in item["content_html"]


def test_json_feed_items_carry_components_and_a_maintenance_window(app, client) -> None:
    with app.app_context():
        add_incident(
            "Upgrade",
            kind="maintenance",
            started_at=T0,
            scheduled_for=T0,
            updates=[("scheduled", "Planned.")],
            affected=("analytics",),
            dated=True,
        )
        add_incident("Quiet one", started_at=T0 - timedelta(days=1), updates=LOOKING, dated=True)
        db.session.commit()
    upgrade, quiet = json_feed(client, "/history.json")["items"]
    assert upgrade["tags"] == ["Analytics"]
    assert upgrade["_statuspage"] == {
        "components": ["analytics"],
        "scheduled_for": "2026-02-15T13:14:00+00:00",
        "scheduled_until": "2026-02-15T14:14:00+00:00",
    }
    assert "tags" not in quiet and quiet["_statuspage"] == {"components": []}
