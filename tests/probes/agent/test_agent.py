"""Probe agents: probing elsewhere, reporting through the API, queueing on disk meanwhile.

The site is the Flask app served for real on 127.0.0.1 (its database from the ``app``
fixture); the probes hit the Capgo stand-in. Agents run in this process (to script outages
precisely) and as `statuspage probe --report-to` subprocesses (to prove they need no database).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from probes import Outcome, Result
from probes.agent.agent import Agent
from probes.agent.queue import DiskQueue, QueueError
from probes.agent.reporter import Reporter, Verdict, check_site_url
from statuspage.engine import ingest
from statuspage.staff.tokens import create_token
from statuspage.store.db import db, utcnow
from statuspage.store.models import Component, Incident, ProbeResult, ProbeState
from statuspage.web.api_v1.routes import MAX_RESULTS, OPERATIONS, PREFIX, RESULTS_MAX_BYTES
from tests.conftest import REPO_ROOT
from tests.standin import CapgoStandIn, json_body, status, unused_port

UPDATE = "live-updates/update-check"
WORKER = "live-updates/worker"

# The update check's path names the agent's region, so the stand-in can fail in one region.
CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[defaults]
interval_s = {interval}
timeout_s = 1
failures_to_open = 2
successes_to_close = 2
[[components]]
slug = "live-updates"
name = "Live Updates"
[[components.probes]]
name = "Update check"
url = "{base}/region-${{REGION:-here}}"
[[components.probes]]
name = "Worker"
url = "{base}/ok"
[[components]]
slug = "analytics"
name = "Analytics"
"""

HEALTHY = json_body({"status": "ok"})


class _OneRequestPerConnection(WSGIRequestHandler):
    """No keep-alive, so a stopped site really stops answering (no lingering connection)."""

    protocol_version = "HTTP/1.0"


