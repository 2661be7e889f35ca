"""Upstream providers end to end: read politely by the probe process, shown apart, mentioned
on the incidents of components that depend on them, and never counted as Capgo's status.

Every provider here is a loopback stand-in serving recorded Statuspage bodies
(tests/probes/statuspage_pages); the clock is injected, nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from probes import Result
from probes.upstream import SUMMARY_PATH, read_summary
from statuspage.cli import cli
from statuspage.engine import ProbeService, ingest
from statuspage.engine.upstreams import poll_upstream
from statuspage.store.checks import Upstream
from statuspage.store.db import db
from statuspage.store.models import (
    Component,
    Incident,
    NotificationEvent,
    ProbeState,
    StatusChange,
)
from statuspage.web import public
from tests.factories import probe_result
from tests.standin import HANG, NOT_JSON, CapgoStandIn, conditional, status

PAGES = Path(__file__).parents[1] / "probes" / "statuspage_pages"
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
LINE = "Cloudflare reports: Workers elevated errors, since 10:02 UTC"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture
def cloudflare() -> Iterator[CapgoStandIn]:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, conditional(page("incident.json"), '"v1"'))
        yield provider


@pytest.fixture
def supabase() -> Iterator[CapgoStandIn]:
    with CapgoStandIn() as provider:
        provider.set(SUMMARY_PATH, status(200, page("quiet.json")))
        yield provider


@pytest.fixture
def config_path(write_config, cloudflare, supabase) -> Path:
    return write_config(
        '[site]\nname = "Capgo"\nurl = "https://status.capgo.app"\n'
        "[defaults]\nfailures_to_open = 1\n"
        '[alerts]\nemails = ["oncall@capgo.app"]\n'
        f'[[upstreams]]\nname = "Cloudflare"\nurl = "{cloudflare.url}"\n'
        'components = ["Workers", "R2"]\n'
        f'[[upstreams]]\nname = "Supabase"\nurl = "{supabase.url}"\n'
        'components = ["Database"]\n'
        '[[components]]\nslug = "live-updates"\nname = "Live Updates"\n'
        'depends_on = ["Cloudflare"]\n'
        f'[[components.probes]]\nname = "Worker"\nurl = "{cloudflare.url}/ok"\n'
        '[[components]]\nslug = "analytics"\nname = "Analytics"\n'
        f'[[components.probes]]\nname = "Stats"\nurl = "{supabase.url}/stats"\n'
    )


@pytest.fixture(autouse=True)
def frozen(monkeypatch) -> None:
    """Pages render at NOW, the moment the probe process's clock says too."""
    monkeypatch.setattr(public, "utcnow", lambda: NOW)


def service(app, at: datetime = NOW) -> ProbeService:
    return ProbeService(app, environ={"STATUSPAGE_LOCATION": "eu"}, clock=lambda: at)


def down(key: str, at: datetime) -> Result:
    return probe_result(key, "down", location="eu", started_at=at, latency_ms=12.0)


def capgo_state(app) -> dict:
    """Return everything about Capgo's own status that an upstream must never change."""
    with app.app_context():
        state = {
            "components": [
                (c.slug, c.automatic_status, c.manual_status)
                for c in db.session.execute(db.select(Component).order_by(Component.id)).scalars()
            ],
            "changes": db.session.execute(db.select(db.func.count(StatusChange.id))).scalar(),
            "incidents": db.session.execute(db.select(db.func.count(Incident.id))).scalar(),
            "probes": db.session.execute(
                db.select(db.func.count()).select_from(ProbeState)
            ).scalar(),
            "events": db.session.execute(db.select(NotificationEvent.kind)).scalars().all(),
        }
        db.session.remove()
    return state


