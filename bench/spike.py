"""Benchmark a traffic spike on the production server (contacts 127.0.0.1 only).

Run from the repository root: ``.venv/bin/python bench/spike.py`` (about a minute)

Builds a fresh SQLite database in a temporary folder (``statuspage db upgrade``), seeds a
realistic state through the site's own code (recent probe results with one failing probe and
its automatic incident, an unresolved staff incident, past incidents with their timelines, a
completed and an upcoming maintenance, 90 days of daily figures), starts the production
command from the README, ``gunicorn wsgi:app``, on 127.0.0.1, and points ``wrk`` at it: 64
keep-alive connections for 10 s on each of ``/``, ``/api/v2/summary.json``, ``/history.atom``
and, as the ceiling, the static file ``/static/style.css`` served by the same server. For each:
requests/s, p50 and p99 latency, errors (non-2xx/3xx answers and socket errors) and the ratio
to the static ceiling. Target: ``/`` and ``summary.json`` each at least 0.5x the ceiling, with
no errors. The server is always stopped at the end, and the temporary folder removed.

Options: ``--workers N``, ``--worker-class sync|gthread``, ``--threads N`` pick the gunicorn
settings (default: the ones the README should recommend, see DEFAULT_*); ``--compare`` runs
the routes under several settings in turn; ``--profile`` also profiles cached requests
in-process (cProfile, no server) and prints where their time goes; ``--duration S`` changes
the 10 s per route.

Needs wrk (a C load generator, so it takes little CPU from the server on 2 cores):
``apt-get install -y wrk`` on Debian or Ubuntu.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent  # the venv's gunicorn and statuspage live beside its python

HOST = "127.0.0.1"
CONNECTIONS = 64
DURATION_S = 10
WARMUP_S = 2
STATIC = "/static/style.css"
ROUTES = ["/", "/api/v2/summary.json", "/history.atom"]
TARGET_ROUTES = ("/", "/api/v2/summary.json")
TARGET_RATIO = 0.5
# The README's production settings on 2 cores: two processes per core, so one waiting on
# SQLite or a slow client never idles a core; gthread, because sync workers close every
# connection (no keep-alive); two threads each, because more threads mostly add GIL contention.
DEFAULT_WORKERS = 4
DEFAULT_CLASS = "gthread"
DEFAULT_THREADS = 2
COMPARE = [("sync", 4, 1), ("gthread", 4, 1), ("gthread", 4, 4), ("gthread", 2, 4)]
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
PROFILE_REQUESTS = 2000

# wrk calls done() once at the end; printing one JSON line beats parsing its report.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,'
    .. '"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# ---------------------------------------------------------------------------------------
# The database: migrated by the real command, seeded through the site's own code.


def upgrade_database(env: dict[str, str]) -> None:
    """Create the schema with `statuspage db upgrade`, as a deploy does."""
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


def seed(env: dict[str, str]) -> dict[str, int]:
    """Seed a realistic state through the engine and staff functions; return what was made."""
    os.environ.update(env)
    from sqlalchemy import func, insert

    from bench.seed import seed_present
    from statuspage import create_app
    from statuspage.engine import advance_maintenances, roll_up
    from statuspage.staff import Actor, create_incident, post_update, schedule_maintenance
    from statuspage.store.db import db, utcnow
    from statuspage.store.models import Component, ComponentDay, Incident, IncidentUpdate

    app = create_app()
    config = app.config["STATUS"]
    staff = Actor("oncall@capgo.app")
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        # Past incidents, oldest first, each with a timeline written at its own times.
        slugs = [c.slug for c in config.components]
        for n in range(8):
            began = now - timedelta(days=80 - n * 10, hours=n)
            slug = slugs[n % len(slugs)]
            incident = create_incident(
                staff,
                config,
                began,
                name=f"Elevated errors on {slug.replace('-', ' ')} ({n + 1})",
                status="investigating",
                body="We are investigating reports of **errors** for some users.",
                components={slug: "partial_outage"},
            )
            post_update(
                staff,
                config,
                began + timedelta(minutes=20),
                incident,
                status="identified",
                body="A bad deploy of the regional workers is the cause; rolling back.",
            )
            post_update(
                staff,
                config,
                began + timedelta(minutes=50),
                incident,
                status="monitoring",
                body="The rollback is complete; we are watching error rates.",
                components={slug: "operational"},
            )
            post_update(
                staff,
                config,
                began + timedelta(minutes=80),
                incident,
                status="resolved",
                body="Error rates are back to normal. A postmortem will follow.",
            )
        # A maintenance that ran ten days ago, moved along by the clock as the probe process does.
        window = now - timedelta(days=10)
        schedule_maintenance(
            staff,
            config,
            window - timedelta(days=2),
            name="Database upgrade",
            scheduled_for=window,
            scheduled_until=window + timedelta(hours=1),
            components=["app-management"],
            body="We will upgrade the primary database; the console may be read-only.",
        )
        advance_maintenances(config, window + timedelta(minutes=1))
        advance_maintenances(config, window + timedelta(hours=1, minutes=1))

        # The present: recent results (one probe failing), an open staff incident and a
        # maintenance that is due.
        seed_present(config, now, location="eu-west")
        roll_up(now)

        # 90 days of daily figures, as the rollup leaves them (a few minutes down on some days).
        today = now.date()
        components = db.session.execute(
            db.select(Component.id).where(Component.is_group.is_(False))
        ).scalars()
        rows = []
        for component_id in components:
            for back in range(90):
                day: date = today - timedelta(days=back)
                down = 12.0 if (back + component_id) % 17 == 0 else 0.0
                rows.append(
                    {
                        "component_id": component_id,
                        "day": day,
                        "operational_min": 1440.0 - down,
                        "partial_min": down,
                    }
                )
        db.session.execute(insert(ComponentDay), rows)
        db.session.commit()
        made = {
            "incidents": db.session.execute(
                db.select(func.count()).select_from(Incident).where(Incident.kind == "incident")
            ).scalar_one(),
            "maintenances": db.session.execute(
                db.select(func.count()).select_from(Incident).where(Incident.kind == "maintenance")
            ).scalar_one(),
            "updates": db.session.execute(
                db.select(func.count()).select_from(IncidentUpdate)
            ).scalar_one(),
            "unresolved": db.session.execute(
                db.select(func.count())
                .select_from(Incident)
                .where(
                    Incident.kind == "incident",
                    Incident.status.in_(("investigating", "identified", "monitoring")),
                )
            ).scalar_one(),
        }
        db.session.remove()
        db.engine.dispose()
    return made


# ---------------------------------------------------------------------------------------
# The server: gunicorn in its own process group, always stopped.


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: where it answers, and the pid of its master."""

    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """Return the CPU time the master and its live workers have used so far.

        Read from /proc, so it counts the server alone, whatever else runs on the machine.
        """
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            pid, ppid = int(entry.name), int(fields[1])
            if pid == self.pid or ppid == self.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return total


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    log_path: Path,
    worker_class: str,
    workers: int,
    threads: int,
    app: str = "wsgi:app",
) -> Iterator[Server]:
    """Run `gunicorn wsgi:app` on 127.0.0.1 and yield it; stop it on the way out."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--bind",
        f"{HOST}:{port}",
        # gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default: this
        # throwaway server needs none, and must not take the path from a real one.
        "--no-control-socket",
        app,
    ]
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        base = f"http://{HOST}:{port}"
        wait_until_serving(server, base + STATIC, log_path)
        yield Server(base, server.pid)
    finally:
        stop(server)


def wait_until_serving(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    """Poll a URL until it answers 200, the server dies, or START_TIMEOUT_S passes."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_S} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn (SIGTERM to the group it leads, SIGKILL if it lingers)."""
    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=STOP_TIMEOUT_S)


