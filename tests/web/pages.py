"""Helpers for the public side's tests: a frozen clock, hand-made days, a site with a group in
another zone, and an HTML tag collector. Incidents and SQL recording are in tests.factories.

Holds no tests itself (pytest collects only test_* modules); the web tests import from it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from statuspage.store.db import db
from statuspage.store.models import ComponentDay
from statuspage.web import public
from tests.factories import component, component_toml, config_toml

# A Friday afternoon: 15 days back is still March, 90 days back is December 2025.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SLUGS = ("live-updates", "app-management", "analytics")

# A site whose API and Web make up the group "Core", beside a lone Docs, shown in Paris time.
GROUP_IN_PARIS = config_toml(
    component_toml("api", "API", group="Core"),
    component_toml("web", "Web", group="Core"),
    component_toml("docs", "Docs"),
    name="Acme",
    url="https://status.acme.test",
    timezone="Europe/Paris",
)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime = NOW) -> None:
    """Make the public pages render as if it were `moment`."""
    monkeypatch.setattr(public, "utcnow", lambda: moment)


def add_day(slug: str, day: date, total: float = 1440, **minutes: float) -> ComponentDay:
    """Add a component's figures for one day; operational minutes fill the rest of `total`."""
    minutes.setdefault("operational_min", total - sum(minutes.values()))
    row = ComponentDay(component_id=component(slug).id, day=day, **minutes)
    db.session.add(row)
    return row


class Elements(HTMLParser):
    """Collect every start tag with its attributes, to check what a browser would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def elements(page: str) -> Elements:
    """Parse a page the way a browser's tokenizer would (close enough for these checks)."""
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def days_back(count: int) -> date:
    """Return the day `count` days before the frozen today."""
    return TODAY - timedelta(days=count)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """Return a UTC moment on a day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
