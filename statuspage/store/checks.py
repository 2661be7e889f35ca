"""What the site keeps of the checks that are not probe requests: heartbeats and providers.

A heartbeat's beats arrive at whichever web process a job reaches, and are judged by the
probe process: the row here is all they share. A provider's summary is read by the probe
process and shown by every page: the row here is what they show.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.store import limits
from statuspage.store.db import UTCDateTime, db


class Heartbeat(db.Model):
    """One heartbeat probe: since when it is watched, and the newest beat its job sent."""

    __tablename__ = "heartbeat"

    probe_key: Mapped[str] = mapped_column(String(limits.PROBE_KEY), primary_key=True)
    # Before the first beat, the job's first deadline counts from here.
    watching_since: Mapped[datetime] = mapped_column(UTCDateTime)
    last_beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_message: Mapped[str | None] = mapped_column(String(limits.HEARTBEAT_MESSAGE))
    beats: Mapped[int] = mapped_column(Integer, default=0)


class Upstream(db.Model):
    """What was last read of one provider's status page ([[upstreams]], by slug)."""

    __tablename__ = "upstream"

    slug: Mapped[str] = mapped_column(String(limits.SLUG), primary_key=True)
    # When a read last began: every process checks it first, so reads stay a minute apart.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the summary held was last confirmed (read, or answered 304 Not Modified).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "known" with a summary, or "unknown" with the reason the last read failed.
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    reason: Mapped[str] = mapped_column(String(limits.REASON), default="")
    # The checked summary as JSON (probes.statuspage_summary.Summary.to_dict), and what lets
    # the next read be conditional.
    summary: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(200))
