"""Benchmark a fan-out: one incident to 10,000 mail subscribers and 1,000 webhooks (127.0.0.1 only).

Run from the repository root: ``.venv/bin/python bench/fanout.py`` (about a minute)

Builds a fresh SQLite database in a temporary folder (``statuspage db upgrade``), adds 10,000
confirmed email subscribers and 1,000 webhook subscribers, 10% of which never answer, opens
one incident through the staff write service (notify ticked), then drains the outbox the way
``statuspage deliver --once`` does. The SMTP server (aiosmtpd) and the webhook receiver run in
their own processes, so they take no GIL from the deliverer. Printed: the time to the last
mail, to the last webhook that answers, to the end of the drain (the hanging ones time out
after 10 s, once each), the SMTP connections opened, the deliverer's peak memory, and the
median time of an uncached ``/`` rendered by another process (a web worker's place) before
and during the fan-out.

Targets: 10,000 mails within 60 s on 2 cores; the answering webhooks finish long before the
hanging ones time out.

Options: ``--mails N``, ``--webhooks N``, ``--hanging F`` (fraction), ``--timeout S``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def smtp_server(port: int, count, last) -> None:  # type: ignore[no-untyped-def]
    """Count every message received and when the last one came (a child process)."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            with count.get_lock():
                count.value += 1
            last.value = time.time()
            return "250 OK"

    controller = Controller(Count(), hostname=HOST, port=port)
    controller.start()
    threading.Event().wait()


def hook_server(port: int, count, last, hang_s: float) -> None:  # type: ignore[no-untyped-def]
    """Answer 204 to /ok/N, and hold /hang/N past the deliverer's timeout (a child process)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.startswith("/hang"):
                time.sleep(hang_s)
                return
            with count.get_lock():
                count.value += 1
            last.value = time.time()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

        def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
            pass

    Server((HOST, port), Handler).serve_forever()


def time_page(samples: int = 20) -> float:
    """Return the median ms of an uncached `/` on the database the environment names."""
    from statuspage import create_app

    app = create_app({"RESPONSE_CACHE_VERSION_TTL": 0})
    client = app.test_client()
    client.get("/")
    times = []
    for _ in range(samples):
        app.extensions["response_cache"].clear()
        start = time.perf_counter()
        assert client.get("/").status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--hanging", type=float, default=0.10)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--no-page", action="store_true", help="Do not time `/` meanwhile.")
    parser.add_argument("--page-timer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.page_timer:
        print(time_page())
        return

    folder = Path(tempfile.mkdtemp(prefix="fanout-"))
    smtp_port, hook_port = free_port(), free_port()
    mails, mail_last = multiprocessing.Value("i", 0), multiprocessing.Value("d", 0.0)
    hooks, hook_last = multiprocessing.Value("i", 0), multiprocessing.Value("d", 0.0)
    children = [
        multiprocessing.Process(target=smtp_server, args=(smtp_port, mails, mail_last)),
        multiprocessing.Process(
            target=hook_server, args=(hook_port, hooks, hook_last, args.timeout + 5)
        ),
    ]
    for child in children:
        child.daemon = True
        child.start()
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "STATUSPAGE_SECRET_KEY": secrets.token_hex(32),
        "STATUSPAGE_SMTP_URL": f"smtp://{HOST}:{smtp_port}",
        "STATUSPAGE_MAIL_FROM": "Capgo Status <status@capgo.app>",
        "STATUSPAGE_WEBHOOKS_ALLOW_LOOPBACK": "1",
    }
    subprocess.run(
        [str(BIN / "statuspage"), "db", "upgrade"], env=env, check=True, capture_output=True
    )
    os.environ.update(env)
    time.sleep(1)  # the servers are listening

    from sqlalchemy import insert

    from statuspage import create_app, staff
    from statuspage.notify.delivery import Deliverer
    from statuspage.notify.webhooks import new_secret
    from statuspage.store.db import db, utcnow
    from statuspage.store.models import Subscriber

    app = create_app({"WEBHOOK_TIMEOUT_S": args.timeout, "RESPONSE_CACHE_VERSION_TTL": 0})
    hanging = int(args.webhooks * args.hanging)
    every = max(1, round(args.webhooks / hanging)) if hanging else args.webhooks + 1
    hanging = len(range(0, args.webhooks, every)) if hanging else 0  # spread among the rest
    now = utcnow()
    with app.app_context():
        rows = [
            {
                "code": f"m{n:011d}",
                "kind": "email",
                "identity": f"m{n}",
                "email": f"person{n}@example.com",
                "created_at": now,
                "confirmed_at": now,
                "language": "en",
            }
            for n in range(args.mails)
        ]
        rows += [
            {
                "code": f"w{n:011d}",
                "kind": "webhook",
                "identity": f"w{n}",
                "email": f"owner{n}@example.com",
                "created_at": now,
                "confirmed_at": now,
                "language": "en",
                "secret": new_secret(),
                "url": f"http://{HOST}:{hook_port}/{'hang' if n % every == 0 else 'ok'}/{n}",
            }
            for n in range(args.webhooks)
        ]
        db.session.execute(insert(Subscriber), rows)
        db.session.commit()

    def page_ms() -> float:
        """Time uncached `/` in another process, as a web worker beside the probe process."""
        done = subprocess.run(
            [sys.executable, __file__, "--page-timer"], env=env, capture_output=True, text=True
        )
        return float(done.stdout.strip().splitlines()[-1])

    quiet_ms = 0.0 if args.no_page else page_ms()
    with app.app_context():
        staff.create_incident(
            staff.Actor("bench@capgo.app"),
            app.config["STATUS"],
            utcnow(),
            name="Update checks failing",
            status="investigating",
            body="We are looking into it.",
            components={},
            notify=True,
        )
    deliverer = Deliverer(app)
    start = time.time()
    drain = threading.Thread(target=deliverer.drain)
    drain.start()
    time.sleep(1.0)  # the timer's own start-up (about a second) falls inside the fan-out
    busy_ms = 0.0 if args.no_page else page_ms()
    drain.join()
    end = time.time()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    time.sleep(0.5)
    for child in children:
        child.terminate()

    print(
        f"fan-out of one incident: {args.mails} mails, {args.webhooks} webhooks "
        f"({hanging} never answer, timeout {args.timeout:g} s)"
    )
    print(f"  mails received            {mails.value} / {args.mails}")
    print(f"  last mail after           {mail_last.value - start:6.1f} s  (target < 60 s)")
    print(f"  answering webhooks        {hooks.value} / {args.webhooks - hanging}")
    print(f"  last answering webhook    {hook_last.value - start:6.1f} s")
    print(f"  drain over (timeouts in)  {end - start:6.1f} s")
    print(f"  SMTP connections opened   {deliverer.connections}")
    print(f"  peak memory (deliverer)   {peak_mib:6.0f} MiB")
    print(
        f"  uncached / median         {quiet_ms:6.1f} ms quiet, {busy_ms:6.1f} ms during the "
        f"fan-out ({busy_ms / (quiet_ms or 1):.2f}x)"
    )
    print(f"  counts                    {dict(deliverer.counts)}")


if __name__ == "__main__":
    main()
