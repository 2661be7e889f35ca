"""The maintenance calendar: /maintenance.ics parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from statuspage import staff
from statuspage.store.db import utcnow
from tests.staff.helpers import ALICE
from tests.web.pages import GROUP_IN_PARIS

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def events(client, path: str = "/maintenance.ics") -> list:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.content_type == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return list(calendar.walk("VEVENT"))


def by_summary(found: list, site: str = "Capgo") -> dict[str, object]:
    prefix = f"{site} maintenance: "
    return {str(event["SUMMARY"]).removeprefix(prefix): event for event in found}


def schedule(app, name: str, start: timedelta, end: timedelta, components=("analytics",), now=None):
    """Schedule a maintenance relative to the real clock (the calendar reads it)."""
    now = now or utcnow()
    with app.app_context():
        maintenance = staff.schedule_maintenance(
            ALICE,
            app.config["STATUS"],
            now,
            name=name,
            scheduled_for=now + start,
            scheduled_until=now + end,
            components=list(components),
            body="Planned work.",
        )
        return maintenance.code


def test_empty_calendar_is_valid(client) -> None:
    assert events(client) == []


def test_one_event_per_scheduled_or_in_progress_maintenance(app, client) -> None:
    upcoming = schedule(app, "DB upgrade", timedelta(days=1), timedelta(days=1, hours=2))
    running = schedule(app, "Edge move", timedelta(minutes=-30), timedelta(hours=1))
    schedule(
        app,
        "Done",
        DAY,
        DAY + HOUR,
        now=utcnow() - timedelta(days=4),
    )
    found = by_summary(events(client))
    assert set(found) == {"DB upgrade", "Edge move"}  # the completed one is not listed
    event = found["DB upgrade"]
    assert str(event["UID"]) == f"maintenance-{upcoming}@status.capgo.app"
    assert str(found["Edge move"]["UID"]) == f"maintenance-{running}@status.capgo.app"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED" == str(found["Edge move"]["STATUS"])
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["URL"]) == f"https://status.capgo.app/incidents/{upcoming}"
    assert "Analytics" in str(event["DESCRIPTION"]) and "Planned work." in str(event["DESCRIPTION"])
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == timedelta(0) and end - start == timedelta(hours=2)
    assert abs(start - (utcnow() + timedelta(days=1))) < timedelta(minutes=1)


def test_times_are_written_in_utc(app, client) -> None:
    schedule(app, "DB upgrade", timedelta(days=1), timedelta(days=1, hours=2))
    text = client.get("/maintenance.ics").get_data(as_text=True)
    for key in ("DTSTART", "DTEND", "DTSTAMP", "LAST-MODIFIED", "CREATED"):
        line = next(line for line in text.splitlines() if line.startswith(key + ":"))
        assert line.endswith("Z") and "TZID" not in line, line


def test_uid_stays_and_sequence_grows_with_each_change(app, client) -> None:
    code = schedule(app, "DB upgrade", timedelta(days=1), timedelta(days=1, hours=2))
    config = app.config["STATUS"]

    def only_event():
        (event,) = events(client)
        assert str(event["UID"]) == f"maintenance-{code}@status.capgo.app"
        return event

    assert only_event()["SEQUENCE"] == 0
    with app.app_context():
        maintenance = staff.get_incident(code)
        staff.edit_maintenance(
            ALICE,
            config,
            utcnow(),
            maintenance,
            scheduled_until=utcnow() + timedelta(days=1, hours=3),
        )
    event = only_event()
    assert event["SEQUENCE"] == 1
    length = event.decoded("DTEND") - event.decoded("DTSTART")
    assert abs(length - timedelta(hours=3)) < timedelta(minutes=1)
    with app.app_context():
        maintenance = staff.get_incident(code)
        staff.edit_maintenance(ALICE, config, utcnow(), maintenance, name="DB upgrade, phase 1")
    event = only_event()
    assert (event["SEQUENCE"], str(event["SUMMARY"])) == (
        2,
        "Capgo maintenance: DB upgrade, phase 1",
    )
    with app.app_context():
        maintenance = staff.get_incident(code)
        staff.post_update(
            ALICE, config, utcnow(), maintenance, status="scheduled", body="Moved a bit."
        )
    event = only_event()
    assert event["SEQUENCE"] == 3 and "Moved a bit." in str(event["DESCRIPTION"])
    with app.app_context():
        staff.cancel_maintenance(ALICE, config, utcnow(), staff.get_incident(code))
    event = only_event()
    assert (event["SEQUENCE"], str(event["STATUS"])) == (4, "CANCELLED")
    assert client.get("/maintenance.ics").data == client.get("/maintenance.ics").data  # stable


def test_cancelled_maintenances_stay_listed_a_week_after_their_planned_end(app, client) -> None:
    config = app.config["STATUS"]
    now = utcnow()
    # Each scheduled a day ahead of its own past moment, and cancelled before it began.
    recent = schedule(app, "Recent", DAY, DAY + HOUR, now=now - timedelta(days=6))
    old = schedule(app, "Old", DAY, DAY + HOUR, now=now - timedelta(days=10))
    later = schedule(app, "Later", timedelta(days=20), timedelta(days=20, hours=1))
    with app.app_context():
        staff.cancel_maintenance(
            ALICE, config, now - timedelta(days=5, hours=12), staff.get_incident(recent)
        )
        staff.cancel_maintenance(
            ALICE, config, now - timedelta(days=9, hours=1), staff.get_incident(old)
        )
        staff.cancel_maintenance(ALICE, config, now, staff.get_incident(later))
    found = by_summary(events(client))
    assert set(found) == {"Recent", "Later"}
    assert {str(event["STATUS"]) for event in found.values()} == {"CANCELLED"}


def test_a_maintenance_completed_early_is_not_a_cancellation(app, client) -> None:
    code = schedule(app, "Edge move", timedelta(minutes=-30), timedelta(hours=1))
    with app.app_context():
        staff.post_update(
            ALICE,
            app.config["STATUS"],
            utcnow(),
            staff.get_incident(code),
            status="completed",
            body="Done early.",
        )
    assert events(client) == []


def test_component_calendars_keep_their_own_maintenances(app, client, config_path) -> None:
    schedule(app, "Analytics work", timedelta(days=1), timedelta(days=1, hours=1), ("analytics",))
    schedule(app, "Updates work", timedelta(days=2), timedelta(days=2, hours=1), ("live-updates",))
    assert set(by_summary(events(client, "/components/analytics/maintenance.ics"))) == {
        "Analytics work"
    }
    assert set(by_summary(events(client, "/components/live-updates/maintenance.ics"))) == {
        "Updates work"
    }
    assert set(by_summary(events(client))) == {"Analytics work", "Updates work"}
    assert client.get("/components/nope/maintenance.ics").status_code == 404


class TestInAGroupInParis:
    """A group's calendar, on a site whose zone is not UTC."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(GROUP_IN_PARIS)

    def test_group_calendar_holds_its_members_maintenances(self, app, client) -> None:
        schedule(app, "API work", DAY, DAY + HOUR, ("api",))
        schedule(app, "Docs work", 2 * DAY, 2 * DAY + HOUR, ("docs",))
        assert set(by_summary(events(client, "/components/core/maintenance.ics"), "Acme")) == {
            "API work"
        }
        assert set(by_summary(events(client, "/components/api/maintenance.ics"), "Acme")) == {
            "API work"
        }

    def test_times_stay_in_utc_whatever_the_sites_zone(self, app, client) -> None:
        schedule(app, "API work", DAY, DAY + HOUR, ("api",))
        text = client.get("/maintenance.ics").get_data(as_text=True)
        start = next(line for line in text.splitlines() if line.startswith("DTSTART"))
        assert start.startswith("DTSTART:") and start.endswith("Z")
        (event,) = events(client)
        assert str(event["UID"]).endswith("@status.acme.test")


def test_calendar_is_cached_and_offered_in_the_subscribe_menu(client) -> None:
    response = client.get("/maintenance.ics")
    assert response.headers["Cache-Control"].startswith("public")
    assert "ETag" in response.headers
    page = client.get("/").get_data(as_text=True)
    assert 'href="webcal://status.capgo.app/maintenance.ics">Add to calendar</a>' in page
    assert 'href="/maintenance.ics"' in page
    component = client.get("/components/analytics").get_data(as_text=True)
    assert "webcal://status.capgo.app/components/analytics/maintenance.ics" in component


def test_calendar_event_text_is_escaped(app, client) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        staff.schedule_maintenance(
            ALICE,
            app.config["STATUS"],
            now,
            name="Move; rename, and\\ more",
            scheduled_for=now + timedelta(days=1),
            scheduled_until=now + timedelta(days=1, hours=1),
            components=["analytics"],
            body="Line one\nBEGIN:VEVENT\nline three",
        )
    (event,) = events(client)
    assert str(event["SUMMARY"]) == "Capgo maintenance: Move; rename, and\\ more"
    assert "BEGIN:VEVENT" in str(event["DESCRIPTION"])  # text, not a second event
