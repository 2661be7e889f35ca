"""What staff write, through every front door (admin screens, the write API, content files).

The one write service is this package's API, below: each function validates everything before
it writes anything, audits, bumps the site's version and lets the engine re-derive status.
Accounts, tokens, content files and backups are its submodules.
"""

from statuspage.staff.service import (
    Actor,
    Conflict,
    Invalid,
    NotFound,
    StaffError,
    cancel_maintenance,
    change_incident,
    create_incident,
    edit_maintenance,
    edit_update,
    get_incident,
    get_update,
    post_update,
    schedule_maintenance,
    set_component_status,
)

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
