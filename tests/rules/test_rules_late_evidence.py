"""The rules issue 16 added: the intermittent k-of-n rule in replay, replayed timelines with
silent locations, history amendments that only append, and the words they come with."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.rules.confirmation import Rule, Verdict, replay
from statuspage.rules.history import amend, laid_over, status_at
from statuspage.rules.timeline import component_timeline, probe_timeline, spans
from statuspage.rules.wording import incident_title, intermittent_reason, silent_location
from statuspage.vocabulary import ComponentStatus
from tests.rules.test_rules_confirmation import LETTERS, outcomes

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OP, DEG, MAJ, MAINT = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.UNDER_MAINTENANCE,
)
# A state's first letter, as `outcomes` spells them.
INITIAL = {outcome: letter for letter, outcome in LETTERS.items()}


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


@pytest.mark.parametrize(
    ("raw", "rule", "expected"),
    [
        # N in a row alone: a probe failing two checks in three never goes down.
        ("ddu" * 4, Rule(3, 2), "uuu" * 4),
        # With 3 of the last 10, the same probe is degraded from its third failure on.
        ("ddu" * 4, Rule(3, 2, 3, 10), "uuu" + "gggggggg" + "g"),
        # Failures spread out: the third within 10 checks degrades it; the first ages out.
        ("duuuduuudu" + "u" * 9, Rule(3, 2, 3, 10), "uuuuuuuugg" + "u" * 9),
        # 0 failures turns the rule off.
        ("ddu" * 4, Rule(3, 2, 0, 10), "uuu" * 4),
        # A confirmed outage goes down, then up; its failures are not counted again.
        ("ddddduu" + "u" * 3, Rule(3, 2, 3, 10), "uuddddu" + "uuu"),
    ],
)
def test_replay_applies_n_in_a_row_then_k_of_n(raw, rule, expected) -> None:
    results = [(at(i), outcome) for i, outcome in enumerate(outcomes(raw))]
    verdicts = replay(Verdict("up"), [], results, rule)
    assert "".join(INITIAL[v.state] for v in verdicts) == expected


def test_an_intermittent_verdict_says_how_many_failed_and_since_when() -> None:
    results = [(at(i), outcome) for i, outcome in enumerate(outcomes("ddu" * 4))]
    last = replay(Verdict("up"), [], results, Rule(3, 2, 3, 10))[-1]
    assert (last.state, last.failed, last.checked, last.since) == ("degraded", 6, 10, at(3))
    assert last.intermittent


def test_context_counts_in_the_window_but_is_not_judged_again() -> None:
    context = [(at(0), "down"), (at(1), "down")]
    [verdict] = replay(Verdict("up"), context, [(at(2), "down")], Rule(3, 2))
    assert (verdict.state, verdict.since) == ("down", at(0))


@pytest.mark.parametrize(
    ("points", "moment", "expected"),
    [
        ([], at(5), None),
        ([(at(0), OP)], at(-1), None),
        ([(at(0), OP), (at(3), MAJ)], at(3), MAJ),
        # Two points at one moment: the one appended later is read last and holds.
        ([(at(0), OP), (at(3), MAJ), (at(3), OP)], at(4), OP),
        # Appended later but dated earlier: read by time.
        ([(at(0), OP), (at(5), OP), (at(2), MAJ)], at(3), MAJ),
        ([(at(0), OP), (at(5), OP), (at(2), MAJ)], at(6), OP),
    ],
)
def test_status_at_reads_by_time_then_as_appended(points, moment, expected) -> None:
    assert status_at(points, moment) == expected


@pytest.mark.parametrize(
    ("current", "desired", "restore", "expected"),
    [
        # Nothing new: nothing appended.
        ([(at(0), OP)], [(at(0), OP)], True, []),
        # An outage in the window, and the status after it given back at the end.
        (
            [(at(0), OP)],
            [(at(0), OP), (at(2), MAJ), (at(4), OP)],
            True,
            [(at(2), MAJ), (at(4), OP)],
        ),
        # Running on: the last amended status holds past the window (the caller goes on).
        ([(at(0), OP)], [(at(0), OP), (at(2), MAJ)], False, [(at(2), MAJ)]),
        ([(at(0), OP)], [(at(0), OP), (at(2), MAJ)], True, [(at(2), MAJ), (at(10), OP)]),
        # A recorded change inside the window that the desired history does not have.
        ([(at(0), OP), (at(3), DEG)], [(at(0), OP)], True, [(at(3), OP), (at(10), DEG)]),
    ],
)
def test_amend_appends_only_what_makes_the_window_read_as_desired(
    current, desired, restore, expected
) -> None:
    appended = amend(current, desired, at(0), at(10), restore=restore)
    assert appended == expected
    history = [*current, *appended]
    for minute in range(11):
        moment = at(minute + 0.5)
        wanted = status_at(desired, moment) if minute < 10 else status_at(current, moment)
        if restore or minute < 10:
            assert status_at(history, moment) == wanted, minute


@pytest.mark.parametrize(
    ("recorded", "late", "expected"),
    [
        # Trouble nobody saw is laid over an operational history.
        ([(at(0), OP, True)], [(at(2), at(4), MAJ)], [(at(0), OP), (at(2), MAJ), (at(4), OP)]),
        # Never lighter than what the page said at the time.
        ([(at(0), MAJ, True)], [(at(2), at(4), DEG)], [(at(0), MAJ)]),
        # Maintenance and a manual status hold as recorded.
        ([(at(0), MAINT, True)], [(at(2), at(4), MAJ)], [(at(0), MAINT)]),
        ([(at(0), OP, False)], [(at(2), at(4), MAJ)], [(at(0), OP)]),
        # Before the first recorded point there is no history: no data stays no data.
        ([(at(3), OP, True)], [(at(1), at(5), MAJ)], [(at(3), MAJ), (at(5), OP)]),
    ],
)
def test_laid_over_keeps_the_worse(recorded, late, expected) -> None:
    assert laid_over(recorded, late, at(0), at(10)) == expected


def test_a_silent_location_drops_out_just_after_its_third_interval() -> None:
    # eu-west is down and stops reporting at 10:02; here stays up and reports every minute.
    changes = {"eu-west": [(at(0), "down")], "here": [(at(0), "up")]}
    reports = {"eu-west": [at(0), at(1), at(2)], "here": [at(m) for m in range(10)]}
    timeline = probe_timeline(changes, reports, 60, at(0), at(10))
    # One location of two down: degraded; from just after 10:05, only "here" counts.
    assert timeline == [(at(0), "degraded"), (at(5) + timedelta(microseconds=1), "up")]
    component = component_timeline([timeline])
    assert spans(component, at(10)) == [(at(0), at(5) + timedelta(microseconds=1), DEG)]


def test_a_probe_with_no_location_left_is_unknown() -> None:
    changes, reports = {"eu-west": [(at(0), "down")]}, {"eu-west": [at(0)]}
    timeline = probe_timeline(changes, reports, 60, at(0), at(9))
    assert timeline == [(at(0), "down"), (at(3) + timedelta(microseconds=1), None)]
    assert spans(component_timeline([timeline]), at(9)) == [
        (at(0), at(3) + timedelta(microseconds=1), MAJ)
    ]


@pytest.mark.parametrize(
    ("failed", "checked", "reason", "expected"),
    [
        (
            3,
            10,
            "HTTP 503, expected 200",
            "intermittent: 3 of the last 10 checks failed (HTTP 503)",
        ),
        (6, 10, "", "intermittent: 6 of the last 10 checks failed"),
        (
            3,
            10,
            "connection refused",
            "intermittent: 3 of the last 10 checks failed (connection refused)",
        ),
    ],
)
def test_intermittent_reason(failed, checked, reason, expected) -> None:
    assert intermittent_reason(failed, checked, reason) == expected


def test_titles_follow_the_worst_status_and_count_when_too_long() -> None:
    names = ["Live Updates", "App Management", "Analytics"]
    assert incident_title(MAJ, names, 300) == (
        "Major outage of Live Updates, App Management and Analytics"
    )
    assert incident_title(DEG, names[:1], 300) == "Degraded performance of Live Updates"
    assert incident_title(MAJ, names, 30) == "Major outage of 3 components"


def test_silent_location_names_the_last_result_in_the_site_zone() -> None:
    from zoneinfo import ZoneInfo

    assert silent_location("eu-west", at(42), ZoneInfo("UTC"), at(60)) == (
        "no results from eu-west since 10:42 UTC"
    )
