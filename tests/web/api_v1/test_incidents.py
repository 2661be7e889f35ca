"""The write API's incidents: the whole flow from a CLI token, each route's success, and
hostile text stored as written and never shown as live markup."""

from __future__ import annotations

import pytest

from statuspage.store.db import db
from statuspage.store.models import AuditEntry, Incident
from statuspage.web.api_v1 import PREFIX
from tests.inert import live_markup
from tests.web.api_v1.shared import OPEN, assert_error, db_state

# ---------------------------------------------------------------------------------------
# The done-when flow


def test_token_from_the_cli_opens_updates_and_resolves_an_incident(app, client, runner) -> None:
    created = runner.invoke(args=["token", "create", "ci"])
    assert created.exit_code == 0, created.output
    auth = {"Authorization": f"Bearer {created.output.strip().splitlines()[-1]}"}

    opened = client.post(f"{PREFIX}/incidents", json=OPEN, headers=auth)
    assert opened.status_code == 201, opened.json
    code = opened.json["id"]
    assert opened.headers["Location"] == f"{PREFIX}/incidents/{code}"
    assert opened.json["status"] == "investigating" and opened.json["impact"] == "critical"
    assert [c["name"] for c in opened.json["components"]] == ["Live Updates"]

    identified = client.post(
        f"{PREFIX}/incidents/{code}/updates",
        json={"status": "identified", "body": "A bad deploy of the update worker."},
        headers=auth,
    )
    assert identified.status_code == 201 and identified.json["status"] == "identified"
    monitoring = client.post(
        f"{PREFIX}/incidents/{code}/updates",
        json={
            "status": "monitoring",
            "body": "Rolled back; watching the error rate.",
            "components": {"live-updates": "operational"},
        },
        headers=auth,
    )
    assert monitoring.status_code == 201 and monitoring.json["monitoring_at"]

    # The home page lists only unresolved incidents: look while this one is open.
    home = client.get("/").get_data(as_text=True)
    assert "Update checks failing" in home and "Rolled back; watching the error rate." in home
    assert client.get(f"{PREFIX}/incidents/{code}", headers=auth).json == monitoring.json

    resolved = client.post(
        f"{PREFIX}/incidents/{code}/updates",
        json={"status": "resolved", "body": "Update checks work again."},
        headers=auth,
    )
    assert resolved.status_code == 201 and resolved.json["resolved_at"]

    public = client.get("/api/v2/incidents.json").json["incidents"]
    incident = next(i for i in public if i["id"] == code)
    assert incident["status"] == "resolved"
    timeline = [(u["status"], u["body"]) for u in incident["incident_updates"]]
    assert timeline == [
        ("resolved", "Update checks work again."),
        ("monitoring", "Rolled back; watching the error rate."),
        ("identified", "A bad deploy of the update worker."),
        ("investigating", "We are looking into failed update checks."),
    ]
    with app.app_context():
        row = db.session.execute(db.select(Incident).where(Incident.code == code)).scalar_one()
        assert row.status == "resolved" and row.resolved_at is not None
        actors = db.session.execute(db.select(AuditEntry.actor)).scalars().all()
        assert actors and set(actors) == {"token:ci"}


# ---------------------------------------------------------------------------------------
# Each endpoint's success


def test_get_incident_and_maintenance(api, events) -> None:
    incident = api("GET", f"/incidents/{events['incident']}")
    assert incident.status_code == 200 and incident.json["id"] == events["incident"]
    assert "scheduled_for" not in incident.json
    maintenance = api("GET", f"/maintenances/{events['maintenance']}")
    assert maintenance.status_code == 200 and maintenance.json["status"] == "scheduled"
    assert maintenance.json["scheduled_for"] and maintenance.json["impact"] == "maintenance"