def test_an_upstream_incident_shows_apart_and_on_the_dependent_incident(app, client) -> None:
    before = capgo_state(app)
    probing = service(app)
    for provider in app.config["STATUS"].upstreams:
        probing.read_upstream(provider)
    assert capgo_state(app) == before  # read and shown; nothing of Capgo's changed

    home = client.get("/").get_data(as_text=True)
    section = home.split("Services we depend on", 1)[1].split("Past Incidents", 1)[0]
    assert "All Systems Operational" in home.split("Services we depend on", 1)[0]
    assert "It is not Capgo's status" in section
    assert "Workers elevated errors" in section and "since" in section
    assert 'href="http://127.0.0.1:' in section and '/incidents/inc000000001"' in section
    workers = section.split("<bdi>Workers</bdi>", 1)[1].split("</li>", 1)[0]
    assert "status-partial_outage" in workers and "Partial Outage" in workers
    assert "Operational" in section.split("<bdi>R2</bdi>", 1)[1].split("</li>", 1)[0]
    assert "Pages" not in section  # not followed
    # Capgo's indicator, its summary and the website's status.json are untouched.
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"
    summary = client.get("/api/v2/summary.json").json
    assert {c["name"] for c in summary["components"]} == {"Live Updates", "Analytics"}
    assert client.get("/status.json").json["indicator"] == "up"

    code, alert = open_outage(app, "live-updates/worker")
    assert LINE in alert["text"] and alert["upstreams"] == [LINE]
    incident_page = client.get(f"/incidents/{code}").get_data(as_text=True)
    assert "Reported by services we depend on" in incident_page and LINE in incident_page


def open_outage(app, probe_key: str) -> tuple[str, dict]:
    """Take one probe down a minute after NOW; return the incident's code and its alert."""
    later = NOW + timedelta(minutes=1)
    with app.app_context():
        ingest([down(probe_key, later)], app.config["STATUS"], later)
        [incident] = db.session.execute(db.select(Incident)).scalars().all()
        [event] = db.session.execute(
            db.select(NotificationEvent).filter_by(kind="alert.opened")
        ).scalars()
        return incident.code, json.loads(event.payload)


def test_a_component_not_depending_on_a_provider_hears_nothing_of_it(app, client) -> None:
    probing = service(app)
    for provider in app.config["STATUS"].upstreams:
        probing.read_upstream(provider)
    code, alert = open_outage(app, "analytics/stats")  # Analytics does not depend on Cloudflare
    assert alert["upstreams"] == [] and LINE not in alert["text"]
    assert LINE not in client.get(f"/incidents/{code}").get_data(as_text=True)


def test_a_provider_is_read_at_most_once_a_minute_and_conditionally(app, cloudflare) -> None:
    with app.app_context():
        config = app.config["STATUS"]
        [provider, _] = config.upstreams
        assert poll_upstream(provider, config, NOW).outcome == "read"
        assert poll_upstream(provider, config, NOW + timedelta(seconds=59)) is None
        assert cloudflare.hits(SUMMARY_PATH) == 1
        again = poll_upstream(provider, config, NOW + timedelta(seconds=60))
        assert again.outcome == "not_modified"
        assert cloudflare.last_headers(SUMMARY_PATH)["if-none-match"] == '"v1"'
        row = db.session.get(Upstream, "cloudflare")
        assert (row.state, row.read_at) == ("known", NOW + timedelta(seconds=60))
        assert "Workers elevated errors" in row.summary


def test_probe_once_reads_each_provider_once_and_says_so(app, config_path, cloudflare) -> None:
    env = {
        "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_CONFIG": str(config_path),
        "STATUSPAGE_LOCATION": "eu",
    }
    first = CliRunner().invoke(cli, ["probe", "--once"], env=env)
    assert first.exit_code == 0, first.output
    rows = [line.split() for line in first.output.splitlines() if line.startswith("upstream")]
    assert [row[:3] for row in rows] == [["upstream", "Cloudflare", "read"]] + [
        ["upstream", "Supabase", "read"]
    ]
    second = CliRunner().invoke(cli, ["probe", "--once"], env=env)
    assert "read less than a minute ago" in second.output
    assert cloudflare.hits(SUMMARY_PATH) == 1


BAD = {
    "malformed": status(200, page("malformed_status.json")),
    "truncated": status(200, page("malformed_truncated.json")),
    "not-json": NOT_JSON,
    "erroring": status(500, {"error": "internal"}),
    "hanging": HANG,
}


