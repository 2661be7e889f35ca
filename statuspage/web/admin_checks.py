"""The admin Checks screen: probe certificates near expiry, heartbeats, providers' pages.

None of it is public: a certificate about to expire is work for staff while the service
still works, and heartbeats and provider reads are how the site watches, not what it shows.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from statuspage.reads.checks import certificates, heartbeat_views
from statuspage.reads.upstreams import upstream_views
from statuspage.store.db import utcnow
from statuspage.web.auth import guard

bp = Blueprint("admin_checks", __name__, url_prefix="/admin/checks")
guard(bp)


@bp.get("/")
def index():
    """Show every certificate the probes saw, every heartbeat's last beat, every provider read."""
    config = current_app.config["STATUS"]
    now = utcnow()
    return render_template(
        "admin/checks.html",
        certificates=certificates(config, now),
        warn_days=config.alerts.certificate_days,
        heartbeats=heartbeat_views(config),
        upstreams=upstream_views(config, now),
        now=now,
    )
