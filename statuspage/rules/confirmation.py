"""Confirmation rules: turn a probe's raw results into a confirmed state, then combine locations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
class Rule:
    """How a probe's results become its confirmed state.

    N in a row (failures_to_open) and M in a row (successes_to_close), as `confirm` reads
    them; and the intermittent rule: `intermittent_failures` down results among the last
    `intermittent_window` make an otherwise healthy probe degraded (0 turns it off).
    """

    failures_to_open: int
    successes_to_close: int
    intermittent_failures: int = 0
    intermittent_window: int = 0

    @property
    def window(self) -> int:
        """Return how many recent results the rules look at."""
        return max(self.failures_to_open, self.successes_to_close, self.intermittent_window)


@dataclass(frozen=True)
class Verdict:
    """A probe's confirmed state at one location after some result, and what it rests on.

    `since` is when the state began (the first result of the streak that confirmed it).
    `failed` of the last `checked` results failed when the intermittent rule made the probe
    degraded (else 0 of 0). Results before `counted_since` belong to a confirmed outage that
    is over, so the intermittent rule does not count them (None: every result counts).
    """

    state: str
    since: datetime | None = None
    failed: int = 0
    checked: int = 0
    counted_since: datetime | None = None

    @property
    def intermittent(self) -> bool:
        """Tell whether the intermittent rule, not N in a row, made this state."""
        return self.failed > 0


Timed = tuple[datetime, str]


def judge(previous: Verdict, recent: Sequence[Timed], rule: Rule) -> Verdict:
    """Return the verdict after the newest of `recent` (oldest first, with their start times).

    N in a row decides first, from the state N in a row had given (an intermittent degraded
    is "up" to it). Only while that says up does the intermittent rule look: at least
    `intermittent_failures` down among the last `intermittent_window` results since the last
    recovery make it degraded, never down.
    """
    outcomes = [_outcome(outcome) for _, outcome in recent]
    base_before = Outcome.UP if previous.intermittent else _outcome(previous.state)
    base = confirm(base_before, outcomes, rule.failures_to_open, rule.successes_to_close)
    verdict = previous
    if base != base_before:
        # The change dates from the first result of the streak that confirmed it.
        streak = rule.failures_to_open if base != Outcome.UP else rule.successes_to_close
        since = recent[-min(streak, len(recent))][0]
        verdict = Verdict(base, since, counted_since=previous.counted_since)
        if base == Outcome.UP:
            verdict = replace(verdict, counted_since=since)
    if base != Outcome.UP:
        return verdict
    counted = [
        outcome
        for at, outcome in recent[-rule.intermittent_window :]
        if verdict.counted_since is None or at >= verdict.counted_since
    ]
    failed = counted.count(Outcome.DOWN)
    if rule.intermittent_failures < 1 or failed < rule.intermittent_failures:
        if verdict.state == Outcome.UP and not verdict.intermittent:
            return verdict
        return Verdict(Outcome.UP, recent[-1][0], counted_since=verdict.counted_since)
    since = verdict.since if verdict.intermittent else recent[-1][0]
    return Verdict(Outcome.DEGRADED, since, failed, len(counted), verdict.counted_since)


def replay(
    previous: Verdict, context: Sequence[Timed], results: Sequence[Timed], rule: Rule
) -> list[Verdict]:
    """Return the verdict after each of `results`, judged in time order.

    `context` holds the results just before the first of them (oldest first), which the
    window rules read but which were judged already.
    """
    seen = list(context[-rule.window :])
    verdicts = []
    verdict = previous
    for result in results:
        seen.append(result)
        del seen[: -rule.window]
        verdict = judge(verdict, seen, rule)
        verdicts.append(verdict)
    return verdicts


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
