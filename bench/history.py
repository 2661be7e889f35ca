"""Benchmark how public reads grow with a year of history (in-process, no network at all).

Run from the repository root: ``.venv/bin/python bench/history.py`` (about 70 s)

Seeds one year of what the site keeps for the default probes of content/status.toml, one
location, one result per probe per minute:

- raw results (``probe_result``) for the last ``[retention] raw_days`` (30) days only: the
  probe process prunes older ones every hour, so no deployed database ever holds more.
  ``--raw-days 365`` seeds the whole year raw (~12 M rows; slow, and several GB);
- daily probe rollups (``probe_rollup``) and daily uptime figures (``component_day``) for the
  whole year, the status history (``status_change``) behind them, and 500 incidents and
  maintenances with their updates, affected components and component changes;
- the present through the site's own code: the last minutes of results (one probe failing,
  which opens an automatic incident), an unresolved staff incident, an upcoming maintenance,
  then the real rollups (``roll_up``, ``roll_up_days``).

Bulk rows go in with SQLAlchemy Core ``insert()`` and lists of dicts. Then ``/``,
``/api/v2/summary.json``, ``/uptime``, ``/history.atom`` and a component page are timed with
the Flask test client on that database, on an empty one (migrated, components synced, nothing
else) and on a control holding only the last 90 days of the same history (``--recent-days 7``:
a week), so "year / 90 days" shows what the older part costs, apart from what the recent
incidents put on the pages: uncached (the
response cache cleared before each request) and cached. The figure is the median CPU time of
the process per request (``time.process_time``: other work on the machine inflates it less;
wall times are printed too). SQL time is measured by replaying every statement a route ran,
fetching all rows. Target: one year costs at most 1.3x the empty database on every route,
uncached. For a route over target, the statements that grew most are listed with SQLite's
query plans, then where the request spends its time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from flask import Flask  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, text  # noqa: E402

from bench.seed import seed_present  # noqa: E402
from statuspage import create_app  # noqa: E402
from statuspage.config import StatusConfig  # noqa: E402
from statuspage.engine import roll_up, roll_up_days  # noqa: E402
from statuspage.rules import minutes_by_status  # noqa: E402
from statuspage.rules.latency import latency_percentiles  # noqa: E402
from statuspage.rules.uptime import day_bounds  # noqa: E402
from statuspage.store.db import db, new_code, utcnow  # noqa: E402
from statuspage.store.models import (  # noqa: E402
    COMPONENT_DAY_COLUMNS,  # noqa: E402
    AffectedComponent,
    Component,
    ComponentDay,
    Incident,
    IncidentUpdate,
    ProbeResult,
    ProbeRollup,
    StatusChange,
    UpdateComponentChange,
)
from statuspage.vocabulary import ComponentStatus  # noqa: E402

ROUTES = ["/", "/api/v2/summary.json", "/uptime", "/history.atom", "/components/live-updates"]
TARGET = 1.3
DAYS = 365
EVENTS = 500
LOCATION = "eu-west"
LIVE_MINUTES = 6  # the newest minutes of results go through the engine, not bulk inserts
CHUNK = 20_000
UNCACHED_RUNS = 15
CACHED_RUNS = 300
PROFILE_RUNS = 5
REPLAYS = 5
RECENT_DAYS = 90  # the control: the same recent history, without the older part
SEED = 20260101
WORDS = (
    "We are investigating elevated error rates for some users of {name}. Requests from the "
    "**Capacitor updater** may fail or time out; apps keep running the bundle they have."
)
STAFF_UPDATES = [
    ("investigating", WORDS),
    ("identified", "The cause is a faulty deploy of the regional workers; rolling back now."),
    ("monitoring", "The rollback is complete and error rates are back to normal. Watching."),
    ("resolved", "This incident is resolved. A postmortem will follow for affected customers."),
]


# ---------------------------------------------------------------------------------------
# Databases


def upgrade_database(url: str) -> None:
    """Create the schema with `statuspage db upgrade`, as a deploy does."""
    env = dict(os.environ, STATUSPAGE_DATABASE_URL=url, STATUSPAGE_SECRET_KEY="bench")
    done = subprocess.run(
        [str(BIN / "statuspage"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"statuspage db upgrade failed:\n{done.stdout}\n{done.stderr}")


def build_app(url: str) -> Flask:
    """Create the production app (components synced on start) on one database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32)})


