"""The history: every incident and maintenance ever, one page at a time, grouped by month."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from statuspage.reads.incidents import PastIncident, event_start, list_incidents, past_incident
from statuspage.store.models import Component

HISTORY_PER_PAGE = 25


@dataclass
class HistoryMonth:
    """The events of one local month on one history page, newest first."""

    month: date
    incidents: list[PastIncident]


@dataclass
class HistoryPage:
    """One page of the history (of one component, when `component` is set)."""

    months: list[HistoryMonth]
    page: int
    pages: int
    total: int
    component: Component | None = None


def history_page(
    page: int,
    zone: ZoneInfo,
    per_page: int = HISTORY_PER_PAGE,
    component: Component | None = None,
) -> HistoryPage:
    """Return one page of every incident and maintenance ever, grouped by local month.

    With a component, only the events that affected it (for a group: it or its members).
    """
    incidents, total = list_incidents(
        page=page, per_page=per_page, component_id=component.id if component else None
    )
    months: list[HistoryMonth] = []
    for incident in incidents:
        month = event_start(incident).astimezone(zone).date().replace(day=1)
        if not months or months[-1].month != month:
            months.append(HistoryMonth(month, []))
        months[-1].incidents.append(past_incident(incident))
    return HistoryPage(months, page, max(1, math.ceil(total / per_page)), total, component)
