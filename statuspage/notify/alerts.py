"""On-call alerts that no incident update writes: locations that stop (and resume) reporting,
certificates about to expire, and a provider's incident while one of ours is open.

Automatic incidents alert from the engine as they are written (notify.events); a location
going quiet or a certificate nearing its end writes nothing, so the probe process looks for
them on each tick. One alert per stall, per certificate, per pair of incidents: each event
key names what it is about, and is unique.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func

from probes.statuspage_summary import RemoteIncident
from statuspage.config import StatusConfig, UpstreamConfig
from statuspage.notify.events import alert_agent, alert_components, record, site_fields
from statuspage.reads.checks import CertificateView, certificates
from statuspage.reads.upstreams import incident_url, report_line
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.rules.wording import format_moment, join_names
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    Incident,
    NotificationEvent,
    ProbeState,
)
from statuspage.vocabulary import (
    UNRESOLVED_INCIDENT_STATUSES,
    Audience,
    EventKind,
    NotificationKind,
)

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


def check_certificates(config: StatusConfig, now: datetime) -> int:
    """Alert once for each certificate the probes saw that expires within the warning days."""
    if not config.alerts.targets():
        return 0
    written = 0
    for certificate in certificates(config, now):
        if certificate.soon:
            written += alert_certificate(certificate, config.site.zone, now)
    db.session.commit()
    return written


def alert_upstream_incidents(
    upstream: UpstreamConfig, incidents: list[RemoteIncident], config: StatusConfig, now: datetime
) -> int:
    """Tell on-call of a provider's new incident when a component depending on it has one open.

    Once per provider incident and Capgo incident (the event key names both).
    """
    slugs = [c.slug for c in config.components if upstream.name in c.depends_on]
    if not incidents or not slugs or not config.alerts.targets():
        return 0
    open_incidents = db.session.execute(
        db.select(Incident)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .join(Component, Component.id == AffectedComponent.component_id)
        .where(
            Component.slug.in_(slugs),
            Incident.kind == EventKind.INCIDENT,
            Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES),
        )
        .order_by(Incident.id)
    ).scalars()
    written = 0
    for ours in dict.fromkeys(open_incidents):
        for theirs in incidents:
            written += alert_upstream(upstream, theirs, ours, config.site.zone, now)
    return written


def alert_certificate(certificate: CertificateView, zone: ZoneInfo, now: datetime) -> bool:
    """Tell the on-call team a certificate the probes saw expires soon; once per certificate."""
    site = site_fields()
    days = certificate.days_left(now)
    when = format_moment(certificate.expires_at, zone, now)
    if certificate.expires_at <= now:
        title = f"The TLS certificate of {certificate.host} has expired"
    else:
        plural = "" if days == 1 else "s"
        title = f"The TLS certificate of {certificate.host} expires in {days} day{plural}"
    text = (
        f"The certificate {certificate.host} presents to the probes "
        f"({join_names(list(certificate.probes))}) expires {when}. Renew it before then: the "
        "service works until it lapses, then every client refuses to connect."
    )
    payload = {
        "site": site,
        "title": title,
        "text": text,
        "status": "expiring",
        "impact": "minor",
        "components": [],
        "url": site["url"],
        "admin_url": f"{site['url']}/admin/checks/",
        "host": certificate.host,
    }
    key = f"certificate:{certificate.host}:{certificate.expires_at.isoformat()}"
    kind = NotificationKind.ALERT_CERTIFICATE
    return record(key, kind, Audience.STAFF, payload, now, exclusive=True) is not None


def alert_upstream(
    upstream: UpstreamConfig,
    theirs: RemoteIncident,
    ours: Incident,
    zone: ZoneInfo,
    now: datetime,
) -> bool:
    """Tell on-call a provider reports an incident while ours, depending on it, is open."""
    site = site_fields()
    line = report_line(upstream.name, theirs.name, theirs.started_at, zone, now)
    payload = {
        "site": site,
        "title": line,
        "text": f"{line} ({incident_url(upstream, theirs)}). It may explain {site['name']}'s "
        f"open incident “{ours.name}”.",
        "status": "upstream",
        "impact": ours.impact,
        "components": alert_components(ours),
        "url": f"{site['url']}/incidents/{ours.code}",
        "admin_url": f"{site['url']}/admin/incidents/{ours.code}",
    }
    key = f"upstream:{upstream.slug}:{theirs.id}:{ours.code}"
    kind = NotificationKind.ALERT_UPSTREAM
    event = record(key, kind, Audience.STAFF, payload, now, incident=ours, exclusive=True)
    return event is not None
