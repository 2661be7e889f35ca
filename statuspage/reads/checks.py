"""What the admin Checks screen lists: the probes' TLS certificates and the heartbeats.

Neither is public: a certificate weeks from expiry is work for staff, not downtime (the
service still works), and a heartbeat's beats say how Capgo's own jobs run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from probes import ProbeDefinition
from statuspage.config import StatusConfig
from statuspage.store.checks import Heartbeat
from statuspage.store.db import db
from statuspage.store.models import ProbeState


@dataclass(frozen=True)
class CertificateView:
    """One certificate the probes saw: its host, when it expires, who saw it."""

    host: str
    expires_at: datetime
    probes: tuple[str, ...]
    components: tuple[str, ...]
    locations: tuple[str, ...]
    # Within [alerts] certificate_days of expiring (or already expired).
    soon: bool

    def days_left(self, now: datetime) -> int:
        """Return the days until it expires, a part-day counted whole (0 or less once it has)."""
        return -((now - self.expires_at) // timedelta(days=1))


@dataclass(frozen=True)
class HeartbeatView:
    """One heartbeat probe and the newest beat its job sent (never its key)."""

    definition: ProbeDefinition
    last_beat_at: datetime | None
    last_status: str | None
    beats: int


def host_of(definition: ProbeDefinition) -> str:
    """Return the host a probe's URL names (as written), or its key when there is none."""
    try:
        host = urlsplit(definition.url).hostname
    except ValueError:
        host = None
    return host or definition.key


def certificates(config: StatusConfig, now: datetime) -> list[CertificateView]:
    """Return every certificate the configured probes last saw, soonest to expire first."""
    probes = {probe.key: probe for probe in config.http_probes}
    names = {component.slug: component.name for component in config.components}
    seen: dict[tuple[str, datetime], list[ProbeState]] = defaultdict(list)
    for state in db.session.execute(
        db.select(ProbeState).where(ProbeState.certificate_expires_at.is_not(None))
    ).scalars():
        probe = probes.get(state.probe_key)
        if probe is not None and state.certificate_expires_at is not None:
            seen[(host_of(probe), state.certificate_expires_at)].append(state)
    warn = timedelta(days=config.alerts.certificate_days)
    views = [
        CertificateView(
            host=host,
            expires_at=expires_at,
            probes=tuple(dict.fromkeys(probes[s.probe_key].name for s in states)),
            components=tuple(dict.fromkeys(names[probes[s.probe_key].component] for s in states)),
            locations=tuple(sorted({s.location for s in states})),
            soon=expires_at - now <= warn,
        )
        for (host, expires_at), states in seen.items()
    ]
    return sorted(views, key=lambda view: (view.expires_at, view.host))


def heartbeat_views(config: StatusConfig) -> list[HeartbeatView]:
    """Return every heartbeat probe with what the site last heard from its job."""
    rows = {row.probe_key: row for row in db.session.execute(db.select(Heartbeat)).scalars()}
    views = []
    for definition in config.heartbeats:
        row = rows.get(definition.key)
        views.append(
            HeartbeatView(
                definition,
                row.last_beat_at if row else None,
                row.last_status if row else None,
                row.beats if row else 0,
            )
        )
    return views
