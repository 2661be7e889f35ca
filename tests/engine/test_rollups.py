"""Uptime: timelines with gaps and maintenance, and daily figures rolled up from history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from statuspage.config import load_config
from statuspage.engine import record_results, roll_up_days
from statuspage.reads.uptime import day_figures
from statuspage.rules.uptime import compose_timeline, coverage, uptime_percent
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    ComponentDay,
    Incident,
    StatusChange,
)
from statuspage.vocabulary import ComponentStatus
from tests.factories import component, component_toml, config_toml, probe_result, probe_toml

OP, PART, MAJ, MAINT = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.UNDER_MAINTENANCE,
)


UPDATE_CHECK = "live-updates/update-check"


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_coverage_merges_results_closer_than_the_gap() -> None:
    gap = timedelta(minutes=3)
    times = [at(6, 0), at(6, 1), at(6, 2), at(6, 10)]
    assert coverage(times, gap) == [(at(6, 0), at(6, 5)), (at(6, 10), at(6, 13))]
    assert coverage([], gap) == []


@pytest.mark.parametrize(
    ("history", "covered", "maintenance", "expected"),
    [
        # No history: no data at all.
        ([], None, [], [(at(0), None)]),
        # Staff-only component: data from its first entry.
        ([(at(6), OP)], None, [], [(at(0), None), (at(6), OP)]),
        # A gap in the results is no data, even though the history says operational.
        (
            [(at(1), OP)],
            [(at(2), at(3)), (at(4), at(5))],
            [],
            [(at(0), None), (at(2), OP), (at(3), None), (at(4), OP), (at(5), None)],
        ),
        # Maintenance lays over an outage: planned work is not downtime.
        (
            [(at(1), OP), (at(2), MAJ), (at(4), OP)],
            None,
            [(at(3), at(5))],
            [(at(0), None), (at(1), OP), (at(2), MAJ), (at(3), MAINT), (at(5), OP)],
        ),
    ],
)
def test_compose_timeline(history, covered, maintenance, expected) -> None:
    assert compose_timeline(history, covered, maintenance, at(0), at(0, day=3)) == expected


@pytest.fixture
def config_path(write_config):
    return write_config(
        config_toml(
            component_toml(
                "live-updates",
                "Live Updates",
                probe_toml("Update check", "https://plugin.capgo.app/updates"),
            ),
            component_toml("analytics", "Analytics"),
        )
    )


def test_daily_figures_by_hand(app, config_path) -> None:
    """A day with no data at night, a one-hour probing gap, an outage and a maintenance."""
    config = load_config(config_path)
    with app.app_context():
        live = component("live-updates")
        minutes = [at(6) + timedelta(minutes=m) for m in range(12 * 60)]
        record_results(
            [probe_result(UPDATE_CHECK, started_at=m) for m in minutes if not at(9) <= m < at(10)]
        )
        for moment, status in [
            (at(6), OP),
            (at(11), MAJ),
            (at(11, 30), OP),
            (at(12), PART),
            (at(13), OP),
        ]:
            db.session.add(StatusChange(component=live, status=status, at=moment, cause="probe"))
        maintenance = Incident(
            name="Upgrade",
            kind="maintenance",
            status="completed",
            impact="maintenance",
            scheduled_for=at(14),
            scheduled_until=at(15),
        )
        db.session.add(maintenance)
        db.session.add(AffectedComponent(incident=maintenance, component=live, status=MAINT))
        db.session.commit()

        assert roll_up_days(config, at(0, day=3)) == 1  # Mar 2; Mar 3 has not started
        assert roll_up_days(config, at(0, day=3)) == 1  # idempotent
        [day] = day_figures([live.id], date(2026, 3, 2), date(2026, 3, 2))[live.id]
        # Coverage: 06:00-09:02 (182 min) and 10:00-18:02 (482 min), 3 intervals per result.
        assert day.minutes == {
            None: 360 + 58 + 358,
            OP: 664 - 30 - 60 - 60,
            MAJ: 30,
            PART: 60,
            MAINT: 60,
            ComponentStatus.DEGRADED_PERFORMANCE: 0,
        }
        assert day.weighted_downtime == pytest.approx(30 + 0.3 * 60)
        assert day.uptime == pytest.approx(100 * (1 - 48 / 664))
        rows = db.session.execute(db.select(ComponentDay)).scalars().all()
        assert {r.component_id for r in rows} == {live.id}  # analytics has no history


def test_no_data_is_no_uptime() -> None:
    assert uptime_percent({None: 1440.0}) is None
