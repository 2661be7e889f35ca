"""Judge a heartbeat: did Capgo's job beat in time, and did it say it worked?

A heartbeat check has no request to make: a job calls the site after each run, and the
probe process turns what arrived into a result on each of its turns, so a heartbeat goes
through the same confirmation, incidents and uptime as any probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from statuspage.rules.wording import format_moment
from statuspage.vocabulary import Outcome

BEAT_OK = "ok"
BEAT_FAIL = "fail"
# How much of a job's own message a reason quotes (reasons are short, one line).
SHOWN_MESSAGE = 60
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Beats:
    """What the site knows of a heartbeat's beats."""

    watching_since: datetime
    last_beat_at: datetime | None = None
    last_status: str | None = None
    last_message: str | None = None


def every(seconds: float) -> str:
    """Return a period as people say it: "30 s", "5 min", "2 h", "1 day"."""
    whole = round(seconds)
    for size, unit in ((86400, " day"), (3600, " h"), (60, " min")):
        if whole >= size and whole % size == 0:
            count = whole // size
            plural = "s" if unit == " day" and count != 1 else ""
            return f"{count}{unit}{plural}"
    return f"{seconds:g} s"


def heartbeat_verdict(
    expect_every_s: float, grace_s: float, beats: Beats, now: datetime, zone: ZoneInfo
) -> tuple[Outcome, str] | None:
    """Return the outcome and reason of a heartbeat now; None before anything was due.

    Down when no beat came within expect_every_s + grace_s of the last one (or of when the
    site began watching), or when the last beat said the job failed; up otherwise.
    """
    allowed = timedelta(seconds=expect_every_s + grace_s)
    expected = f"expected every {every(expect_every_s)}"
    if beats.last_beat_at is None:
        if now - beats.watching_since <= allowed:
            return None  # a job not yet due proves nothing either way
        since = format_moment(beats.watching_since, zone, now)
        return Outcome.DOWN, f"no heartbeat yet (watching since {since}, {expected})"
    if now - beats.last_beat_at > allowed:
        since = format_moment(beats.last_beat_at, zone, now)
        return Outcome.DOWN, f"no heartbeat since {since} ({expected})"
    if beats.last_status == BEAT_FAIL:
        message = _CONTROLS.sub(" ", beats.last_message or "").strip()
        if len(message) > SHOWN_MESSAGE:
            message = message[: SHOWN_MESSAGE - 1] + "…"
        return Outcome.DOWN, f"reported failure: {message}" if message else "reported failure"
    return Outcome.UP, ""
