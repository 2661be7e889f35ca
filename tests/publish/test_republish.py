"""With STATUSPAGE_PUBLISH_DIR set, the probe process keeps the published tree current."""

from __future__ import annotations

import logging
import time
from datetime import UTC

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from statuspage import create_app, staff
from statuspage.engine import ProbeService
from statuspage.publish.watch import MAX_AGE_S, RETRY_AFTER_S, Republisher
from statuspage.store.db import utcnow
from statuspage.web import caching
from tests.engine.test_faults import standin_config
from tests.publish.site import STAFF, PinnedBucket


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_republishes_after_a_change_and_once_a_minute(app, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(caching, "time", PinnedBucket())
    clock = Clock()
    republisher = Republisher(app, tmp_path / "site", clock=clock)
    first = republisher.tick()
    assert first is not None and "index.html" in first.written
    clock.now += 1
    assert republisher.tick() is None  # nothing changed: one version query, nothing rendered
    with app.app_context():
        staff.set_component_status(
            STAFF, app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    clock.now += 1
    changed = republisher.tick()
    assert changed is not None and changed.version > first.version
    assert (
        "Major Outage"
        in (tmp_path / "site" / "components" / "analytics" / "index.html").read_text()
    )
    clock.now += MAX_AGE_S - 1
    assert republisher.tick() is None
    clock.now += 1
    aged = republisher.tick()  # a minute on: published again though nothing was written
    assert aged is not None and aged.version == changed.version


def test_a_database_outage_keeps_the_tree_and_retries_later(
    app, tmp_path, database_outage, caplog
) -> None:
    clock = Clock()
    tree = tmp_path / "site"
    republisher = Republisher(app, tree, clock=clock)
    assert republisher.tick() is not None
    with app.app_context():
        staff.set_component_status(
            STAFF, app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    with database_outage(app), caplog.at_level(logging.WARNING):
        clock.now += 1
        assert republisher.tick() is None
    assert "not republished" in caplog.text
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    clock.now += RETRY_AFTER_S - 1
    assert republisher.tick() is None  # still waiting before trying again
    clock.now += 1
    assert republisher.tick() is not None
    assert "Major Outage" in (tree / "components" / "analytics" / "index.html").read_text()


def test_the_probe_service_publishes_only_when_asked(app, tmp_path) -> None:
    assert ProbeService(app, environ={}).republisher is None
    service = ProbeService(app, environ={"STATUSPAGE_PUBLISH_DIR": str(tmp_path / "site")})
    assert service.republisher is not None
    assert service.republisher.directory == tmp_path / "site"


@pytest.mark.slow
def test_the_probe_process_publishes_its_own_results(
    app, capgo, write_config, tmp_path, caplog
) -> None:
    """A probe against a loopback server fails; the published pages say so, seconds later."""
    config = write_config(standin_config(capgo.url, timeout=2))
    site = create_app({**app.config, "STATUSPAGE_CONFIG": str(config)})
    tree = tmp_path / "site"
    service = ProbeService(
        site, environ={"STATUSPAGE_LOCATION": "t", "STATUSPAGE_PUBLISH_DIR": str(tree)}
    )
    capgo.set("/updates", 503)
    caplog.set_level(logging.INFO, logger="statuspage")
    scheduler = BackgroundScheduler(timezone=UTC)
    service.schedule(scheduler)
    scheduler.start()
    home = tree / "index.html"  # written last of all
    try:
        deadline = time.monotonic() + 30  # headroom for a loaded machine; typically ~3 s
        while time.monotonic() < deadline:
            if home.exists() and "outage of Live Updates" in home.read_text():
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
        service.republisher.stop(timeout=30)
        service.runner.close()
    # Major or partial: it depends on which of the two probes reports first.
    assert "outage of Live Updates" in home.read_text(), caplog.text
    page = (tree / "components" / "live-updates" / "index.html").read_text()
    assert "status-partial_outage" in page or "status-major_outage" in page
