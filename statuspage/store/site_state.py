"""The site's one state row: the writers' lock, and the version every public read keys on.

Every write takes the lock first (a no-op UPDATE of the single site_state row): that
serialises writers on SQLite and PostgreSQL alike, so two processes never act on the same
stale view. A write that changes what the public sees bumps the version.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from statuspage.store.db import db
from statuspage.store.models import SiteState

log = logging.getLogger(__name__)


def lock_site() -> None:
    """Take the writers' lock until the transaction ends (creating the row the first time)."""
    taken = db.session.execute(update(SiteState).where(SiteState.id == 1).values(id=1))
    if taken.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(SiteState(id=1, version=0))
        except IntegrityError:
            pass  # another process created it first
        db.session.execute(update(SiteState).where(SiteState.id == 1).values(id=1))


def bump_version(now: datetime) -> None:
    """Record that what the public sees has changed (read caches key on this)."""
    db.session.execute(
        update(SiteState)
        .where(SiteState.id == 1)
        .values(version=SiteState.version + 1, changed_at=now)
    )


def site_version() -> tuple[int, datetime | None]:
    """Read the site's version and when it last changed (0 and None before any write)."""
    row = db.session.execute(
        db.select(SiteState.version, SiteState.changed_at).where(SiteState.id == 1)
    ).first()
    return (row[0], row[1]) if row else (0, None)