class LiveSite:
    """The app served on 127.0.0.1 in a thread; stop() and start() keep the same port."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1",
            self.port,
            self.app,
            threaded=True,
            request_handler=_OneRequestPerConnection,
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    with CapgoStandIn() as standin:
        standin.set("/region-here", HEALTHY)
        standin.set("/region-eu", HEALTHY)
        standin.set("/region-us", HEALTHY)
        yield standin


@pytest.fixture
def interval() -> int:
    """Probe interval: only staleness depends on it where cycles are run by hand."""
    return 2


@pytest.fixture
def config_path(write_config, capgo, interval):
    return write_config(CONFIG.format(base=capgo.url, interval=interval))


@pytest.fixture
def site(app) -> Iterator[LiveSite]:
    live = LiveSite(app)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def results_token(app) -> str:
    with app.app_context():
        return create_token("eu-agent", "results")


@pytest.fixture
def make_agent(app, tmp_path):
    """Return a function building an in-process agent (closed at the end of the test)."""
    agents: list[Agent] = []

    def make(url: str, token: str, location: str, **options: Any) -> Agent:
        queue = DiskQueue(tmp_path / f"queue-{location}", options.pop("max_queued", 1000))
        agent = Agent(
            app.config["STATUS"].probes,
            Reporter(url, token),
            queue,
            location=location,
            environ={"REGION": location},
            **options,
        )
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()


def stored(app) -> list[tuple[str, str]]:
    """Return (result id, location) of every stored result, in the order they were stored."""
    with app.app_context():
        rows = db.session.execute(
            db.select(ProbeResult.result_id, ProbeResult.location).order_by(ProbeResult.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def automatic_status(app, slug: str) -> str | None:
    with app.app_context():
        value = db.session.execute(
            db.select(Component.automatic_status).where(Component.slug == slug)
        ).scalar_one()
        db.session.remove()
    return value


def result(
    key: str = WORKER,
    outcome: str = "up",
    location: str = "eu",
    started_at: datetime | None = None,
    **fields: Any,
) -> Result:
    values: dict[str, Any] = {
        "probe_key": key,
        "component": key.split("/")[0],
        "location": location,
        "started_at": started_at or utcnow(),
        "latency_ms": 100.0,
        "outcome": Outcome(outcome),
        "http_status": 200 if outcome == "up" else 503,
        "reason": "" if outcome == "up" else "HTTP 503, expected 200",
    }
    return Result(**(values | fields))


# ---------------------------------------------------------------------------------------
# The done-when: agents at other locations move a component only by majority


def test_one_location_down_of_three_degrades_and_two_make_a_partial_outage(
    app, capgo, site, make_agent
) -> None:
    with app.app_context():
        eu = make_agent(site.url, create_token("eu-agent", "results"), "eu")
        us = make_agent(site.url, create_token("us-agent", "results"), "us")
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
        # Opened when the probe degraded, raised when two locations agreed it is down.
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.name == "Degraded performance of Live Updates"
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
# The queue on disk


def test_queue_full_drops_the_oldest_and_keeps_the_newest(tmp_path, caplog) -> None:
    made = [result(started_at=utcnow() + timedelta(seconds=i)) for i in range(8)]
    queue = DiskQueue(tmp_path, max_results=5)
    queue.put(made[:3])
    queue.put(made[3:])
    newest = [r.id for r in made[3:]]
    assert [entry["id"] for entry in queue.oldest(10)] == newest
    assert "queue full (at most 5 results): dropped the 3 oldest" in caplog.text
    queue.put(made[-1:])  # already queued: not twice
    assert len(queue) == 5
    queue.close()
    reopened = DiskQueue(tmp_path, max_results=5)
    assert [entry["id"] for entry in reopened.oldest(10)] == newest
    reopened.close()


def test_torn_last_line_is_skipped_and_the_file_repaired(tmp_path, caplog) -> None:
    made = [result() for _ in range(3)]
    lines = [json.dumps(r.to_dict()) for r in made]
    path = tmp_path / DiskQueue.FILE_NAME
    path.write_text("\n".join(lines) + "\n" + lines[0][:37])  # killed in mid-write
    queue = DiskQueue(tmp_path)
    assert [entry["id"] for entry in queue.oldest(10)] == [r.id for r in made]
    assert "skipped 1 unreadable line" in caplog.text
    later = result()
    queue.put([later])
    queue.close()
    text = path.read_text()
    assert text.endswith("\n")
    assert [json.loads(line)["id"] for line in text.splitlines()] == [
        *(r.id for r in made),
        later.id,
    ]


WRITER = """
import sys, time
from datetime import UTC, datetime
from probes import Outcome, Result
from probes.agent.queue import DiskQueue

queue = DiskQueue(sys.argv[1], max_results=50)
start = len(queue) and int(queue.oldest(10**6)[-1]["reason"].rstrip("x")) + 1
print("ready", flush=True)
for n in range(start, start + 10**6):
    result = Result(probe_key="live-updates/worker", component="live-updates", location="eu",
                    started_at=datetime.now(UTC), latency_ms=1.0, outcome=Outcome.UP,
                    http_status=200, reason=str(n) + "x" * 200)
    queue.put([result])
    if n % 7 == 0:  # as if a batch was delivered
        queue.discard([entry["id"] for entry in queue.oldest(3)])
        queue.persist()
