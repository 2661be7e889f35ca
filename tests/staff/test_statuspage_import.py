"""`statuspage import-statuspage`: a recorded Statuspage page served on loopback, imported."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from statuspage.staff.statuspage_fetch import Fetcher, FetchError
from statuspage.staff.statuspage_import import read_remote
from statuspage.store.db import db, utcnow
from statuspage.store.models import AuditEntry, Incident, IncidentUpdate, UpdateRevision
from tests.factories import component_toml, config_toml
from tests.standin import HANG, HUGE, CapgoStandIn, json_body, status, trickle

RECORDING = Path(__file__).parent / "statuspage_recording"
SITE = config_toml(
    component_toml("api", "API"),
    component_toml("web-app", "Web app"),
    component_toml("docs", "Docs"),
)
MAP = '[components]\n"Website" = "web-app"\n"Status Widgets" = ""\n'
LOCAL_NAMES = {"API": "API", "Website": "Web app"}


def recorded(name: str) -> dict:
    return json.loads((RECORDING / name).read_text())


class StatuspagePage:
    """The recorded page served by a real HTTP server on 127.0.0.1; bodies may be changed."""

    def __init__(self, server: CapgoStandIn) -> None:
        self.server = server
        self.bodies = {
            "summary.json": recorded("summary.json"),
            "incidents.json": recorded("incidents.json"),
            "scheduled-maintenances.json": recorded("scheduled-maintenances.json"),
        }
        self.feed = (RECORDING / "history.atom").read_bytes()
        self.publish()

    @property
    def url(self) -> str:
        return self.server.url

    def publish(self) -> None:
        for name, body in self.bodies.items():
            self.server.set(f"/api/v2/{name}", json_body(body))
        self.server.set("/history.atom", status(200, self.feed))

    def incidents(self) -> list[dict]:
        lists = self.bodies["incidents.json"]["incidents"]
        return lists + self.bodies["scheduled-maintenances.json"]["scheduled_maintenances"]


@pytest.fixture
def remote() -> Iterator[StatuspagePage]:
    with CapgoStandIn() as server:
        yield StatuspagePage(server)


@pytest.fixture
def config_path(write_config):
    return write_config(SITE)


@pytest.fixture
def map_file(tmp_path) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(MAP)
    return path


def run(runner, remote, *extra: str, map_file: Path | None = None):
    args = ["import-statuspage", remote.url, *extra]
    if map_file is not None:
        args += ["--map", str(map_file)]
    return runner.invoke(args)


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
            for model in (Incident, IncidentUpdate, AuditEntry, UpdateRevision)
        )


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def ours(client, path: str, key: str) -> dict[str, dict]:
    body = client.get(f"/api/v2/{path}?per_page=100").get_json()
    return {item["name"]: item for item in body[key]}


def assert_reproduced(client, source: list[dict]) -> None:
    """Our API shows each source event with its id, name, status, impact, times and updates."""
    found = {
        **ours(client, "incidents.json", "incidents"),
        **ours(client, "scheduled-maintenances.json", "scheduled_maintenances"),
    }
    for event in source:
        mine = found[event["name"]]
        assert mine["id"] == event["id"]  # /incidents/<id> links keep working
        for key in ("status", "impact"):
            assert mine[key] == event[key], (event["name"], key)
        keys = ["created_at", "updated_at", "started_at", "monitoring_at", "resolved_at"]
        if "scheduled_for" in event:
            keys += ["scheduled_for", "scheduled_until"]
        for key in keys:
            assert moment(mine[key]) == moment(event[key]), (event["name"], key)
        assert [
            (u["status"], u["body"], moment(u["created_at"]), moment(u["display_at"]))
            for u in mine["incident_updates"]
        ] == [
            (u["status"], u["body"], moment(u["created_at"]), moment(u["display_at"]))
            for u in event["incident_updates"]
        ], event["name"]
        for theirs, mine_update in zip(
            event["incident_updates"], mine["incident_updates"], strict=True
        ):
            wanted = [
                (LOCAL_NAMES[c["name"]], c["old_status"], c["new_status"])
                for c in theirs["affected_components"] or []
                if c["name"] in LOCAL_NAMES
            ]
            got = [
                (c["name"], c["old_status"], c["new_status"])
                for c in mine_update["affected_components"] or []
            ]
            assert got == wanted, event["name"]
            assert mine_update["deliver_notifications"] is False  # nobody is told twice
        assert sorted(c["name"] for c in mine["components"]) == sorted(
            LOCAL_NAMES[c["name"]] for c in event["components"] if c["name"] in LOCAL_NAMES
        )


def test_an_import_reproduces_the_page_on_our_api(app, client, runner, remote, map_file) -> None:
    result = run(runner, remote, map_file=map_file)
    assert result.exit_code == 0, result.output
    assert_reproduced(client, remote.incidents())
    lines = result.output.splitlines()
    assert lines[0] == f"From Acme ({remote.url}):"
    assert lines[-1] == "7 imported, 0 updated, 0 unchanged, 0 refused"
    assert "imported: incident res000000001 as res000000001: Elevated API errors" in lines
    incident = client.get("/incidents/pmt000000001").get_data(as_text=True)
    postmortem = incident.split('id="postmortem"', 1)[1]
    assert "What happened" in postmortem and "<strong>web servers'</strong>" in postmortem


def test_the_feed_brings_what_the_api_leaves_out(app, client, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    dns = ours(client, "incidents.json", "incidents")["DNS resolution failures"]
    assert dns["id"] == "old000000001" and dns["status"] == "resolved" and dns["impact"] == "none"
    assert [(u["status"], u["body"], u["created_at"]) for u in dns["incident_updates"]] == [
        ("resolved", "Our DNS provider fixed its resolvers.", "2026-01-01T00:40:00.000Z"),
        (
            "investigating",
            "Still failing for some regions.\nProvider informed.",
            "2026-01-01T00:05:00.000Z",
        ),
        (
            "investigating",
            "Some customers cannot resolve acme.test & its subdomains.",
            "2025-12-31T23:30:00.000Z",
        ),
    ]
    assert moment(dns["resolved_at"]) == moment("2026-01-01T00:40:00Z")
    rotation = ours(client, "scheduled-maintenances.json", "scheduled_maintenances")[
        "Certificate rotation"
    ]
    assert rotation["status"] == "completed"
    assert (rotation["scheduled_for"], rotation["scheduled_until"]) == (
        "2025-11-30T02:00:00.000Z",
        "2025-11-30T03:00:00.000Z",
    )


def test_importing_twice_doubles_nothing(app, client, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    before = counts(app)
    api = client.get("/api/v2/incidents.json").get_json()["incidents"]
    again = run(runner, remote, map_file=map_file)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "0 imported, 0 updated, 7 unchanged, 0 refused"
    assert counts(app) == before
    assert client.get("/api/v2/incidents.json").get_json()["incidents"] == api


def test_a_changed_source_updates_in_place(app, client, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    incidents, updates, _, revisions = counts(app)
    event = remote.bodies["incidents.json"]["incidents"][0]
    event["status"], event["resolved_at"] = "resolved", "2026-11-20T10:30:00.000Z"
    event["updated_at"] = "2026-11-20T10:30:00.000Z"
    event["incident_updates"][0]["body"] = "A fix is deployed; dashboards are fast again."
    closing = copy.deepcopy(event["incident_updates"][0])
    closing.update(
        id="monu00000003",
        status="resolved",
        body="This incident has been resolved.",
        created_at="2026-11-20T10:30:00.000Z",
        display_at="2026-11-20T10:30:00.000Z",
        affected_components=[
            {
                "code": "api000000001",
                "name": "API",
                "old_status": "degraded_performance",
                "new_status": "operational",
            }
        ],
    )
    event["incident_updates"].insert(0, closing)
    remote.publish()
    result = run(runner, remote, map_file=map_file)
    assert result.exit_code == 0, result.output
    assert "updated: incident mon000000001 as mon000000001: Slow dashboard loads" in result.output
    assert result.output.splitlines()[-1] == "0 imported, 1 updated, 6 unchanged, 0 refused"
    assert_reproduced(client, remote.incidents())
    after = counts(app)
    assert (after[0], after[1], after[3]) == (incidents, updates + 1, revisions + 1)
    with app.app_context():
        kept = db.session.execute(db.select(UpdateRevision)).scalar_one()
        assert kept.body == "A fix has been deployed; we are watching the dashboards."
    assert (
        run(runner, remote, map_file=map_file)
        .output.splitlines()[-1]
        .startswith("0 imported, 0 updated")
    )


def test_an_edited_update_alone_keeps_the_remote_times(
    app, client, runner, remote, map_file
) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    event = remote.bodies["incidents.json"]["incidents"][2]
    event["incident_updates"][1]["body"] = "A fix is in; we are watching."
    remote.publish()
    assert run(runner, remote, map_file=map_file).exit_code == 0
    assert_reproduced(client, remote.incidents())  # updated_at is still the remote's


def test_an_incident_never_becomes_a_maintenance(app, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    event = remote.bodies["incidents.json"]["incidents"][2]
    event.update(scheduled_for="2026-09-01T07:00:00Z", scheduled_until="2026-09-01T10:00:00Z")
    event.update(status="completed", impact="maintenance")
    for update in event["incident_updates"]:
        update["status"] = "completed"
    remote.publish()
    result = run(runner, remote, map_file=map_file)
    assert result.exit_code == 2
    assert (
        "refused: maintenance res000000001: was imported as an incident; that never changes"
        in result.output
    )


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(app, runner, remote, map_file) -> None:
    before = counts(app)
    result = run(runner, remote, "--dry-run", map_file=map_file)
    assert result.exit_code == 0, result.output
    assert counts(app) == before
    lines = result.output.splitlines()
    assert lines[0].startswith("Dry run: nothing written.")
    assert "would be imported: incident res000000001 as res000000001: Elevated API errors" in lines
    assert lines[-1] == "7 would be imported, 0 would be updated, 0 unchanged, 0 refused"


def test_components_map_by_name_and_unmatched_ones_are_reported(
    app, client, runner, remote
) -> None:
    result = run(runner, remote)
    assert result.exit_code == 0, result.output
    assert "warning: component 'Website' (web000000001) matches no component here" in result.output
    assert "warning: component 'Status Widgets' (wid000000001)" in result.output
    assert "Backend" not in result.output  # a group maps through its members
    errors = ours(client, "incidents.json", "incidents")["Elevated API errors"]
    assert [c["name"] for c in errors["components"]] == ["API"]
    outage = ours(client, "incidents.json", "incidents")["Website unavailable"]
    assert outage["components"] == [] and outage["impact"] == "critical"


def test_an_open_incident_shows_on_our_page(app, client, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    summary = client.get("/api/v2/summary.json").get_json()
    assert [i["name"] for i in summary["incidents"]] == ["Slow dashboard loads"]
    statuses = {c["name"]: c["status"] for c in summary["components"]}
    assert statuses["API"] == "degraded_performance" and statuses["Web app"] == "operational"
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Database upgrade"]


def test_every_import_is_audited_as_the_remote_page(app, runner, remote, map_file) -> None:
    assert run(runner, remote, map_file=map_file).exit_code == 0
    with app.app_context():
        entries = db.session.execute(db.select(AuditEntry)).scalars().all()
    assert len(entries) == 7
    assert {entry.action for entry in entries} == {"statuspage.import"}
    assert {entry.actor for entry in entries} == {f"statuspage:{remote.url.split('://')[1]}"}


def test_bad_entries_are_refused_by_id_and_field_the_rest_imports(
    app, client, runner, remote, map_file
) -> None:
    listed = remote.bodies["incidents.json"]["incidents"]
    good = listed[2]

    def variant(remote_id: str, **changes):
        entry = copy.deepcopy(good)
        entry.update({"id": remote_id, "name": f"Variant {remote_id}", **changes})
        for update in entry["incident_updates"]:
            update["id"] = remote_id[:4] + update["id"][4:]
        return entry

    future = variant("fut000000001", created_at="2099-01-01T00:00:00Z")
    long_body = variant("lng000000001")
    long_body["incident_updates"][1]["body"] = "x" * 20_001
    bad_change = variant("chg000000001")
    bad_change["incident_updates"][0]["affected_components"][0]["new_status"] = "on_fire"
    hostile = variant("hos000000001", name="<script>alert(1)</script>")
    hostile["incident_updates"][0]["body"] = "<img src=x onerror=alert(1)> fixed"
    listed += [
        variant("bad000000001", impact="catastrophic"),
        future,
        long_body,
        bad_change,
        variant("nul000000001", name="Null\x00byte"),
        variant("upd000000001", incident_updates=[]),
        variant("../../etc/x"),
        "not an object",
        hostile,
    ]
    remote.bodies["summary.json"]["components"].append({"id": 42, "name": "Broken"})
    remote.publish()
    result = run(runner, remote, map_file=map_file)
    assert result.exit_code == 2, result.output
    refused = [line for line in result.output.splitlines() if line.startswith("refused:")]
    assert [line.split(": ", 3)[1:3] for line in refused] == [
        ["component #5", "id"],
        ["incident bad000000001", "impact"],
        ["incident fut000000001", "created_at"],
        ["incident lng000000001", "incident_updates[1].body"],
        ["incident chg000000001", "incident_updates[0].affected_components[0].new_status"],
        ["incident nul000000001", "name"],
        ["incident upd000000001", "incident_updates"],
        ["incident #10", "id"],
        ["incident #11", "incident"],
    ]
    assert refused[1].endswith(
        "must be one of: none, minor, major, critical, maintenance (got 'catastrophic')"
    )
    assert refused[2].endswith("is in the future (2099-01-01T00:00:00Z)")
    assert refused[3].endswith("body is longer than 20000 characters")
    assert refused[4].endswith("(got 'on_fire')")
    assert refused[5].endswith("name contains a NUL character")
    assert refused[6].endswith("an incident needs at least one update")
    assert refused[8].endswith("must be an object")
    assert result.output.splitlines()[-1] == "8 imported, 0 updated, 0 unchanged, 9 refused"
    mine = ours(client, "incidents.json", "incidents")
    assert "<script>alert(1)</script>" in mine  # a name, kept as text
    page = client.get("/incidents/hos000000001").get_data(as_text=True)
    assert (
        "<script>alert(1)" not in page
        and "onerror" not in page.split("<main>", 1)[-1].split("&lt;img")[0]
    )


def test_a_feed_or_maintenance_list_that_fails_only_warns(
    app, client, runner, remote, map_file
) -> None:
    remote.server.set("/history.atom", status(200, b'<!DOCTYPE x [<!ENTITY a "b">]><feed/>'))
    remote.server.set("/api/v2/scheduled-maintenances.json", 500)
    result = run(runner, remote, map_file=map_file)
    assert result.exit_code == 0, result.output
    assert "warning: the feed not read" in result.output and "DTD" in result.output
    assert "warning: maintenances not read:" in result.output and "HTTP 500" in result.output
    assert result.output.splitlines()[-1] == "3 imported, 0 updated, 0 unchanged, 0 refused"


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [(404, "HTTP 404"), (HUGE, "larger than 5 MiB"), (status(200, b"<html>"), "not JSON")],
)
def test_an_unreadable_summary_stops_with_one_line(runner, remote, behaviour, message) -> None:
    remote.server.set("/api/v2/summary.json", behaviour)
    result = run(runner, remote)
    assert result.exit_code == 2
    assert result.output.startswith("statuspage: ") and message in result.output
    assert "/api/v2/summary.json" in result.output


def test_a_page_that_never_answers_times_out(app, remote) -> None:
    remote.server.set("/api/v2/incidents.json", HANG)
    with app.app_context(), pytest.raises(FetchError, match="no answer within 0.5 s"):
        read_remote(remote.url, utcnow(), timeout=(0.5, 0.5))


def test_a_url_ending_in_the_api_path_is_the_same_page(runner, remote, map_file) -> None:
    result = run(
        runner,
        type("R", (), {"url": remote.url + "/api/v2/summary.json"}),
        "--dry-run",
        map_file=map_file,
    )
    assert result.exit_code == 0, result.output
    assert f"({remote.url}):" in result.output.splitlines()[0]


def test_a_page_that_trickles_is_cut_off(remote) -> None:
    remote.server.set("/api/v2/summary.json", trickle(0.2))
    fetcher = Fetcher(remote.url, timeout=(1.0, 1.0), total_s=0.5)
    try:
        with pytest.raises(FetchError, match="not read within 0.5 s"):
            fetcher.get("/api/v2/summary.json")
    finally:
        fetcher.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[components]\n"Website" = "nope"\n', "no component 'nope' here"),
        ("[elsewhere]\n", "unknown key 'elsewhere'"),
        ("[components]\nWebsite = 3\n", "must be a component slug"),
        ("not toml = = 1", "invalid TOML"),
    ],
)
def test_a_bad_map_file_stops_before_anything(app, runner, remote, tmp_path, text, message) -> None:
    path = tmp_path / "map.toml"
    path.write_text(text)
    before = counts(app)
    result = run(runner, remote, map_file=path)
    assert result.exit_code == 2 and message in result.output, result.output
    assert counts(app) == before
