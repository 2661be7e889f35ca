"""Staff writes on incidents: validation, audit, revisions and status effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage import staff
from statuspage.store.db import db
from statuspage.store.models import AuditEntry
from tests.staff.helpers import ALICE, NOW, counts, open_incident, shown


def test_incident_lifecycle_moves_status_and_audits(app) -> None:
    config = app.config["STATUS"]
    with app.app_context():
        incident = open_incident(app)
        assert incident.impact == "critical"  # from the worst component
        assert shown("live-updates") == "major_outage"
        staff.post_update(
            ALICE,
            config,
            NOW + timedelta(minutes=5),
            incident,
            status="identified",
            body="A bad deploy.",
            components={"live-updates": "partial_outage"},
        )
        assert shown("live-updates") == "partial_outage"
        update = staff.post_update(
            ALICE,
            config,
            NOW + timedelta(minutes=9),
            incident,
            status="resolved",
            body=None,
            components={"live-updates": "operational"},
        )
        assert update.body == "This incident has been resolved."
        assert incident.resolved_at == NOW + timedelta(minutes=9)
        assert shown("live-updates") == "operational"
        staff.change_incident(ALICE, config, NOW + timedelta(hours=1), incident, postmortem="# Why")
        assert incident.status == "postmortem" and incident.postmortem == "# Why"
        actions = [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()]
        assert actions == ["incident.create", "update.create", "update.create", "incident.change"]
        [change] = incident.updates[0].changes  # newest first: the resolution
        assert (change.old_status, change.new_status) == ("partial_outage", "operational")


def test_edit_keeps_the_earlier_text(app) -> None:
    with app.app_context():
        incident = open_incident(app)
        update = incident.updates[0]
        staff.edit_update(ALICE, app.config["STATUS"], NOW, update, body="Corrected text.")
        assert update.body == "Corrected text." and update.edited_at == NOW
        [revision] = update.revisions
        assert revision.body == "We are looking into it." and revision.replaced_by == ALICE.name
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "update.edit")
        ).scalar_one()
        assert "We are looking into it." in entry.before and "Corrected text." in entry.after


def test_backfill_records_a_past_incident(app) -> None:
    with app.app_context():
        incident = open_incident(
            app,
            status="resolved",
            started_at="2026-01-05T08:00:00Z",
            resolved_at="2026-01-05T09:30:00+00:00",
        )
        assert incident.started_at == datetime(2026, 1, 5, 8, tzinfo=UTC)
        assert incident.resolved_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
        assert shown("live-updates") == "operational"  # the past does not change the present


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"name": ""}, staff.Invalid, "name"),
        ({"name": "x" * 301}, staff.Invalid, "name"),
        ({"status": "fixed"}, staff.Invalid, "status"),
        ({"components": {"nope": "major_outage"}}, staff.Invalid, "components.nope"),
        ({"components": {"live-updates": "broken"}}, staff.Invalid, "components.live-updates"),
        ({"components": ["live-updates"]}, staff.Invalid, "components"),
        ({"impact": "huge"}, staff.Invalid, "impact"),
        ({"started_at": "yesterday"}, staff.Invalid, "started_at"),
        ({"started_at": "2026-01-05T08:00:00"}, staff.Invalid, "started_at"),
        ({"started_at": "2027-01-05T08:00:00Z"}, staff.Invalid, "started_at"),
        (
            {
                "status": "resolved",
                "started_at": "2026-01-05T08:00Z",
                "resolved_at": "2026-01-04T08:00Z",
            },
            staff.Invalid,
            "resolved_at",
        ),
        ({"body": 5}, staff.Invalid, "body"),
        ({"body": "nul\x00"}, staff.Invalid, "body"),
        ({"status": ["investigating"]}, staff.Invalid, "status"),
        ({"started_at": "0001-01-01T00:00:00+01:00"}, staff.Invalid, "started_at"),
    ],
)
def test_invalid_incident_changes_nothing(app, overrides, error, field) -> None:
    with app.app_context():
        before = counts()
        with pytest.raises(error) as raised:
            open_incident(app, **overrides)
        assert raised.value.field == field
        db.session.rollback()
        assert counts() == before


def test_maintenance_status_on_incident_conflicts(app) -> None:
    with app.app_context():
        incident = open_incident(app)
        before = counts()
        with pytest.raises(staff.Conflict) as raised:
            staff.post_update(
                ALICE, app.config["STATUS"], NOW, incident, status="in_progress", body="x"
            )
        assert raised.value.http_status == 409
        db.session.rollback()
        assert counts() == before


def test_unhashable_update_status_is_refused(app) -> None:
    with app.app_context():
        incident = open_incident(app)
        with pytest.raises(staff.Invalid):
            staff.post_update(ALICE, app.config["STATUS"], NOW, incident, status=["x"], body="x")


def test_postmortem_needs_a_resolved_incident(app) -> None:
    with app.app_context():
        incident = open_incident(app)
        with pytest.raises(staff.Conflict):
            staff.change_incident(ALICE, app.config["STATUS"], NOW, incident, postmortem="early")
