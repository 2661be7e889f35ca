"""Helpers shared by the probes tests: probes of the stand-in, running them, results."""

from __future__ import annotations

import time
from typing import Any

from probes import Outcome, ProbeDefinition, Result, run_probe
from probes.transport import format_seconds
from tests.factories import probe_result

UPDATE_REQUEST = {
    "app_id": "com.example.app",
    "device_id": "00000000-0000-0000-0000-000000000000",
    "version_name": "builtin",
    "version_build": "1.0.0",
    "is_emulator": False,
    "is_prod": False,
    "platform": "android",
    "plugin_version": "7.0.0",
    "defaultChannel": "",
}


SECRET = "sk-live-7f3a9c2e5b1d"


def updates_probe(**options: object) -> ProbeDefinition:
    """Return a POST /updates probe whose app id and key come from the environment."""
    return ProbeDefinition.build(
        "live-updates",
        "Update check (EU)",
        "https://plugin.${REGION:-eu}.capgo.app/updates?key=${QUERY_KEY:-none}",
        method="post",
        headers={"authorization": "${CAPGO_API_KEY}", "x-static": "fixed-value"},
        json={
            "app_id": "${APP_ID:-com.example.app}",
            "nested": {"list": ["${DEVICE}", 1, True, None], "${KEY_NAME:-k}": "v"},
        },
        expect_json={"error": ["no_new_version_available", "no_channel"]},
        **options,  # type: ignore[arg-type]
    )


# The timeout of a test probe unless it says otherwise: one no loopback answer comes near, even
# on a loaded machine. Tests of the deadline itself give a short timeout of their own.
TIMEOUT_S = 5.0
# How late a deadline may be noticed, or a worker thread get to run, on a loaded machine. Far
# less than what the deadline tests guard against: the stand-in's trickled bodies and headers
# take 20 s or more, hanging and endless answers never end.
LATE_S = 2.0


def probe(url: str, name: str = "test probe", **options: Any) -> ProbeDefinition:
    """Return a probe of ``url`` named ``name`` (timeout ``TIMEOUT_S`` unless given)."""
    options.setdefault("timeout_s", TIMEOUT_S)
    return ProbeDefinition.build("live-updates", name, url, **options)


def run(definition: ProbeDefinition, **kwargs: Any) -> Result:
    """Run a probe from location "test" with an empty environment unless given."""
    kwargs.setdefault("environ", {})
    return run_probe(definition, location="test", **kwargs)


def timed(definition: ProbeDefinition, **kwargs: Any) -> tuple[Result, float]:
    """Run a probe; return its result and the wall time it took."""
    start = time.monotonic()
    result = run(definition, **kwargs)
    return result, time.monotonic() - start


def assert_down(result: Result, reason: str) -> None:
    """Assert a down result with exactly ``reason``."""
    assert (result.outcome, result.reason) == (Outcome.DOWN, reason)


def assert_timed_out(result: Result, took: float, timeout_s: float) -> None:
    """Assert a timeout that ended the run at its deadline: not before it, nor long after."""
    assert_down(result, f"timeout after {format_seconds(timeout_s)}")
    # The deadline cannot pass early; 0.9 only absorbs the rounding of two clock readings.
    assert timeout_s * 0.9 < took < timeout_s + LATE_S


# Two probes of the agent tests' configuration (tests/probes/agent/site.py).
UPDATE = "live-updates/update-check"
WORKER = "live-updates/worker"


def result(key: str = WORKER, outcome: str = "up", location: str = "eu", **fields: Any) -> Result:
    """Return tests.factories.probe_result's result, from the agent tests' "eu" by default."""
    return probe_result(key, outcome, location=location, **fields)
