"""Plain builders the test modules share: rows added straight to the database, probe results,
configuration files, the app served for real, a recorder of the SQL a block runs and the
environment of a command.

Holds no tests and no fixtures (those live in conftest.py files). The row builders need an
app context, as the tests that call them already have.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.serving import WSGIRequestHandler, make_server

from probes import Outcome, Result
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentUpdate,
    StatusChange,
    UpdateComponentChange,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

# Rows


def component(slug: str) -> Component:
    """Return the component with this slug."""
    return db.session.execute(db.select(Component).filter_by(slug=slug)).scalar_one()


def set_status(slug: str, status: str, at: datetime | None = None) -> None:
    """Give a component an automatic status, as the engine records it (at `at`, or now)."""
    row = component(slug)
    row.automatic_status = status
    db.session.add(
        StatusChange(component=row, status=status, cause="probe", at=at or datetime.now(UTC))
    )


# An update: (status, body), (status, body, at), or the IncidentUpdate columns themselves.
Update = tuple[str, str] | tuple[str, str, datetime | None] | Mapping[str, Any]
# Who writes the updates add_incident adds, unless told: a person, so their text is markdown
# (the system's own updates, author None, are shown as plain text).
STAFF = "alice@capgo.app"


def add_incident(
    name: str,
    *,
    kind: str = "incident",
    status: str | None = None,
    impact: str | None = None,
    started_at: datetime | None = None,
    resolved_at: datetime | None = None,
    scheduled_for: datetime | None = None,
    scheduled_until: datetime | None = None,
    updates: Sequence[Update] | None = None,
    every: timedelta = timedelta(0),
    affected: Iterable[str | tuple[str, str]] = (),
    changes: bool = False,
    dated: bool = False,
    author: str | None = STAFF,
    **columns: Any,
) -> Incident:
    """Add an incident or a maintenance with its updates (oldest first) and affected components.

    Unless given:
    - `updates`: an incident is investigated at `started_at` (and resolved at `resolved_at`
      when that is given); a maintenance is announced at `started_at`. Update number n
      without a time of its own is at `started_at` + n × `every` (without `started_at`, at
      the columns' default: now). `at` sets created_at and display_at; `author` writes them
      all (None: the system, whose text is shown as text, not markdown).
    - `status`: the last update's status.
    - `impact`: "maintenance" for a maintenance, "minor" for an incident.
    - `started_at`: a maintenance is announced a day before `scheduled_for`; an incident
      takes the column's default (now).
    - `scheduled_until`: an hour after `scheduled_for`.
    `affected` holds slugs (at major_outage, or under_maintenance for a maintenance) or
    (slug, status) pairs; `changes` also records on the first update each affected
    component's change from operational. `dated` sets created_at to `started_at` and
    updated_at to `resolved_at` or `started_at`, as if entered when it happened; otherwise
    they are the columns' defaults. `columns` are any other Incident columns, as given.
    """
    maintenance = kind == "maintenance"
    if maintenance and started_at is None and scheduled_for is not None:
        started_at = scheduled_for - timedelta(days=1)
    if scheduled_for is not None and scheduled_until is None:
        scheduled_until = scheduled_for + timedelta(hours=1)
    if updates is None:
        if maintenance:
            updates = [("scheduled", "Planned work.")]
        else:
            updates = [("investigating", "We are currently investigating this issue.")]
            if resolved_at is not None:
                updates.append(("resolved", "This incident has been resolved.", resolved_at))
    if dated and started_at is not None:
        columns.setdefault("created_at", started_at)
        columns.setdefault("updated_at", resolved_at or started_at)
    rows = [
        _update(update, started_at, number * every, author) for number, update in enumerate(updates)
    ]
    # Only what is set is passed: a column left out keeps its default, None would be stored.
    given = {
        "started_at": started_at,
        "resolved_at": resolved_at,
        "scheduled_for": scheduled_for,
        "scheduled_until": scheduled_until,
    }
    incident = Incident(
        name=name,
        kind=kind,
        status=status or rows[-1].status,
        impact=impact or ("maintenance" if maintenance else "minor"),
        **{key: value for key, value in given.items() if value is not None},
        **columns,
    )
    incident.updates.extend(rows)
    for entry in affected:
        slug, affected_status = (
            (entry, "under_maintenance" if maintenance else "major_outage")
            if isinstance(entry, str)
            else entry
        )
        incident.affected.append(
            AffectedComponent(component=component(slug), status=affected_status)
        )
        if changes:
            rows[0].changes.append(
                UpdateComponentChange(
                    component=component(slug), old_status="operational", new_status=affected_status
                )
            )
    db.session.add(incident)
    return incident


def _update(
    update: Update, start: datetime | None, offset: timedelta, author: str | None
) -> IncidentUpdate:
    """Build one update; one without a time is `offset` after `start` (when there is one)."""
    if isinstance(update, Mapping):
        return IncidentUpdate(**{"author": author, **update})
    status, body, *given = update
    at = given[0] if given else (start + offset if start is not None else None)
    if at is None:
        return IncidentUpdate(status=status, body=body, author=author)
    return IncidentUpdate(status=status, body=body, author=author, created_at=at, display_at=at)


# Probe results


def minutes_ago(minutes: float, now: datetime | None = None) -> datetime:
    """Return the moment `minutes` before `now` (default: the current time)."""
    return (now or datetime.now(UTC)) - timedelta(minutes=minutes)


def probe_result(
    key: str = "live-updates/worker",
    outcome: str = "up",
    *,
    location: str = "here",
    started_at: datetime | None = None,
    latency_ms: float | None = 100.0,
    **fields: Any,
) -> Result:
    """Return a result of probe `key` from `location`, started at `started_at` (default now).

    Up or degraded answered HTTP 200; down answered 503 with the runner's reason for it.
    `fields` are any other Result fields (component, http_status, reason), as given.
    """
    down = outcome == "down"
    values: dict[str, Any] = {
        "probe_key": key,
        "component": key.split("/")[0],
        "location": location,
        "started_at": started_at or datetime.now(UTC),
        "latency_ms": latency_ms,
        "outcome": Outcome(outcome),
        "http_status": 503 if down else 200,
        "reason": "HTTP 503, expected 200" if down else "",
    }
    return Result(**(values | fields))


# Configuration files

# An update check the stand-in answers as Capgo does: POSTed, with "no new version" expected.
UPDATE_CHECK = {
    "method": "POST",
    "json": {"app_id": "com.capgo.statusprobe"},
    "expect_json": {"error": ["no_new_version_available"]},
}


def _toml_value(value: Any) -> str:
    """Return a TOML value: strings quoted and escaped, lists and inline tables nested."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    """Return a TOML key: bare when it can be, quoted otherwise."""
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _toml_value(key)


def _toml_keys(values: Mapping[str, Any]) -> str:
    """Return `key = value` lines, one a key."""
    return "".join(f"{_toml_key(key)} = {_toml_value(value)}\n" for key, value in values.items())


def probe_toml(name: str, url: str, **keys: Any) -> str:
    """Return a `[[components.probes]]` table; `keys` are its other keys (method, json...)."""
    return "[[components.probes]]\n" + _toml_keys({"name": name, "url": url, **keys})


def component_toml(slug: str, name: str, *probes: str, **keys: Any) -> str:
    """Return a `[[components]]` table with its probes (from probe_toml); `keys`: group..."""
    return "[[components]]\n" + _toml_keys({"slug": slug, "name": name, **keys}) + "".join(probes)


def config_toml(
    *components: str,
    name: str = "Capgo",
    url: str = "https://status.capgo.app",
    defaults: Mapping[str, Any] | None = None,
    **site: Any,
) -> str:
    """Return a configuration file: [site] (`site`: timezone...), [defaults], the components."""
    text = "[site]\n" + _toml_keys({"name": name, "url": url, **site})
    if defaults:
        text += "[defaults]\n" + _toml_keys(defaults)
    return text + "".join(components)


# Serving


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
        """Serve in a daemon thread, on the port of the last start if there was one."""
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
        """Stop answering and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """Return the site's base URL."""
        return f"http://127.0.0.1:{self.port}"


# SQL and commands


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """Record every SQL statement the app's database engine runs inside the block."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def probe_once(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `statuspage probe --once` in a fresh process with `env`; return how it went."""
    return subprocess.run(
        [sys.executable, "-m", "statuspage", "probe", "--once"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli_env(app: Flask, config_path: Path | str, location: str) -> dict[str, str]:
    """Return the environment a `statuspage` command needs to use this test's site."""
    return {
        "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_CONFIG": str(config_path),
        "STATUSPAGE_LOCATION": location,
    }
