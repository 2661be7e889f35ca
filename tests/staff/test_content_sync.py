"""Incident files synced: content/incidents/*.md imported by `statuspage content sync`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.reads.status import shown_statuses
from statuspage.staff import Actor, create_incident
from statuspage.staff.content_files import derived_code
from statuspage.store.db import db, utcnow
from statuspage.store.models import (
    AuditEntry,
    Component,
    Incident,
    IncidentUpdate,
    StatusChange,
    UpdateRevision,
)
from tests.staff.content_samples import ANALYTICS, FULL, MAINTENANCE, at

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "incidents"
    path.mkdir()
    return path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sync(runner, folder: Path):
    return runner.invoke(cli, ["content", "sync", "--dir", str(folder)])


def incident_from(source: str) -> Incident | None:
    return db.session.execute(db.select(Incident).where(Incident.source == source)).scalar()


def timeline(incident: Incident) -> list[tuple[datetime, str, str]]:
    rows = sorted(incident.updates, key=lambda u: u.created_at)
    return [(u.created_at, u.status, u.body) for u in rows]


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar()
        for table in db.metadata.sorted_tables
    }


# ---------------------------------------------------------------------------------------
# Importing


def test_full_incident_imports_with_updates_and_postmortem(app, runner, folder) -> None:
    path = write(folder, "2026-03-01-eu.md", FULL)
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    code = derived_code("incidents/2026-03-01-eu.md")
    assert result.output == f"imported: {path} (incident {code})\n"
    with app.app_context():
        incident = incident_from("incidents/2026-03-01-eu.md")
        assert incident.code == code and len(code) == 12
        assert (incident.kind, incident.name, incident.impact) == (
            "incident",
            "Update checks failing in Europe",
            "major",
        )
        assert incident.status == "postmortem" and not incident.automatic
        assert (incident.started_at, incident.resolved_at) == (at(10, 2), at(11, 30))
        assert incident.started_at.tzinfo is not None
        assert incident.postmortem == "A configuration change lowered the **connection limit**."
        assert timeline(incident) == [
            (at(10, 5), "investigating", "We are investigating failing update checks in Europe."),
            (at(10, 40), "identified", "The Europe read replica is out of connections."),
            (at(11, 30), "resolved", "Update checks are healthy again."),
        ]
        assert {u.author for u in incident.updates} == {"content:incidents/2026-03-01-eu.md"}
        assert [(a.component.slug, a.status) for a in incident.affected] == [
            ("live-updates", "partial_outage")
        ]
        changes = {
            u.status: [(c.old_status, c.new_status) for c in u.changes] for u in incident.updates
        }
        assert changes == {
            "investigating": [("operational", "partial_outage")],
            "identified": [],
            "resolved": [("partial_outage", "operational")],
        }
        [entry] = db.session.execute(db.select(AuditEntry)).scalars()
        assert (entry.actor, entry.action, entry.target) == (
            "content:incidents/2026-03-01-eu.md",
            "content.import",
            f"incident:{code}",
        )
        # A resolved past incident leaves today's status alone.
        assert db.session.execute(db.select(StatusChange)).first() is None
        components = db.session.execute(db.select(Component)).scalars()
        assert set(shown_statuses(components, utcnow()).values()) == {"operational"}


def test_maintenance_imports(app, runner, folder) -> None:
    write(folder, "upgrade.md", MAINTENANCE)
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    with app.app_context():
        maintenance = incident_from("incidents/upgrade.md")
        assert (maintenance.kind, maintenance.status, maintenance.impact) == (
            "maintenance",
            "completed",
            "maintenance",
        )
        assert maintenance.scheduled_for == at(2, 0, day=10, month=2)
        assert maintenance.scheduled_until == at(3, 0, day=10, month=2)
        assert maintenance.resolved_at == at(2, 48, day=10, month=2)
        assert sorted((a.component.slug, a.status) for a in maintenance.affected) == [
            ("analytics", "under_maintenance"),
            ("app-management", "under_maintenance"),
        ]
        assert [status for _, status, _ in timeline(maintenance)] == [
            "scheduled",
            "in_progress",
            "completed",
        ]
        # An update written with no text gets its status's standard text.
        assert timeline(maintenance)[1][2].startswith("Scheduled maintenance is currently")


def test_second_sync_changes_nothing(app, runner, folder) -> None:
    full = write(folder, "eu.md", FULL)
    upgrade = write(folder, "upgrade.md", MAINTENANCE)
    assert sync(runner, folder).exit_code == 0
    with app.app_context():
        before = row_counts()
        incident = incident_from("incidents/eu.md")
        updated_at, code = incident.updated_at, incident.code
    result = sync(runner, folder)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"unchanged: {full} (incident {code})",
        f"unchanged: {upgrade} (incident {derived_code('incidents/upgrade.md')})",
    ]
    with app.app_context():
        assert row_counts() == before
        assert incident_from("incidents/eu.md").updated_at == updated_at


def test_editing_a_file_updates_the_incident_and_keeps_the_earlier_text(
    app, runner, folder
) -> None:
    path = write(folder, "eu.md", FULL)
    assert sync(runner, folder).exit_code == 0
    edited = (
        FULL.replace("Update checks failing in Europe", "Update checks failing in the EU")
        .replace('impact = "major"', 'impact = "critical"')
        .replace(
            'live-updates = "partial_outage"',
            'live-updates = "major_outage", analytics = "degraded_performance"',
        )
        .replace("is out of connections.", "had no free connections.")
        .replace(
            "## Postmortem", "## 2026-03-01 11:10 UTC · Monitoring\nWatching.\n\n## Postmortem"
        )
        .replace("**connection limit**", "connection limit")
    )
    path.write_text(edited, encoding="utf-8")
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"updated: {path} (incident ")
    with app.app_context():
        incident = incident_from("incidents/eu.md")
        assert (incident.name, incident.impact) == ("Update checks failing in the EU", "critical")
        assert sorted((a.component.slug, a.status) for a in incident.affected) == [
            ("analytics", "degraded_performance"),
            ("live-updates", "major_outage"),
        ]
        assert incident.postmortem == "A configuration change lowered the connection limit."
        assert incident.monitoring_at == at(11, 10)
        assert [(t, s) for t, s, _ in timeline(incident)] == [
            (at(10, 5), "investigating"),
            (at(10, 40), "identified"),
            (at(11, 10), "monitoring"),
            (at(11, 30), "resolved"),
        ]
        identified = next(u for u in incident.updates if u.status == "identified")
        assert identified.body == "The Europe read replica had no free connections."
        assert identified.edited_at is not None
        [revision] = identified.revisions
        assert revision.body == "The Europe read replica is out of connections."
        assert revision.replaced_by == "content:incidents/eu.md"
        first = next(u for u in incident.updates if u.status == "investigating")
        assert sorted((c.component.slug, c.old_status, c.new_status) for c in first.changes) == [
            ("analytics", "operational", "degraded_performance"),
            ("live-updates", "operational", "major_outage"),
        ]
        actions = db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id))
        assert list(actions.scalars()) == [
            "content.import",
            "update.edit",
            "update.create",
            "content.update",
        ]
        assert db.session.execute(db.select(db.func.count(UpdateRevision.id))).scalar() == 1


def test_a_removed_section_is_kept_and_reported(app, runner, folder) -> None:
    path = write(folder, "eu.md", FULL)
    assert sync(runner, folder).exit_code == 0
    path.write_text(FULL.replace("## 2026-03-01 10:40 UTC · Identified\n", ""), encoding="utf-8")
    # The identified text now belongs to the investigating update, which keeps its old text.
    result = sync(runner, folder)
    assert result.exit_code == 0
    with app.app_context():
        incident = incident_from("incidents/eu.md")
        assert len(incident.updates) == 3
        investigating = next(u for u in incident.updates if u.status == "investigating")
        assert investigating.body.endswith("The Europe read replica is out of connections.")
        assert [r.body for r in investigating.revisions] == [
            "We are investigating failing update checks in Europe."
        ]
    assert "warning: kept the update of 2026-03-01 10:40 UTC (identified)" in result.output


def test_a_component_removed_from_the_file_is_no_longer_affected(app, runner, folder) -> None:
    path = write(
        folder, "stats.md", ANALYTICS.replace('["analytics"]', '["analytics", "live-updates"]')
    )
    assert sync(runner, folder).exit_code == 0
    path.write_text(ANALYTICS, encoding="utf-8")
    assert sync(runner, folder).exit_code == 0
    with app.app_context():
        incident = incident_from("incidents/stats.md")
        assert [a.component.slug for a in incident.affected] == ["analytics"]
        first = min(incident.updates, key=lambda u: u.created_at)
        assert [c.component.slug for c in first.changes] == ["analytics"]


def test_an_upcoming_maintenance_stays_scheduled(app, runner, folder) -> None:
    start = utcnow() + timedelta(days=3)
    text = MAINTENANCE.replace("2026-02-10T02:00:00Z", f"{start:%Y-%m-%dT%H:%M:%SZ}").replace(
        "2026-02-10T03:00:00Z", f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    )
    text = text.split("\n## 2026-02-10")[0] + "\n"
    write(folder, "upcoming.md", text)
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    with app.app_context():
        maintenance = incident_from("incidents/upcoming.md")
        assert (maintenance.status, maintenance.resolved_at) == ("scheduled", None)
        components = db.session.execute(db.select(Component)).scalars()
        assert set(shown_statuses(components, utcnow()).values()) == {"operational"}


def test_an_ongoing_incident_sets_status_until_the_file_resolves_it(app, runner, folder) -> None:
    ongoing = ANALYTICS.replace(
        "## 2026-04-02 09:00 UTC - Resolved\nStatistics are up to date.\n", ""
    )
    path = write(folder, "stats.md", ongoing)
    assert sync(runner, folder).exit_code == 0
    with app.app_context():
        analytics = db.session.execute(db.select(Component).filter_by(slug="analytics")).scalar()
        assert shown_statuses([analytics], utcnow())[analytics.id] == "degraded_performance"
        assert incident_from("incidents/stats.md").status == "investigating"
    path.write_text(ANALYTICS, encoding="utf-8")
    assert sync(runner, folder).exit_code == 0
    with app.app_context():
        analytics = db.session.execute(db.select(Component).filter_by(slug="analytics")).scalar()
        assert shown_statuses([analytics], utcnow())[analytics.id] == "operational"
        incident = incident_from("incidents/stats.md")
        assert (incident.status, incident.resolved_at) == ("resolved", at(9, 0, day=2, month=4))
        history = db.session.execute(
            db.select(StatusChange.status, StatusChange.cause).where(
                StatusChange.component_id == analytics.id
            )
        ).all()
        assert history == [("degraded_performance", "incident"), ("operational", "incident")]


def test_a_renamed_file_with_its_code_keeps_its_incident(app, runner, folder) -> None:
    text = FULL.replace("+++\ntitle", '+++\ncode = "eu2026march1"\ntitle', 1)
    old = write(folder, "old.md", text)
    assert sync(runner, folder).exit_code == 0
    old.rename(folder / "new.md")
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    assert "renamed from incidents/old.md" in result.output
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 1
        assert incident_from("incidents/new.md").code == "eu2026march1"


def test_a_deleted_file_is_reported_and_its_incident_kept(app, runner, folder) -> None:
    path = write(folder, "eu.md", FULL)
    assert sync(runner, folder).exit_code == 0
    path.unlink()
    result = sync(runner, folder)
    assert result.exit_code == 0
    assert result.output.startswith(f"missing: {path} (incident ")
    with app.app_context():
        assert incident_from("incidents/eu.md") is not None


def test_the_example_imports_and_the_live_folder_holds_only_its_readme(app, runner) -> None:
    # The example lives in a subfolder so that a production sync never publishes it.
    live = sync(runner, REPO_ROOT / "content" / "incidents")
    assert live.exit_code == 0 and "no incident files" in live.output
    result = sync(runner, REPO_ROOT / "content" / "incidents" / "examples")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("imported: ")
    with app.app_context():
        [incident] = db.session.execute(db.select(Incident)).scalars()
        assert incident.name.startswith("Example: ")
        assert incident.postmortem and len(incident.updates) == 4


# ---------------------------------------------------------------------------------------
# Invalid files: named with file and field, nothing imported, the others still are


INVALID = [
    pytest.param(FULL.replace('impact = "major"', "impact = major"), "line 3", id="bad-toml"),
    pytest.param(
        FULL.replace("Update checks failing in Europe", "Update checks \\u0007 failing"),
        "title",
        id="control-character-in-title",
    ),
    pytest.param(FULL.replace("· Identified\n", "· Identified\nbell \x07\n"), "line 12", id="bell"),
    pytest.param(FULL.replace("+++\ntitle", '+++\ncolour = "red"\ntitle', 1), "colour", id="key"),
    pytest.param(
        FULL.replace('title = "Update checks failing in Europe"\n', ""), "title", id="title"
    ),
    pytest.param(
        FULL.replace('{ live-updates = "partial_outage" }', '["live-update"]'),
        "components",
        id="unknown-component",
    ),
    pytest.param(FULL.replace("· Identified", "· Fixed"), "line 12", id="unknown-status"),
    pytest.param(FULL.replace("· Identified", "· Completed"), "line 12", id="maintenance-status"),
    pytest.param(
        FULL.replace("2026-03-01 10:40 UTC", "2026-02-30 10:40 UTC"), "line 12", id="bad-date"
    ),
    pytest.param(FULL.replace("2026-03-01 10:40 UTC", "2026-03-01 10:40"), "line 12", id="no-zone"),
    pytest.param(
        FULL.replace("## 2026-03-01 10:40 UTC · Identified", "## Timeline"),
        "line 12",
        id="unknown-heading",
    ),
    pytest.param(
        FULL.replace("2026-03-01T10:02:00Z", "2026-03-01T10:02:00"), "started", id="naive-time"
    ),
    pytest.param(
        FULL.replace("2026-03-01T10:02:00Z", '"2026-03-01T10:02:00Z"'), "started", id="string-time"
    ),
    pytest.param(
        FULL.replace("2026-03-01T11:30:00Z", "2026-03-01T09:30:00Z"),
        "resolved",
        id="resolved-before-started",
    ),
    pytest.param(FULL.replace("+++\ntitle", '+++\ncode = "EU-1"\ntitle', 1), "code", id="bad-code"),
    pytest.param(FULL.replace("· Resolved", "· Monitoring"), "resolved", id="resolved-but-open"),
    pytest.param(
        FULL.replace("+++\n\n## 2026", "+++\nA stray line.\n## 2026"),
        "line 8",
        id="text-before-updates",
    ),
    pytest.param(
        FULL.replace("2026-03-01 11:30 UTC", "2099-03-01 11:30 UTC"), "line 15", id="future-update"
    ),
    pytest.param(
        MAINTENANCE.replace("scheduled_until = 2026-02-10T03:00:00Z\n", ""),
        "scheduled_until",
        id="maintenance-without-end",
    ),
    pytest.param(
        MAINTENANCE.replace("+++\ntitle", "+++\nstarted = 2026-02-10T02:00:00Z\ntitle", 1),
        "started",
        id="incident-key-in-maintenance",
    ),
]


@pytest.mark.parametrize(("text", "field"), INVALID)
def test_an_invalid_file_imports_nothing_and_others_still_import(
    app, runner, folder, text: str, field: str
) -> None:
    bad = write(folder, "bad.md", text)
    write(folder, "good.md", ANALYTICS)
    result = sync(runner, folder)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith(f"error: {bad}: {field}: "), lines
    assert lines[1].startswith("imported: ")
    assert "Traceback" not in result.output
    with app.app_context():
        assert incident_from("incidents/bad.md") is None
        [incident] = db.session.execute(db.select(Incident)).scalars()
        assert incident.source == "incidents/good.md"
        assert db.session.execute(db.select(db.func.count(IncidentUpdate.id))).scalar() == 2


def test_an_invalid_edit_leaves_the_incident_as_it_was(app, runner, folder) -> None:
    path = write(folder, "eu.md", FULL)
    assert sync(runner, folder).exit_code == 0
    with app.app_context():
        before = row_counts()
    path.write_text(FULL.replace("Europe", "EU").replace("· Identified", "· Fixed"), "utf-8")
    result = sync(runner, folder)
    assert result.exit_code == 2 and "error: " in result.output
    with app.app_context():
        assert row_counts() == before
        assert incident_from("incidents/eu.md").name == "Update checks failing in Europe"


def test_two_files_with_one_code_are_both_refused(app, runner, folder) -> None:
    text = FULL.replace("+++\ntitle", '+++\ncode = "eu2026march1"\ntitle', 1)
    write(folder, "a.md", text)
    write(folder, "b.md", text)
    write(folder, "good.md", ANALYTICS)
    result = sync(runner, folder)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == f"error: {folder / 'a.md'}: code: 'eu2026march1' is also the code of " + (
        "incidents/b.md"
    )
    assert lines[1].startswith(f"error: {folder / 'b.md'}: code: ")
    assert lines[2].startswith("imported: ")


def test_a_new_file_cannot_take_the_code_of_an_imported_one(app, runner, folder) -> None:
    text = FULL.replace("+++\ntitle", '+++\ncode = "eu2026march1"\ntitle', 1)
    write(folder, "a.md", text)
    assert sync(runner, folder).exit_code == 0
    write(folder, "b.md", text)
    result = sync(runner, folder)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith("unchanged: ")
    assert result.output.splitlines()[1].startswith(f"error: {folder / 'b.md'}: code: ")


def test_a_code_of_an_incident_not_from_a_file_is_refused(app, runner, folder) -> None:
    with app.app_context():
        code = create_incident(
            Actor("staff@capgo.app"),
            app.config["STATUS"],
            utcnow(),
            name="Written in the admin screens",
            status="investigating",
            body="Looking.",
        ).code
    write(folder, "a.md", FULL.replace("+++\ntitle", f'+++\ncode = "{code}"\ntitle', 1))
    result = sync(runner, folder)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {folder / 'a.md'}: code: ")
    assert "not imported from a file" in result.output


# ---------------------------------------------------------------------------------------
# The command, from a fresh process's point of view


@pytest.fixture
def config_path(write_config) -> Path:
    return write_config((REPO_ROOT / "content" / "status.toml").read_text(encoding="utf-8"))


def test_exit_codes_with_the_folder_beside_the_config(app, config_path, database_url) -> None:
    folder = config_path.parent / "incidents"
    folder.mkdir()
    write(folder, "eu.md", FULL)
    env = {"STATUSPAGE_CONFIG": str(config_path), "STATUSPAGE_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["content", "sync"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"imported: {folder / 'eu.md'}")
    write(folder, "bad.md", "no front matter\n")
    result = CliRunner().invoke(cli, ["content", "sync"], env=env)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: {folder / 'bad.md'}: line 1: a file starts with a '+++' line opening its "
        "front matter",
        f"unchanged: {folder / 'eu.md'} (incident {derived_code('incidents/eu.md')})",
    ]
    missing = CliRunner().invoke(cli, ["content", "sync", "--dir", str(folder / "nope")], env=env)
    assert missing.exit_code == 2 and "no such folder" in missing.output


# ---------------------------------------------------------------------------------------
# Hostile text stays inert


def test_hostile_text_is_inert_on_the_pages(app, runner, client, folder) -> None:
    now = utcnow()
    stamp = f"{now - timedelta(hours=2):%Y-%m-%d %H:%M} UTC"
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> "
        '[click](javascript:alert(3)) <a href="javascript:alert(4)">x</a>'
    )
    write(
        folder,
        "hostile.md",
        f'+++\ntitle = "<script>alert(5)</script>"\ncomponents = ["analytics"]\n+++\n\n'
        f"## {stamp} · Investigating\n{hostile}\n",
    )
    resolved = f"{now - timedelta(hours=1):%Y-%m-%d %H:%M} UTC"
    write(
        folder,
        "postmortem.md",
        f'+++\ntitle = "Past"\n+++\n\n## {stamp} · Investigating\n{hostile}\n\n'
        f"## {resolved} · Resolved\n{hostile}\n\n## Postmortem\n{hostile}\n",
    )
    result = sync(runner, folder)
    assert result.exit_code == 0, result.output
    with app.app_context():
        codes = list(db.session.execute(db.select(Incident.code)).scalars())
    pages = [client.get("/")] + [client.get(f"/incidents/{code}") for code in codes]
    assert pages[0].status_code == 200
    if all(page.status_code == 404 for page in pages[1:]):
        pages = pages[:1]  # no incident pages (yet): check the home page alone
    shown = [page.get_data(as_text=True) for page in pages]
    assert all(">click<" in page for page in shown)  # the text is there, the link is not
    for page in shown:
        assert "<script>alert" not in page
        assert not re.search(r"<[^>]+\son\w+\s*=", page)
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.IGNORECASE)
