"""ProbeRunner: parallel cycles, no probe twice at once, errors become results."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

import probes.check
from probes import Outcome, ProbeDefinition, ProbeRunner, Result
from tests.probes.helpers import LATE_S, probe
from tests.standin import HANG, CapgoStandIn

# The timeout of the hanging probes, so how long each hangs. Every cycle-time bound below sits a
# whole HANG_S away from what it rules out (a second round, the runner giving up on a probe),
# which is the headroom a loaded machine gets.
HANG_S = 1.0


def wait_until(condition: Any, within_s: float = 10.0) -> None:
    """Wait until ``condition()`` is true, failing after ``within_s``."""
    end = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.005)


def timed_cycle(
    runner: ProbeRunner, definitions: list[ProbeDefinition]
) -> tuple[list[Result], float]:
    """Run one cycle from location "test"; return its results and the wall time it took."""
    start = time.monotonic()
    results = runner.run_cycle(definitions, location="test", environ={})
    return results, time.monotonic() - start


def test_all_hanging_probes_end_in_about_one_timeout(capgo: CapgoStandIn) -> None:
    capgo.set("/hang", HANG)
    definitions = [probe(f"{capgo.url}/hang", f"hang {n}", timeout_s=HANG_S) for n in range(12)]
    with ProbeRunner(max_workers=16) as runner:
        results, took = timed_cycle(runner, definitions)
    assert [r.probe_key for r in results] == [d.key for d in definitions]
    assert {r.reason for r in results} == {"timeout after 1 s"}
    # One timeout: a second round, or the runner giving up on them after the grace period,
    # would take two.
    assert took < 2 * HANG_S
    assert capgo.hits("/hang") == 12


def test_a_hanging_probe_delays_no_other(capgo: CapgoStandIn) -> None:
    capgo.set("/hang", HANG)
    fast = [probe(f"{capgo.url}/ok", f"fast {n}") for n in range(6)]
    # Two workers: one is stuck on the hanging probe, the other serves every fast probe.
    with ProbeRunner(max_workers=2) as runner:
        results, took = timed_cycle(
            runner, [probe(f"{capgo.url}/hang", "hang", timeout_s=HANG_S), *fast]
        )
    hanging, *others = results
    assert hanging.reason == "timeout after 1 s"
    assert all(r.outcome is Outcome.UP for r in others)

    def finished(result: Result) -> datetime:
        assert result.latency_ms is not None
        return result.started_at + timedelta(milliseconds=result.latency_ms)

    # Every fast probe was done while the hanging one still hung: none waited for it. The six
    # of them have the whole HANG_S to do so.
    assert all(finished(r) < finished(hanging) for r in others)
    assert took < 2 * HANG_S


def test_more_probes_than_workers_queue_in_batches(capgo: CapgoStandIn) -> None:
    capgo.set("/hang", HANG)
    definitions = [probe(f"{capgo.url}/hang", f"hang {n}", timeout_s=HANG_S) for n in range(4)]
    with ProbeRunner(max_workers=2) as runner:
        results, took = timed_cycle(runner, definitions)
    assert len(results) == 4 and {r.reason for r in results} == {"timeout after 1 s"}
    # Two batches of one timeout each: not one (all at once), nor three or four (in turn).
    assert 1.9 * HANG_S < took < 3 * HANG_S


def test_same_probe_never_runs_twice_at_once(capgo: CapgoStandIn) -> None:
    capgo.set("/hang", HANG)
    # Hangs for HANG_S: the overlapping calls below must come while it still runs.
    hanging = probe(f"{capgo.url}/hang", "hang", timeout_s=HANG_S)
    other = probe(f"{capgo.url}/ok", "other")
    with ProbeRunner() as runner:
        first: list[Result | None] = []
        thread = threading.Thread(
            target=lambda: first.append(runner.run_one(hanging, location="test", environ={}))
        )
        thread.start()
        wait_until(lambda: capgo.hits("/hang") == 1)
        assert runner.running() == {hanging.key}
        # An overlapping cycle skips the running probe and runs the rest.
        results = runner.run_cycle([hanging, other], location="test", environ={})
        assert [r.probe_key for r in results] == [other.key]
        assert runner.run_one(hanging, location="test", environ={}) is None
        thread.join()
        assert first[0] is not None and first[0].reason == "timeout after 1 s"
        assert capgo.hits("/hang") == 1
        assert runner.running() == set()
        # Once finished, it runs again (the stand-in now answers 404 for the unknown path).
        capgo.reset()
        again = runner.run_one(hanging, location="test", environ={})
        assert again is not None and again.reason == "HTTP 404, expected 200"
        assert capgo.hits("/hang") == 1


def test_duplicate_keys_in_one_cycle_run_once(capgo: CapgoStandIn) -> None:
    definition = probe(f"{capgo.url}/ok", "ok")
    with ProbeRunner() as runner:
        results = runner.run_cycle([definition, definition], location="test", environ={})
    assert len(results) == 1 and capgo.hits("/ok") == 1


def test_unconfigured_probes_are_skipped(capgo: CapgoStandIn) -> None:
    keyed = probe(f"{capgo.url}/app", "keyed", headers={"authorization": "${CAPGO_API_KEY}"})
    plain = probe(f"{capgo.url}/ok", "plain")
    with ProbeRunner() as runner:
        results = runner.run_cycle([keyed, plain], location="test", environ={})
        assert [r.probe_key for r in results] == [plain.key]
        assert runner.run_one(keyed, location="test", environ={}) is None
        with_key = runner.run_cycle([keyed], location="test", environ={"CAPGO_API_KEY": "k-1"})
    assert with_key[0].outcome is Outcome.UP
    assert capgo.hits("/app") == 1


def test_an_exception_becomes_a_down_result(
    capgo: CapgoStandIn, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = probes.check.run_probe

    def flaky(definition: ProbeDefinition, **kwargs: Any) -> Result:
        if definition.name == "broken":
            raise KeyError("surprise")
        return real(definition, **kwargs)

    monkeypatch.setattr(probes.check, "run_probe", flaky)
    broken = probe(f"{capgo.url}/ok", "broken")
    fine = probe(f"{capgo.url}/ok", "fine")
    with caplog.at_level(logging.ERROR, logger="probes"), ProbeRunner() as runner:
        results = runner.run_cycle([broken, fine], location="eu", environ={})
        assert runner.running() == set()  # the failed probe released its key
    assert results[0].outcome is Outcome.DOWN
    assert results[0].reason == "probe error: KeyError"
    assert (results[0].location, results[0].http_status, results[0].latency_ms) == (
        "eu",
        None,
        None,
    )
    assert results[1].outcome is Outcome.UP
    assert "KeyError" in caplog.text and "Traceback" in caplog.text


def test_a_probe_stuck_past_its_deadline_is_reported_and_stays_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for what the deadline timer cannot interrupt, such as a stuck DNS lookup.
    release = threading.Event()

    stuck_s = 10.0

    def stuck(definition: ProbeDefinition, **kwargs: Any) -> Result:
        release.wait(stuck_s)
        raise AssertionError("the runner should have stopped waiting")

    monkeypatch.setattr(probes.check, "run_probe", stuck)
    definition = probe("http://127.0.0.1:9/never", "stuck", timeout_s=0.3)
    with ProbeRunner(grace_s=0.2) as runner:
        [result], took = timed_cycle(runner, [definition])
        assert result.reason == "timeout after 0.3 s" and result.outcome is Outcome.DOWN
        # Given up once timeout and grace had passed (0.5 s), long before the probe let go.
        assert 0.45 < took < 0.5 + LATE_S
        assert runner.run_one(definition, location="test", environ={}) is None  # still busy
        release.set()
        wait_until(lambda: runner.running() == set())


def test_a_closed_runner_refuses_work_without_holding_keys(capgo: CapgoStandIn) -> None:
    runner = ProbeRunner()
    runner.close()
    definition = probe(f"{capgo.url}/ok", "ok")
    with pytest.raises(RuntimeError):
        runner.run_cycle([definition], location="test", environ={})
    assert runner.running() == set()


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ProbeRunner(max_workers=0)
