"""The whole path with real processes: `statuspage probe --once` against a failing stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.store.db import db
from statuspage.store.models import Incident, OpenAutomaticIncident
from tests.conftest import REPO_ROOT
from tests.inert import component_status
from tests.standin import CapgoStandIn

CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[defaults]
timeout_s = 2
failures_to_open = {failures}
successes_to_close = {successes}
[incidents]
group_window_s = {window}
[[components]]
slug = "live-updates"
name = "Live Updates"
[[components.probes]]
name = "Update check"
method = "POST"
url = "{base}/updates"
json = {{ app_id = "com.capgo.statusprobe" }}
expect_json = {{ error = ["no_new_version_available"] }}
[[components.probes]]
name = "Europe worker"
url = "{base}/ok"
[[components]]
slug = "analytics"
name = "Analytics"
[[components.probes]]
name = "Stats ping"
method = "POST"
url = "{base}/stats"
"""


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    with CapgoStandIn() as standin:
        yield standin


def env_for(app, config_path) -> dict[str, str]:
    return {
        "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_CONFIG": str(config_path),
        "STATUSPAGE_LOCATION": "ci",
    }


def test_outage_opens_and_resolves_through_probe_once(app, capgo, write_config) -> None:
    config = write_config(CONFIG.format(base=capgo.url, failures=2, successes=2, window=120))
    env = env_for(app, config)
    client = app.test_client()

    def probe_once() -> None:
        result = CliRunner().invoke(cli, ["probe", "--once"], env=env)
        assert result.exit_code == 0, result.output

    capgo.set("/updates", 503)
    probe_once()
    with app.app_context():
        assert db.session.execute(db.select(Incident)).first() is None
    probe_once()
    page = client.get("/").get_data(as_text=True)
    assert "Partial outage of Live Updates" in page
    assert "Update check answered HTTP 503 (2 of 2 checks)" in page
    assert component_status(page, "Live Updates") == "partial_outage"

    capgo.reset()
    probe_once()
    probe_once()
    with app.app_context():
        [incident] = db.session.execute(db.select(Incident)).scalars()
        assert incident.status == "resolved"
        assert "This incident has been resolved." in incident.updates[0].body
    assert "<h1>All Systems Operational</h1>" in client.get("/").get_data(as_text=True)


def test_two_processes_never_open_two_incidents(app, capgo, write_config) -> None:
    # One outage of both components is one incident (issue 16; it used to be one each). With
    # no group window, each round's outage is a new one, so every round opens exactly one.
    config = write_config(CONFIG.format(base=capgo.url, failures=1, successes=1, window=0))
    env = os.environ | env_for(app, config)

    def two_at_once() -> None:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "statuspage", "probe", "--once"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        for process in processes:
            output, _ = process.communicate(timeout=60)
            assert process.returncode == 0, output

    rounds = 4
    for _ in range(rounds):
        capgo.set("/updates", 503)
        capgo.set("/stats", 500)
        two_at_once()
        with app.app_context():
            [incident] = db.session.execute(
                db.select(Incident).where(Incident.status != "resolved")
            ).scalars()
            slugs = sorted(a.component.slug for a in incident.affected)
            assert slugs == ["analytics", "live-updates"]
            [lock] = db.session.execute(db.select(OpenAutomaticIncident)).scalars().all()
            assert lock.incident_id == incident.id
        capgo.reset()
        two_at_once()
    with app.app_context():
        incidents = db.session.execute(db.select(Incident)).scalars().all()
        assert len(incidents) == rounds
        assert all(i.status == "resolved" for i in incidents)