def insert_rows(model: type, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Insert rows in chunks with Core executemany; return how many."""
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            db.session.execute(insert(model), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        db.session.execute(insert(model), chunk)
        count += len(chunk)
    return count


# ---------------------------------------------------------------------------------------
# A year of history, made up but consistent: events never overlap on a component, and the
# status history, daily figures, rollups and raw results all follow the same events.


@dataclass
class Event:
    """One past incident or maintenance."""

    kind: str  # "automatic", "staff" or "maintenance"
    component: str
    status: ComponentStatus
    start: datetime
    end: datetime
    probe_key: str | None = None  # the probe that failed, for automatic incidents
    id: int = 0
    update_ids: list[int] = field(default_factory=list)


def plan_events(config: StatusConfig, start: datetime, end: datetime) -> list[Event]:
    """Spread EVENTS events over [start, end), one per time slot, oldest first."""
    rng = random.Random(SEED)
    slugs = [c.slug for c in config.components]
    weights = [6 if slug == "live-updates" else 2 for slug in slugs]
    probes_of = {c.slug: [p.key for p in c.probes if not p.requires_env] for c in config.components}
    slot = (end - start) / EVENTS
    events = []
    for n in range(EVENTS):
        minutes = rng.randint(5, 180)
        offset = rng.uniform(0, slot.total_seconds() - minutes * 60 - 60)
        begin = (start + slot * n + timedelta(seconds=offset)).replace(second=0, microsecond=0)
        kind = "maintenance" if n % 20 == 7 else "staff" if n % 4 == 1 else "automatic"
        slug = rng.choices(slugs, weights)[0]
        status = (
            ComponentStatus.UNDER_MAINTENANCE
            if kind == "maintenance"
            else rng.choice(
                [ComponentStatus.PARTIAL_OUTAGE] * 3
                + [ComponentStatus.MAJOR_OUTAGE, ComponentStatus.DEGRADED_PERFORMANCE]
            )
        )
        probe = rng.choice(probes_of[slug]) if kind == "automatic" and probes_of[slug] else None
        events.append(Event(kind, slug, status, begin, begin + timedelta(minutes=minutes), probe))
    return events


def seed_events(
    events: list[Event], components: dict[str, int], names: dict[str, str]
) -> dict[str, int]:
    """Insert the incidents, their updates, affected components and component changes."""
    rng = random.Random(SEED + 1)
    incidents, updates_of = [], []
    for event in events:
        name = title = names[event.component]
        if event.kind == "maintenance":
            scheduled_at = event.start - timedelta(days=2)
            row = dict(
                code=new_code(),
                kind="maintenance",
                name=f"Planned maintenance of {title}",
                status="completed",
                impact="maintenance",
                automatic=False,
                started_at=event.start,
                resolved_at=event.end,
                scheduled_for=event.start,
                scheduled_until=event.end,
                created_at=scheduled_at,
                updated_at=event.end,
            )
            texts = [
                ("scheduled", "We will upgrade the database; expect short interruptions.", None),
                ("in_progress", "Scheduled maintenance is currently in progress.", None),
                ("completed", "The scheduled maintenance has been completed.", None),
            ]
            times = [scheduled_at, event.start, event.end]
        elif event.kind == "automatic":
            row = dict(
                code=new_code(),
                kind="incident",
                name=f"{event.status.replace('_', ' ').capitalize()} of {title}",
                status="resolved",
                impact="major" if event.status == ComponentStatus.MAJOR_OUTAGE else "minor",
                automatic=True,
                started_at=event.start,
                resolved_at=event.end,
                created_at=event.start,
                updated_at=event.end,
            )
            texts = [
                (
                    "investigating",
                    f"Automated checks of {title} have been failing since"
                    f" {event.start:%H:%M} UTC: {event.probe_key} answered HTTP 503 (3 of 3).",
                    event.status,
                ),
                ("resolved", f"{title} has been working normally since {event.end:%H:%M} UTC.", 1),
            ]
            times = [event.start, event.end]
        else:
            postmortem = rng.random() < 0.2
            row = dict(
                code=new_code(),
                kind="incident",
                name=f"Errors for some users of {title}",
                status="postmortem" if postmortem else "resolved",
                impact="major" if event.status == ComponentStatus.MAJOR_OUTAGE else "minor",
                automatic=False,
                started_at=event.start,
                monitoring_at=event.start + (event.end - event.start) * 0.7,
                resolved_at=event.end,
                postmortem=("## What happened\n\n" + WORDS.format(name=name) * 4)
                if postmortem
                else None,
                postmortem_at=event.end + timedelta(days=2) if postmortem else None,
                created_at=event.start,
                updated_at=event.end + timedelta(days=2) if postmortem else event.end,
            )
            texts = [
                (status, body.format(name=name), event.status if n == 0 else 1 if n == 3 else None)
                for n, (status, body) in enumerate(STAFF_UPDATES)
            ]
            span = event.end - event.start
            times = [event.start, event.start + span * 0.3, event.start + span * 0.7, event.end]
        incidents.append(row)
        updates_of.append(list(zip(texts, times, strict=True)))

    insert_rows(Incident, incidents)
    ids = dict(db.session.execute(db.select(Incident.code, Incident.id)).all())
    updates, affected, changes_for = [], [], []
    for event, row, timeline in zip(events, incidents, updates_of, strict=True):
        event.id = ids[row["code"]]
        component_id = components[event.component]
        affected.append(
            dict(incident_id=event.id, component_id=component_id, status=event.status.value)
        )
        for (status, body, change), at in timeline:
            code = new_code()
            updates.append(
                dict(
                    code=code,
                    incident_id=event.id,
                    status=status,
                    body=body,
                    author=None if event.kind == "automatic" else "oncall@capgo.app",
                    created_at=at,
                    display_at=at,
                    deliver_notifications=event.kind == "staff",
                )
            )
            if change is not None and event.kind != "maintenance":
                old, new = (
                    ("operational", event.status.value)
                    if change != 1
                    else (event.status.value, "operational")
                )
                changes_for.append((code, component_id, old, new))
    insert_rows(IncidentUpdate, updates)
    insert_rows(AffectedComponent, affected)
    update_ids = dict(db.session.execute(db.select(IncidentUpdate.code, IncidentUpdate.id)).all())
    insert_rows(
        UpdateComponentChange,
        [
            dict(update_id=update_ids[code], component_id=c, old_status=old, new_status=new)
            for code, c, old, new in changes_for
        ],
    )
    return {"incidents": len(incidents), "updates": len(updates)}


def history_of(
    events: list[Event], components: dict[str, int], start: datetime
) -> dict[int, list[tuple[datetime, ComponentStatus]]]:
    """Return each component's status history: operational from `start`, then the events."""
    history = {
        component_id: [(start, ComponentStatus.OPERATIONAL)] for component_id in components.values()
    }
    for event in events:
        changes = history[components[event.component]]
        changes.append((event.start, event.status))
        changes.append((event.end, ComponentStatus.OPERATIONAL))
    return history


def seed_status_history(
    events: list[Event],
    history: dict[int, list[tuple[datetime, ComponentStatus]]],
    components: dict[str, int],
) -> int:
    """Insert the status history, each change with its cause."""
    cause_of = {"automatic": "probe", "staff": "incident", "maintenance": "maintenance"}
    incident_at = {}
    for event in events:
        cause = cause_of[event.kind]
        incident_at[(components[event.component], event.start)] = (cause, event.id)
        incident_at[(components[event.component], event.end)] = (cause, event.id)
    rows = []
    for component_id, changes in history.items():
        for at, status in changes:
            cause, incident_id = incident_at.get((component_id, at), ("probe", None))
            rows.append(
                dict(
                    component_id=component_id,
                    status=status.value,
                    at=at,
                    cause=cause,
                    incident_id=incident_id,
                    overridden=False,
                )
            )
    rows.sort(key=lambda row: row["at"])
    return insert_rows(StatusChange, rows)


def seed_component_days(
    history: dict[int, list[tuple[datetime, ComponentStatus]]], first: date, last: date
) -> int:
    """Insert daily figures computed by the site's own rule from the status history."""
    rows = []
    for component_id, changes in history.items():
        day = first
        while day <= last:
            start, end = day_bounds(day, UTC)
            minutes = minutes_by_status(changes, start, end)
            rows.append(
                {"component_id": component_id, "day": day}
                | {
                    column: minutes.get(status, 0.0)
                    for status, column in COMPONENT_DAY_COLUMNS.items()
                }
            )
            day += timedelta(days=1)
    return insert_rows(ComponentDay, rows)


def failing(events: list[Event]) -> dict[str, list[tuple[datetime, datetime]]]:
    """Return, per probe, when it was failing (the automatic incidents' windows)."""
    windows: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for event in events:
        if event.probe_key:
            windows[event.probe_key].append((event.start, event.end))
    return windows


def latency(rng: random.Random, index: int) -> float:
    """Return a plausible latency: a per-probe base, jitter, and a rare slow tail."""
    value = 60 + 15 * index + rng.expovariate(1 / 25)
    return round(value * (8 if rng.random() < 0.002 else 1), 1)


def raw_rows(
    config: StatusConfig,
    components: dict[str, int],
    windows: dict[str, list[tuple[datetime, datetime]]],
    first: datetime,
    last: datetime,
) -> Iterator[dict[str, Any]]:
    """Yield one result per probe per minute in [first, last)."""
    rng = random.Random(SEED + 2)
    probes = [p for p in config.probes if not p.requires_env]
    offsets = [rng.randint(0, 59) for _ in probes]
    minute = first
    while minute < last:
        for index, probe in enumerate(probes):
            at = minute + timedelta(seconds=offsets[index])
            down = any(s <= at < e for s, e in windows.get(probe.key, ()))
            yield {
                "result_id": f"{rng.getrandbits(128):032x}",  # like uuid4().hex
                "probe_key": probe.key,
                "component_id": components[probe.component],
                "location": LOCATION,
                "started_at": at,
                "latency_ms": None if down else latency(rng, index),
                "outcome": "down" if down else "up",
                "http_status": 503 if down else 200,
                "reason": "HTTP 503, expected 200" if down else "",
            }
        minute += timedelta(minutes=1)


def rollup_rows(
    config: StatusConfig,
    components: dict[str, int],
    windows: dict[str, list[tuple[datetime, datetime]]],
    first: date,
    last: date,
) -> Iterator[dict[str, Any]]:
    """Yield daily rollups (made up, consistent with the events; roll_up redoes the last days)."""
    rng = random.Random(SEED + 3)
    probes = [p for p in config.probes if not p.requires_env]
    day = first
    while day <= last:
        start, end = day_bounds(day, UTC)
        for index, probe in enumerate(probes):
            down = sum(
                (min(e, end) - max(s, start)).total_seconds() // 60
                for s, e in windows.get(probe.key, ())
                if s < end and e > start
            )
            sample = [latency(rng, index) for _ in range(60)]
            p50, p95 = latency_percentiles(sample) or (None, None)
            yield {
                "probe_key": probe.key,
                "component_id": components[probe.component],
                "location": LOCATION,
                "day": day,
                "checks": 1440,
                "down": int(down),
                "degraded": 0,
                "latency_p50": p50,
                "latency_p95": p95,
                "latency_max": max(sample),
            }
        day += timedelta(days=1)


def seed_live(config: StatusConfig, now: datetime) -> None:
    """Bring the present through the site's own code: results, incidents, maintenance, rollups."""
    seed_present(config, now, location=LOCATION, minutes=LIVE_MINUTES)
    roll_up(now)
    roll_up_days(config, now)


def seed_history(
    app: Flask, events: list[Event], start: datetime, now: datetime, raw_days: int
) -> dict[str, int]:
    """Seed history from `start` to `now` on the app's (migrated, synced) database."""
    config: StatusConfig = app.config["STATUS"]
    with app.app_context():
        live_start = now - timedelta(minutes=LIVE_MINUTES)
        components = dict(
            db.session.execute(
                db.select(Component.slug, Component.id).where(Component.is_group.is_(False))
            ).all()
        )
        names = {c.slug: c.name for c in config.components}
        made = seed_events(events, components, names)
        history = history_of(events, components, start)
        made["status changes"] = seed_status_history(events, history, components)
        # The last two days are computed by roll_up_days / roll_up from the raw results.
        until = now.date() - timedelta(days=2)
        made["component days"] = seed_component_days(history, start.date(), until)
        windows = failing(events)
        made["probe rollups"] = insert_rows(
            ProbeRollup, rollup_rows(config, components, windows, start.date(), until)
        )
        db.session.commit()
        raw_first = max(start, (now - timedelta(days=raw_days)).replace(hour=0, minute=0))
        made["raw results"] = insert_rows(
            ProbeResult, raw_rows(config, components, windows, raw_first, live_start)
        )
        db.session.commit()
        seed_live(config, now)
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    return made


# ---------------------------------------------------------------------------------------
# Timing


class StatementLog:
    """Record every SQL statement an engine runs, grouped by its normalised text."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.calls: dict[str, int] = defaultdict(int)
        self.example: dict[str, tuple[str, Any]] = {}
        self.active = False
        sa_event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            key = normalise(statement)
            self.calls[key] += 1
            self.example.setdefault(key, (statement, parameters))

    def reset(self) -> None:
        self.calls.clear()
        self.example.clear()

    def close(self) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._record)


def normalise(statement: str) -> str:
    """Collapse IN lists of placeholders and whitespace, so one query is one entry."""
    statement = re.sub(r"\(\?(?:, \?)*\)", "(?...)", statement)
    return " ".join(statement.split())


def replay_ms(app: Flask, statement: str, parameters: Any) -> float:
    """Return how long SQLite takes to run a statement and fetch every row (best of 5).

    Timing the statements where the app runs them would miss most of the work: SQLite finds
    rows while they are fetched, and the ORM fetches as it builds objects.
    """
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            best = float("inf")
            for _ in range(REPLAYS):
                start = time.perf_counter()
                connection.cursor().execute(statement, parameters).fetchall()
                best = min(best, time.perf_counter() - start)
            return best * 1000
        finally:
            connection.close()


@dataclass
class Timing:
    """One route on one database."""

    uncached_cpu_ms: float
    uncached_wall_ms: float
    cached_cpu_us: float
    cached_wall_us: float
    sql_ms: float  # SQLite's time per uncached request: every statement run and fetched
    statements: dict[str, tuple[float, float]]  # per statement: calls per request, ms each
    example: dict[str, tuple[str, Any]]  # per statement: one text and its parameters
    size_kib: float


def time_routes(app: Flask) -> dict[str, Timing]:
    """Time each route uncached and cached on one app; replay its SQL to time SQLite alone."""
    client = app.test_client()
    cache = app.extensions["response_cache"]
    with app.app_context():
        log = StatementLog(db.engine)
    result = {}
    for route in ROUTES:
        cpu, wall = [], []
        log.reset()
        for run in range(UNCACHED_RUNS + 1):
            cache.clear()
            log.active = run > 0  # the first run warms imports and SQLite's page cache
            c0, w0 = time.process_time(), time.perf_counter()
            response = client.get(route)
            c1, w1 = time.process_time(), time.perf_counter()
            if response.status_code != 200:
                raise RuntimeError(f"{route} answered {response.status_code}")
            if run:
                cpu.append(c1 - c0)
                wall.append(w1 - w0)
        log.active = False
        size = len(response.data) / 1024
        statements = {
            key: (calls / UNCACHED_RUNS, replay_ms(app, *log.example[key]))
            for key, calls in log.calls.items()
            if key.startswith("SELECT")
        }
        cached_cpu, cached_wall = [], []
        client.get(route)
        for _ in range(CACHED_RUNS):
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(route)
            cached_cpu.append(time.process_time() - c0)
            cached_wall.append(time.perf_counter() - w0)
        result[route] = Timing(
            uncached_cpu_ms=statistics.median(cpu) * 1000,
            uncached_wall_ms=statistics.median(wall) * 1000,
            cached_cpu_us=statistics.median(cached_cpu) * 1e6,
            cached_wall_us=statistics.median(cached_wall) * 1e6,
            sql_ms=sum(calls * ms for calls, ms in statements.values()),
            statements=statements,
            example=dict(log.example),
            size_kib=size,
        )
    log.close()
    return result


def explain(app: Flask, statement: str, parameters: Any) -> list[str]:
    """Return SQLite's query plan for one statement, one line per step."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            rows = connection.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[3] for row in rows.fetchall()]
        finally:
            connection.close()


def diagnose(app: Flask, route: str, empty: Timing, full: Timing) -> None:
    """Print the statements that grew most for a route over target, with their plans."""
    before = {key: calls * ms for key, (calls, ms) in empty.statements.items()}
    grown = sorted(
        (
            (calls * ms - before.get(key, 0.0), calls, calls * ms, key)
            for key, (calls, ms) in full.statements.items()
        ),
        reverse=True,
    )
    print("    SQL statements that grew most (ms per request, one year vs empty; SQLite's plan):")
    for growth, calls, ms, key in grown[:5]:
        if growth <= 0.03:
            break
        print(f"      +{growth:.2f} ms ({ms:.2f} ms in {calls:g} call(s)): {key[:300]}")
        statement, parameters = full.example[key]
        for step in explain(app, statement, parameters):
            print(f"          plan: {step}")


def attribute(app: Flask, route: str, runs: int = PROFILE_RUNS) -> None:
    """Print where an uncached request spends its time, from a cProfile of a few runs.

    Cumulative times, so nested functions overlap (read it as a call tree); the profiler
    roughly doubles Python-heavy times, so compare the rows with each other.
    """
    client = app.test_client()
    cache = app.extensions["response_cache"]
    profiler = cProfile.Profile()
    for _ in range(runs):
        cache.clear()
        profiler.enable()
        client.get(route)
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in stats.values()) / runs * 1000
    rows: dict[str, float] = defaultdict(float)
    for (filename, line, name), (_, _, _, cumulative, _) in stats.items():
        label = None
        if f"{os.sep}statuspage{os.sep}" in filename and "site-packages" not in filename:
            label = f"{Path(filename).relative_to(ROOT)}:{line} {name}"
        elif filename.endswith(f"orm{os.sep}loading.py") and name == "instances":
            label = "  sqlalchemy: turning rows into ORM objects (loading.instances)"
        elif name == "<method 'execute' of 'sqlite3.Cursor' objects>":
            label = "  sqlite3: executing SQL (Cursor.execute)"
        elif filename.endswith(f"jinja2{os.sep}environment.py") and name == "render":
            label = "  jinja2: rendering templates (Template.render)"
        elif filename.endswith(f"markdown{os.sep}core.py") and name == "convert":
            label = "  markdown: converting update bodies (Markdown.convert)"
        elif filename.endswith(f"feedgen{os.sep}feed.py") and name in ("atom_str", "_create_atom"):
            label = f"  feedgen: writing the feed ({name})"
        if label:
            rows[label] += cumulative / runs * 1000
    print(f"    where the time goes (cProfile, {runs} uncached requests, {total:.1f} ms each):")
    for label, ms in sorted(rows.items(), key=lambda item: -item[1])[:14]:
        print(f"      {ms:7.1f} ms  {label}")


