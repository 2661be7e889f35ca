"""Minutes per status, uptime, daily figures across DST, and day colours."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.rules import (
    combine_days,
    daily_figures,
    day_colour,
    day_level,
    mean_uptime,
    minutes_by_status,
    uptime_percent,
    weighted_downtime,
)
from statuspage.vocabulary import ComponentStatus

OP = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED_PERFORMANCE
PAR = ComponentStatus.PARTIAL_OUTAGE
MAJ = ComponentStatus.MAJOR_OUTAGE
MNT = ComponentStatus.UNDER_MAINTENANCE

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 2, 15, 0, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """Return T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("history", "start", "end", "expected"),
    [
        ([(at(0), OP)], at(0), at(60), {OP: 60}),
        ([(at(10), OP)], at(0), at(60), {None: 10, OP: 50}),
        ([], at(0), at(60), {None: 60}),
        # Change points before the start set the status at the start; later ones are ignored.
        (
            [(at(-1440), OP), (at(20), MAJ), (at(30), OP), (at(90), PAR)],
            at(0),
            at(60),
            {OP: 50, MAJ: 10},
        ),
        ([(at(-30), MAJ), (at(-10), DEG)], at(0), at(60), {DEG: 60}),
        ([(at(-10), MAJ), (at(0), OP)], at(0), at(60), {OP: 60}),
        ([(at(0), OP), (at(60), MAJ)], at(0), at(60), {OP: 60}),
        ([(at(120), OP)], at(0), at(60), {None: 60}),
        # Probing stalled for half an hour.
        ([(at(0), OP), (at(15), None), (at(45), DEG)], at(0), at(60), {OP: 15, None: 30, DEG: 15}),
        ([(at(0), OP), (at(0.5), MAJ)], at(0), at(1), {OP: 0.5, MAJ: 0.5}),
        # Out of order and in another zone: 01:10 CET is 00:10 UTC.
        (
            [(datetime(2026, 2, 15, 1, 10, tzinfo=PARIS), MAJ), (at(0), OP)],
            at(0),
            at(60),
            {OP: 10, MAJ: 50},
        ),
        ([(at(0), "major_outage")], at(0), at(30), {MAJ: 30}),
        ([(at(0), OP)], at(60), at(60), {}),
        ([(at(0), OP)], at(60), at(0), {}),
    ],
)
def test_minutes_by_status(history, start, end, expected):
    assert minutes_by_status(history, start, end) == pytest.approx(expected)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        minutes_by_status([], datetime(2026, 2, 15), at(60))


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ({}, None),
        ({None: 60}, None),
        ({OP: 60}, 100.0),
        ({MAJ: 60}, 0.0),
        ({OP: 50, MAJ: 10}, 100 * (1 - 10 / 60)),
        ({OP: 90, PAR: 10}, 97.0),
        ({DEG: 30, MNT: 30}, 100.0),
        # Unknown time is neither up nor down: 10 of the 50 known minutes were down.
        ({OP: 40, MAJ: 10, None: 50}, 80.0),
        ({OP: 1390, PAR: 20, MAJ: 30}, 97.5),
    ],
)
def test_uptime_percent(minutes, expected):
    assert uptime_percent(minutes) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ({}, 0.0),
        ({OP: 1440}, 0.0),
        ({MAJ: 10, PAR: 10, DEG: 100, MNT: 5, None: 20}, 13.0),
        ({PAR: 100}, 30.0),
    ],
)
def test_weighted_downtime(minutes, expected):
    assert weighted_downtime(minutes) == pytest.approx(expected)


# Paris moves to summer time at 02:00 on Sunday 29 March 2026 (a 23-hour day) and back at
# 03:00 on Sunday 25 October 2026 (a 25-hour day).
SPRING_HISTORY = [
    (datetime(2026, 3, 27, 0, 0, tzinfo=UTC), OP),
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), MAJ),  # 03:30 CEST
    (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), OP),
    (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), PAR),  # 23:30 CEST, over local midnight
    (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), OP),
]


