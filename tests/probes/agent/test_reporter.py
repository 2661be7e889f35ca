"""The Reporter: what the agent does with each kind of answer from the site, and the site URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from probes.agent.agent import Agent
from probes.agent.queue import DiskQueue
from probes.agent.reporter import Reporter, check_site_url
from statuspage.store.db import utcnow
from statuspage.web.api_v1.routes import PREFIX
from tests.probes.agent.site import stored
from tests.probes.helpers import UPDATE, result
from tests.standin import CapgoStandIn, json_body, status, unused_port


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
    assert f"refused result {skewed.id}" in caplog.text
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