@pytest.mark.parametrize("behaviour", BAD.values(), ids=BAD.keys())
def test_a_bad_provider_is_unknown_and_nothing_else_changes(
    app, client, cloudflare, behaviour
) -> None:
    reader = partial(read_summary, timeout_s=1)
    with app.app_context():
        config = app.config["STATUS"]
        cloudflare_config, supabase_config = config.upstreams
        poll_upstream(cloudflare_config, config, NOW, reader)
        poll_upstream(supabase_config, config, NOW, reader)
    before = capgo_state(app)
    cloudflare.set(SUMMARY_PATH, behaviour)
    later = NOW + timedelta(minutes=5)
    with app.app_context():
        reading = poll_upstream(cloudflare_config, config, later, reader)
    assert reading.outcome == "unknown"
    assert capgo_state(app) == before

    home = client.get("/").get_data(as_text=True)
    section = home.split("Services we depend on", 1)[1].split("Past Incidents", 1)[0]
    cloudflare_part, supabase_part = section.split("<bdi>Supabase</bdi>", 1)
    assert "Unknown" in cloudflare_part and "could not be read" in cloudflare_part
    assert "Workers elevated errors" not in section  # nothing unconfirmed is shown
    assert "status-unknown" in cloudflare_part.split("<bdi>Workers</bdi>", 1)[1]
    assert "All Systems Operational" in supabase_part  # the other provider is still read
    assert "All Systems Operational" in home.split("Services we depend on", 1)[0]
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"


def test_an_unread_or_stale_provider_shows_unknown(app, client) -> None:
    home = client.get("/").get_data(as_text=True)
    assert home.count("not read yet") == 2
    with app.app_context():
        config = app.config["STATUS"]
        poll_upstream(config.upstreams[0], config, NOW - timedelta(minutes=16))
    home = client.get("/").get_data(as_text=True)
    assert "not read recently" in home  # three intervals (3 x 300 s) without a read


def test_a_provider_incident_after_ours_opened_alerts_once(app, cloudflare) -> None:
    cloudflare.set(SUMMARY_PATH, status(200, page("quiet.json")))
    with app.app_context():
        config = app.config["STATUS"]
        provider = config.upstreams[0]
        poll_upstream(provider, config, NOW)
        ingest([down("live-updates/worker", NOW)], config, NOW)
        cloudflare.set(SUMMARY_PATH, status(200, page("incident.json")))
        poll_upstream(provider, config, NOW + timedelta(minutes=1))
        poll_upstream(provider, config, NOW + timedelta(minutes=2))  # the same incident again
        cloudflare.set(SUMMARY_PATH, status(200, page("other_incident.json")))
        poll_upstream(provider, config, NOW + timedelta(minutes=3))  # Pages: not followed
        events = (
            db.session.execute(db.select(NotificationEvent).filter_by(kind="alert.upstream"))
            .scalars()
            .all()
        )
    [event] = events
    payload = json.loads(event.payload)
    assert payload["title"] == "Cloudflare reports: Workers elevated errors, since 10:02 UTC"
    assert "Major outage of Live Updates" in payload["text"]
    assert payload["admin_url"].startswith("https://status.capgo.app/admin/incidents/")


def test_what_a_provider_writes_is_escaped(app, client, cloudflare) -> None:
    hostile = json.loads(page("incident.json"))
    script = "<script>alert(1)</script>"
    hostile["status"]["description"] = f"{script} Outage"
    hostile["incidents"][0]["name"] = 'Workers "errors" <img src=x onerror=alert(1)>'
    cloudflare.set(SUMMARY_PATH, status(200, hostile))
    config = app.config["STATUS"]
    with app.app_context():
        assert poll_upstream(config.upstreams[0], config, NOW).outcome == "read"
    home = client.get("/").get_data(as_text=True)
    assert "<script>" not in home and "<img src=x" not in home
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Outage" in home
    assert "Workers &#34;errors&#34; &lt;img src=x onerror=alert(1)&gt;" in home
