"""Uptime as the rollups stored it: daily figures, monthly figures against the target, the CSV."""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from statuspage.reads.days import day_minutes, days_between, months_back
from statuspage.reads.formatting import format_minutes
from statuspage.rules import DayFigures, combine_days, mean_uptime
from statuspage.rules.uptime import figures_from
from statuspage.store.db import db
from statuspage.store.models import COMPONENT_DAY_COLUMNS, Component, ComponentDay
from statuspage.vocabulary import ComponentStatus

log = logging.getLogger(__name__)

UPTIME_TARGET = 99.9
UPTIME_MONTHS = 12


def day_figures(
    component_ids: Sequence[int], first: date, last: date
) -> dict[int, list[DayFigures]]:
    """Return the stored daily figures of each component between two days, inclusive."""
    statuses = list(COMPONENT_DAY_COLUMNS)
    # Plain rows, not ORM objects: a year of days for every component is read on each page.
    rows = db.session.execute(
        db.select(
            ComponentDay.component_id,
            ComponentDay.day,
            *(getattr(ComponentDay, column) for column in COMPONENT_DAY_COLUMNS.values()),
        )
        .where(
            ComponentDay.component_id.in_(component_ids),
            ComponentDay.day >= first,
            ComponentDay.day <= last,
        )
        .order_by(ComponentDay.day)
    )
    result: dict[int, list[DayFigures]] = {component_id: [] for component_id in component_ids}
    for component_id, day, *values in rows:
        figures = figures_from(dict(zip(statuses, values, strict=True)))
        result[component_id].append(
            DayFigures(day, figures.minutes, figures.uptime, figures.weighted_downtime)
        )
    return result


def mean_uptime_over(
    component_ids: Sequence[int], now: datetime, zone: ZoneInfo, days: int
) -> float | None:
    """Return the mean of the components' uptimes over the last `days` local days, today last."""
    today = now.astimezone(zone).date()
    figures = day_figures(component_ids, today - timedelta(days=days - 1), today)
    return mean_uptime(combine_days(stored).uptime for stored in figures.values())


@dataclass
class MonthFigures:
    """One component's figures over one local month (so far, for the current month)."""

    month: date
    uptime: float | None
    downtime_min: float
    maintenance_min: float
    nodata_min: float
    current: bool

    @property
    def target_met(self) -> bool | None:
        """Tell whether the month met the uptime target; None without data."""
        return None if self.uptime is None else self.uptime >= UPTIME_TARGET


def monthly_uptime(
    component_ids: list[int], now: datetime, zone: ZoneInfo, months: int = UPTIME_MONTHS
) -> dict[int, list[MonthFigures]]:
    """Return each component's figures for the last `months` local months, newest first.

    Days with no stored figures count as minutes without data (today only up to now), so a
    month before the component was watched reads "No data", never 100%.
    """
    today = now.astimezone(zone).date()
    starts = months_back(today, months)
    stored = day_figures(component_ids, starts[-1], today)
    result: dict[int, list[MonthFigures]] = {}
    for component_id in component_ids:
        by_month: dict[date, list[DayFigures]] = defaultdict(list)
        for figures in stored[component_id]:
            by_month[figures.day.replace(day=1)].append(figures)
        rows = []
        for start in starts:
            days = by_month.get(start, [])
            combined = combine_days(days)
            next_month = (start + timedelta(days=32)).replace(day=1)
            seen = {figures.day for figures in days}
            missing = sum(
                day_minutes(day, zone, now)
                for day in days_between(start, min(next_month - timedelta(days=1), today))
                if day not in seen
            )
            rows.append(
                MonthFigures(
                    month=start,
                    uptime=combined.uptime,
                    downtime_min=combined.weighted_downtime,
                    maintenance_min=combined.minutes.get(ComponentStatus.UNDER_MAINTENANCE, 0.0),
                    nodata_min=combined.minutes.get(None, 0.0) + missing,
                    current=start == starts[0],
                )
            )
        result[component_id] = rows
    return result


CSV_COLUMNS = (
    "month",
    "component",
    "availability_percent",
    "downtime_minutes",
    "maintenance_minutes",
    "no_data_minutes",
    "target_met",
)


def uptime_csv(components: list[Component], figures: dict[int, list[MonthFigures]]) -> str:
    """Return the monthly figures as CSV, one row per component and month."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for component in components:
        for month in figures[component.id]:
            met = month.target_met
            writer.writerow(
                [
                    month.month.strftime("%Y-%m"),
                    _csv_text(component.name),
                    "" if month.uptime is None else f"{month.uptime:.4f}",
                    format_minutes(month.downtime_min, locale="en"),
                    format_minutes(month.maintenance_min, locale="en"),
                    format_minutes(month.nodata_min, locale="en"),
                    "" if met is None else ("yes" if met else "no"),
                ]
            )
    return out.getvalue()


def _csv_text(value: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
