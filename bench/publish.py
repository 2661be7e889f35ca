"""Benchmark the published site behind nginx against gunicorn alone (contacts 127.0.0.1 only).

Run from the repository root: ``.venv/bin/python bench/publish.py`` (about five minutes)

Builds a fresh SQLite database (``statuspage db upgrade``) seeded as ``bench/spike.py`` does
(past incidents with timelines, an automatic and a staff incident open, maintenances, 90 days
of daily figures), then runs the production stack on loopback: gunicorn (the README's
command), the probe process with STATUSPAGE_PUBLISH_DIR (its probes pointed at a loopback
stand-in) and nginx with ``deploy/nginx.conf`` over the published tree. wrk, 64 keep-alive
connections, measures:

- the ceiling: nginx serving a plain file of the same size as each route's file;
- ``/`` and ``/api/v2/summary.json`` through nginx, and through gunicorn alone;
- ``/?utm_source=<random per request>`` through gunicorn, against plain ``/``;
- freshness: from an API write (through nginx) to the change visible through nginx, 20 writes;
- reads of ``/`` while 8 API writes a second go on, through gunicorn and through nginx,
  against the same reads with no writes (timeouts counted).

Every process is stopped at the end and the temporary folder removed. ``--duration S``
changes the 10 s per measure. Needs wrk and nginx (Debian: ``apt-get install -y wrk nginx-light``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.spike import WRK_SCRIPT, Figures, Server, run_wrk, seed, upgrade_database  # noqa: E402
from tests.nginx import stack  # noqa: E402
from tests.standin import CapgoStandIn  # noqa: E402

DURATION_S = 10
WARMUP_S = 2
FRESHNESS_WRITES = 20
WRITES_PER_S = 8
TARGET_RATIO = 0.8
RANDOM_QUERY = (
    "request = function()\n"
    '  return wrk.format("GET", "/?utm_source=" .. math.random(1, 1000000000))\n'
    "end\n"
)


def loopback_config(work: Path, base: str) -> Path:
    """Copy content/status.toml with every probe pointed at the loopback stand-in."""
    text = (ROOT / "content" / "status.toml").read_text()
    text = re.sub(r'^url = "https://[^"]+"', f'url = "{base}/ok"', text, flags=re.M)
    path = work / "status.toml"
    path.write_text(text)
    (work / "notice.md").write_text((ROOT / "content" / "notice.md").read_text())
    return path


def measure(script: Path, server: Server, route: str, duration: float) -> Figures:
    """Warm up, then load one route."""
    run_wrk(script, server, route, WARMUP_S)
    return run_wrk(script, server, route, duration)


def same_size_file(site: Path, route_file: Path, name: str) -> str:
    """Write a plain file the size of a published one beside the tree's; return its URL."""
    plain = site / name
    plain.write_bytes(b"x" * route_file.stat().st_size)
    return "/" + name


class Writer:
    """Post incident updates through the API at a steady rate, until stopped.

    Each write goes out on time in a pool of its own, however long the ones before it take.
    """

    def __init__(self, base: str, token: str, code: str, per_second: float) -> None:
        self.base, self.token, self.code, self.period = base, token, code, 1 / per_second
        self.stopping = threading.Event()
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=32)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.thread.join(30)
        self.pool.shutdown(wait=True)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self.pool.submit(self._write)
            next_at += self.period
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def _write(self) -> None:
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        try:
            answer = session.post(
                f"{self.base}/api/v1/incidents/{self.code}/updates",
                headers={"Authorization": f"Bearer {self.token}"},
                json={"status": "identified", "body": f"Update at {time.time():.3f}."},
                timeout=10,
            )
            ok = answer.status_code == 201
        except requests.RequestException:
            ok = False
        with self._lock:
            if ok:
                self.done += 1
            else:
                self.failed += 1


def freshness(base: str, token: str, writes: int) -> list[float]:
    """Time each of `writes` incidents from its API write to its name on / through nginx."""
    session = requests.Session()
    waits = []
    for n in range(writes):
        name = f"Freshness check {n} {time.time():.0f}"
        began = time.monotonic()
        created = session.post(
            f"{base}/api/v1/incidents",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": name, "status": "investigating", "body": "Checking."},
            timeout=10,
        )
        created.raise_for_status()
        while name not in session.get(f"{base}/", timeout=10).text:
            if time.monotonic() - began > 60:
                raise RuntimeError(f"write {n} never showed through nginx")
            time.sleep(0.02)
        waits.append(time.monotonic() - began)
        time.sleep(0.5 + (n % 5) * 0.2)  # writes land at every point of the publisher's second
    return waits


def publish_seconds(log: Path) -> list[float]:
    """Return how long each publish took, from the probe process's log."""
    found = re.findall(r"published version \d+ to .* in ([\d.]+) s", log.read_text())
    return [float(seconds) for seconds in found] or [float("nan")]


