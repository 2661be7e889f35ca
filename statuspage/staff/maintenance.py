"""What staff write on maintenance: schedule a window, change it, cancel it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statuspage.config import StatusConfig
from statuspage.engine import move_maintenance
from statuspage.notify.events import announce_update, announced
from statuspage.rules import maintenance_status
from statuspage.staff.validation import (
    Conflict,
    Invalid,
    valid_aware,
    valid_component_list,
    valid_text,
)
from statuspage.staff.writes import (
    Actor,
    affect,
    affect_only,
    apply_status,
    snapshot,
    staff_update,
    text_or_default,
    writing,
)
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import Incident
from statuspage.vocabulary import ComponentStatus, EventKind, Impact, MaintenanceStatus

CANCELLED_TEXT = "This maintenance has been cancelled."


def schedule_maintenance(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    *,
    name: Any,
    scheduled_for: Any,
    scheduled_until: Any,
    components: Any,
    body: Any = None,
    notify: bool = False,
) -> Incident:
    """Schedule a maintenance window over some components (starting now if it has begun).

    With `notify`, subscribers are told now and when the clock starts and completes it.
    """
    title = valid_text(name, "name", limit=limits.EVENT_NAME)
    start = valid_aware(scheduled_for, "scheduled_for")
    end = valid_aware(scheduled_until, "scheduled_until")
    if end <= start:
        raise Invalid("scheduled_until must be after scheduled_for", "scheduled_until")
    chosen = valid_component_list(components, "components")
    status = maintenance_status(start, end, now, MaintenanceStatus.SCHEDULED)
    text, message = text_or_default(
        valid_text(body, "body", limit=limits.BODY, required=False), MaintenanceStatus.SCHEDULED
    )

    with writing(actor, "maintenance.create", config, now) as write:
        maintenance = Incident(
            name=title,
            kind=EventKind.MAINTENANCE,
            status=MaintenanceStatus.SCHEDULED,
            impact=Impact.MAINTENANCE,
            started_at=start,
            scheduled_for=start,
            scheduled_until=end,
            created_at=now,
            updated_at=now,
        )
        db.session.add(maintenance)
        affect(maintenance, dict.fromkeys(chosen, ComponentStatus.UNDER_MAINTENANCE))
        scheduled = staff_update(
            maintenance,
            actor,
            now,
            status=MaintenanceStatus.SCHEDULED,
            body=text,
            message=message,
            notify=notify,
        )
        db.session.add(scheduled)
        announce_update(scheduled, now)
        if status != MaintenanceStatus.SCHEDULED:
            # Already begun (a window entered after its start): in progress at once.
            move_maintenance(maintenance, status, now)
        write.audit_incident(maintenance, None)
        write.touch(chosen)
    return maintenance


def _changeable(maintenance: Incident, completed: str) -> None:
    """Refuse a change to an incident; `completed` says why a completed maintenance can't."""
    if maintenance.kind != EventKind.MAINTENANCE:
        raise Conflict("this is an incident, not a maintenance", None)
    if maintenance.status == MaintenanceStatus.COMPLETED:
        raise Conflict(completed, None)


def edit_maintenance(
    actor: Actor,
    config: StatusConfig,
    now: datetime,
    maintenance: Incident,
    *,
    name: Any = None,
    scheduled_for: Any = None,
    scheduled_until: Any = None,
    components: Any = None,
) -> Incident:
    """Change a maintenance's name, window or components (not once it has completed)."""
    _changeable(maintenance, "this maintenance has completed and can no longer change")
    title = valid_text(name, "name", limit=limits.EVENT_NAME, required=False)
    start = (
        maintenance.scheduled_for
        if scheduled_for is None
        else valid_aware(scheduled_for, "scheduled_for")
    )
    end = (
        maintenance.scheduled_until
        if scheduled_until is None
        else valid_aware(scheduled_until, "scheduled_until")
    )
    if end <= start:
        raise Invalid("scheduled_until must be after scheduled_for", "scheduled_until")
    chosen = None if components is None else valid_component_list(components, "components")
    before = snapshot(maintenance)
    previous = [a.component for a in maintenance.affected]

    with writing(actor, "maintenance.edit", config, now) as write:
        if title is not None:
            maintenance.name = title
        maintenance.scheduled_for, maintenance.scheduled_until, maintenance.started_at = (
            start,
            end,
            start,
        )
        if chosen is not None:
            affect_only(maintenance, dict.fromkeys(chosen, ComponentStatus.UNDER_MAINTENANCE))
        maintenance.updated_at = now
        write.audit_incident(maintenance, before)
        write.touch(previous + (chosen or []))
    return maintenance


def cancel_maintenance(
    actor: Actor, config: StatusConfig, now: datetime, maintenance: Incident
) -> Incident:
    """End a maintenance now, whether or not it began; its window stops counting from now."""
    _changeable(maintenance, "this maintenance has already completed")
    before = snapshot(maintenance)
    with writing(actor, "maintenance.cancel", config, now) as write:
        # Those told of the maintenance are told it is off.
        cancelled = staff_update(
            maintenance,
            actor,
            now,
            status=MaintenanceStatus.COMPLETED,
            body=CANCELLED_TEXT,
            notify=announced(maintenance),
        )
        db.session.add(cancelled)
        apply_status(maintenance, MaintenanceStatus.COMPLETED, now)
        write.audit_incident(maintenance, before)
        write.touch(a.component for a in maintenance.affected)
        announce_update(cancelled, now)
    return maintenance
