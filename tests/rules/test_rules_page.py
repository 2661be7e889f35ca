"""The banner, incident impact, worst status and the website's indicator."""

import pytest

from statuspage.rules import incident_impact, page_status, site_indicator, worst_status
from statuspage.vocabulary import ComponentStatus, Impact, Indicator

OP = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED_PERFORMANCE
PAR = ComponentStatus.PARTIAL_OUTAGE
MAJ = ComponentStatus.MAJOR_OUTAGE
MNT = ComponentStatus.UNDER_MAINTENANCE

ALL_OK = (Indicator.NONE, "All Systems Operational")
CRITICAL = (Indicator.CRITICAL, "Major System Outage")
MAJOR = (Indicator.MAJOR, "Partial System Outage")
MINOR_OUTAGE = (Indicator.MINOR, "Minor Service Outage")
ALL_DEGRADED = (Indicator.MINOR, "Degraded System Service")
SOME_DEGRADED = (Indicator.MINOR, "Partially Degraded Service")
MAINTENANCE = (Indicator.MAINTENANCE, "Service Under Maintenance")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], ALL_OK),
        ([OP, OP, OP], ALL_OK),
        ([MAJ, MAJ], CRITICAL),
        ([MAJ], CRITICAL),
        ([MAJ, OP, OP], MAJOR),
        ([PAR, PAR], MAJOR),
        ([PAR, OP], MINOR_OUTAGE),
        ([DEG, DEG], ALL_DEGRADED),
        ([DEG, OP], SOME_DEGRADED),
        ([MNT, OP], MAINTENANCE),
        ([MNT, MNT], MAINTENANCE),
        ([MAJ, PAR], MAJOR),
        ([MAJ, MNT], MAJOR),
        ([PAR, DEG], MINOR_OUTAGE),
        ([PAR, MNT], MINOR_OUTAGE),
        ([DEG, MNT], SOME_DEGRADED),
        ([DEG, DEG, MNT], SOME_DEGRADED),
        (["major_outage", "operational"], MAJOR),
    ],
)
def test_banner_from_components(statuses, expected):
    assert page_status(statuses) == expected


@pytest.mark.parametrize(
    ("statuses", "impacts", "expected"),
    [
        ([OP], [Impact.NONE], ALL_OK),
        ([OP], [Impact.MINOR], MINOR_OUTAGE),
        ([OP], [Impact.MAJOR], MAJOR),
        ([OP], [Impact.CRITICAL], CRITICAL),
        ([OP], [Impact.MAINTENANCE], MAINTENANCE),
        ([], [Impact.MAJOR], MAJOR),
        # Maintenance never outranks a real problem.
        ([DEG, OP], [Impact.MAINTENANCE], SOME_DEGRADED),
        # Same indicator: the components' more precise description stays.
        ([DEG, OP], [Impact.MINOR], SOME_DEGRADED),
        ([DEG, DEG], [Impact.MINOR], ALL_DEGRADED),
        ([DEG, OP], [Impact.MINOR, Impact.CRITICAL], CRITICAL),
        ([PAR, OP], [Impact.MAJOR], MAJOR),
        ([MNT], [Impact.MINOR], MINOR_OUTAGE),
        # An incident never lowers the indicator.
        ([MAJ, MAJ], [Impact.MINOR], CRITICAL),
        ([MAJ, OP], [Impact.NONE, "minor"], MAJOR),
    ],
)
def test_unresolved_incident_raises_banner(statuses, impacts, expected):
    assert page_status(statuses, impacts) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Impact.NONE),
        ([OP], Impact.NONE),
        ([DEG, OP], Impact.MINOR),
        ([PAR, DEG], Impact.MAJOR),
        ([MAJ, PAR], Impact.CRITICAL),
        ([MAJ, MNT], Impact.CRITICAL),
        ([MNT], Impact.MAINTENANCE),
        ([MNT, MNT], Impact.MAINTENANCE),
        ([MNT, OP], Impact.NONE),
        ([MNT, DEG], Impact.MINOR),
    ],
)
def test_incident_impact(statuses, expected):
    assert incident_impact(statuses) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], OP),
        ([OP, OP], OP),
        ([OP, MNT], MNT),
        ([MNT, DEG], DEG),
        ([DEG, PAR], PAR),
        ([PAR, MAJ, OP], MAJ),
        (["partial_outage", "degraded_performance"], PAR),
    ],
)
def test_worst_status(statuses, expected):
    assert worst_status(statuses) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "up"),
        ([OP, OP], "up"),
        ([MAJ, OP], "down"),
        ([MAJ, MNT], "down"),
        ([MNT, OP], "maintenance"),
        ([MNT], "maintenance"),
        ([MNT, DEG], "degraded"),
        ([PAR], "degraded"),
        ([DEG, OP], "degraded"),
    ],
)
def test_site_indicator(statuses, expected):
    assert site_indicator(statuses) == expected
