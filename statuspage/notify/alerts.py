"""On-call alerts for probe locations that stop reporting, and report again.

Automatic incidents alert from the engine as they are written (notify.events); a location
going quiet writes nothing, so the probe process looks for it on each tick. One alert per
stall: the event key names the location and its last result, and is unique.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func

from statuspage.config import StatusConfig
from statuspage.notify.events import alert_agent
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.store.db import db
from statuspage.store.models import NotificationEvent, ProbeState
from statuspage.vocabulary import NotificationKind

# A location silent for longer than this was retired, not stalled: no alert on first sight.
FORGOTTEN_AFTER = timedelta(days=1)


def check_locations(config: StatusConfig, now: datetime) -> int:
    """Alert for each location that stopped (or resumed) reporting; return alerts written."""
    if not config.alerts.targets():
        return 0
    intervals = {probe.key: probe.interval_s for probe in config.probes}
    newest: dict[str, datetime] = {}
    interval: dict[str, float] = {}
    rows = db.session.execute(
        db.select(ProbeState.location, ProbeState.probe_key, ProbeState.reported_at)
    )
    for location, probe_key, reported_at in rows:
        if probe_key not in intervals:
            continue
        newest[location] = max(newest.get(location, reported_at), reported_at)
        interval[location] = max(interval.get(location, 0), intervals[probe_key])
    written = 0
    for location, last_seen in sorted(newest.items()):
        stalled = now - last_seen > timedelta(seconds=STALE_AFTER_INTERVALS * interval[location])
        previous = _last_alert(location)
        if stalled and previous is None and now - last_seen > FORGOTTEN_AFTER:
            continue
        if stalled and (previous is None or previous.kind != NotificationKind.ALERT_AGENT_STALLED):
            written += alert_agent(location, True, last_seen, now)
        elif (
            not stalled
            and previous is not None
            and previous.kind == NotificationKind.ALERT_AGENT_STALLED
        ):
            since = datetime.fromisoformat(previous.key.rsplit(":stalled:", 1)[1])
            written += alert_agent(location, False, since, now)
    db.session.commit()
    return written


def _last_alert(location: str) -> NotificationEvent | None:
    prefix = f"agent:{location}:"
    return db.session.execute(
        db.select(NotificationEvent)
        .where(func.substr(NotificationEvent.key, 1, len(prefix)) == prefix)
        .order_by(NotificationEvent.id.desc())
        .limit(1)
    ).scalar()
