"""Helpers for the public side's tests: a frozen clock, hand-made incidents and days, a site
with a group in another zone, and a recorder of the SQL a request runs.

Holds no tests itself (pytest collects only test_* modules); the web tests import from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask
from sqlalchemy import event

from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    ComponentDay,
    Incident,
    IncidentUpdate,
)
from statuspage.web import public

# A Friday afternoon: 15 days back is still March, 90 days back is December 2025.
# Who wrote the updates the helpers add: a person, so their text is markdown.
STAFF = "alice@capgo.app"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SLUGS = ("live-updates", "app-management", "analytics")

# A site whose API and Web make up the group "Core", beside a lone Docs, shown in Paris time.
GROUP_IN_PARIS = (
    '[site]\nname = "Acme"\nurl = "https://status.acme.test"\ntimezone = "Europe/Paris"\n'
    '[[components]]\nslug = "api"\nname = "API"\ngroup = "Core"\n'
    '[[components]]\nslug = "web"\nname = "Web"\ngroup = "Core"\n'
    '[[components]]\nslug = "docs"\nname = "Docs"\n'
)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime = NOW) -> None:
    """Make the public pages render as if it were `moment`."""
    monkeypatch.setattr(public, "utcnow", lambda: moment)


def component(slug: str) -> Component:
    """Return the component with this slug."""
    return db.session.execute(db.select(Component).filter_by(slug=slug)).scalar_one()


def add_incident(
    name: str,
    *,
    started_at: datetime,
    resolved_at: datetime | None = None,
    status: str | None = None,
    impact: str = "minor",
    affected: Iterable[tuple[str, str]] = (),
    updates: Sequence[tuple[str, str, datetime]] = (),
    postmortem: str | None = None,
) -> Incident:
    """Add an incident with its affected components (slug, status) and updates (oldest first)."""
    incident = Incident(
        name=name,
        kind="incident",
        status=status or ("resolved" if resolved_at else "investigating"),
        impact=impact,
        started_at=started_at,
        resolved_at=resolved_at,
        postmortem=postmortem,
        created_at=started_at,
        updated_at=resolved_at or started_at,
    )
    if not updates:
        updates = [("investigating", "We are currently investigating this issue.", started_at)]
        if resolved_at:
            updates.append(("resolved", "This incident has been resolved.", resolved_at))
    for update_status, body, at in updates:
        incident.updates.append(
            IncidentUpdate(
                status=update_status, body=body, author=STAFF, created_at=at, display_at=at
            )
        )
    for slug, affected_status in affected:
        incident.affected.append(
            AffectedComponent(component=component(slug), status=affected_status)
        )
    db.session.add(incident)
    return incident


def add_maintenance(
    name: str,
    *,
    scheduled_for: datetime,
    scheduled_until: datetime,
    status: str = "scheduled",
    affected: Iterable[str] = (),
    created_at: datetime | None = None,
) -> Incident:
    """Add a maintenance over the given components, with its first update."""
    created = created_at or scheduled_for - timedelta(days=1)
    maintenance = Incident(
        name=name,
        kind="maintenance",
        status=status,
        impact="maintenance",
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        started_at=created,
        created_at=created,
        updated_at=created,
    )
    maintenance.updates.append(
        IncidentUpdate(
            status="scheduled", body="Planned work.", created_at=created, display_at=created
        )
    )
    for slug in affected:
        maintenance.affected.append(
            AffectedComponent(component=component(slug), status="under_maintenance")
        )
    db.session.add(maintenance)
    return maintenance


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


def get(client, path: str, status: int = 200) -> str:
    """Return a page's text, checking its status."""
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def day_words(day: date, weekday: bool = False) -> str:
    """Return a day as the English pages write it (CLDR's medium date): "Mar 6, 2026"."""
    words = f"{day:%b} {day.day}, {day.year}"
    return f"{day:%a}, {words}" if weekday else words


def days_back(count: int) -> date:
    """Return the day `count` days before the frozen today."""
    return TODAY - timedelta(days=count)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """Return a UTC moment on a day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """Record every SQL statement the app's database engine runs inside the block."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
