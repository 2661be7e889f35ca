"""The providers Capgo depends on, as their own pages report them: shown apart, never counted.

Read only from what the probe process stored (never from the provider's page during a
request). A provider whose last read failed, or that has not been read for three of its
intervals, is shown as unknown: a stale "operational" would be a claim nobody checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from probes.statuspage_summary import RemoteIncident, Summary
from statuspage.config import StatusConfig, UpstreamConfig
from statuspage.rules.wording import format_moment
from statuspage.store.checks import Upstream
from statuspage.store.db import db

UNKNOWN = "unknown"
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class UpstreamComponentView:
    """One followed component of a provider, and its status there ("unknown" when unread)."""

    name: str
    status: str


@dataclass(frozen=True)
class UpstreamIncidentView:
    """An unresolved incident a provider reports on what Capgo follows."""

    upstream: str
    id: str
    name: str
    status: str
    impact: str
    started_at: datetime
    url: str


@dataclass
class UpstreamView:
    """One provider as the "Services we depend on" section shows it."""

    name: str
    url: str
    known: bool
    reason: str = ""
    read_at: datetime | None = None
    indicator: str = UNKNOWN
    description: str = "Status unknown"
    components: list[UpstreamComponentView] = field(default_factory=list)
    incidents: list[UpstreamIncidentView] = field(default_factory=list)


def followed_components(summary: Summary, upstream: UpstreamConfig) -> list[UpstreamComponentView]:
    """Return the components Capgo follows, in the file's order (all leaves when unlisted)."""
    if upstream.components is None:
        return [UpstreamComponentView(c.name, c.status) for c in summary.components if not c.group]
    by_name = {c.name.casefold(): c for c in summary.components}
    return [
        UpstreamComponentView(found.name, found.status)
        if (found := by_name.get(name.strip().casefold()))
        else UpstreamComponentView(name, UNKNOWN)  # not on the provider's page (any more)
        for name in upstream.components
    ]


def relevant_incidents(summary: Summary, upstream: UpstreamConfig) -> list[RemoteIncident]:
    """Return the provider's open incidents on what Capgo follows.

    An incident naming no component could be about anything, so it is shown too.
    """
    if upstream.components is None:
        return list(summary.incidents)
    followed = {name.strip().casefold() for name in upstream.components}
    return [
        incident
        for incident in summary.incidents
        if not incident.components or any(c.casefold() in followed for c in incident.components)
    ]


def incident_url(upstream: UpstreamConfig, incident: RemoteIncident) -> str:
    """Return the incident's page, built from the configured URL and its checked id."""
    return f"{upstream.url}/incidents/{incident.id}"


def upstream_views(config: StatusConfig, now: datetime) -> list[UpstreamView]:
    """Return every configured provider as the section shows it, in the file's order."""
    rows = {row.slug: row for row in db.session.execute(db.select(Upstream)).scalars()}
    return [_view(upstream, rows.get(upstream.slug), now) for upstream in config.upstreams]


def _view(upstream: UpstreamConfig, row: Upstream | None, now: datetime) -> UpstreamView:
    unread = [UpstreamComponentView(name, UNKNOWN) for name in upstream.components or ()]
    view = UpstreamView(upstream.name, upstream.url, known=False, components=unread)
    if row is None or row.read_at is None:
        view.reason = row.reason if row is not None and row.reason else "not read yet"
        return view
    view.read_at = row.read_at
    stale_after = timedelta(seconds=STALE_AFTER_INTERVALS * upstream.interval_s)
    if row.state != "known" or row.summary is None:
        view.reason = row.reason
        return view
    if now - row.read_at > stale_after:
        view.reason = "not read recently"
        return view
    summary = Summary.from_dict(json.loads(row.summary))
    view.known = True
    view.indicator = summary.indicator
    view.description = summary.description
    view.components = followed_components(summary, upstream)
    view.incidents = [
        UpstreamIncidentView(
            upstream.name, i.id, i.name, i.status, i.impact, i.started_at, incident_url(upstream, i)
        )
        for i in relevant_incidents(summary, upstream)
    ]
    return view


def reports_for(slugs: Iterable[str], config: StatusConfig, now: datetime) -> list[str]:
    """Return what the providers these components depend on report now, one line each.

    For example "Cloudflare reports: Workers elevated errors, since 10:02 UTC".
    """
    wanted = set(slugs)
    names = {
        name
        for component in config.components
        if component.slug in wanted
        for name in component.depends_on
    }
    if not names:
        return []
    zone = config.site.zone
    return [
        report_line(view.name, incident.name, incident.started_at, zone, now)
        for view in upstream_views(config, now)
        if view.name in names
        for incident in view.incidents
    ]


def report_line(
    upstream: str, incident: str, started_at: datetime, zone: ZoneInfo, now: datetime
) -> str:
    """Return "Cloudflare reports: Workers elevated errors, since 10:02 UTC"."""
    return f"{upstream} reports: {incident}, since {format_moment(started_at, zone, now)}"
