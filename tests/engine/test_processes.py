"""The whole path with real processes: `statuspage probe --once` against a failing stand-in."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.store.db import db
from statuspage.store.models import Incident, OpenAutomaticIncident
from tests.conftest import REPO_ROOT
from tests.factories import UPDATE_CHECK, cli_env, component_toml, config_toml, probe_toml
from tests.inert import component_status


def standin_config(base: str, failures: int, successes: int, window: int = 120) -> str:
    """Return a site probing the stand-in at `base`, opening and closing after these counts,
    grouping outages within `window` seconds."""
    site = config_toml(
        component_toml(
            "live-updates",
            "Live Updates",
            probe_toml("Update check", f"{base}/updates", **UPDATE_CHECK),
            probe_toml("Europe worker", f"{base}/ok"),
        ),
        component_toml(
            "analytics", "Analytics", probe_toml("Stats ping", f"{base}/stats", method="POST")
        ),
        defaults={"timeout_s": 2, "failures_to_open": failures, "successes_to_close": successes},
    )
    return site + f"[incidents]\ngroup_window_s = {window}\n"


def test_outage_opens_and_resolves_through_probe_once(app, capgo, write_config) -> None:
    config = write_config(standin_config(capgo.url, failures=2, successes=2))
    env = cli_env(app, config, "ci")
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


@pytest.mark.slow  # about 15 s: eight rounds of two `probe --once` processes at once
def test_two_processes_never_open_two_incidents(app, capgo, write_config) -> None:
    # One outage of both components is one incident (issue 16; it used to be one each). With
    # no group window, each round's outage is a new one, so every round opens exactly one.
    config = write_config(standin_config(capgo.url, failures=1, successes=1, window=0))
    env = os.environ | cli_env(app, config, "ci")

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