def row(label: str, figures: Figures, ceiling: float, target: str = "") -> str:
    return (
        f"| {label} | {figures.rps:.0f} | {figures.rps / ceiling:.2f}x | "
        f"{figures.p50_ms:.0f} / {figures.p99_ms:.0f} ms | {figures.errors} | {target} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=DURATION_S)
    args = parser.parse_args()
    duration = args.duration
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as folder, CapgoStandIn() as capgo:
        work = Path(folder)
        database = f"sqlite:///{work / 'statuspage.db'}"
        config = loopback_config(work, capgo.url)
        env = os.environ | {
            "STATUSPAGE_DATABASE_URL": database,
            "STATUSPAGE_CONFIG": str(config),
            "STATUSPAGE_SECRET_KEY": "x" * 64,
        }
        upgrade_database(env)
        made = seed(env)
        from statuspage import create_app
        from statuspage.staff.tokens import create_token

        app = create_app()
        with app.app_context():
            token = create_token("bench")
        print(f"seeded: {made}", flush=True)
        script = work / "report.lua"
        script.write_text(WRK_SCRIPT)
        random_script = work / "random.lua"
        random_script.write_text(RANDOM_QUERY + WRK_SCRIPT)
        with stack(work, database, config, workers=4) as running:
            nginx = Server(running.nginx, running.nginx_pid)
            gunicorn = Server(running.app, running.app_pid)
            files = len(list(running.site.rglob("*.html")))
            print(f"published: {files} HTML pages in {running.site}", flush=True)
            lines = [
                f"wrk: 64 keep-alive connections, {duration:g} s per measure after a "
                f"{WARMUP_S} s warm-up",
                "",
                "| route | req/s | ratio | p50 / p99 | errors | target |",
                "|---|---|---|---|---|---|",
            ]
            for route, published in (
                ("/", running.site / "index.html"),
                ("/api/v2/summary.json", running.site / "api" / "v2" / "summary.json"),
            ):
                plain = same_size_file(running.site, published, f"plain{published.suffix}")
                ceiling = measure(script, nginx, plain, duration)
                through_nginx = measure(script, nginx, route, duration)
                alone = measure(script, gunicorn, route, duration)
                lines.append(
                    row(f"plain file, {published.stat().st_size} B (nginx)", ceiling, ceiling.rps)
                )
                lines.append(row(f"`{route}` through nginx", through_nginx, ceiling.rps, ">= 0.8x"))
                lines.append(row(f"`{route}` gunicorn alone", alone, ceiling.rps, "report"))
                if route == "/":
                    plain_root = alone
            randomised = run_wrk(random_script, gunicorn, "/", duration)
            lines.append(
                row(
                    "`/?utm_source=<random>` gunicorn",
                    randomised,
                    plain_root.rps,
                    ">= 0.8x of plain `/`",
                )
            )
            print("\n".join(lines), flush=True)

            waits = freshness(running.nginx, token, FRESHNESS_WRITES)
            took = publish_seconds(work / "probe.log")
            fresh = (
                f"freshness, API write to visible through nginx ({FRESHNESS_WRITES} writes): "
                f"median {statistics.median(waits):.2f} s, worst {max(waits):.2f} s "
                f"(target <= 2 s); a whole publish took median {statistics.median(took):.2f} s, "
                f"worst {max(took):.2f} s"
            )
            print(fresh, flush=True)

            code = (
                requests.post(
                    f"{running.nginx}/api/v1/incidents",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"name": "Being worked on", "status": "investigating", "body": "On it."},
                    timeout=10,
                )
                .headers["Location"]
                .rstrip("/")
                .rsplit("/", 1)[-1]
            )
            write_lines = [
                "",
                f"| reads of `/` | quiet req/s | with {WRITES_PER_S} writes/s | ratio | "
                "errors (timeouts) quiet / writing | writes done |",
                "|---|---|---|---|---|---|",
            ]
            for label, server in (("gunicorn", gunicorn), ("nginx", nginx)):
                quiet = measure(script, server, "/", duration)
                with Writer(running.nginx, token, code, WRITES_PER_S) as writer:
                    busy = run_wrk(script, server, "/", duration)
                errors = (
                    f"{quiet.errors} ({quiet.error_detail}) / {busy.errors} ({busy.error_detail})"
                )
                write_lines.append(
                    f"| {label} | {quiet.rps:.0f} | {busy.rps:.0f} | {busy.rps / quiet.rps:.2f}x | "
                    f"{errors} | {writer.done} ({writer.failed} failed) |"
                )
                print(write_lines[-1], flush=True)
            print("\n".join(["", *lines, "", fresh, *write_lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