"""


def test_kill_9_while_writing_never_leaves_an_unreadable_queue(tmp_path) -> None:
    for attempt in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
            time.sleep(0.1 + 0.07 * attempt)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
        queue = DiskQueue(tmp_path, max_results=50)
        numbers = [int(entry["reason"].rstrip("x")) for entry in queue.oldest(10**6)]
        queue.close()
        assert 0 < len(numbers) <= 50
        assert numbers == sorted(set(numbers))  # in order, none twice


def test_a_second_agent_cannot_share_a_queue(tmp_path) -> None:
    first = DiskQueue(tmp_path)
    with pytest.raises(QueueError, match="another agent"):
        DiskQueue(tmp_path)
    first.close()
    DiskQueue(tmp_path).close()


# ---------------------------------------------------------------------------------------
# What the agent does with each kind of answer


@pytest.fixture
def fake_site() -> Iterator[CapgoStandIn]:
    """A server that answers /api/v1/results as told (the stand-in, used as the site)."""
    with CapgoStandIn() as standin:
        yield standin


TOKEN = "sp_agent-token-never-shown-7b1e"


def test_refused_5xx_and_429_keep_results_and_back_off(fake_site, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="probes.agent")
    now = [0.0]
    agent = Agent(
        [],
        Reporter(f"http://127.0.0.1:{unused_port()}", TOKEN),
        DiskQueue(tmp_path),
        location="eu",
        clock=lambda: now[0],
    )
    agent.queue.put([result(), result()])
    assert agent.deliver() is False
    assert agent.last_failure == "connection refused" and len(agent.queue) == 2
    assert agent.deliver() is False  # pausing for 1 s: nothing sent
    now[0] = 1.0
    agent.reporter.close()
    agent.reporter = Reporter(fake_site.url, TOKEN)
    fake_site.set(f"{PREFIX}/results", status(503, {"error": "x", "message": "maintenance"}))
    assert agent.deliver() is False
    assert agent.last_failure == "HTTP 503: maintenance"
    now[0] = 3.0  # after the 2 s pause
    fake_site.set(f"{PREFIX}/results", status(429, b"", headers={"Retry-After": "30"}))
    assert agent.deliver() is False
    now[0] = 20.0  # 4 s would have passed, but the site asked for 30
    assert agent.deliver() is False
    assert fake_site.hits(f"{PREFIX}/results") == 2
    now[0] = 33.0
    fake_site.set(f"{PREFIX}/results", json_body({"accepted": 2, "duplicates": 0}))
    assert agent.deliver() is True
    assert fake_site.hits(f"{PREFIX}/results") == 3
    assert fake_site.last_headers(f"{PREFIX}/results")["authorization"] == f"Bearer {TOKEN}"
    assert "takes results again: 2 queued results delivered" in caplog.text
    agent.close()
    assert TOKEN not in caplog.text


def test_a_refused_token_stops_sending_but_keeps_the_queue(fake_site, tmp_path, caplog) -> None:
    fake_site.set(
        f"{PREFIX}/results",
        status(401, {"error": "unauthorized", "message": "unknown or revoked", "field": None}),
    )
    agent = Agent([], Reporter(fake_site.url, TOKEN), DiskQueue(tmp_path), location="eu")
    agent.queue.put([result()])
    assert agent.deliver(force=True) is False
    assert agent.refused == "HTTP 401: unknown or revoked"
    assert agent.deliver(force=True) is False
    assert fake_site.hits(f"{PREFIX}/results") == 1  # no loop
    assert len(agent.queue) == 1
    assert "sending stops until the agent restarts" in caplog.text
    agent.close()
    assert len(DiskQueue(tmp_path).oldest(5)) == 1
    assert TOKEN not in caplog.text


def test_a_batch_the_site_will_never_take_is_dropped_with_the_reason(
    fake_site, tmp_path, caplog
) -> None:
    fake_site.set(
        f"{PREFIX}/results",
        status(422, {"error": "invalid", "message": "results is broken", "field": None}),
    )
    agent = Agent([], Reporter(fake_site.url, TOKEN), DiskQueue(tmp_path), location="eu")
    agent.queue.put([result(), result()])
    assert agent.deliver() is True
    assert len(agent.queue) == 0 and fake_site.hits(f"{PREFIX}/results") == 1
    assert "rejected a batch of 2 results (HTTP 422: results is broken); dropped them" in (
        caplog.text
    )
    agent.close()


def test_a_result_from_the_future_is_dropped_alone(
    app, site, make_agent, results_token, caplog
) -> None:
    agent = make_agent(site.url, results_token, "eu")
    good = [result(), result(UPDATE)]
    skewed = result(started_at=utcnow() + timedelta(hours=2))
    agent.queue.put([good[0], skewed, good[1]])
    assert agent.deliver() is True
    assert [result_id for result_id, _ in stored(app)] == [r.id for r in good]
    assert f"rejected result {skewed.id}" in caplog.text
    assert "results[1].started_at" in caplog.text and "check the agent's clock" in caplog.text


def test_a_batch_too_large_is_split(fake_site, tmp_path) -> None:
    fake_site.set(f"{PREFIX}/results", status(413, {"error": "payload_too_large"}))
    agent = Agent([], Reporter(fake_site.url, TOKEN), DiskQueue(tmp_path), location="eu")
    agent.queue.put([result() for _ in range(4)])
    assert agent.deliver() is True  # 4, 2, 1: still too large, so each is dropped
    assert fake_site.hits(f"{PREFIX}/results") == 1 + 1 + 4
    agent.close()


@pytest.mark.parametrize(
    "url",
    ["status.example", "ftp://status.example", "https://me:secret@status.example", "https://x/?a"],
)
def test_site_url_is_checked(url) -> None:
    with pytest.raises(ValueError):
        check_site_url(url)
    assert check_site_url("https://status.example/") == "https://status.example"


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
    done = subprocess.run(
        [sys.executable, "-m", "statuspage", "probe", "--once"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Update check" in done.stdout and "Worker" in done.stdout
    assert [location for _, location in stored(app)] == ["eu", "eu"]
    assert results_token not in done.stdout + done.stderr

    # The same command without --report-to is the site's probe process: it needs that
    # database, and fails on it, which shows the agent above really did without.
    del env["STATUSPAGE_REPORT_TO"]
    site_probe = subprocess.run(
        [sys.executable, "-m", "statuspage", "probe", "--once"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert site_probe.returncode != 0
    assert not Path("/nonexistent-dir").exists()


def test_agent_once_exits_1_with_results_queued_when_the_site_is_down(
    app, config_path, results_token, tmp_path
) -> None:
    env = agent_env(
        config_path, f"http://127.0.0.1:{unused_port()}", results_token, tmp_path / "queue"
    )
    done = subprocess.run(
        [sys.executable, "-m", "statuspage", "probe", "--once"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "2 results queued in" in done.stderr and "connection refused" in done.stderr
    assert results_token not in done.stdout + done.stderr
    assert len((tmp_path / "queue" / DiskQueue.FILE_NAME).read_text().splitlines()) == 2


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

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 20
        while len(stored(app)) < count:
            assert time.monotonic() < deadline, f"fewer than {count} results stored"
            assert process.poll() is None, process.stdout and process.stdout.read()
            time.sleep(0.1)

    try:
        wait_for(2)
        site.stop()
        time.sleep(2.5)  # two turns of each probe go to the disk queue
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
    done = subprocess.run(
        [sys.executable, "-m", "statuspage", "probe", "--once"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs a token of scope results" in done.stderr


# ---------------------------------------------------------------------------------------
# The site side: POST /api/v1/results


@pytest.fixture
def post(client, results_token):
    def call(body: Any, token: str | None = results_token, **kwargs: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post(f"{PREFIX}/results", json=body, headers=headers, **kwargs)

    return call


def counts(app) -> tuple[int, int]:
    with app.app_context():
        results = db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar_one()
        states = db.session.execute(db.select(db.func.count()).select_from(ProbeState)).scalar_one()
        db.session.remove()
    return results, states


def test_results_are_recorded_and_duplicates_counted(app, post) -> None:
    batch = [result().to_dict(), result(UPDATE, "down").to_dict()]
    first = post({"results": batch})
    assert first.status_code == 200, first.json
    assert first.json == {"accepted": 2, "duplicates": 0}
    again = post({"results": [*batch, result().to_dict()]})
    assert again.json == {"accepted": 1, "duplicates": 2}
    assert counts(app) == (3, 2)
    assert post({"results": []}).json == {"accepted": 0, "duplicates": 0}


def bad(index: int, **changes: Any) -> list[dict[str, Any]]:
    """Return four valid results with item ``index`` changed."""
    items = [result().to_dict() for _ in range(4)]
    items[index] |= changes
    return items


@pytest.mark.parametrize(
    ("items", "field"),
    [
        (bad(3, started_at="2026-03-02 10:02"), "results[3].started_at"),
        (bad(3, started_at="2026-03-02T10:02:00"), "results[3].started_at"),  # no offset
        (bad(0, started_at=(utcnow() + timedelta(hours=1)).isoformat()), "results[0].started_at"),
        (bad(1, outcome="sideways"), "results[1].outcome"),
        (bad(2, latency_ms="12"), "results[2].latency_ms"),
        (bad(2, latency_ms=-1), "results[2].latency_ms"),
        (bad(2, http_status=True), "results[2].http_status"),
        (bad(2, http_status=200.5), "results[2].http_status"),
        (bad(1, id=""), "results[1].id"),
        (bad(1, id="x" * 65), "results[1].id"),
        (bad(1, reason="\x00"), "results[1].reason"),
        (bad(1, component="billing", probe_key="billing/x"), "results[1].component"),
        (bad(1, probe_key="analytics/worker"), "results[1].probe_key"),
        ([*bad(0)[:2], "not an object"], "results[2]"),
        ([{k: v for k, v in result().to_dict().items() if k != "reason"}], "results[0].reason"),
    ],
)
def test_an_invalid_result_refuses_the_whole_request(app, post, items, field) -> None:
    response = post({"results": items})
    assert response.status_code == 422, response.json
    assert response.json["field"] == field
    assert response.json["message"].startswith(field)
    assert counts(app) == (0, 0)


def test_results_request_limits(app, post) -> None:
    too_many = post({"results": [result().to_dict()] * (MAX_RESULTS + 1)})
    assert too_many.status_code == 422 and too_many.json["field"] == "results"
    # 1,000 results with long reasons: more than the other routes' 64 KiB, within 1 MiB.
    full = [result(reason="r" * 300).to_dict() for _ in range(MAX_RESULTS)]
    size = len(json.dumps({"results": full}))
    assert 64 * 1024 < size < RESULTS_MAX_BYTES
    assert post({"results": full}).json == {"accepted": MAX_RESULTS, "duplicates": 0}
    huge = post({"results": [result(reason="r" * 300).to_dict()] * 2500})
    assert huge.status_code == 413 and str(RESULTS_MAX_BYTES) in huge.json["message"]
    assert post({"result": []}).status_code == 422  # unknown key, as elsewhere in the API


def test_scopes_keep_agents_and_staff_apart(app, client, post) -> None:
    with app.app_context():
        write = create_token("ci")
        agent = create_token("us-agent", "results")
    batch = {"results": [result().to_dict()]}
    assert post(batch, token=None).status_code == 401
    refused = post(batch, token=write)
    assert refused.status_code == 403 and "needs scope 'results'" in refused.json["message"]
    for op in OPERATIONS:
        if op.scope != "write":
            continue
        path = PREFIX + op.rule.replace("<code>", "nope").replace("<slug>", "analytics")
        response = client.open(
            path, method=op.method, json={}, headers={"Authorization": f"Bearer {agent}"}
        )
        assert response.status_code == 403, (op.method, path)
        assert "needs scope 'write'" in response.json["message"]
    assert counts(app) == (0, 0)


def test_openapi_describes_the_results_route(client) -> None:
    document = client.get(f"{PREFIX}/openapi.json").json
    operation = document["paths"][f"{PREFIX}/results"]["post"]
    assert operation["security"] == [{"bearer": ["results"]}]
    assert document["paths"][f"{PREFIX}/incidents"]["post"]["security"] == [{"bearer": ["write"]}]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["results"]["maxItems"] == MAX_RESULTS
    assert "started_at" in schema["properties"]["results"]["items"]["required"]
    assert {"200", "401", "403", "413", "422"} <= set(operation["responses"])
    assert document["components"]["schemas"]["ResultsRecorded"]["required"] == [
        "accepted",
        "duplicates",
    ]


def test_result_from_dict_names_the_field_at_fault() -> None:
    from probes import InvalidResult

    data = result().to_dict()
    assert Result.from_dict(data | {"new_field": 1}) == Result.from_dict(data)
    with pytest.raises(InvalidResult) as caught:
        Result.from_dict(data | {"started_at": "yesterday"})
    assert caught.value.field == "started_at"