def test_backfill_records_a_past_incident(api) -> None:
    response = api(
        "POST",
        "/incidents",
        {
            "name": "Slow bundle downloads last week",
            "status": "resolved",
            "body": "Downloads were slow for two hours.",
            "impact": "minor",
            "started_at": "2026-01-10T08:00:00Z",
            "resolved_at": "2026-01-10T10:00:00+00:00",
            "components": {"live-updates": "degraded_performance"},
            "notify": False,
        },
    )
    assert response.status_code == 201, response.json
    data = response.json
    assert data["status"] == "resolved" and data["impact"] == "minor"
    assert data["started_at"] == "2026-01-10T08:00:00.000Z"
    assert data["resolved_at"] == "2026-01-10T10:00:00.000Z"
    assert data["incident_updates"][0]["created_at"] == "2026-01-10T10:00:00.000Z"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resolved_at": ""}, "resolved_at"),  # was accepted (201) as "now"
        ({"impact": ""}, "impact"),  # was silently ignored
        ({"started_at": ""}, "started_at"),
        ({"status": "investigating"}, "resolved_at"),  # a resolution time for an open incident
        ({"resolved_at": "2099-01-10T10:00:00Z"}, "resolved_at"),
    ],
)
def test_nothing_sent_is_silently_ignored(api, changes, field) -> None:
    body = {
        "name": "Slow bundle downloads last week",
        "status": "resolved",
        "started_at": "2026-01-10T08:00:00Z",
        "resolved_at": "2026-01-10T10:00:00Z",
    }
    response = api("POST", "/incidents", body | changes)
    assert_error(response, 422, "invalid", field)
    assert response.json["field"] == field


def test_notify_is_kept_on_the_update(api, events) -> None:
    response = api(
        "POST", f"/incidents/{events['incident']}/updates", {"status": "identified", "notify": True}
    )
    newest = response.json["incident_updates"][0]
    assert newest["deliver_notifications"] is True
    # An empty body takes the status's usual text.
    assert newest["body"] == "The issue has been identified and a fix is being implemented."


def test_patch_incident_renames_and_publishes_a_postmortem(api, events) -> None:
    path = f"/incidents/{events['incident']}"
    renamed = api("PATCH", path, {"name": "Update checks failing in Europe", "impact": "major"})
    assert renamed.status_code == 200
    assert renamed.json["name"] == "Update checks failing in Europe"
    assert renamed.json["impact"] == "major"
    api("POST", path + "/updates", {"status": "resolved", "body": "Fixed."})
    published = api("PATCH", path, {"postmortem": "## What happened\nA bad deploy."})
    assert published.status_code == 200 and published.json["status"] == "postmortem"


# ---------------------------------------------------------------------------------------
# Hostile text is stored as written and never becomes live markup

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<iframe src=//evil>",
    "<svg onload=alert(1)>",
    "<b><i>unclosed",
    "\u202egnp.exe incident \u202c",
    "Down again 🔥🙈 — 数据库 обновление",
]
LONG_WORD = "A" * 5000


def _assert_inert(html: str) -> None:
    for marker in ("<script>alert", "<iframe", "<svg onload"):
        assert marker not in html
    # Escaped text may say `onerror=` or `javascript:`; no element or attribute may do it.
    assert live_markup(html) == []


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_stored_as_written_and_shown_inert(api, client, text) -> None:
    opened = api("POST", "/incidents", OPEN | {"name": text, "body": text})
    assert opened.status_code == 201, opened.json
    code = opened.json["id"]
    assert opened.json["name"] == text and opened.json["incident_updates"][0]["body"] == text
    _assert_inert(client.get("/").get_data(as_text=True))

    api("POST", f"/incidents/{code}/updates", {"status": "resolved", "body": text})
    published = api("PATCH", f"/incidents/{code}", {"postmortem": text})
    assert published.status_code == 200, published.json
    stored = api("GET", f"/incidents/{code}").json
    assert stored["name"] == text
    assert [u["body"] for u in stored["incident_updates"]] == [text, text]
    public = client.get("/api/v2/incidents.json").json["incidents"]
    assert next(i for i in public if i["id"] == code)["name"] == text
    page = client.get(f"/incidents/{code}")
    assert page.status_code == 200
    _assert_inert(page.get_data(as_text=True))


def test_a_5000_character_word(app, api, client) -> None:
    # Too long for a name (300 characters at most): refused, nothing stored.
    before = db_state(app)
    assert_error(api("POST", "/incidents", OPEN | {"name": LONG_WORD}), 422, "invalid", "name")
    assert db_state(app) == before
    # Fine in a body and a postmortem, kept whole.
    opened = api("POST", "/incidents", OPEN | {"body": LONG_WORD})
    code = opened.json["id"]
    assert opened.json["incident_updates"][0]["body"] == LONG_WORD
    assert LONG_WORD in client.get("/").get_data(as_text=True)
    api("POST", f"/incidents/{code}/updates", {"status": "resolved"})
    assert api("PATCH", f"/incidents/{code}", {"postmortem": LONG_WORD}).status_code == 200
    assert LONG_WORD in client.get(f"/incidents/{code}").get_data(as_text=True)