def test_daily_figures_across_spring_dst_change():
    days = daily_figures(SPRING_HISTORY, date(2026, 3, 28), date(2026, 3, 30), PARIS)

    assert [d.day for d in days] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    assert [sum(d.minutes.values()) for d in days] == pytest.approx([1440, 1380, 1440])
    assert days[0].minutes == pytest.approx({OP: 1440})
    assert days[0].uptime == pytest.approx(100)
    assert days[0].weighted_downtime == 0
    assert days[1].minutes == pytest.approx({OP: 1320, MAJ: 30, PAR: 30})
    assert days[1].weighted_downtime == pytest.approx(39)
    assert days[1].uptime == pytest.approx(100 * (1 - 39 / 1380))
    assert days[2].minutes == pytest.approx({OP: 1410, PAR: 30})
    assert days[2].weighted_downtime == pytest.approx(9)
    assert days[2].uptime == pytest.approx(99.375)


def test_daily_figures_autumn_day_has_25_hours():
    history = [(datetime(2026, 10, 1, tzinfo=UTC), OP)]
    days = daily_figures(history, date(2026, 10, 24), date(2026, 10, 26), PARIS)
    assert [d.minutes for d in days] == [{OP: 1440}, {OP: 1500}, {OP: 1440}]


def test_daily_figures_before_history_is_no_data():
    # Paris midnight on 28 March is 23:00 UTC the day before: 12 hours unknown, then 12 up.
    history = [(datetime(2026, 3, 28, 11, 0, tzinfo=UTC), OP)]
    (day,) = daily_figures(history, date(2026, 3, 28), date(2026, 3, 28), PARIS)
    assert day.minutes == pytest.approx({None: 720, OP: 720})
    assert day.uptime == pytest.approx(100)


def test_daily_figures_stop_at_until():
    # Local midnight of 30 March is 22:00 UTC on the 29th; until is 12:00 CEST.
    until = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    days = daily_figures(SPRING_HISTORY, date(2026, 3, 30), date(2026, 3, 31), PARIS, until)
    assert days[0].minutes == pytest.approx({PAR: 30, OP: 690})
    assert days[1].minutes == {}
    assert days[1].uptime is None
    assert days[1].weighted_downtime == 0


def test_daily_figures_empty_range():
    assert daily_figures(SPRING_HISTORY, date(2026, 3, 30), date(2026, 3, 29), PARIS) == []


def test_combine_days_sums_minutes_and_recomputes_uptime():
    days = daily_figures(SPRING_HISTORY, date(2026, 3, 26), date(2026, 3, 30), PARIS)
    combined = combine_days(days)
    # 26 March unknown, 27 March unknown until 01:00 CET (00:00 UTC), then up.
    assert combined.minutes == pytest.approx(
        {None: 1440 + 60, OP: 1380 + 1440 + 1320 + 1410, MAJ: 30, PAR: 60}
    )
    assert combined.weighted_downtime == pytest.approx(48)
    assert combined.uptime == pytest.approx(100 * (1 - 48 / (1380 + 1440 + 1380 + 1440)))


def test_combine_no_days():
    combined = combine_days([])
    assert (combined.minutes, combined.uptime, combined.weighted_downtime) == ({}, None, 0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([None], None),
        ([100.0, 90.0], 95.0),
        ([100.0, None, 80.0], 90.0),
    ],
)
def test_mean_uptime(values, expected):
    assert mean_uptime(values) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("weighted", "colour"),
    [
        (None, "#b3bac5"),
        (0, "#2fcc66"),
        (0.5, "#34cc64"),
        (10, "#90c83b"),
        (20, "#f1c40f"),
        (30, "#eca119"),
        (40, "#e67e22"),
        (50, "#e7652f"),
        (60, "#e74c3c"),
        (61, "#e74c3c"),
        (1440, "#e74c3c"),
    ],
)
def test_day_colour(weighted, colour):
    assert day_colour(weighted) == colour


@pytest.mark.parametrize(
    ("weighted", "level"),
    [
        (None, "nodata"),
        (0, "ok"),
        (0.3, "minor"),
        (20, "minor"),
        (20.1, "partial"),
        (40, "partial"),
        (40.5, "major"),
        (60, "major"),
        (500, "major"),
    ],
)
def test_day_level(weighted, level):
    assert day_level(weighted) == level


@pytest.mark.parametrize("function", [day_colour, day_level])
def test_negative_downtime_is_refused(function):
    with pytest.raises(ValueError):
        function(-1)
