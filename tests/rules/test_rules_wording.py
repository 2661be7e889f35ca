"""The system's own incident wording."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from statuspage.rules import (
    ProbeFailure,
    failure_update,
    recovery_update,
    status_change_update,
)
from statuspage.rules.wording import describe_reason
from statuspage.vocabulary import ComponentStatus

UTC_ZONE = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
SINCE = datetime(2026, 2, 15, 10, 2, tzinfo=UTC)
NOW = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)

TIMEOUT = ProbeFailure("Update check", None, "timeout after 10 s", 3, 3)
HTTP_503 = ProbeFailure("Europe edge", None, "HTTP 503, expected 200", 0, 0)


@pytest.mark.parametrize(
    ("reason", "degraded", "clause"),
    [
        ("timeout after 10 s", False, "timed out after 10 s"),
        ("Timeout after 3 s.", False, "timed out after 3 s"),
        ("timed out after 10 s", False, "timed out after 10 s"),
        ("timeout", False, "timed out"),
        ("HTTP 503, expected 200", False, "answered HTTP 503"),
        ("HTTP 500", False, "answered HTTP 500"),
        ("connection refused", False, "failed: connection refused"),
        ("", False, "failed"),
        ("4.2 s, expected under 3 s", True, "was degraded: 4.2 s, expected under 3 s"),
    ],
)
def test_describe_reason(reason, degraded, clause):
    assert describe_reason(reason, degraded) == clause


@pytest.mark.parametrize(
    ("since", "failures", "tz", "status", "now", "expected"),
    [
        (
            SINCE,
            [TIMEOUT, HTTP_503],
            UTC_ZONE,
            ComponentStatus.MAJOR_OUTAGE,
            NOW,
            "Automated checks of Live Updates have been failing since 10:02 UTC: Update check"
            " timed out after 10 s (3 of 3 checks); Europe edge answered HTTP 503.",
        ),
        (
            SINCE,
            [TIMEOUT],
            PARIS,
            ComponentStatus.PARTIAL_OUTAGE,
            NOW,
            "Automated checks of Live Updates have been failing since 11:02 CET: Update check"
            " timed out after 10 s (3 of 3 checks).",
        ),
        (
            datetime(2026, 7, 1, 10, 2, tzinfo=UTC),
            [],
            PARIS,
            ComponentStatus.MAJOR_OUTAGE,
            datetime(2026, 7, 1, 11, 0, tzinfo=UTC),
            "Automated checks of Live Updates have been failing since 12:02 CEST.",
        ),
        (
            SINCE,
            [ProbeFailure("Update check", "eu-west", "connection refused", 1, 1)],
            UTC_ZONE,
            ComponentStatus.MAJOR_OUTAGE,
            datetime(2026, 2, 16, 9, 0, tzinfo=UTC),
            "Automated checks of Live Updates have been failing since Feb 15, 10:02 UTC:"
            " Update check from eu-west failed: connection refused (1 of 1 check).",
        ),
        (
            datetime(2025, 12, 31, 23, 50, tzinfo=UTC),
            [],
            UTC_ZONE,
            ComponentStatus.MAJOR_OUTAGE,
            datetime(2026, 1, 1, 0, 10, tzinfo=UTC),
            "Automated checks of Live Updates have been failing since Dec 31, 2025, 23:50 UTC.",
        ),
        # Different UTC days, same Paris day: 00:30 CET and 01:10 CET on 16 February.
        (
            datetime(2026, 2, 15, 23, 30, tzinfo=UTC),
            [],
            PARIS,
            ComponentStatus.MAJOR_OUTAGE,
            datetime(2026, 2, 16, 0, 10, tzinfo=UTC),
            "Automated checks of Live Updates have been failing since 00:30 CET.",
        ),
        # Without now, the date is always given.
        (
            SINCE,
            [],
            UTC_ZONE,
            ComponentStatus.MAJOR_OUTAGE,
            None,
            "Automated checks of Live Updates have been failing since Feb 15, 2026, 10:02 UTC.",
        ),
        (
            SINCE,
            [ProbeFailure("Update check", "eu-west", "4.2 s, expected under 3 s", 2, 3)],
            UTC_ZONE,
            ComponentStatus.DEGRADED_PERFORMANCE,
            NOW,
            "Automated checks of Live Updates have shown degraded performance since 10:02 UTC:"
            " Update check from eu-west was degraded: 4.2 s, expected under 3 s (2 of 3 checks).",
        ),
    ],
)
def test_failure_update(since, failures, tz, status, now, expected):
    assert failure_update("Live Updates", since, failures, tz, status, now) == expected


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "Live Updates",
            ComponentStatus.PARTIAL_OUTAGE,
            ComponentStatus.MAJOR_OUTAGE,
            "Live Updates changed from Partial Outage to Major Outage.",
        ),
        (
            "Analytics",
            "major_outage",
            "operational",
            "Analytics changed from Major Outage to Operational.",
        ),
        (
            "App Management",
            ComponentStatus.OPERATIONAL,
            ComponentStatus.DEGRADED_PERFORMANCE,
            "App Management changed from Operational to Degraded Performance.",
        ),
    ],
)
def test_status_change_update(name, old, new, expected):
    assert status_change_update(name, old, new) == expected


RECOVERED = datetime(2026, 2, 15, 10, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("names", "monitoring", "tz", "expected"),
    [
        (
            ["Live Updates"],
            False,
            UTC_ZONE,
            "Automated checks of Live Updates have passed since 10:31 UTC."
            " This incident has been resolved.",
        ),
        (
            "Live Updates",
            True,
            UTC_ZONE,
            "Automated checks of Live Updates have passed since 10:31 UTC."
            " A team member will confirm the resolution.",
        ),
        (
            ["Live Updates", "Analytics"],
            False,
            PARIS,
            "Automated checks of Live Updates and Analytics have passed since 11:31 CET."
            " This incident has been resolved.",
        ),
        (
            ["Live Updates", "Analytics", "App Management"],
            False,
            UTC_ZONE,
            "Automated checks of Live Updates, Analytics and App Management have passed since"
            " 10:31 UTC. This incident has been resolved.",
        ),
    ],
)
def test_recovery_update(names, monitoring, tz, expected):
    assert recovery_update(names, RECOVERED, tz, monitoring=monitoring, now=NOW) == expected
