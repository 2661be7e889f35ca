"""Confirmation rules: turn a probe's raw results into a confirmed state, then combine locations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.vocabulary import Outcome

# A location whose last report is older than this many intervals no longer counts: its agent
# has stopped, and its last word would otherwise hold the status forever.
STALE_AFTER_INTERVALS = 3


def _outcome(value: str) -> str:
    """Return the value as a plain outcome string, refusing anything else."""
    text = str(value)
    if text not in set(Outcome):
        raise ValueError(f"unknown probe outcome {value!r} (expected up, degraded or down)")
    return text


def confirm(
    previous: str, recent: Sequence[str], failures_to_open: int, successes_to_close: int
) -> str:
    """Return a probe's confirmed state from its previous one and its recent raw outcomes.

    `recent` is oldest first, newest last. With N = failures_to_open and M = successes_to_close:

    - from up: N down in a row -> down; N in a row that are all degraded-or-down but not all
      down -> degraded.
    - from degraded: M up in a row -> up; N down in a row -> down.
    - from down: M up in a row -> up; N in a row with no down and at least one degraded ->
      degraded (the outage is over, but the service is not healthy yet).

    When several rules match, recovery (M up) wins, because it is the newest evidence. In every
    other case the previous confirmed state holds, so a single blip or a flapping
    down/up/down/up sequence changes nothing.
    """
    if failures_to_open < 1 or successes_to_close < 1:
        raise ValueError("failures_to_open and successes_to_close must be at least 1")
    previous = _outcome(previous)
    outcomes = [_outcome(value) for value in recent]
    # None when there are too few results for the rule to apply yet.
    last_m = outcomes[-successes_to_close:] if len(outcomes) >= successes_to_close else None
    last_n = outcomes[-failures_to_open:] if len(outcomes) >= failures_to_open else None

    if previous != Outcome.UP and last_m is not None and all(v == Outcome.UP for v in last_m):
        return Outcome.UP
    if last_n is None:
        return previous
    if previous != Outcome.DOWN and all(v == Outcome.DOWN for v in last_n):
        return Outcome.DOWN
    if previous == Outcome.UP and Outcome.UP not in last_n:
        # All bad, and not all down (that case returned above).
        return Outcome.DEGRADED
    if previous == Outcome.DOWN and Outcome.DOWN not in last_n and Outcome.DEGRADED in last_n:
        return Outcome.DEGRADED
    return previous


def confirm_sequence(
    outcomes: Sequence[str],
    failures_to_open: int,
    successes_to_close: int,
    start: str = Outcome.UP,
) -> list[str]:
    """Return the confirmed state after each outcome, replaying the sequence from `start`."""
    window = max(failures_to_open, successes_to_close)
    confirmed = _outcome(start)
    states: list[str] = []
    for index in range(len(outcomes)):
        recent = outcomes[max(0, index + 1 - window) : index + 1]
        confirmed = confirm(confirmed, recent, failures_to_open, successes_to_close)
        states.append(confirmed)
    return states


@dataclass(frozen=True)
class LocationState:
    """A probe's confirmed state at one location, and when that location last reported."""

    confirmed: str
    reported_at: datetime


def combine_locations(
    states: Mapping[str, LocationState], now: datetime, interval_s: float
) -> str | None:
    """Return a probe's state across locations, or None when no location reported recently.

    Only locations that reported within the last three intervals count. Strictly more than
    half of them down -> down; some down but not a majority -> degraded (a regional problem);
    any degraded -> degraded; otherwise up.
    """
    oldest = now - timedelta(seconds=STALE_AFTER_INTERVALS * interval_s)
    counting = [_outcome(s.confirmed) for s in states.values() if s.reported_at >= oldest]
    if not counting:
        return None
    down = counting.count(Outcome.DOWN)
    if down * 2 > len(counting):
        return Outcome.DOWN
    if down or Outcome.DEGRADED in counting:
        return Outcome.DEGRADED
    return Outcome.UP
