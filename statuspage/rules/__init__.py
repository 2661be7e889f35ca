"""Status rules: pure functions that turn results, statuses and time into what the page says."""

from statuspage.rules.component import (
    component_status_from_probes,
    effective_status,
    manual_hides,
)
from statuspage.rules.confirmation import (
    LocationState,
    combine_locations,
    confirm,
    confirm_sequence,
)
from statuspage.rules.maintenance import (
    DEFAULT_TEXTS,
    UPDATE_LABELS,
    maintenance_status,
    update_label,
)
from statuspage.rules.page import (
    incident_impact,
    page_status,
    site_indicator,
    worst_status,
)
from statuspage.rules.uptime import (
    DayFigures,
    Figures,
    combine_days,
    daily_figures,
    day_colour,
    day_level,
    mean_uptime,
    minutes_by_status,
    uptime_percent,
    weighted_downtime,
)
from statuspage.rules.wording import (
    ProbeFailure,
    failure_update,
    recovery_update,
    status_change_update,
)

__all__ = [
    "DEFAULT_TEXTS",
    "UPDATE_LABELS",
    "DayFigures",
    "Figures",
    "LocationState",
    "ProbeFailure",
    "combine_days",
    "combine_locations",
    "component_status_from_probes",
    "confirm",
    "confirm_sequence",
    "daily_figures",
    "day_colour",
    "day_level",
    "effective_status",
    "manual_hides",
    "failure_update",
    "incident_impact",
    "maintenance_status",
    "mean_uptime",
    "minutes_by_status",
    "page_status",
    "recovery_update",
    "site_indicator",
    "status_change_update",
    "update_label",
    "uptime_percent",
    "weighted_downtime",
    "worst_status",
]
