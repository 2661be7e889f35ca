"""Staff writes on components: a manual status that holds until cleared."""

from __future__ import annotations

import pytest

from statuspage import staff
from tests.staff.helpers import ALICE, NOW, shown


def test_manual_component_status(app) -> None:
    config = app.config["STATUS"]
    with app.app_context():
        staff.set_component_status(ALICE, config, NOW, "analytics", "degraded_performance")
        assert shown("analytics") == "degraded_performance"
        staff.set_component_status(ALICE, config, NOW, "analytics", None)
        assert shown("analytics") == "operational"
        with pytest.raises(staff.NotFound):
            staff.set_component_status(ALICE, config, NOW, "nope", None)
        with pytest.raises(staff.Invalid):
            staff.set_component_status(ALICE, config, NOW, "analytics", "sideways")
