"""What staff write, through every front door (admin screens, the write API, content files).

The one write service is this package's API, below: each function validates everything before
it writes anything, audits, bumps the site's version and lets the engine re-derive status.
Its modules: validation (the errors and validators), writes (the one write sequence and the
changes writers share), incidents, maintenance and components. Accounts, tokens, content files
and backups are submodules of their own.
"""

from statuspage.staff.components import set_component_status
from statuspage.staff.incidents import (
    change_incident,
    create_incident,
    edit_update,
    get_incident,
    get_update,
    post_update,
)
from statuspage.staff.maintenance import (
    cancel_maintenance,
    edit_maintenance,
    schedule_maintenance,
)
from statuspage.staff.validation import Conflict, Invalid, NotFound, StaffError
from statuspage.staff.writes import Actor

__all__ = [
    "Actor",
    "Conflict",
    "Invalid",
    "NotFound",
    "StaffError",
    "cancel_maintenance",
    "change_incident",
    "create_incident",
    "edit_maintenance",
    "edit_update",
    "get_incident",
    "get_update",
    "post_update",
    "schedule_maintenance",
    "set_component_status",
]