# ---------------------------------------------------------------------------------------
# Load: wrk, one route at a time.


@dataclass
class Figures:
    """What one wrk run measured."""

    route: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_detail: str
    kib_per_request: float
    wrk_cpu: float  # wrk's CPU seconds per wall second (1.0 = one whole core)
    server_us: float  # the server's CPU time per request, in microseconds


def run_wrk(script: Path, server: Server, route: str, duration_s: float) -> Figures:
    """Load one URL with CONNECTIONS keep-alive connections for duration_s seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server.cpu_seconds()
    done = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{duration_s:g}s",
            "--timeout",
            "5s",
            "--script",
            str(script),
            server.base + route,
        ],
        capture_output=True,
        text=True,
        timeout=duration_s + 60,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = server.cpu_seconds() - server_before
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["duration_us"] / 1e6
    kinds = ("status", "connect", "read", "write", "timeout")
    errors = sum(data[k] for k in kinds)
    detail = ", ".join(f"{data[k]} {k}" for k in kinds if data[k]) or "none"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Figures(
        route=route,
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        error_detail=detail,
        kib_per_request=data["bytes"] / max(data["requests"], 1) / 1024,
        wrk_cpu=cpu / seconds,
        server_us=server_cpu / max(data["requests"], 1) * 1e6,
    )


def load_routes(server: Server, script: Path, duration_s: float) -> list[Figures]:
    """Warm up, then measure the static ceiling and each route in turn."""
    figures = []
    for route in [STATIC, *ROUTES]:
        run_wrk(script, server, route, WARMUP_S)  # fill every worker's cache, load lazy imports
        figures.append(run_wrk(script, server, route, duration_s))
    return figures


def report(figures: list[Figures]) -> bool:
    """Print one line per route; return True when the targets are met."""
    ceiling, ceiling_us = figures[0].rps, figures[0].server_us
    print(
        f"    {'route':<22} {'req/s':>7} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'KiB/req':>7} {'server CPU/req':>14} {'wrk CPU':>7}  errors"
    )
    met = True
    for f in figures:
        ratio = f.rps / ceiling if ceiling else 0.0
        note = ""
        if f.route in TARGET_ROUTES:
            ok = ratio >= TARGET_RATIO and f.errors == 0
            met &= ok
            note = f"  target >= {TARGET_RATIO}x, no errors: {'met' if ok else 'MISSED'}"
        elif f.route == STATIC:
            note = "  the ceiling"
        cpu = f"{f.server_us:,.0f} us {ceiling_us / f.server_us if f.server_us else 0:.2f}x"
        print(
            f"    {f.route:<22} {f.rps:>7.0f} {ratio:>5.2f}x {f.p50_ms:>7.1f} {f.p99_ms:>7.1f}"
            f" {f.kib_per_request:>7.1f} {cpu:>14} {f.wrk_cpu:>7.0%}  {f.error_detail}{note}"
        )
        met &= f.errors == 0
    return met


# ---------------------------------------------------------------------------------------
# Profile: where a cached request spends its time, in-process, without a server.


def profile_cached(env: dict[str, str]) -> None:
    """Time the parts of a cached request (CPU time, WSGI, no server), then profile one."""
    os.environ.update(env)
    from werkzeug.test import EnvironBuilder

    from statuspage import create_app
    from statuspage.web import caching

    app = create_app()
    environ = EnvironBuilder(path="/", base_url=f"http://{HOST}/").get_environ()

    def call(path: str) -> None:
        body = app.wsgi_app(dict(environ, PATH_INFO=path), lambda *args: None)
        try:
            b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()

    def cost_us(work, count: int = PROFILE_REQUESTS) -> float:
        work()  # the first call may fill the cache
        start = time.process_time()
        for _ in range(count):
            work()
        return (time.process_time() - start) / count * 1e6

    print(f"  CPU time per request through app.wsgi_app, mean of {PROFILE_REQUESTS}:")
    static_us = cost_us(lambda: call(STATIC))
    print(f"    {STATIC:<40} {static_us:>6.0f} us")
    for route in TARGET_ROUTES:
        print(f"    {route + ' (cached)':<40} {cost_us(lambda r=route: call(r)):>6.0f} us")
    with app.test_request_context("/"):
        version = caching.site_version()
        print(f"    {'caching.site_version() alone':<40} {cost_us(caching.site_version):>6.0f} us")
    real = caching.site_version
    caching.site_version = lambda: version  # as if the version were known without a query
    try:
        stubbed = cost_us(lambda: call("/"))
    finally:
        caching.site_version = real
    print(f"    {'/ (cached), site_version() not queried':<40} {stubbed:>6.0f} us")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_REQUESTS):
        call("/")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(22)
    table = out.getvalue().split("   ncalls", 1)[-1]
    table = table.replace(str(BIN.parent.parent) + os.sep, "").replace(str(ROOT) + os.sep, "")
    print(f"  cProfile of {PROFILE_REQUESTS} cached requests of /, by cumulative time:")
    print("       ncalls" + table.rstrip().replace("\n", "\n    "))


# ---------------------------------------------------------------------------------------


def main() -> int:
    """Seed, serve, load every route, print the figures; return 0 when the target is met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default=DEFAULT_CLASS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds per route")
    parser.add_argument("--compare", action="store_true", help="also try other settings")
    parser.add_argument("--profile", action="store_true", help="profile cached requests")
    args = parser.parse_args()
    # On SIGTERM, unwind like Ctrl-C does, so the server is stopped and the folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not 1 <= args.duration <= 60 or not 1 <= args.workers <= 16 or not 1 <= args.threads <= 64:
        parser.error("keep --duration within 1..60, --workers 1..16 and --threads 1..64")
    if shutil.which("wrk") is None:
        print(
            "bench/spike.py needs wrk, a C HTTP load generator: install it with"
            " `apt-get install -y wrk` (Debian/Ubuntu), then run this again.",
            file=sys.stderr,
        )
        return 2
    if not (BIN / "gunicorn").exists():
        print(
            f"bench/spike.py needs gunicorn beside {sys.executable}:"
            f" `{BIN / 'python'} -m pip install gunicorn`",
            file=sys.stderr,
        )
        return 2

    settings = [(args.worker_class, args.workers, args.threads)]
    if args.compare:
        settings += [s for s in COMPARE if s not in settings]
    with tempfile.TemporaryDirectory(prefix="statuspage-spike-") as folder:
        tmp = Path(folder)
        env = dict(os.environ)
        env.update(
            STATUSPAGE_DATABASE_URL=f"sqlite:///{tmp / 'statuspage.db'}",
            STATUSPAGE_SECRET_KEY=secrets.token_hex(32),
            STATUSPAGE_LOCATION="eu-west",
        )
        env.pop("CAPGO_API_KEY", None)
        script = tmp / "report.lua"
        script.write_text(WRK_SCRIPT)

        started = time.monotonic()
        upgrade_database(env)
        made = seed(env)
        print(
            f"spike: fresh SQLite database seeded in {time.monotonic() - started:.1f} s:"
            f" {made['incidents']} incidents ({made['unresolved']} unresolved),"
            f" {made['maintenances']} maintenances, {made['updates']} updates."
        )
        print(
            f"wrk: 1 thread, {CONNECTIONS} keep-alive connections, {args.duration:g} s per route"
            f" after a {WARMUP_S} s warm-up; {os.cpu_count()} CPUs, load average"
            f" {os.getloadavg()[0]:.2f} before"
        )
        met_default = True
        for number, (worker_class, workers, threads) in enumerate(settings):
            label = f"gunicorn --workers {workers} --worker-class {worker_class}"
            if worker_class == "gthread":
                label += f" --threads {threads}"
            print(f"{label} --bind 127.0.0.1:PORT wsgi:app")
            log_path = tmp / f"gunicorn-{number}.log"
            with gunicorn(env, log_path, worker_class, workers, threads) as server:
                met = report(load_routes(server, script, args.duration))
            if number == 0:
                met_default = met
        print(
            f"    (ratio: req/s over the static file's; server CPU/req: the gunicorn processes'"
            f" CPU time per request and the static file's over it; load average"
            f" {os.getloadavg()[0]:.2f} after)"
        )
        if args.profile:
            print("profile of cached requests (in-process, same database, no server):")
            profile_cached(env)
    verdict = "met" if met_default else "MISSED"
    print(f"target (/ and summary.json >= {TARGET_RATIO}x the static file, no errors): {verdict}")
    return 0 if met_default else 1


if __name__ == "__main__":
    sys.exit(main())
