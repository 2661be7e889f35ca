"""Incident files the content tests share: a full incident, a maintenance, a short one."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

FULL = """\
+++
title = "Update checks failing in Europe"
impact = "major"
components = { live-updates = "partial_outage" }
started = 2026-03-01T10:02:00Z
resolved = 2026-03-01T11:30:00Z
+++

## 2026-03-01 10:05 UTC · Investigating
We are investigating failing update checks in Europe.

## 2026-03-01 10:40 UTC · Identified
The Europe read replica is out of connections.

## 2026-03-01 11:30 UTC · Resolved
Update checks are healthy again.

## Postmortem
A configuration change lowered the **connection limit**.
"""

MAINTENANCE = """\
+++
title = "Database upgrade"
kind = "maintenance"
components = ["app-management", "analytics"]
scheduled_for = 2026-02-10T02:00:00Z
scheduled_until = 2026-02-10T03:00:00Z
+++

## 2026-02-03 09:00 UTC · Scheduled
We will upgrade the main database.

## 2026-02-10 02:00 UTC · In progress

## 2026-02-10 02:48 UTC · Completed
The upgrade is done.
"""

ANALYTICS = """\
+++
title = "Statistics delayed"
components = ["analytics"]
+++

## 2026-04-02 08:00 UTC - Investigating
Device statistics are delayed.

## 2026-04-02 09:00 UTC - Resolved
Statistics are up to date.
"""


def at(hour: int, minute: int, day: int = 1, month: int = 3) -> datetime:
    """Return a moment of 2026 in UTC (1 March unless told)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)
