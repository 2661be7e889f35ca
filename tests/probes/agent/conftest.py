"""Fixtures for the agent tests: the site, its configuration, tokens and in-process agents.

The site is the Flask app served for real on 127.0.0.1 (its database from the ``app``
fixture); the probes hit the Capgo stand-in. Agents run in this process (to script outages
precisely) and as `statuspage probe --report-to` subprocesses (to prove they need no database).
"""

from __future__ import annotations

from typing import Any

import pytest

from probes.agent.agent import Agent
from probes.agent.queue import DiskQueue
from probes.agent.reporter import Reporter
from statuspage.staff.tokens import create_token
from tests.probes.agent.site import HEALTHY, agent_config
from tests.standin import CapgoStandIn


@pytest.fixture
def capgo(capgo: CapgoStandIn) -> CapgoStandIn:
    """The stand-in (tests/conftest.py), with the update check healthy in each agent's region."""
    for region in ("here", "eu", "us"):
        capgo.set(f"/region-{region}", HEALTHY)
    return capgo


@pytest.fixture
def interval() -> int:
    """Probe interval: only staleness depends on it where cycles are run by hand."""
    return 2


@pytest.fixture
def config_path(write_config, capgo, interval):
    return write_config(agent_config(capgo.url, interval))


@pytest.fixture
def results_token(app) -> str:
    with app.app_context():
        return create_token("eu-agent", "results", location="eu")


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
