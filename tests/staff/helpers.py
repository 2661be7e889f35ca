"""What the staff service tests share: a writer, a clock, and ways to look at the result."""

from __future__ import annotations

from datetime import UTC, datetime

from statuspage import staff
from statuspage.reads.status import shown_statuses
from statuspage.staff.accounts import create_user
from statuspage.store.db import db
from statuspage.store.models import AuditEntry, Incident, IncidentUpdate, UpdateRevision
from tests.factories import component

ALICE = staff.Actor("alice@capgo.app")
PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def counts() -> tuple[int, ...]:
    """Count the rows a staff write adds: incidents, updates, audit entries, revisions."""
    return tuple(
        db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
        for model in (Incident, IncidentUpdate, AuditEntry, UpdateRevision)
    )


def shown(slug: str, now: datetime = NOW) -> str:
    """Return the status the public sees for a component at `now`."""
    row = component(slug)
    return shown_statuses([row], now)[row.id].value


def open_incident(app, **overrides):
    """Open an incident on live-updates as Alice, with any fields overridden."""
    values = {
        "name": "Update checks failing",
        "status": "investigating",
        "body": "We are looking into it.",
        "components": {"live-updates": "major_outage"},
    }
    values.update(overrides)
    return staff.create_incident(ALICE, app.config["STATUS"], NOW, **values)


def sign_in(app, client):
    """Create Alice's account and sign the client in as her (forms posted without CSRF)."""
    with app.app_context():
        create_user(ALICE.name, PASSWORD)
    client.post("/admin/sign-in", data={"email": ALICE.name, "password": PASSWORD})
    return client
