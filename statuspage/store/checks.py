"""What the site keeps of the checks that are not probe requests: heartbeats.

A heartbeat's beats arrive at whichever web process a job reaches, and are judged by the
probe process: the row here is all they share.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
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
