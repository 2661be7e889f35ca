"""Component status from probes, and the status the page shows."""

import pytest

from statuspage.rules import component_status_from_probes, effective_status, manual_hides
from statuspage.vocabulary import ComponentStatus

OP = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED_PERFORMANCE
PAR = ComponentStatus.PARTIAL_OUTAGE
MAJ = ComponentStatus.MAJOR_OUTAGE
MNT = ComponentStatus.UNDER_MAINTENANCE


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], None),
        ([None], None),
        ([None, None], None),
        (["up"], OP),
        (["up", None], OP),
        (["up", "up"], OP),
        (["down", "down"], MAJ),
        (["down", None], MAJ),
        (["up", "down"], PAR),
        (["degraded", "down"], PAR),
        (["degraded", "degraded", "down", "down"], PAR),
        (["degraded", "up"], DEG),
        (["degraded"], DEG),
    ],
)
def test_component_status_from_probes(states, expected):
    assert component_status_from_probes(states) == expected


def test_component_status_refuses_unknown_state():
    with pytest.raises(ValueError):
        component_status_from_probes(["sideways"])


@pytest.mark.parametrize(
    ("automatic", "manual", "in_maintenance", "incident", "expected"),
    [
        (None, None, False, None, OP),
        (OP, None, False, None, OP),
        (DEG, None, False, None, DEG),
        # Staff's manual status holds, better or worse than the probes.
        (MAJ, OP, False, None, OP),
        (OP, MAJ, False, None, MAJ),
        (MAJ, DEG, True, PAR, DEG),
        # Maintenance hides the probes and any incident.
        (MAJ, None, True, None, MNT),
        (OP, None, True, MAJ, MNT),
        (None, None, True, None, MNT),
        # An incident makes a component look worse, never better.
        (OP, None, False, PAR, PAR),
        (None, None, False, DEG, DEG),
        (MAJ, None, False, PAR, MAJ),
        (DEG, None, False, MNT, DEG),
        (OP, None, False, MNT, MNT),
        ("partial_outage", None, False, "major_outage", MAJ),
    ],
)
def test_effective_status(automatic, manual, in_maintenance, incident, expected):
    assert effective_status(automatic, manual, in_maintenance, incident) == expected


@pytest.mark.parametrize(
    ("manual", "observed", "hides"),
    [
        (OP, PAR, True),
        (DEG, MAJ, True),
        (MNT, PAR, True),  # pinning maintenance over an outage hides it too
        (OP, MNT, True),
        (PAR, PAR, False),
        (MAJ, PAR, False),
        (DEG, MNT, False),
        (OP, OP, False),
    ],
)
def test_manual_hides_only_a_better_status(manual, observed, hides):
    assert manual_hides(manual, observed) is hides
