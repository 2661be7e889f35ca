"""What the write API's tests share: bodies, the database's state, the shape of a refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func

from statuspage.store.db import db, utcnow
from statuspage.store.models import Component, Incident, SiteState

OPEN = {
    "name": "Update checks failing",
    "status": "investigating",
    "body": "We are looking into failed update checks.",
    "components": {"live-updates": "major_outage"},
}


def iso(delta: timedelta) -> str:
    """Return the time `delta` from now, in ISO 8601."""
    return (utcnow() + delta).isoformat()


def maintenance_body() -> dict[str, Any]:
    """Return a valid body that schedules a maintenance tomorrow."""
    return {
        "name": "Database upgrade",
        "scheduled_for": iso(timedelta(days=1)),
        "scheduled_until": iso(timedelta(days=1, hours=2)),
        "components": ["analytics"],
        "body": "We will upgrade the analytics database.",
    }


def db_state(app) -> dict[str, Any]:
    """Return what a refused request must leave alone: every table's row count and more."""
    with app.app_context():
        counts = {
            table.name: db.session.execute(db.select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }
        incidents = [
            (i.code, i.name, i.status, i.impact, i.postmortem, i.scheduled_for, i.scheduled_until)
            for i in db.session.execute(db.select(Incident).order_by(Incident.id)).scalars()
        ]
        manual = [
            (c.slug, c.manual_status)
            for c in db.session.execute(db.select(Component).order_by(Component.id)).scalars()
        ]
        version = db.session.execute(db.select(SiteState.version)).scalar()
        db.session.remove()
    return {"counts": counts, "incidents": incidents, "manual": manual, "version": version}


def assert_error(response, status: int, code: str, field_named: str | None = None) -> None:
    """Check a refusal has the documented status and shape, and names the field at fault."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "message", "field"}
    assert response.json["error"] == code
    assert isinstance(response.json["message"], str) and response.json["message"]
    if field_named:
        assert field_named in response.json["message"], response.json


# The documented error code of each status.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
}
