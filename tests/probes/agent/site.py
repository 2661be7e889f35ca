"""The site for the agent tests: its configuration, and what it stored.

It is served for real on 127.0.0.1 by the `site` fixture (tests/conftest.py).
"""

from __future__ import annotations

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
