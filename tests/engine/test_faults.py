"""Faults, for real: a database that goes away, kill -9 mid-cycle, a cycle that overruns."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from probes import Result
from statuspage import create_app
from statuspage.engine import ProbeService
from statuspage.store.db import db
from statuspage.store.models import Incident, OpenAutomaticIncident, ProbeResult
from tests.conftest import REPO_ROOT
from tests.factories import (
    cli_env,
    component_toml,
    config_toml,
    minutes_ago,
    probe_once,
    probe_result,
    probe_toml,
)
from tests.standin import HANG, slow

UPDATE_CHECK = "live-updates/update-check"


def standin_config(base: str, timeout: float) -> str:
    """Return a site whose two probes of the stand-in at `base` run every second."""
    return config_toml(
        component_toml(
            "live-updates",
            "Live Updates",
            probe_toml("Update check", f"{base}/updates"),
            probe_toml("Worker", f"{base}/ok"),
        ),
        defaults={
            "interval_s": 1,
            "timeout_s": timeout,
            "failures_to_open": 1,
            "successes_to_close": 1,
        },
    )


def result(minutes: int) -> Result:
    """Return an up result of the update check, started `minutes` ago."""
    return probe_result(UPDATE_CHECK, started_at=minutes_ago(minutes), latency_ms=50.0)


def stored(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar()


def test_database_outage_keeps_results_in_memory_and_recovers(
    app, caplog, database_outage, report_figure
) -> None:
    service = ProbeService(app, environ={}, max_pending=100)
    assert service.record([result(5)])
    caplog.set_level(logging.INFO)
    with database_outage(app):
        assert not service.record([result(4)])
        assert not service.record([result(3)])
        assert len(service.pending) == 2
        assert "database unreachable" in caplog.text and "2 results kept in memory" in caplog.text
    assert service.record([result(2)])
    assert not service.pending and stored(app) == 4
    assert "database reachable again: recorded 3 kept results" in caplog.text
    report_figure(
        "database outage: 2 recordings failed and kept their results in memory; "
        "the next stored all 3, none lost or doubled"
    )
    assert service.record([])  # nothing left, nothing duplicated
    assert stored(app) == 4


def test_the_memory_queue_is_bounded(app, caplog, database_outage) -> None:
    service = ProbeService(app, environ={}, max_pending=3)
    with database_outage(app):
        for minutes in range(10, 5, -1):
            service.record([result(minutes)])
        assert len(service.pending) == 3
        assert [r.started_at for r in service.pending] == sorted(
            r.started_at for r in service.pending
        )
        assert "dropping the 1 oldest results" in caplog.text


@pytest.mark.slow  # about 7 s: a real scheduler watched for 7 s
def test_an_overrunning_probe_skips_rather_than_piles_up(
    app, capgo, write_config, report_figure
) -> None:
    """A probe every second that hangs for 3 s runs about once per 3 s, never in parallel."""
    capgo.set("/updates", HANG)
    capgo.set("/ok", slow(0.05))
    config = write_config(standin_config(capgo.url, timeout=3))
    service = ProbeService(
        create_app({**app.config, "STATUSPAGE_CONFIG": str(config)}),
        environ={"STATUSPAGE_LOCATION": "t"},
    )
    scheduler = BackgroundScheduler(timezone=UTC)
    service.schedule(scheduler, now=datetime.now(UTC) - timedelta(seconds=1))
    scheduler.start()
    time.sleep(7)
    scheduler.shutdown(wait=False)
    hanging, healthy = capgo.hits("/updates"), capgo.hits("/ok")
    report_figure(
        f"overrun: 7 s at a 1 s interval, a probe hanging 3 s ran {hanging} times (not 7), "
        f"a healthy one {healthy} times"
    )
    assert 1 <= hanging <= 3  # 7 s / (3 s timeout) at most, not 7
    # The hanging probe delays no other: sharing its slot, the healthy one would get a run only
    # between two hanging ones (hanging + 1 at most); on its own it runs about every second.
    assert healthy >= hanging + 2


def check_consistency(app) -> None:
    """No component has two open automatic incidents, and every open one has its lock row."""
    with app.app_context():
        unresolved = (
            db.session.execute(
                db.select(Incident).where(
                    Incident.automatic.is_(True), Incident.status != "resolved"
                )
            )
            .scalars()
            .all()
        )
        locks = db.session.execute(db.select(OpenAutomaticIncident)).scalars().all()
        assert len(unresolved) <= 1
        assert sorted(i.id for i in unresolved) == sorted(lock.incident_id for lock in locks)


@pytest.mark.slow  # about 25 s: twelve probe processes, each killed mid-cycle
def test_kill_9_mid_cycle_leaves_the_database_consistent(
    app, capgo, write_config, report_figure
) -> None:
    config = write_config(standin_config(capgo.url, timeout=1))
    env = os.environ | cli_env(app, config, "killed")
    rng = random.Random(7)
    kills = 12
    for round_number in range(kills):
        # Alternate failing and healthy spells so incidents open and close across the kills.
        if round_number % 3 == 0:
            capgo.set("/updates", 503)
            capgo.set("/ok", 503)
        elif round_number % 3 == 2:
            capgo.reset()
        process = subprocess.Popen(
            [sys.executable, "-m", "statuspage", "probe"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5 + rng.random() * 1.5)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        check_consistency(app)
    # The next start carries on: a failure opens (or keeps) one incident, recovery closes it.
    capgo.set("/updates", 503)
    capgo.set("/ok", 503)
    once = probe_once(env)
    assert once.returncode == 0, once.stderr
    check_consistency(app)
    with app.app_context():
        assert db.session.execute(db.select(OpenAutomaticIncident)).first() is not None
    capgo.reset()
    again = probe_once(env)
    assert again.returncode == 0, again.stderr
    check_consistency(app)
    with app.app_context():
        assert db.session.execute(db.select(OpenAutomaticIncident)).first() is None
        total = db.session.execute(db.select(db.func.count(Incident.id))).scalar()
    report_figure(
        f"kill -9: {kills} kills of the probe process mid-cycle; {stored(app)} results and "
        f"{total} incidents stored, consistent after every kill; the next start carried on"
    )
