"""SVG status badges for READMEs: the whole page and each component."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from statuspage.store.db import db
from tests.factories import component_toml, config_toml, set_status

SVG = "{http://www.w3.org/2000/svg}"
COLOURS = {
    "operational": ("Operational", "#2fcc66"),
    "degraded_performance": ("Degraded Performance", "#f1c40f"),
    "partial_outage": ("Partial Outage", "#e67e22"),
    "major_outage": ("Major Outage", "#e74c3c"),
    "under_maintenance": ("Under Maintenance", "#3498db"),
}


def badge(client, path: str, status: int = 200) -> tuple[list[str], set[str]]:
    """Fetch a badge and return its texts and fill colours, checking it is well-formed SVG."""
    response = client.get(path)
    assert response.status_code == status
    assert response.content_type == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    texts = [text.text for text in root.iter(f"{SVG}text")]
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect")}
    return texts, fills


def test_page_badge_when_all_is_well(client) -> None:
    texts, fills = badge(client, "/badge.svg")
    assert texts == ["Capgo", "Capgo", "All Systems Operational", "All Systems Operational"]
    assert "#2fcc66" in fills


def test_page_badge_follows_the_banner(app, client) -> None:
    with app.app_context():
        set_status("analytics", "major_outage")
        db.session.commit()
    texts, fills = badge(client, "/badge.svg")
    assert "Partial System Outage" in texts
    assert "#e67e22" in fills


@pytest.mark.parametrize("status", list(COLOURS))
def test_component_badge_says_the_status_in_words(app, client, status) -> None:
    with app.app_context():
        set_status("live-updates", status)
        db.session.commit()
    words, colour = COLOURS[status]
    texts, fills = badge(client, "/components/live-updates/badge.svg")
    assert texts == ["Live Updates", "Live Updates", words, words]
    assert colour in fills


def test_unknown_component_is_404(client) -> None:
    texts, _ = badge(client, "/components/nope/badge.svg", status=404)
    assert "unknown component" in texts


def test_badges_allow_any_origin(client) -> None:
    assert client.get("/badge.svg").headers["Access-Control-Allow-Origin"] == "*"


class TestHostileNames:
    """Names from the config are XML-escaped, never markup."""

    NAME = '<script>alert(1)</script> & "Co"'

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(
            config_toml(
                component_toml("api", self.NAME),
                name="<svg onload=alert(1)>",
                url="https://status.acme.test",
            )
        )

    def test_component_badge(self, client) -> None:
        response = client.get("/components/api/badge.svg")
        raw = response.get_data(as_text=True)
        assert "<script" not in raw
        texts, _ = badge(client, "/components/api/badge.svg")
        assert texts[0] == self.NAME

    def test_page_badge(self, client) -> None:
        raw = client.get("/badge.svg").get_data(as_text=True)
        assert "<svg onload" not in raw
        texts, _ = badge(client, "/badge.svg")
        assert texts[0] == "<svg onload=alert(1)>"
