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

from flask_babel import gettext

from probes.statuspage_summary import RemoteIncident, Summary
from statuspage.config import StatusConfig, UpstreamConfig
from statuspage.rules.wording import ENGLISH, Words
from statuspage.store.checks import Upstream
from statuspage.store.db import db
from statuspage.vocabulary import N_

UNKNOWN = "unknown"
# Why a provider's status is unknown, in the section's words (other reasons are the probe's).
NOT_READ_YET = N_("not read yet")
NOT_READ_RECENTLY = N_("not read recently")
REPORTS = N_("%(upstream)s reports: %(incident)s, since %(since)s")
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
        view.reason = _said(row.reason if row is not None and row.reason else NOT_READ_YET)
        return view
    view.read_at = row.read_at
    stale_after = timedelta(seconds=STALE_AFTER_INTERVALS * upstream.interval_s)
    if row.state != "known" or row.summary is None:
        view.reason = row.reason
        return view
    if now - row.read_at > stale_after:
        view.reason = gettext(NOT_READ_RECENTLY)
        return view
    summary = Summary.from_dict(json.loads(row.summary))
    view.known = True
    view.indicator = summary.indicator
    # Statuspage's own words ("Partial System Outage") read in the reader's language where
    # the catalog has them; any other description stays as the provider wrote it.
    view.description = gettext(summary.description)
    view.components = followed_components(summary, upstream)
    view.incidents = [
        UpstreamIncidentView(
            upstream.name, i.id, i.name, i.status, i.impact, i.started_at, incident_url(upstream, i)
        )
        for i in relevant_incidents(summary, upstream)
    ]
    return view


def _said(reason: str) -> str:
    """Return a reason in the reader's language when it is the section's own."""
    return gettext(reason) if reason in (NOT_READ_YET, NOT_READ_RECENTLY) else reason


def reports_for(
    slugs: Iterable[str], config: StatusConfig, now: datetime, words: Words = ENGLISH
) -> list[str]:
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
        report_line(view.name, incident.name, incident.started_at, zone, now, words)
        for view in upstream_views(config, now)
        if view.name in names
        for incident in view.incidents
    ]


def report_line(
    upstream: str,
    incident: str,
    started_at: datetime,
    zone: ZoneInfo,
    now: datetime,
    words: Words = ENGLISH,
) -> str:
    """Return "Cloudflare reports: Workers elevated errors, since 10:02 UTC"."""
    since = words.moment(started_at, zone, now)
    return words.gettext(REPORTS) % {"upstream": upstream, "incident": incident, "since": since}
