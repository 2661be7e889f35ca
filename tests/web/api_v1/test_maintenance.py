"""The write API's maintenance and component status routes."""

from __future__ import annotations

from datetime import timedelta

from statuspage.store.db import db
from statuspage.store.models import AuditEntry
from statuspage.web.api_v1 import PREFIX
from tests.web.api_v1.shared import iso, maintenance_body


def test_maintenance_edit_update_and_cancel(app, api, events) -> None:
    path = f"/maintenances/{events['maintenance']}"
    edited = api(
        "PATCH",
        path,
        {"name": "Analytics database upgrade", "components": ["analytics", "app-management"]},
    )
    assert edited.status_code == 200 and edited.json["name"] == "Analytics database upgrade"
    assert {c["name"] for c in edited.json["components"]} == {"Analytics", "App Management"}
    later = {"scheduled_until": iso(timedelta(days=1, hours=3))}
    assert api("PATCH", path, later).status_code == 200
    updated = api("POST", path + "/updates", {"status": "scheduled", "body": "Moved by an hour."})
    assert updated.status_code == 201 and updated.json["incident_updates"][0]["body"] == (
        "Moved by an hour."
    )
    cancelled = api("POST", path + "/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "completed"
    with app.app_context():
        actions = db.session.execute(
            db.select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)
        ).all()
    assert [a for a, _ in actions][-4:] == [
        "maintenance.edit",
        "maintenance.edit",
        "update.create",
        "maintenance.cancel",
    ]
    assert {actor for _, actor in actions} == {"token:ci"}


def test_maintenance_that_has_begun_is_in_progress(api) -> None:
    body = maintenance_body() | {
        "scheduled_for": iso(timedelta(minutes=-5)),
        "scheduled_until": iso(timedelta(hours=1)),
    }
    response = api("POST", "/maintenances", body)
    assert response.status_code == 201 and response.json["status"] == "in_progress"
    assert response.headers["Location"] == f"{PREFIX}/maintenances/{response.json['id']}"


def test_component_status_set_and_clear(app, api) -> None:
    response = api("PUT", "/components/analytics/status", {"status": "partial_outage"})
    assert response.status_code == 200
    assert response.json == {
        "component": "analytics",
        "manual_status": "partial_outage",
        "status": "partial_outage",
    }
    cleared = api("DELETE", "/components/analytics/status")
    assert cleared.status_code == 200 and cleared.json["manual_status"] is None
    assert cleared.json["status"] in ("operational", "under_maintenance")
    with app.app_context():
        entries = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "component.status")
        ).scalars()
        assert [e.actor for e in entries] == ["token:ci", "token:ci"]
