"""Confirmation counts and the combination of locations."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.rules import LocationState, combine_locations, confirm, confirm_sequence

LETTERS = {"u": "up", "g": "degraded", "d": "down"}


def outcomes(letters: str) -> list[str]:
    """Spell a sequence of outcomes as letters: u up, g degraded (grey), d down."""
    return [LETTERS[letter] for letter in letters]


@pytest.mark.parametrize(
    ("raw", "n", "m", "expected"),
    [
        ("", 3, 2, ""),
        ("d", 3, 2, "u"),
        ("uuduu", 3, 2, "uuuuu"),
        ("du" * 20, 3, 2, "u" * 40),
        ("du" * 20, 2, 2, "u" * 40),
        ("ud" * 20, 2, 1, "u" * 40),
        ("ddd", 3, 2, "uud"),
        ("dd", 2, 2, "ud"),
        ("dddud", 3, 2, "uuddd"),
        ("ddduu", 3, 2, "uuddu"),
        ("ddduuu", 3, 3, "uudddu"),
        ("dddudud", 3, 2, "uuddddd"),
        ("ggg", 3, 2, "uug"),
        ("gdg", 3, 2, "uug"),
        ("gug" * 5, 3, 2, "u" * 15),
        ("gddd", 3, 2, "uugd"),
        ("gggdd", 3, 2, "uuggg"),
        ("gggddd", 3, 2, "uugggd"),
        ("ggguu", 3, 2, "uuggu"),
        ("gggugg", 3, 2, "uugggg"),
        # Down, then degraded: the outage is over once N results in a row show no down.
        ("dddggg", 3, 2, "uudddg"),
        ("dddugg", 3, 2, "uudddg"),
        ("dddgdg", 3, 2, "uudddd"),
        ("dugd", 1, 1, "dugd"),
    ],
)
def test_confirm_sequence(raw, n, m, expected):
    assert confirm_sequence(outcomes(raw), n, m) == outcomes(expected)


@pytest.mark.parametrize(
    ("previous", "recent", "n", "m", "expected"),
    [
        ("down", "", 3, 2, "down"),
        ("up", "dd", 3, 2, "up"),
        ("degraded", "ddd", 3, 2, "down"),
        ("down", "u", 3, 1, "up"),
        # Recovery wins over the degraded rule: it is the newest evidence.
        ("down", "guu", 3, 2, "up"),
        ("down", "uuu", 3, 4, "down"),
        ("up", "uuuuuuuddd", 3, 2, "down"),
    ],
)
def test_confirm(previous, recent, n, m, expected):
    assert confirm(previous, outcomes(recent), n, m) == expected


@pytest.mark.parametrize(
    ("previous", "recent", "n", "m"),
    [
        ("up", ["sideways"], 3, 2),
        ("unknown", [], 3, 2),
        ("up", [], 0, 2),
        ("up", [], 3, 0),
    ],
)
def test_confirm_refuses_nonsense(previous, recent, n, m):
    with pytest.raises(ValueError):
        confirm(previous, recent, n, m)


NOW = datetime(2026, 2, 15, 12, 0, tzinfo=UTC)
FRESH = NOW - timedelta(seconds=30)
EDGE = NOW - timedelta(seconds=180)  # exactly three 60 s intervals ago: still counts
STALE = NOW - timedelta(seconds=181)


def locations(*states: tuple[str, datetime]) -> dict[str, LocationState]:
    """Build location states named a, b, c... from (confirmed, reported_at) pairs."""
    return {chr(97 + i): LocationState(c, at) for i, (c, at) in enumerate(states)}


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (locations(("down", FRESH), ("down", FRESH), ("up", FRESH)), "down"),
        (locations(("down", FRESH), ("up", FRESH)), "degraded"),
        (locations(("down", FRESH), ("down", FRESH), ("up", FRESH), ("up", FRESH)), "degraded"),
        (locations(("down", FRESH), ("down", FRESH), ("up", STALE)), "down"),
        (locations(("down", STALE), ("up", FRESH)), "up"),
        (locations(("degraded", FRESH), ("up", FRESH)), "degraded"),
        (locations(("degraded", FRESH), ("down", FRESH), ("down", FRESH)), "down"),
        (locations(("up", FRESH), ("up", FRESH)), "up"),
        (locations(("down", EDGE)), "down"),
        (locations(("down", STALE)), None),
        (locations(), None),
        # A clock slightly ahead of ours still counts.
        (locations(("up", NOW + timedelta(seconds=5))), "up"),
    ],
)
def test_combine_locations(states, expected):
    assert combine_locations(states, NOW, 60) == expected
