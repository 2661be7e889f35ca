"""The site for the agent tests: the app served for real on 127.0.0.1, and what it stored."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from statuspage.store.db import db
from statuspage.store.models import Component, ProbeResult
from tests.factories import component_toml, config_toml, probe_toml
from tests.standin import json_body


def agent_config(base: str, interval: int) -> str:
    """Return the site's configuration: an update check per region and a worker, at `base`."""
    return config_toml(
        component_toml(
            "live-updates",
            "Live Updates",
            probe_toml("Update check", f"{base}/region-${{REGION:-here}}"),
            probe_toml("Worker", f"{base}/ok"),
        ),
        component_toml("analytics", "Analytics"),
        defaults={
            "interval_s": interval,
            "timeout_s": 1,
            "failures_to_open": 2,
            "successes_to_close": 2,
        },
    )


HEALTHY = json_body({"status": "ok"})


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
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def stored(app) -> list[tuple[str, str]]:
    """Return (result id, location) of every stored result, in the order they were stored."""
    with app.app_context():
        rows = db.session.execute(
            db.select(ProbeResult.result_id, ProbeResult.location).order_by(ProbeResult.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def automatic_status(app, slug: str) -> str | None:
    with app.app_context():
        value = db.session.execute(
            db.select(Component.automatic_status).where(Component.slug == slug)
        ).scalar_one()
        db.session.remove()
    return value
