"""The public JSON API: Statuspage's /api/v2 shapes, paging, and the website's /status.json."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from statuspage.reads.serializers import incident_json, page_id
from statuspage.store.db import db
from statuspage.store.models import ComponentDay
from tests.factories import add_incident, component, set_status
from tests.web.pages import GROUP_IN_PARIS

ENDPOINTS = {
    "/api/v2/summary.json": ("page", "components", "incidents", "scheduled_maintenances", "status"),
    "/api/v2/status.json": ("page", "status"),
    "/api/v2/components.json": ("page", "components"),
    "/api/v2/incidents.json": ("page", "incidents"),
    "/api/v2/incidents/unresolved.json": ("page", "incidents"),
    "/api/v2/scheduled-maintenances.json": ("page", "scheduled_maintenances"),
    "/api/v2/scheduled-maintenances/upcoming.json": ("page", "scheduled_maintenances"),
    "/api/v2/scheduled-maintenances/active.json": ("page", "scheduled_maintenances"),
}
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
MAINTENANCE_KEYS = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
ID = re.compile(r"^[a-z0-9]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
HALF_HOUR = timedelta(minutes=30)
QUIET_END = (
    '"incidents":[],"scheduled_maintenances":[],'
    '"status":{"indicator":"none","description":"All Systems Operational"}}'
)


def is_time(value: object, nullable: bool = True) -> bool:
    return (value is None and nullable) or (isinstance(value, str) and bool(TIMESTAMP.match(value)))


def check_page(page: dict, pid: str) -> None:
    assert set(page) == PAGE_KEYS
    assert page["id"] == pid and ID.match(pid)
    assert page["time_zone"] and page["url"].startswith("https://")
    assert is_time(page["updated_at"])


def check_component(component: dict, pid: str) -> None:
    keys = COMPONENT_KEYS | ({"components"} if component["group"] else set())
    assert set(component) == keys
    assert ID.match(component["id"])
    assert component["status"] in COMPONENT_STATUSES
    assert is_time(component["created_at"], nullable=False)
    assert is_time(component["updated_at"], nullable=False)
    assert isinstance(component["position"], int)
    assert component["showcase"] is (not component["group"])
    assert component["only_show_if_degraded"] is False
    assert component["page_id"] == pid
    assert component["group_id"] is None or ID.match(component["group_id"])
    start = component["start_date"]
    assert start is None or re.match(r"^\d{4}-\d\d-\d\d$", start)
    if component["group"]:
        assert all(ID.match(child) for child in component["components"])


def check_incident(incident: dict, pid: str, maintenance: bool) -> None:
    assert set(incident) == (MAINTENANCE_KEYS if maintenance else INCIDENT_KEYS)
    assert ID.match(incident["id"])
    statuses = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
    assert incident["status"] in statuses
    assert incident["impact"] in INDICATORS
    assert incident["page_id"] == pid
    assert incident["shortlink"].endswith(f"/incidents/{incident['id']}")
    for key in ("created_at", "updated_at", "started_at"):
        assert is_time(incident[key], nullable=False)
    for key in ("monitoring_at", "resolved_at", "scheduled_for", "scheduled_until"):
        assert is_time(incident.get(key))
    for update in incident["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert ID.match(update["id"]) and update["incident_id"] == incident["id"]
        assert update["status"] in statuses
        assert isinstance(update["body"], str)
        for key in ("created_at", "updated_at", "display_at"):
            assert is_time(update[key], nullable=False)
        assert isinstance(update["deliver_notifications"], bool)
        assert update["custom_tweet"] is None and update["tweet_id"] is None
        changes = update["affected_components"]
        assert changes is None or changes
        for change in changes or []:
            assert set(change) == {"code", "name", "old_status", "new_status"}
            assert change["old_status"] in COMPONENT_STATUSES
            assert change["new_status"] in COMPONENT_STATUSES
    created = [u["created_at"] for u in incident["incident_updates"]]
    assert created == sorted(created, reverse=True)
    for listed in incident["components"]:
        check_component(listed, pid)


def check_everything(client) -> dict[str, dict]:
    """Fetch every endpoint, check every object in it, and return the payloads."""
    payloads = {}
    for path, keys in ENDPOINTS.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        data = response.get_json()
        assert tuple(data) == keys, path
        pid = data["page"]["id"]
        check_page(data["page"], pid)
        if "status" in data:
            assert set(data["status"]) == {"indicator", "description"}
            assert data["status"]["indicator"] in INDICATORS
        for listed in data.get("components", []):
            check_component(listed, pid)
        for incident in data.get("incidents", []):
            check_incident(incident, pid, maintenance=False)
        for maintenance in data.get("scheduled_maintenances", []):
            check_incident(maintenance, pid, maintenance=True)
        payloads[path] = data
    return payloads


def story(
    status: str = "resolved",
    *,
    started_at: datetime | None = None,
    body: str = "Something happened.",
) -> dict[str, Any]:
    """Return add_incident's options for an incident as these tests have one: investigated
    (with `body`) at `started_at`, by default two hours ago, then at `status` half an hour on."""
    start = started_at or datetime.now(UTC) - timedelta(hours=2)
    later = [] if status == "investigating" else [(status, "Later.")]
    return {
        "status": status,
        "started_at": start,
        "resolved_at": start + HALF_HOUR if status == "resolved" else None,
        "updates": [("investigating", body), *later],
        "every": HALF_HOUR,
        "changes": True,
        "author": None,
    }


def planned(start: datetime, status: str = "scheduled") -> dict[str, Any]:
    """Return add_incident's options for an hour of maintenance from `start`, announced a day
    before (the announcement's display time is left to its column's default)."""
    announced = {"status": "scheduled", "body": "Planned.", "created_at": start - timedelta(days=1)}
    return {
        "kind": "maintenance",
        "status": status,
        "scheduled_for": start,
        "updates": [announced],
        "author": None,
    }


def test_every_endpoint_on_an_empty_database(client) -> None:
    payloads = check_everything(client)
    summary = payloads["/api/v2/summary.json"]
    assert [c["name"] for c in summary["components"]] == [
        "Live Updates",
        "App Management",
        "Analytics",
    ]
    assert {c["status"] for c in summary["components"]} == {"operational"}
    assert summary["page"]["updated_at"] is None
    assert all(c["start_date"] is None for c in summary["components"])


def test_quiet_summary_ends_as_statuspage_does(client) -> None:
    text = client.get("/api/v2/summary.json").get_data(as_text=True)
    assert text.endswith(QUIET_END)
    assert text.startswith('{"page":{"id":')


def test_page_object(client) -> None:
    page = client.get("/api/v2/status.json").get_json()["page"]
    assert page["name"] == "Capgo"
    assert page["url"] == "https://status.capgo.app"
    assert page["time_zone"] == "UTC"
    assert page["id"] == page_id("https://status.capgo.app")
    assert page_id("https://status.capgo.app") != page_id("https://status.example.com")


def test_timestamps_have_milliseconds_and_z_in_utc(app, client) -> None:
    moment = datetime(2026, 2, 15, 13, 14, 17, 744000, tzinfo=UTC)
    with app.app_context():
        add_incident("Slow", **story(started_at=moment))
        db.session.commit()
    incident = client.get("/api/v2/incidents.json").get_json()["incidents"][0]
    assert incident["started_at"] == "2026-02-15T13:14:17.744Z"
    assert incident["incident_updates"][-1]["display_at"] == "2026-02-15T13:14:17.744Z"


def test_incident_endpoints_never_list_maintenance(app, client) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        add_incident("Real outage", **story("investigating"))
        add_incident("Active work", **planned(now - timedelta(minutes=5)))
        add_incident("Planned work", **planned(now + timedelta(days=1)))
        db.session.commit()
    for path in ("/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"):
        names = [i["name"] for i in client.get(path).get_json()["incidents"]]
        assert names == ["Real outage"], path
    summary = client.get("/api/v2/summary.json").get_json()
    assert [i["name"] for i in summary["incidents"]] == ["Real outage"]
    assert {m["name"] for m in summary["scheduled_maintenances"]} == {"Active work", "Planned work"}
    everything = client.get("/api/v2/scheduled-maintenances.json").get_json()
    assert "Real outage" not in [m["name"] for m in everything["scheduled_maintenances"]]


def test_unresolved_lists_only_open_incidents(app, client) -> None:
    with app.app_context():
        for status in ("investigating", "identified", "monitoring", "resolved", "postmortem"):
            add_incident(f"Incident {status}", **story(status))
        db.session.commit()
    incidents = client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"]
    assert {i["status"] for i in incidents} == {"investigating", "identified", "monitoring"}
    every = client.get("/api/v2/incidents.json").get_json()["incidents"]
    assert len(every) == 5


def test_incident_details(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Update checks failing",
            **story("identified", body="We *look*."),
            affected=["live-updates"],
        )
        db.session.commit()
        code, live_updates = incident.code, component("live-updates").code
    data = client.get("/api/v2/incidents.json").get_json()["incidents"][0]
    assert data["id"] == code
    assert data["shortlink"] == f"https://status.capgo.app/incidents/{code}"
    assert [c["id"] for c in data["components"]] == [live_updates]
    assert data["components"][0]["name"] == "Live Updates"
    newest, oldest = data["incident_updates"]
    assert (newest["status"], newest["body"], newest["affected_components"]) == (
        "identified",
        "Later.",
        None,
    )
    assert oldest["body"] == "We *look*."  # the markdown as written
    assert oldest["affected_components"] == [
        {
            "code": live_updates,
            "name": "Live Updates",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]


def test_maintenance_status_follows_the_clock(app, client) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        add_incident("Upcoming", **planned(now + timedelta(days=2)), affected=["analytics"])
        add_incident("Running", **planned(now - timedelta(minutes=10)), affected=["analytics"])
        add_incident("Verifying", **planned(now - timedelta(minutes=10), "verifying"))
        # Stored as scheduled, but its window is over: no process needs to have moved it.
        add_incident("Over", **planned(now - timedelta(days=3)))
        db.session.commit()
    payloads = check_everything(client)

    def listed(path: str) -> dict[str, str]:
        return {m["name"]: m["status"] for m in payloads[path]["scheduled_maintenances"]}

    assert listed("/api/v2/scheduled-maintenances.json") == {
        "Upcoming": "scheduled",
        "Running": "in_progress",
        "Verifying": "verifying",
        "Over": "completed",
    }
    assert listed("/api/v2/scheduled-maintenances/upcoming.json") == {"Upcoming": "scheduled"}
    assert listed("/api/v2/scheduled-maintenances/active.json") == {
        "Running": "in_progress",
        "Verifying": "verifying",
    }
    assert set(listed("/api/v2/summary.json")) == {"Upcoming", "Running", "Verifying"}
    over = next(
        m
        for m in payloads["/api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]
        if m["name"] == "Over"
    )
    assert over["resolved_at"] == over["scheduled_until"]
    summary = payloads["/api/v2/summary.json"]
    analytics = next(c for c in summary["components"] if c["name"] == "Analytics")
    assert analytics["status"] == "under_maintenance"
    assert summary["status"] == {
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }


def test_status_agrees_with_summary(app, client) -> None:
    with app.app_context():
        set_status("analytics", "partial_outage")
        db.session.commit()
    status = client.get("/api/v2/status.json").get_json()["status"]
    summary = client.get("/api/v2/summary.json").get_json()
    assert (
        status
        == summary["status"]
        == {
            "indicator": "minor",
            "description": "Minor Service Outage",
        }
    )
    assert summary["page"]["updated_at"] is not None


def test_start_date_is_the_day_of_first_data(app, client) -> None:
    with app.app_context():
        set_status("analytics", "operational", datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
        set_status("analytics", "major_outage", datetime(2026, 2, 5, 8, 0, tzinfo=UTC))
        db.session.commit()
    components = client.get("/api/v2/components.json").get_json()["components"]
    starts = {c["name"]: c["start_date"] for c in components}
    assert starts == {"Live Updates": None, "App Management": None, "Analytics": "2026-01-05"}


def test_incident_json_is_self_contained(app) -> None:
    with app.app_context():
        incident = add_incident("Alone", **story("investigating"), affected=["analytics"])
        db.session.commit()
        data = incident_json(incident)
    assert set(data) == INCIDENT_KEYS
    assert data["components"][0]["name"] == "Analytics"


class TestPaging:
    """History beyond the 50 newest is reachable, and bad parameters are refused cleanly."""

    @pytest.fixture
    def codes(self, app) -> list[str]:
        """Create 120 incidents a minute apart and return their codes, newest first."""
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with app.app_context():
            rows = [
                add_incident(f"#{n}", **story(started_at=start + timedelta(minutes=n)))
                for n in range(120)
            ]
            db.session.commit()
            return [row.code for row in reversed(rows)]

    def fetch(self, client, query: str = ""):
        return client.get(f"/api/v2/incidents.json{query}")

    def test_default_is_the_50_newest(self, client, codes) -> None:
        response = self.fetch(client)
        assert [i["id"] for i in response.get_json()["incidents"]] == codes[:50]
        assert response.headers["X-Total-Count"] == "120"

    def test_pages_cover_everything_once(self, client, codes) -> None:
        seen = []
        for page in (1, 2, 3):
            incidents = self.fetch(client, f"?page={page}&per_page=50").get_json()["incidents"]
            seen.extend(i["id"] for i in incidents)
        assert seen == codes
        big = self.fetch(client, "?per_page=100&page=2").get_json()["incidents"]
        assert [i["id"] for i in big] == codes[100:]
        assert self.fetch(client, "?page=9").get_json()["incidents"] == []

    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("?page=0", "page"),
            ("?page=-1", "page"),
            ("?page=x", "page"),
            ("?page=", "page"),
            ("?page=1.5", "page"),
            ("?page=99999999999999999999", "page"),
            ("?per_page=0", "per_page"),
            ("?per_page=101", "per_page"),
            ("?per_page=ten", "per_page"),
        ],
    )
    def test_bad_parameters_are_a_400_naming_them(self, client, codes, query, parameter) -> None:
        for path in ("/api/v2/incidents.json", "/api/v2/scheduled-maintenances.json"):
            response = client.get(path + query)
            assert response.status_code == 400
            assert response.mimetype == "application/json"
            error = response.get_json()
            assert set(error) == {"error", "message"}
            assert error["message"].startswith(parameter + " ")


class TestGroupsAndZone:
    """A site with a group and a zone other than UTC."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(GROUP_IN_PARIS)

    def test_group_shape(self, app, client) -> None:
        with app.app_context():
            set_status("api", "major_outage", datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
            db.session.commit()
        components = check_everything(client)["/api/v2/components.json"]["components"]
        by_name = {c["name"]: c for c in components}
        assert list(by_name) == ["Core", "API", "Web", "Docs"]
        core = by_name["Core"]
        assert core["group"] is True and core["showcase"] is False
        assert core["components"] == [by_name["API"]["id"], by_name["Web"]["id"]]
        assert core["status"] == "major_outage"  # the worst of its members
        assert by_name["API"]["group_id"] == core["id"]
        assert by_name["Docs"]["group_id"] is None
        assert "components" not in by_name["API"]
        assert [c["position"] for c in components] == [1, 2, 3, 4]
        # The first data is a day in the site's zone: 23:30 UTC is already July 2 in Paris.
        assert by_name["API"]["start_date"] == "2026-07-02"
        assert core["start_date"] == "2026-07-02"

    def test_everything_with_incidents_and_maintenance(self, app, client) -> None:
        now = datetime.now(UTC)
        with app.app_context():
            add_incident("Old", **story(started_at=now - timedelta(days=3)), affected=["api"])
            add_incident("Ongoing", **story("monitoring"), affected=["web"])
            add_incident("Upcoming", **planned(now + timedelta(days=1)), affected=["docs"])
            add_incident("Active", **planned(now - timedelta(minutes=5)), affected=["api"])
            add_incident("Done", **planned(now - timedelta(days=2), "completed"))
            db.session.commit()
        payloads = check_everything(client)
        assert payloads["/api/v2/summary.json"]["status"]["indicator"] != "none"

    def test_timestamps_carry_the_sites_offset(self, app, client) -> None:
        winter = datetime(2026, 2, 15, 13, 14, 17, 744000, tzinfo=UTC)
        with app.app_context():
            add_incident("Winter", **story(started_at=winter))
            add_incident("Summer", **story(started_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC)))
            db.session.commit()
        incidents = client.get("/api/v2/incidents.json").get_json()["incidents"]
        starts = {i["name"]: i["started_at"] for i in incidents}
        assert starts == {
            "Winter": "2026-02-15T14:14:17.744+01:00",
            "Summer": "2026-07-01T12:00:00.000+02:00",
        }
        assert client.get("/api/v2/status.json").get_json()["page"]["time_zone"] == "Europe/Paris"


