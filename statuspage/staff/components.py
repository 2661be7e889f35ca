"""What staff write on components: a manual status that holds until cleared."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statuspage.config import StatusConfig
from statuspage.staff.validation import NotFound, valid_enum, visible_component
from statuspage.staff.writes import Actor, writing
from statuspage.store.models import Component
from statuspage.vocabulary import Cause, ComponentStatus


def set_component_status(
    actor: Actor, config: StatusConfig, now: datetime, slug: Any, status: Any
) -> Component:
    """Set a component's manual status (None clears it); it holds until cleared."""
    component = visible_component(slug)
    if component is None:
        raise NotFound(f"no component with slug {slug!r}")
    chosen = None if status is None else valid_enum(ComponentStatus, status, "status")
    before = component.manual_status
    with writing(actor, "component.status", config, now, cause=Cause.STAFF) as write:
        component.manual_status = chosen
        component.manual_set_at = now if chosen else None
        component.manual_set_by = actor.name if chosen else None
        write.audit(f"component:{component.slug}", before, chosen)
        write.touch([component])
    return component
