"""Export and import: a round trip reproduces every page and API response byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask_migrate import stamp

from probes import Outcome, Result
from statuspage import staff
from statuspage.engine import ingest, roll_up, roll_up_days, sync_components
from statuspage.staff.accounts import create_user
from statuspage.staff.tokens import create_token
from statuspage.store.db import db
from statuspage.store.models import ApiToken, Component, Incident, User

ALICE = staff.Actor("alice@capgo.app")
SECRET_PASSWORD = "correct horse battery"


def populate(app) -> list[str]:
    """Build a site with history: results, an automatic incident, staff work, maintenance."""
    config = app.config["STATUS"]
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=3)
    with app.app_context():
        for minute in range(0, 60 * 6, 15):
            moment = start + timedelta(minutes=minute)
            outcome = Outcome.DOWN if 60 <= minute < 120 else Outcome.UP
            ingest(
                [
                    Result(
                        probe_key=probe.key,
                        component=probe.component,
                        location="eu-west",
                        started_at=moment,
                        latency_ms=80.0 + minute % 7,
                        outcome=outcome if probe.component == "analytics" else Outcome.UP,
                        http_status=503 if outcome == Outcome.DOWN else 200,
                        reason="HTTP 503, expected 200" if outcome == Outcome.DOWN else "",
                    )
                    for probe in config.probes
                    if not probe.requires_env
                ],
                config,
                moment,
            )
        incident = staff.create_incident(
            ALICE,
            config,
            start + timedelta(hours=8),
            name="Slow bundle downloads",
            status="identified",
            body="A CDN *region* is slow.",
            components={"live-updates": "degraded_performance"},
        )
        staff.edit_update(
            ALICE, config, start + timedelta(hours=9), incident.updates[0], body="Fixed text"
        )
        staff.post_update(
            ALICE, config, start + timedelta(hours=10), incident, status="resolved", body=None
        )
        staff.change_incident(
            ALICE, config, start + timedelta(hours=11), incident, postmortem="Why."
        )
        staff.schedule_maintenance(
            ALICE,
            config,
            start,
            name="Database upgrade",
            scheduled_for=now + timedelta(days=2),
            scheduled_until=now + timedelta(days=2, hours=1),
            components=["analytics"],
        )
        roll_up(now)
        roll_up_days(config, now)
        create_user("alice@capgo.app", SECRET_PASSWORD)
        token = create_token("bot", "write")
        codes = [i.code for i in db.session.execute(db.select(Incident)).scalars()]
    return codes, token


def responses(app, codes) -> dict[str, tuple[int, bytes, str | None]]:
    app.extensions["response_cache"].clear()
    client = app.test_client()
    paths = [
        "/",
        "/history",
        "/uptime",
        "/uptime.csv",
        "/history.atom",
        "/history.rss",
        "/status.json",
        "/badge.svg",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
        *(f"/incidents/{code}" for code in codes),
        *(f"/components/{slug}" for slug in ("live-updates", "app-management", "analytics")),
        *(f"/components/{slug}/history.atom" for slug in ("live-updates", "analytics")),
        "/components/analytics/badge.svg",
    ]
    result = {}
    for path in paths:
        response = client.get(path)
        result[path] = (response.status_code, response.get_data(), response.headers.get("ETag"))
    return result


def test_export_import_round_trip(app, runner, tmp_path) -> None:
    codes, token = populate(app)
    before = responses(app, codes)
    assert all(status == 200 for status, _, _ in before.values())

    exported = runner.invoke(args=["export", str(tmp_path / "backup.json")])
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / "backup.json").read_text()
    data = json.loads(text)
    assert data["tables"]["incident"] and data["tables"]["probe_rollup"]
    assert "user" not in data["tables"] and "api_token" not in data["tables"]
    for secret in (SECRET_PASSWORD, token, "scrypt:"):
        assert secret not in text

    with app.app_context():
        db.drop_all()
        db.create_all()
        stamp()
        sync_components(app.config["STATUS"])  # as an app start on the new database would
    imported = runner.invoke(args=["import", str(tmp_path / "backup.json")])
    assert imported.exit_code == 0, imported.output

    after = responses(app, codes)
    for path, answer in before.items():
        assert after[path] == answer, path
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None
        assert db.session.execute(db.select(ApiToken)).first() is None
        # New rows still get fresh ids after explicit ones were inserted.
        db.session.add(Component(slug="new-one", name="New"))
        db.session.commit()

    again = runner.invoke(args=["import", str(tmp_path / "backup.json")])
    assert again.exit_code == 2 and "not empty" in again.output


def test_import_rejects_a_file_that_is_not_an_export(runner, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 2 and "not a capgo-statuspage-export file" in result.output
    bad.write_text("{broken")
    assert runner.invoke(args=["import", str(bad)]).exit_code == 2