def test_hostile_text_is_sent_as_json(app, client) -> None:
    body = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) <iframe></iframe>"
    with app.app_context():
        add_incident("<script>alert(1)</script>", **story("investigating", body=body))
        db.session.commit()
    for path in ("/api/v2/incidents.json", "/api/v2/summary.json"):
        response = client.get(path)
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        incident = response.get_json()["incidents"][0]
        assert incident["name"] == "<script>alert(1)</script>"
        assert incident["incident_updates"][0]["body"] == body


# The capgo.app website's /status.json.


@pytest.mark.parametrize(
    ("statuses", "indicator"),
    [
        ({}, "up"),
        ({"analytics": "major_outage"}, "down"),
        ({"analytics": "partial_outage", "live-updates": "degraded_performance"}, "degraded"),
        ({"analytics": "under_maintenance"}, "maintenance"),
    ],
)
def test_website_status_indicator(app, client, statuses, indicator) -> None:
    with app.app_context():
        for slug, status in statuses.items():
            set_status(slug, status)
        db.session.commit()
    response = client.get("/status.json")
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json() == {"indicator": indicator, "uptime": "N/A"}


def test_website_status_maintenance_from_the_clock(app, client) -> None:
    with app.app_context():
        add_incident(
            "Work", **planned(datetime.now(UTC) - timedelta(minutes=1)), affected=["analytics"]
        )
        db.session.commit()
    assert client.get("/status.json").get_json()["indicator"] == "maintenance"


def test_website_status_uptime_from_daily_figures(app, client) -> None:
    today = datetime.now(UTC).date()
    with app.app_context():
        for slug in ("live-updates", "app-management", "analytics"):
            for back in (1, 2):
                db.session.add(
                    ComponentDay(
                        component_id=component(slug).id,
                        day=today - timedelta(days=back),
                        operational_min=1440,
                    )
                )
        # Analytics: 28.8 minutes of major outage over two days, so 99% uptime.
        analytics = db.session.execute(
            db.select(ComponentDay).where(ComponentDay.component_id == component("analytics").id)
        ).scalars()
        for row in analytics:
            row.operational_min, row.major_min = 1425.6, 14.4
        # Older than 90 days: left out.
        db.session.add(
            ComponentDay(
                component_id=component("live-updates").id,
                day=today - timedelta(days=95),
                major_min=1440,
            )
        )
        db.session.commit()
    assert client.get("/status.json").get_json() == {"indicator": "up", "uptime": "99.667%"}