def db_size(path: Path) -> int:
    """Return the size of a SQLite database with its WAL and shared-memory files."""
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def main() -> int:
    """Seed, time, compare and print; return 0 when every route is within the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--raw-days",
        type=int,
        default=None,
        help="days of raw results to seed (default: the config's [retention] raw_days)",
    )
    parser.add_argument(
        "--recent-days",
        type=int,
        default=RECENT_DAYS,
        help=f"days of history the control holds (default {RECENT_DAYS}; 7 compares a week)",
    )
    args = parser.parse_args()
    recent_days = args.recent_days
    # On SIGTERM, unwind like Ctrl-C does, so the temporary databases are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="statuspage-history-") as folder:
        tmp = Path(folder)
        paths = {name: tmp / f"{name}.db" for name in ("empty", "recent", "year")}
        apps = {}
        for name, path in paths.items():
            upgrade_database(f"sqlite:///{path}")
            apps[name] = build_app(f"sqlite:///{path}")
        config: StatusConfig = apps["year"].config["STATUS"]
        raw_days = args.raw_days or config.raw_days
        if not 1 <= raw_days <= DAYS:
            parser.error(f"--raw-days must be from 1 to {DAYS}")
        probes = [p for p in config.probes if not p.requires_env]
        kept = (
            "the retention: older ones are pruned hourly"
            if raw_days == config.raw_days
            else "more than the retention keeps"
        )
        print(
            f"history: {len(probes)} probes (of {len(config.probes)}; the rest need secrets),"
            f" 1 location, one result per probe per minute; {DAYS} days of daily rollups,"
            f" daily figures and status history; raw results for the last {raw_days} days"
            f" ({kept}); {EVENTS} incidents and maintenances"
        )

        now = utcnow().replace(second=0, microsecond=0)
        year_start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0)
        recent_start = (now - timedelta(days=recent_days)).replace(hour=0, minute=0)
        # Events end two hours before now: the present belongs to the engine.
        events = plan_events(config, year_start + timedelta(hours=1), now - timedelta(hours=2))
        recent = [replace(e) for e in events if e.start >= recent_start + timedelta(hours=1)]
        for name, start, chosen in (("year", year_start, events), ("recent", recent_start, recent)):
            began = time.monotonic()
            made = seed_history(apps[name], chosen, start, now, raw_days)
            took = time.monotonic() - began
            print(
                f"seeded {name} ({(now - start).days} days) in {took:.1f} s: "
                + ", ".join(f"{n:,} {what}" for what, n in made.items())
            )
        with apps["year"].app_context():
            counts = {
                model.__tablename__: db.session.execute(
                    db.select(func.count()).select_from(model)
                ).scalar_one()
                for model in (ProbeResult, ProbeRollup, ComponentDay, StatusChange, Incident)
            }
        print("year rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
        print(
            "database size: "
            + ", ".join(f"{name} {db_size(path) / 2**20:.2f} MiB" for name, path in paths.items())
        )

        timings = {name: time_routes(app) for name, app in apps.items()}
        empty, last90, full = timings["empty"], timings["recent"], timings["year"]
        print(
            f"median CPU time per request (ms; wall in brackets), {UNCACHED_RUNS} uncached"
            f" requests (cache cleared before each) and {CACHED_RUNS} cached, test client:"
        )
        print(
            f"  {'route':<25} {'empty':>15} {f'{recent_days} days':>15} {'one year':>15}"
            f" {'year/empty':>10} {f'year/{recent_days}d':>8} {'SQL ms e/r/y':>17}"
            f" {'cached us e/y':>14} {'KiB e/y':>11}"
        )
        over = []
        for route in ROUTES:
            e, r, f = empty[route], last90[route], full[route]
            ratio = f.uncached_cpu_ms / e.uncached_cpu_ms
            if ratio > TARGET:
                over.append(route)
            print(
                f"  {route:<25}"
                + "".join(
                    f" {t.uncached_cpu_ms:>6.2f} ({t.uncached_wall_ms:>6.2f})" for t in (e, r, f)
                )
                + f" {ratio:>9.2f}x {f.uncached_cpu_ms / r.uncached_cpu_ms:>7.2f}x"
                f" {e.sql_ms:>5.2f}/{r.sql_ms:>5.2f}/{f.sql_ms:>5.2f}"
                f" {e.cached_cpu_us:>6.0f}/{f.cached_cpu_us:>6.0f}"
                f" {e.size_kib:>5.1f}/{f.size_kib:>5.1f}"
                f"  {'OVER' if ratio > TARGET else 'ok'}"
            )
        if over:
            print(f"routes over {TARGET}x the empty database:")
            for route in over:
                print(f"  {route}")
                diagnose(apps["year"], route, empty[route], full[route])
                attribute(apps["year"], route)
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    verdict = "met" if not over else f"MISSED on {', '.join(over)}"
    print(f"target (one year <= {TARGET}x the empty database, uncached, every route): {verdict}")
    return 0 if not over else 1


if __name__ == "__main__":
    sys.exit(main())
