"""From results, staff writes and the clock to stored status: recording, evaluation, rollups.

Every other package uses the engine through the names below; inside it, modules import each
other by their full path.
"""

from statuspage.engine.automatic import close_automatic_incident
from statuspage.engine.config_sync import sync_components
from statuspage.engine.evaluation import automatic_status, evaluate
from statuspage.engine.history import lay_incident
from statuspage.engine.maintenance import advance_maintenances, move_maintenance
from statuspage.engine.recording import ingest, prune, record_results
from statuspage.engine.rollups import roll_up, roll_up_days
from statuspage.engine.service import ProbeService

__all__ = [
    "ProbeService",
    "advance_maintenances",
    "automatic_status",
    "close_automatic_incident",
    "evaluate",
    "ingest",
    "lay_incident",
    "move_maintenance",
    "prune",
    "record_results",
    "roll_up",
    "roll_up_days",
    "sync_components",
]
