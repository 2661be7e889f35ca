"""What one evaluation observed of a component, and how the system words its failing probes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.config import StatusConfig
from statuspage.rules import ProbeFailure
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.store.db import db
from statuspage.store.models import Component, ProbeResult, ProbeState
from statuspage.vocabulary import ComponentStatus, Outcome


@dataclass
class Observed:
    """One component as an evaluation found it: its automatic status before and now."""

    component: Component
    previous: ComponentStatus | None
    current: ComponentStatus
    failing: list[ProbeState]
    in_maintenance: bool

    @property
    def was(self) -> ComponentStatus:
        """Return the automatic status before (none yet counts as operational)."""
        return self.previous or ComponentStatus.OPERATIONAL

    @property
    def changed(self) -> bool:
        """Tell whether the automatic status changed in this evaluation."""
        return self.current != self.was

    @property
    def failing_now(self) -> bool:
        """Tell whether the probes say anything but operational."""
        return self.current != ComponentStatus.OPERATIONAL

    @property
    def quiet(self) -> bool:
        """Tell whether only the intermittent rule holds it degraded: shown, nobody paged.

        A probe that fails some checks but never N in a row is worth seeing on the page, not
        worth an incident (it would open and close all day).
        """
        return (
            self.current == ComponentStatus.DEGRADED_PERFORMANCE
            and bool(self.failing)
            and all(state.intermittent_reason for state in self.failing)
        )

    def failing_since(self, now: datetime) -> datetime:
        """Return since when its failing probes have failed."""
        times = [state.confirmed_since for state in self.failing]
        return min(times) if times else self.component.automatic_since or now


def failures(
    failing: Iterable[ProbeState], config: StatusConfig, now: datetime
) -> list[ProbeFailure]:
    """Return each failing probe location as the incident text words it.

    A location is named whenever the probe reports from more than one (so "from eu-west"
    tells which of three is failing), counting only locations still reporting.
    """
    probes = {probe.key: probe for probe in config.probes}
    found = []
    for state in failing:
        probe = probes.get(state.probe_key)
        interval = probe.interval_s if probe else 60
        oldest = now - timedelta(seconds=STALE_AFTER_INTERVALS * interval)
        reporting = db.session.execute(
            db.select(db.func.count())
            .select_from(ProbeState)
            .where(ProbeState.probe_key == state.probe_key, ProbeState.reported_at >= oldest)
        ).scalar()
        intermittent = bool(state.intermittent_reason)
        if probe is None:
            window = 3
        else:
            window = probe.intermittent_window if intermittent else probe.failures_to_open
        recent = list(
            db.session.execute(
                db.select(ProbeResult.outcome)
                .where(
                    ProbeResult.probe_key == state.probe_key,
                    ProbeResult.location == state.location,
                )
                .order_by(ProbeResult.started_at.desc())
                .limit(window)
            ).scalars()
        )
        failed = Outcome.DOWN if intermittent else None
        found.append(
            ProbeFailure(
                probe_name=probe.name if probe else state.probe_key,
                location=state.location if (reporting or 0) > 1 else None,
                reason=state.last_failure_reason or state.last_reason,
                failing_count=sum(
                    1 for o in recent if (o == failed if failed else o != Outcome.UP)
                ),
                total_count=len(recent),
                intermittent=intermittent,
            )
        )
    return found
