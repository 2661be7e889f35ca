"""Read the providers Capgo depends on, politely, and keep what their pages say.

Each read is claimed first in the database (its row's `checked_at`), so however many probe
processes run, and however often `statuspage probe --once` is called, a provider is read at
most once a minute. The read itself happens outside any transaction: a slow provider holds
no lock. What it gives is stored whole (a checked summary) or not at all ("unknown", with
the reason), and nothing else on the site changes: an upstream is never a component.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from probes.statuspage_summary import RemoteIncident, Summary
from probes.upstream import Reading, ReadOutcome, read_summary
from statuspage.config import StatusConfig, UpstreamConfig
from statuspage.config_checks import MIN_UPSTREAM_INTERVAL_S
from statuspage.notify.alerts import alert_upstream_incidents
from statuspage.reads.upstreams import relevant_incidents
from statuspage.store import limits
from statuspage.store.checks import Upstream
from statuspage.store.db import db
from statuspage.store.site_state import bump_version, lock_site

log = logging.getLogger(__name__)

MIN_GAP = timedelta(seconds=MIN_UPSTREAM_INTERVAL_S)
Reader = Callable[..., Reading]


def poll_upstream(
    upstream: UpstreamConfig, config: StatusConfig, now: datetime, read: Reader = read_summary
) -> Reading | None:
    """Read one provider unless it was read less than a minute ago; store what it said.

    Return the reading, or None when another read was too recent.
    """
    validators = _claim(upstream.slug, now)
    if validators is None:
        return None
    etag, last_modified = validators
    reading = read(upstream.url, now, etag=etag, last_modified=last_modified)
    if reading.outcome == ReadOutcome.UNKNOWN:
        log.warning("upstream %s: status unknown (%s)", upstream.name, reading.reason)
    else:
        log.info("upstream %s: %s", upstream.name, reading.outcome.replace("_", " "))
    news = _store(upstream, reading, now)
    if news:
        alert_upstream_incidents(upstream, news, config, now)
        db.session.commit()
    return reading


def _claim(slug: str, now: datetime) -> tuple[str | None, str | None] | None:
    """Take the next read of a provider; None when one began less than a minute ago."""
    if db.session.get(Upstream, slug) is None:
        try:
            with db.session.begin_nested():
                db.session.add(Upstream(slug=slug, state="unknown", reason="not read yet"))
        except IntegrityError:
            pass  # another process added it first
    taken = db.session.execute(
        update(Upstream)
        .where(
            Upstream.slug == slug,
            or_(Upstream.checked_at.is_(None), Upstream.checked_at <= now - MIN_GAP),
        )
        .values(checked_at=now)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        db.select(Upstream.etag, Upstream.last_modified).where(Upstream.slug == slug)
    ).one()
    db.session.commit()
    return row.etag, row.last_modified


def _store(upstream: UpstreamConfig, reading: Reading, now: datetime) -> list[RemoteIncident]:
    """Keep what a read said; return the open incidents on followed components it brought."""
    lock_site()
    row = db.session.get(Upstream, upstream.slug)
    assert row is not None  # claimed above
    before = (row.state, row.summary)
    old = _summary(row)
    if reading.outcome == ReadOutcome.NOT_MODIFIED and old is not None:
        row.state, row.reason, row.read_at = "known", "", now
        row.etag, row.last_modified = reading.etag, reading.last_modified
    elif reading.outcome == ReadOutcome.READ and reading.summary is not None:
        row.state, row.reason, row.read_at = "known", "", now
        row.summary = json.dumps(reading.summary.to_dict(), sort_keys=True)
        row.etag, row.last_modified = reading.etag, reading.last_modified
    else:
        # Nothing held is confirmed any more; the next read asks for the whole page again.
        reason = reading.reason or "answered 304 to a read with nothing held"
        row.state, row.reason = "unknown", reason[: limits.REASON]
        row.summary = row.etag = row.last_modified = None
    if (row.state, row.summary) != before:
        bump_version(now)  # the public section changed
    new = _summary(row)
    known = {i.id for i in relevant_incidents(old, upstream)} if old else set()
    db.session.commit()
    if new is None:
        return []
    return [i for i in relevant_incidents(new, upstream) if i.id not in known]


def _summary(row: Upstream) -> Summary | None:
    return Summary.from_dict(json.loads(row.summary)) if row.summary else None
