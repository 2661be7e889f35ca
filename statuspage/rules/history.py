"""History rules: what to append so an append-only status history tells what is known now.

A component's history is a list of change points read in order (by time, then as appended):
each point holds from its time until the next. Evidence that arrives late (results queued by
a cut-off agent, an incident entered afterwards) changes what is known about the past. Rows
are never rewritten: `amend` returns the points to append, dated in the past, so that the
history read in order says the new truth over a window and is unchanged outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from statuspage.rules.page import worst_status
from statuspage.vocabulary import ComponentStatus

Point = tuple[datetime, ComponentStatus]
# A recorded point, and whether it may be laid over (False: maintenance or a manual status).
Recorded = tuple[datetime, ComponentStatus, bool]
# A span of time and the status late evidence gives it.
Span = tuple[datetime, datetime, ComponentStatus]


def status_at(
    points: Sequence[Point] | Sequence[Recorded], moment: datetime
) -> ComponentStatus | None:
    """Return the status a history (in read order) gives `moment`, None before its first point."""
    found = None
    for point in points:
        if point[0] > moment:
            continue
        if found is None or point[0] >= found[0]:
            found = point
    return None if found is None else ComponentStatus(found[1])


def _moments(start: datetime, end: datetime, *histories: Sequence[tuple]) -> list[datetime]:
    inside = {point[0] for history in histories for point in history if start < point[0] < end}
    return sorted({start, *inside})


def amend(
    current: Sequence[Point],
    desired: Sequence[Point],
    start: datetime,
    end: datetime,
    *,
    restore: bool = True,
) -> list[Point]:
    """Return the points to append so that `current` reads as `desired` over [start, end).

    Where `desired` says nothing (before its first point) the history is left alone. With
    `restore`, a last point at `end` gives back what `current` said there, so the history
    after the window is unchanged; without, the last amended status runs on (the caller
    appends what follows).
    """
    appended: list[Point] = []

    def amended_at(moment: datetime) -> ComponentStatus | None:
        recorded = [point for point in current if point[0] <= moment]
        newest = max((point[0] for point in recorded), default=None)
        # An appended point wins over a recorded one at the same time: it is read after it.
        if appended and (newest is None or appended[-1][0] >= newest):
            return appended[-1][1]
        return status_at(current, moment)

    for moment in _moments(start, end, current, desired):
        wanted = status_at(desired, moment)
        if wanted is not None and amended_at(moment) != wanted:
            appended.append((moment, wanted))
    if restore and appended:
        wanted = status_at(current, end)
        if wanted is not None and amended_at(end) != wanted:
            appended.append((end, wanted))
    return appended


def laid_over(
    recorded: Sequence[Recorded], spans: Sequence[Span], start: datetime, end: datetime
) -> list[Point]:
    """Return the history over [start, end) with `spans` laid over what was recorded.

    At each moment the worse of the two holds: late evidence can show trouble nobody saw,
    never erase what the page said at the time. A point that may not be laid over (a
    maintenance window, a status staff set by hand) holds as recorded. Before the first
    recorded point there is no history to lay anything over (no data stays no data).
    """
    bounds = [(a, ComponentStatus.OPERATIONAL) for a, _, _ in spans]
    bounds += [(b, ComponentStatus.OPERATIONAL) for _, b, _ in spans]
    points: list[Point] = []
    for moment in _moments(start, end, recorded, bounds):
        held = _recorded_at(recorded, moment)
        if held is None:
            continue
        status, open_to_change = held
        late = [s for a, b, s in spans if a <= moment < b]
        if open_to_change and late:
            status = worst_status([status, *late])
        if not points or points[-1][1] != status:
            points.append((moment, status))
    return points


def _recorded_at(
    recorded: Sequence[Recorded], moment: datetime
) -> tuple[ComponentStatus, bool] | None:
    found = None
    for point in recorded:
        if point[0] <= moment and (found is None or point[0] >= found[0]):
            found = point
    if found is None:
        return None
    status = ComponentStatus(found[1])
    return status, found[2] and status != ComponentStatus.UNDER_MAINTENANCE
