"""Probe agents: probing elsewhere, reporting through the API, queueing on disk meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from probes.agent.queue import DiskQueue
from probes.agent.reporter import Verdict
from statuspage.engine import ingest
from statuspage.staff.tokens import create_token
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, ProbeState
from tests.conftest import REPO_ROOT
from tests.factories import probe_once
from tests.probes.agent.site import automatic_status, stored
from tests.probes.helpers import UPDATE, WORKER, result
from tests.standin import status, unused_port

# ---------------------------------------------------------------------------------------
# The done-when: agents at other locations move a component only by majority


def test_one_location_down_of_three_degrades_and_two_make_a_partial_outage(
    app, capgo, site, make_agent
) -> None:
    with app.app_context():
        eu = make_agent(site.url, create_token("eu-agent", "results", location="eu"), "eu")
        us = make_agent(site.url, create_token("us-agent", "results", location="us"), "us")
    config = app.config["STATUS"]

    def round_of_checks() -> None:
        """Each location checks once: "here" recorded locally, eu and us through the API."""
        with app.app_context():
            ingest(
                [result(UPDATE, location="here"), result(WORKER, location="here")], config, utcnow()
            )
            db.session.remove()
        for agent in (eu, us):
            assert len(agent.run_cycle()) == 2
            assert len(agent.queue) == 0, agent.last_failure

    capgo.set("/region-eu", status(503))
    for _ in range(2):  # failures_to_open = 2
        round_of_checks()
    # One location of three down: a minority, so the probe is degraded, not down.
    assert automatic_status(app, "live-updates") == "degraded_performance"

    capgo.set("/region-us", status(503))
    round_of_checks()
    assert automatic_status(app, "live-updates") == "degraded_performance"  # us: 1 down of 2
    round_of_checks()
    # Two of three: the update check is down, the worker is up: a partial outage.
    assert automatic_status(app, "live-updates") == "partial_outage"
    with app.app_context():
        # Opened when the probe degraded, raised when two locations agreed it is down: the
        # title follows the worst current status (issue 16).
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.name == "Partial outage of Live Updates"
        assert incident.impact == "major"
        body = incident.updates[0].body
        assert body.startswith("Live Updates changed from Degraded Performance to Partial Outage")
        assert "from eu" in body and "from us" in body and "from here" not in body
        states = {
            (s.probe_key, s.location): s.confirmed
            for s in db.session.execute(db.select(ProbeState)).scalars()
        }
    assert states[(UPDATE, "eu")] == states[(UPDATE, "us")] == "down"
    assert states[(UPDATE, "here")] == "up"
    assert len(stored(app)) == 4 * 2 * 3  # rounds x probes x locations


# ---------------------------------------------------------------------------------------
# A site outage loses nothing and duplicates nothing


def test_site_outage_queues_on_disk_and_drains_oldest_first_without_duplicates(
    app, site, make_agent, results_token
) -> None:
    agent = make_agent(site.url, results_token, "eu", batch_size=3)
    produced = agent.run_cycle()
    assert len(agent.queue) == 0 and len(stored(app)) == 2

    site.stop()
    for cycle in range(1, 4):
        produced += agent.run_cycle()
        assert len(agent.queue) == 2 * cycle  # kept on disk, none lost
        assert "connection refused" in (agent.last_failure or "")
    lines = agent.queue.path.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r.id for r in produced[2:]]
    lost_response = agent.queue.path.read_bytes()

    site.start()  # the same port
    assert agent.deliver(force=True) is True
    assert len(agent.queue) == 0 and agent.queue.path.read_text() == ""
    # Every result stored once, in the order produced: the queue drained oldest first.
    assert [result_id for result_id, _ in stored(app)] == [r.id for r in produced]

    # The answer to the last batches was lost: the agent restarts with them still queued.
    agent.close()
    agent.queue.path.write_bytes(lost_response)
    again = make_agent(site.url, results_token, "eu", batch_size=3)
    assert len(again.queue) == 6
    assert again.deliver() is True
    assert len(stored(app)) == len(produced) == 8
    batch = [json.loads(line) for line in lost_response.splitlines()]
    delivery = again.reporter.send(batch)
    assert (delivery.verdict, delivery.accepted, delivery.duplicates) == (Verdict.DELIVERED, 0, 6)


# ---------------------------------------------------------------------------------------
# The agent as a command: no database, and the token never shown


def agent_env(config_path, site_url: str, token: str, queue: Path) -> dict[str, str]:
    return os.environ | {
        # A database that cannot even be created: the agent must never open one.
        "STATUSPAGE_DATABASE_URL": "sqlite:////nonexistent-dir/statuspage.db",
        "STATUSPAGE_CONFIG": str(config_path),
        "STATUSPAGE_LOCATION": "eu",
        "STATUSPAGE_REPORT_TO": site_url,
        "STATUSPAGE_REPORT_TOKEN": token,
        "STATUSPAGE_AGENT_QUEUE": str(queue),
        "REGION": "eu",
    }


def test_agent_once_reports_without_any_database(
    app, site, config_path, results_token, tmp_path
) -> None:
    env = agent_env(config_path, site.url, results_token, tmp_path / "queue")
    done = probe_once(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Update check" in done.stdout and "Worker" in done.stdout
    assert [location for _, location in stored(app)] == ["eu", "eu"]
    assert results_token not in done.stdout + done.stderr

    # The same command without --report-to is the site's probe process: it needs that
    # database, and fails on it, which shows the agent above really did without.
    del env["STATUSPAGE_REPORT_TO"]
    site_probe = probe_once(env)
    assert site_probe.returncode != 0
    assert not Path("/nonexistent-dir").exists()


def test_agent_once_exits_1_with_results_queued_when_the_site_is_down(
    app, config_path, results_token, tmp_path
) -> None:
    env = agent_env(
        config_path, f"http://127.0.0.1:{unused_port()}", results_token, tmp_path / "queue"
    )
    done = probe_once(env)
    assert done.returncode == 1
    assert "2 results queued in" in done.stderr and "connection refused" in done.stderr
    assert results_token not in done.stdout + done.stderr
    assert len((tmp_path / "queue" / DiskQueue.FILE_NAME).read_text().splitlines()) == 2


@pytest.mark.slow  # about 6 s: a real agent process through a site outage and back
@pytest.mark.parametrize("interval", [1])
def test_agent_process_survives_a_site_outage_and_never_shows_its_token(
    app, site, config_path, results_token, tmp_path
) -> None:
    queue_dir = tmp_path / "queue"
    env = agent_env(config_path, site.url, "", queue_dir)
    del env["STATUSPAGE_REPORT_TOKEN"]
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage", "probe", "--token", results_token],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def wait_until(condition: Callable[[], bool], failure: str) -> None:
        deadline = time.monotonic() + 20
        while not condition():
            assert time.monotonic() < deadline, failure
            assert process.poll() is None, process.stdout and process.stdout.read()
            time.sleep(0.1)

    def queued_on_disk() -> int:
        path = queue_dir / DiskQueue.FILE_NAME
        return len(path.read_text().splitlines()) if path.exists() else 0

    def wait_for(count: int) -> None:
        wait_until(lambda: len(stored(app)) >= count, f"fewer than {count} results stored")

    try:
        wait_for(2)
        site.stop()
        # Two turns of each probe go to the disk queue (however long a loaded machine takes).
        wait_until(lambda: queued_on_disk() >= 4, "fewer than 4 results queued during the outage")
        site.start()
        wait_for(len(stored(app)) + 5)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert results_token not in output
    assert "reporting to http://127.0.0.1" in output
    assert "cannot deliver results" in output and "connection refused" in output
    assert "takes results again" in output
    # Every result produced is stored once, or still queued: none lost, none twice.
    produced = output.count(" from eu: ")
    stored_ids = {result_id for result_id, _ in stored(app)}
    queued = (queue_dir / DiskQueue.FILE_NAME).read_text().splitlines()
    queued_ids = {json.loads(line)["id"] for line in queued}
    assert len(stored_ids | queued_ids) == produced


def test_agent_command_refuses_a_missing_token_without_a_database(config_path, tmp_path) -> None:
    env = agent_env(config_path, "https://status.example", "", tmp_path / "queue")
    del env["STATUSPAGE_REPORT_TOKEN"]
    done = probe_once(env)
    assert done.returncode == 2
    assert "needs a token of scope results" in done.stderr
