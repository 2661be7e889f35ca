"""Daily uptime figures, as the rollups stored them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from statuspage.rules import DayFigures
from statuspage.rules.uptime import figures_from
from statuspage.store.db import db
from statuspage.store.models import COMPONENT_DAY_COLUMNS, ComponentDay

log = logging.getLogger(__name__)


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
