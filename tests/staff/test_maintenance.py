"""Staff writes on maintenance: scheduling, editing and cancelling a window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from statuspage import staff
from statuspage.staff.maintenance import CANCELLED_TEXT
from statuspage.store.db import db
from statuspage.store.models import AuditEntry
from tests.staff.helpers import ALICE, NOW, counts, shown


def test_maintenance_schedule_edit_cancel(app) -> None:
    config = app.config["STATUS"]
    with app.app_context():
        maintenance = staff.schedule_maintenance(
            ALICE,
            config,
            NOW,
            name="DB upgrade",
            scheduled_for=NOW + timedelta(hours=1),
            scheduled_until=NOW + timedelta(hours=2),
            components=["analytics"],
            body="Planned.",
        )
        assert maintenance.status == "scheduled" and maintenance.impact == "maintenance"
        staff.edit_maintenance(
            ALICE,
            config,
            NOW,
            maintenance,
            scheduled_until=NOW + timedelta(hours=3),
            components=["analytics", "live-updates"],
        )
        assert sorted(a.component.slug for a in maintenance.affected) == [
            "analytics",
            "live-updates",
        ]
        assert shown("analytics", NOW + timedelta(hours=2)) == "under_maintenance"
        staff.cancel_maintenance(ALICE, config, NOW + timedelta(minutes=30), maintenance)
        assert maintenance.status == "completed"
        assert maintenance.updates[0].body == CANCELLED_TEXT
        assert shown("analytics", NOW + timedelta(hours=2)) == "operational"
        with pytest.raises(staff.Conflict):
            staff.cancel_maintenance(ALICE, config, NOW, maintenance)


def test_maintenance_already_begun_is_in_progress_at_once(app) -> None:
    with app.app_context():
        maintenance = staff.schedule_maintenance(
            ALICE,
            app.config["STATUS"],
            NOW,
            name="Now",
            scheduled_for=NOW - timedelta(minutes=5),
            scheduled_until=NOW + timedelta(hours=1),
            components=["analytics"],
        )
        assert maintenance.status == "in_progress"
        assert [u.status for u in maintenance.updates] == ["in_progress", "scheduled"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"scheduled_until": NOW - timedelta(hours=1)}, "scheduled_until"),
        ({"components": []}, "components"),
        ({"components": ["nope"]}, "components[0]"),
        ({"scheduled_for": "soon"}, "scheduled_for"),
    ],
)
def test_invalid_maintenance_changes_nothing(app, values, field) -> None:
    base = {
        "name": "DB",
        "scheduled_for": NOW,
        "scheduled_until": NOW + timedelta(hours=1),
        "components": ["analytics"],
    }
    with app.app_context():
        before = counts()
        with pytest.raises(staff.Invalid) as raised:
            staff.schedule_maintenance(ALICE, app.config["STATUS"], NOW, **(base | values))
        assert raised.value.field == field
        db.session.rollback()
        assert counts() == before


def test_removing_a_component_from_a_maintenance_is_audited_as_removed(app) -> None:
    config = app.config["STATUS"]
    with app.app_context():
        maintenance = staff.schedule_maintenance(
            ALICE,
            config,
            NOW,
            name="DB upgrade",
            scheduled_for=NOW + timedelta(hours=1),
            scheduled_until=NOW + timedelta(hours=2),
            components=["analytics", "live-updates"],
        )
        staff.edit_maintenance(ALICE, config, NOW, maintenance, components=["live-updates"])
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="maintenance.edit")
        ).scalar_one()
        assert json.loads(entry.before)["components"] == {
            "analytics": "under_maintenance",
            "live-updates": "under_maintenance",
        }
        assert json.loads(entry.after)["components"] == {"live-updates": "under_maintenance"}
        assert [a.component.slug for a in maintenance.affected] == ["live-updates"]
        assert shown("analytics", NOW + timedelta(minutes=90)) == "operational"
