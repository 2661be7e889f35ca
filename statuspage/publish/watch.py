"""Keep a published tree current: after every public change, and at least once a minute.

Every write that changes what the public sees bumps the site's version (whichever process
made it: a probe result, a staff write from a web worker, a maintenance tick), so watching
that one number, a single-row query twice a second, catches them all. Pages also show
time-driven text (relative times, maintenance windows opening), hence the minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from statuspage.publish.tree import Outcome, PublishError, publish
from statuspage.store.db import db
from statuspage.store.site_state import site_version

log = logging.getLogger(__name__)

# How often the version is looked at, in seconds: one single-row query, so a write waits
# a quarter of a second on average before its publish starts.
WATCH_INTERVAL_S = 0.5
# The longest a published tree goes unrefreshed, for text that changes with the clock alone.
MAX_AGE_S = 60.0
# After a failed publish, the next try waits this long, so an outage logs a line per 10 s.
RETRY_AFTER_S = 10.0


class Republisher:
    """Publish the site into a directory whenever its version moves, or its copy ages."""

    def __init__(
        self,
        app: Flask,
        directory: Path,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = MAX_AGE_S,
    ) -> None:
        self.app = app
        self.directory = directory
        self.clock = clock
        self.max_age = max_age
        self.version: int | None = None  # what the tree shows; None before the first publish
        self.published_at = float("-inf")
        self.retry_at = float("-inf")
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch in a background thread until `stop` (a publish may outlast one interval)."""
        self._thread = threading.Thread(target=self._watch, name="publish", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the watcher to stop after its current publish, and wait for it."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _watch(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # never let one bad publish end the watching
                log.exception("publishing failed")
            self.stopping.wait(WATCH_INTERVAL_S)

    def tick(self) -> Outcome | None:
        """Publish if the site changed or the tree is old; return what was done, or None."""
        now = self.clock()
        if now < self.retry_at:
            return None
        try:
            with self.app.app_context():
                version, _ = site_version()
        except SQLAlchemyError as error:
            with self.app.app_context():
                db.session.rollback()
            return self._failed(now, f"the database is unreachable ({error.__class__.__name__})")
        if version == self.version and now - self.published_at < self.max_age:
            return None
        try:
            outcome = publish(self.app, self.directory)  # it logs what went wrong
        except PublishError as error:
            return self._failed(now, str(error))
        self.version, self.published_at, self.retry_at = outcome.version, now, float("-inf")
        return outcome

    def _failed(self, now: float, why: str) -> None:
        """Wait before the next try, and say so (the last good tree stays served)."""
        self.retry_at = now + RETRY_AFTER_S
        log.warning("not republished (retrying in %d s): %s", RETRY_AFTER_S, why)
        return None
