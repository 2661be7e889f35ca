"""A component's page: its status, its probes' latest results, response times and uptime."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from probes import describe
from statuspage.config import StatusConfig
from statuspage.reads.latency import LocationCharts, latency_charts
from statuspage.reads.status import shown_component, shown_statuses
from statuspage.reads.system_text import expected_every, intermittent_text, silent_text
from statuspage.reads.uptime import MonthFigures, monthly_uptime
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.store.db import db
from statuspage.store.models import Component, ProbeState
from statuspage.vocabulary import ComponentStatus


@dataclass
class LocationRow:
    """A probe's latest result from one location, and what the page says beside it."""

    state: ProbeState
    # The intermittent rule's reason while it holds the probe degraded (in the reader's
    # language), else the result's as the probe said it.
    reason: str
    # "no results from eu-west since 10:42 UTC" once three intervals pass without one.
    silent: str | None


@dataclass
class ProbeView:
    """A configured probe as the public may see it (never header values) and its states."""

    name: str
    method: str
    url: str
    states: list[ProbeState]
    rows: list[LocationRow] = field(default_factory=list)


@dataclass
class ComponentPage:
    """Everything a component's page shows."""

    component: Component
    status: ComponentStatus
    probes: list[ProbeView]
    locations: list[LocationCharts]
    months: list[MonthFigures]


def component_page(slug: str, config: StatusConfig, now: datetime) -> ComponentPage | None:
    """Return the page of a visible, non-group component, or None if there is none."""
    component = shown_component(slug)
    if component is None:
        return None
    entry = next((c for c in config.components if c.slug == slug), None)
    definitions = list(entry.probes) if entry else []
    states: dict[str, list[ProbeState]] = defaultdict(list)
    for state in db.session.execute(
        db.select(ProbeState)
        .where(ProbeState.component_id == component.id)
        .order_by(ProbeState.location)
    ).scalars():
        states[state.probe_key].append(state)
    probes = []
    for definition in definitions:
        if definition.is_heartbeat:  # its key is its only secret: never shown
            expected = expected_every(definition.expect_every_s)
            shown = {"name": definition.name, "method": "heartbeat", "url": expected}
        else:
            # describe() is the one safe view of a probe: URL template, header values redacted.
            shown = describe(definition)
        found = states.get(definition.key, [])
        silent_after = timedelta(seconds=STALE_AFTER_INTERVALS * definition.interval_s)
        rows = [
            LocationRow(
                state,
                intermittent_text(state) if state.intermittent_reason else state.last_reason,
                silent_text(state.location, state.reported_at, config.site.zone, now)
                if now - state.reported_at > silent_after
                else None,
            )
            for state in found
        ]
        probes.append(ProbeView(shown["name"], shown["method"], shown["url"], found, rows))
    keys = [definition.key for definition in definitions]
    return ComponentPage(
        component=component,
        status=shown_statuses([component], now)[component.id],
        probes=probes,
        locations=latency_charts(component.id, keys, now, config.site.zone),
        months=monthly_uptime([component.id], now, config.site.zone)[component.id],
    )
