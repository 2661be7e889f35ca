"""Maintenance timeline, default texts and update labels."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.rules import DEFAULT_TEXTS, UPDATE_LABELS, maintenance_status, update_label
from statuspage.vocabulary import IncidentStatus, MaintenanceStatus

START = datetime(2026, 2, 15, 10, 0, tzinfo=UTC)
END = datetime(2026, 2, 15, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)

SCHEDULED = MaintenanceStatus.SCHEDULED
IN_PROGRESS = MaintenanceStatus.IN_PROGRESS
VERIFYING = MaintenanceStatus.VERIFYING
COMPLETED = MaintenanceStatus.COMPLETED


@pytest.mark.parametrize(
    ("now", "current", "expected"),
    [
        (START - SECOND, SCHEDULED, SCHEDULED),
        (START, SCHEDULED, IN_PROGRESS),
        (END - SECOND, SCHEDULED, IN_PROGRESS),
        (END - SECOND, IN_PROGRESS, IN_PROGRESS),
        (END, SCHEDULED, COMPLETED),
        (END, IN_PROGRESS, COMPLETED),
        (END, VERIFYING, COMPLETED),
        (START + timedelta(hours=1), VERIFYING, VERIFYING),
        # Staff moved ahead of the clock: the clock does not move it back.
        (START - timedelta(hours=1), VERIFYING, VERIFYING),
        (START - timedelta(hours=1), IN_PROGRESS, IN_PROGRESS),
        (START - timedelta(hours=1), COMPLETED, COMPLETED),
        (START + timedelta(hours=1), COMPLETED, COMPLETED),
        (START + timedelta(hours=1), "scheduled", IN_PROGRESS),
    ],
)
def test_maintenance_status(now, current, expected):
    assert maintenance_status(START, END, now, current) == expected


def test_zero_length_window_completes_at_its_start():
    assert maintenance_status(START, START, START, SCHEDULED) == COMPLETED


@pytest.mark.parametrize(
    ("now", "expected"), [(START - SECOND, SCHEDULED), (START, COMPLETED), (END, COMPLETED)]
)
def test_window_ending_before_it_starts_completes_at_its_end(now, expected):
    assert maintenance_status(END, START, now, SCHEDULED) == expected


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (IncidentStatus.INVESTIGATING, "We are currently investigating this issue."),
        (
            IncidentStatus.IDENTIFIED,
            "The issue has been identified and a fix is being implemented.",
        ),
        (
            IncidentStatus.MONITORING,
            "A fix has been implemented and we are monitoring the results.",
        ),
        (IncidentStatus.RESOLVED, "This incident has been resolved."),
        (MaintenanceStatus.COMPLETED, "The scheduled maintenance has been completed."),
    ],
)
def test_default_texts_from_the_reference(status, text):
    assert DEFAULT_TEXTS[status] == text


def test_every_status_has_a_default_text_and_a_label():
    for status in [*IncidentStatus, *MaintenanceStatus]:
        assert DEFAULT_TEXTS[status].endswith(".")
        assert UPDATE_LABELS[status]


@pytest.mark.parametrize(
    ("status", "previous", "expected"),
    [
        (IncidentStatus.INVESTIGATING, None, "Investigating"),
        (IncidentStatus.INVESTIGATING, IncidentStatus.INVESTIGATING, "Update"),
        (IncidentStatus.IDENTIFIED, IncidentStatus.INVESTIGATING, "Identified"),
        (IncidentStatus.MONITORING, IncidentStatus.IDENTIFIED, "Monitoring"),
        (IncidentStatus.RESOLVED, "monitoring", "Resolved"),
        (IncidentStatus.POSTMORTEM, IncidentStatus.RESOLVED, "Postmortem"),
        (MaintenanceStatus.SCHEDULED, None, "Scheduled"),
        (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.SCHEDULED, "In progress"),
        (MaintenanceStatus.VERIFYING, MaintenanceStatus.IN_PROGRESS, "Verifying"),
        (MaintenanceStatus.COMPLETED, MaintenanceStatus.COMPLETED, "Update"),
        ("resolved", "resolved", "Update"),
    ],
)
def test_update_label(status, previous, expected):
    assert update_label(status, previous) == expected
