"""The incident history feeds: Atom and RSS, for the page and per component."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from statuspage.store.db import db
from tests.factories import add_incident
from tests.web.pages import GROUP_IN_PARIS

ATOM = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 2, 15, 13, 14, tzinfo=UTC)
FEEDS = ("/history.atom", "/history.rss")
# The incidents here are entered as they happen, their updates ten minutes apart.
TEN_MINUTES = timedelta(minutes=10)
LOOKING = (("investigating", "Looking."),)
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_BODY = (
    "<img src=x onerror=alert(1)> [x](javascript:alert(1)) "
    "<iframe src=//evil.test></iframe> <svg onload=alert(1)></svg> <script>alert(2)</script>"
)


def parse(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return response, feed


def test_content_types(client) -> None:
    assert client.get("/history.atom").content_type == "application/atom+xml; charset=utf-8"
    assert client.get("/history.rss").content_type == "application/rss+xml; charset=utf-8"


@pytest.mark.parametrize("path", FEEDS)
def test_empty_feed_is_valid(client, path) -> None:
    _, feed = parse(client, path)
    assert feed.feed.title == "Capgo Status - Incident History"
    assert feed.entries == []


def test_atom_feed_head(client) -> None:
    root = ET.fromstring(client.get("/history.atom").data)
    assert root.findtext(f"{ATOM}id") == "tag:status.capgo.app,2026:history"
    assert root.findtext(f"{ATOM}title") == "Capgo Status - Incident History"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://status.capgo.app",
        "self": "https://status.capgo.app/history.atom",
    }


def test_rss_channel_head(app, client) -> None:
    with app.app_context():
        add_incident("Slow", started_at=T0, updates=LOOKING, dated=True)
        db.session.commit()
    channel = ET.fromstring(client.get("/history.rss").data).find("channel")
    assert channel.findtext("title") == "Capgo Status - Incident History"
    assert channel.findtext("link") == "https://status.capgo.app"
    assert channel.findtext("description")
    assert channel.findtext("pubDate") == "Sun, 15 Feb 2026 13:14:00 +0000"


@pytest.mark.parametrize("path", FEEDS)
def test_one_entry_per_incident_newest_first(app, client, path) -> None:
    with app.app_context():
        rows = []
        for day in range(3):
            incident = add_incident(
                f"Incident {day}",
                started_at=T0 + timedelta(days=day),
                updates=[("investigating", "A."), ("identified", "B."), ("resolved", "C.")],
                every=TEN_MINUTES,
                dated=True,
            )
            rows.append(incident)
        add_incident(
            "Planned",
            kind="maintenance",
            impact="minor",
            started_at=T0 + timedelta(days=5),
            scheduled_for=T0 + timedelta(days=5),
            updates=[("scheduled", "P.")],
            dated=True,
        )
        db.session.commit()
        codes = [row.code for row in rows]
    _, feed = parse(client, path)
    assert [e.title for e in feed.entries] == ["Planned", "Incident 2", "Incident 1", "Incident 0"]
    links = [e.link for e in feed.entries[1:]]
    assert links == [f"https://status.capgo.app/incidents/{code}" for code in reversed(codes)]


def test_atom_entry(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Update checks failing",
            started_at=T0,
            updates=[
                ("investigating", "We are currently investigating this issue."),
                ("investigating", "Still looking, *sorry*."),
                ("resolved", "This incident has been resolved."),
            ],
            every=TEN_MINUTES,
            dated=True,
        )
        db.session.commit()
        code = incident.code
    root = ET.fromstring(client.get("/history.atom").data)
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"tag:status.capgo.app,2026:incidents/{code}"
    assert entry.find(f"{ATOM}link").get("href") == f"https://status.capgo.app/incidents/{code}"
    assert entry.findtext(f"{ATOM}published").startswith("2026-02-15T13:14:00")
    assert entry.findtext(f"{ATOM}updated").startswith("2026-02-15T13:34:00")
    assert root.findtext(f"{ATOM}updated").startswith("2026-02-15T13:34:00")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text.split("\n") == [
        "<p><small>Feb 15, 13:34 UTC</small><br><strong>Resolved</strong>"
        " - This incident has been resolved.</p>",
        "<p><small>Feb 15, 13:24 UTC</small><br><strong>Update</strong>"
        " - Still looking, <em>sorry</em>.</p>",
        "<p><small>Feb 15, 13:14 UTC</small><br><strong>Investigating</strong>"
        " - We are currently investigating this issue.</p>",
    ]


def test_ids_are_stable(app, client) -> None:
    with app.app_context():
        add_incident("Slow", started_at=T0, updates=LOOKING, dated=True)
        db.session.commit()
    first = feedparser.parse(client.get("/history.atom").data)
    second = feedparser.parse(client.get("/history.atom").data)
    assert first.feed.id == second.feed.id
    assert first.entries[0].id == second.entries[0].id


def test_rss_item(app, client) -> None:
    with app.app_context():
        incident = add_incident("Slow", started_at=T0, updates=LOOKING, dated=True)
        db.session.commit()
        url = f"https://status.capgo.app/incidents/{incident.code}"
    item = ET.fromstring(client.get("/history.rss").data).find("channel/item")
    assert item.findtext("title") == "Slow"
    assert item.findtext("link") == url
    assert item.findtext("guid") == url
    assert item.find("guid").get("isPermaLink") == "true"
    assert item.findtext("pubDate") == "Sun, 15 Feb 2026 13:14:00 +0000"
    assert item.findtext("description") == (
        "<p><small>Feb 15, 13:14 UTC</small><br><strong>Investigating</strong> - Looking.</p>"
    )


def test_maintenance_labels(app, client) -> None:
    with app.app_context():
        add_incident(
            "Database upgrade",
            kind="maintenance",
            impact="minor",
            started_at=T0,
            scheduled_for=T0,
            updates=[
                ("scheduled", "Planned."),
                ("in_progress", "Started."),
                ("completed", "Done."),
            ],
            every=TEN_MINUTES,
            dated=True,
        )
        db.session.commit()
    _, feed = parse(client, "/history.atom")
    html = feed.entries[0].content[0].value
    assert html.index("<strong>Completed</strong>") < html.index("<strong>In progress</strong>")
    assert "<strong>Scheduled</strong> - Planned." in html


def test_at_most_50_entries(app, client) -> None:
    with app.app_context():
        for number in range(55):
            add_incident(
                f"#{number}", started_at=T0 + timedelta(hours=number), updates=LOOKING, dated=True
            )
        db.session.commit()
    for path in FEEDS:
        _, feed = parse(client, path)
        assert len(feed.entries) == 50
        assert feed.entries[0].title == "#54"


@pytest.mark.parametrize("path", FEEDS)
def test_hostile_input_is_inert(app, client, path) -> None:
    with app.app_context():
        add_incident(
            HOSTILE_NAME,
            started_at=T0,
            updates=[("investigating", HOSTILE_BODY)],
            affected=["analytics"],
            dated=True,
        )
        db.session.commit()
    for feed_path in (path, path.replace("/history", "/components/analytics/history")):
        response, feed = parse(client, feed_path)
        raw = response.get_data(as_text=True)
        assert "<script" not in raw and "<img" not in raw
        root = ET.fromstring(response.data)
        if path.endswith(".atom"):
            entry = root.find(f"{ATOM}entry")
            title = entry.findtext(f"{ATOM}title")
            html = entry.findtext(f"{ATOM}content")
        else:
            entry = root.find("channel/item")
            title = entry.findtext("title")
            html = entry.findtext("description")
        assert title == HOSTILE_NAME  # plain text: escaped in the XML, the name when read
        assert feed.entries[0].title == HOSTILE_NAME
        lowered = html.lower()
        for needle in ("<script", "onerror", "javascript:", "<iframe", "<svg", "onload", "<img"):
            assert needle not in lowered, needle


class TestPerComponent:
    """Per-component feeds, with a group, in a zone other than UTC."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(GROUP_IN_PARIS)

    @pytest.fixture
    def incidents(self, app):
        with app.app_context():
            # An hour apart, in this order.
            for hours, (name, slugs) in enumerate(
                [
                    ("API down", ["api"]),
                    ("Web slow", ["web"]),
                    ("Docs gone", ["docs"]),
                    ("Everything", ["api", "docs"]),
                ]
            ):
                add_incident(
                    name,
                    started_at=T0 + timedelta(hours=hours),
                    updates=LOOKING,
                    affected=slugs,
                    dated=True,
                )
            db.session.commit()

    @pytest.mark.parametrize("fmt", ["atom", "rss"])
    def test_only_incidents_affecting_the_component(self, client, incidents, fmt) -> None:
        def titles(slug: str) -> list[str]:
            _, feed = parse(client, f"/components/{slug}/history.{fmt}")
            return [entry.title for entry in feed.entries]

        assert titles("api") == ["Everything", "API down"]
        assert titles("docs") == ["Everything", "Docs gone"]
        assert titles("core") == ["Everything", "Web slow", "API down"]  # a group: its members
        _, feed = parse(client, f"/history.{fmt}")
        assert len(feed.entries) == 4

    def test_component_feed_head(self, client, incidents) -> None:
        root = ET.fromstring(client.get("/components/api/history.atom").data)
        assert root.findtext(f"{ATOM}title") == "Acme Status - API Incident History"
        assert root.findtext(f"{ATOM}id") == "tag:status.acme.test,2026:components/api/history"
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
        assert links["self"] == "https://status.acme.test/components/api/history.atom"

    def test_times_in_the_sites_zone(self, client, incidents) -> None:
        _, feed = parse(client, "/components/web/history.atom")
        assert "<small>Feb 15, 15:14 CET</small>" in feed.entries[0].content[0].value

    @pytest.mark.parametrize("fmt", ["atom", "rss"])
    def test_unknown_component_is_404(self, client, fmt) -> None:
        assert client.get(f"/components/nope/history.{fmt}").status_code == 404


def test_entries_name_their_components_as_text_and_categories(app, client) -> None:
    with app.app_context():
        add_incident(
            "Slow",
            started_at=T0,
            updates=LOOKING,
            affected=("analytics", "live-updates"),
            dated=True,
        )
        db.session.commit()
    _, atom = parse(client, "/history.atom")
    html = atom.entries[0].content[0].value
    # In page order, as the last paragraph.
    assert html.endswith("<p>Affected components: Live Updates, Analytics.</p>")
    assert [(t.term, t.label) for t in atom.entries[0].tags] == [
        ("live-updates", "Live Updates"),
        ("analytics", "Analytics"),
    ]
    item = ET.fromstring(client.get("/history.rss").data).find("channel/item")
    assert [c.text for c in item.findall("category")] == ["Live Updates", "Analytics"]


def test_a_maintenance_entry_starts_with_its_window(app, client) -> None:
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
        db.session.commit()
    for path in FEEDS:
        _, feed = parse(client, path)
        html = feed.entries[0].get("content", [{}])[0].get("value") or feed.entries[0].summary
        assert html.startswith(
            "<p><strong>Scheduled maintenance</strong> - Feb 15, 13:14 UTC to Feb 15, 14:14 UTC</p>"
        ), path
