"""Replayed timelines: what a probe's locations said over a stretch of time, and the status
of the component their probes give, moment by moment (for results judged after the fact)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from statuspage.rules.component import component_status_from_probes
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS, LocationState, combine_locations
from statuspage.vocabulary import ComponentStatus

# A state from some moment on: (since, state); None is "nothing known".
Change = tuple[datetime, str | None]
# combine_locations counts a location through the end of its third interval without a
# report: it drops out just after, so that is the moment the timeline must look at.
JUST_AFTER = timedelta(microseconds=1)


def _at(changes: Sequence[Change], times: Sequence[datetime], moment: datetime) -> str | None:
    """Return the state a sorted list of changes gives `moment` (None before the first)."""
    index = bisect_right(times, moment)
    return changes[index - 1][1] if index else None


def _squash(points: list[tuple[datetime, str | None]]) -> list[Change]:
    """Drop points that repeat the state before them."""
    squashed: list[Change] = []
    for moment, state in points:
        if not squashed or squashed[-1][1] != state:
            squashed.append((moment, state))
    return squashed


def probe_timeline(
    locations: Mapping[str, Sequence[Change]],
    reports: Mapping[str, Sequence[datetime]],
    interval_s: float,
    start: datetime,
    end: datetime,
) -> list[Change]:
    """Return a probe's state across its locations from `start` to `end`, as changes.

    `locations` gives each location's confirmed state as changes (oldest first) and `reports`
    when it reported (sorted). At each moment only locations that reported within the last
    three intervals count, as `combine_locations` rules: a location drops out three intervals
    after its last report, and comes back with its next.
    """
    stale_after = timedelta(seconds=STALE_AFTER_INTERVALS * interval_s)
    moments = {start}
    for changes in locations.values():
        moments.update(at for at, _ in changes if start < at < end)
    for times in reports.values():
        for at in times:
            moments.update(m for m in (at, at + stale_after + JUST_AFTER) if start < m < end)
    change_times = {name: [at for at, _ in changes] for name, changes in locations.items()}
    points = []
    for moment in sorted(moments):
        states = {}
        for name, changes in locations.items():
            state = _at(changes, change_times[name], moment)
            times = reports.get(name, ())
            index = bisect_right(times, moment)
            if state is not None and index:
                states[name] = LocationState(state, times[index - 1])
        points.append((moment, combine_locations(states, moment, interval_s)))
    return _squash(points)


def component_timeline(
    probes: Sequence[Sequence[Change]],
) -> list[tuple[datetime, ComponentStatus | None]]:
    """Return the component status its probes' timelines give, as changes (None: unknown)."""
    moments = sorted({at for changes in probes for at, _ in changes})
    times = [[at for at, _ in changes] for changes in probes]
    points = [
        (
            moment,
            component_status_from_probes(
                _at(changes, changes_times, moment)
                for changes, changes_times in zip(probes, times, strict=True)
            ),
        )
        for moment in moments
    ]
    return _squash(points)  # type: ignore[return-value]


def spans(
    changes: Sequence[tuple[datetime, ComponentStatus | None]], end: datetime
) -> list[tuple[datetime, datetime, ComponentStatus]]:
    """Return the stretches of a timeline that are not operational, up to `end`."""
    found = []
    for (since, status), (until, _) in zip(changes, [*changes[1:], (end, None)], strict=True):
        if status is not None and status != ComponentStatus.OPERATIONAL and since < until:
            found.append((since, until, ComponentStatus(status)))
    return found
