"""What a refused staff request raises, and the validators that name the field they check.

Every writer validates everything with these before it takes the lock, so a refused request
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from statuspage.store.db import db, findable
from statuspage.store.models import Component, Incident
from statuspage.store.text import uncarried
from statuspage.vocabulary import ComponentStatus, EventKind, IncidentStatus, MaintenanceStatus


class StaffError(Exception):
    """A request staff made that cannot be carried out; `field` names what is wrong."""

    code = "invalid"
    http_status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(StaffError):
    """A value that is missing, unknown or out of range."""


class Conflict(StaffError):
    """A change that does not fit the current state."""

    code = "conflict"
    http_status = 409


class NotFound(StaffError):
    """Nothing with that code or slug."""

    code = "not_found"
    http_status = 404


def valid_text(value: Any, field: str, *, limit: int, required: bool = True) -> str | None:
    """Return the text stripped, or None when it is blank and not required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{field} is required", field)
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field)
    if len(value) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field)
    problem = uncarried(value)
    if problem is not None:
        # No person means to write one, and the database or a feed would refuse it.
        raise Invalid(f"{field} contains {problem}", field)
    return value.strip()


def valid_enum(enum: type, value: Any, field: str) -> Any:
    """Return the member of `enum` with this value."""
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(member.value for member in enum)
        raise Invalid(f"{field} must be one of: {allowed} (got {value!r})", field) from None


def valid_aware(value: Any, field: str) -> datetime:
    """Return a date and time with a zone, given as one or as ISO 8601 text."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"{field} is not an ISO 8601 date and time", field) from None
    if not isinstance(value, datetime):
        raise Invalid(f"{field} must be an ISO 8601 date and time", field)
    if value.tzinfo is None:
        raise Invalid(f"{field} needs a time zone offset (for example Z or +02:00)", field)
    if not 1970 <= value.year <= 9998:
        # Outside this, converting to UTC can overflow; no incident happens there anyway.
        raise Invalid(f"{field} must be between the years 1970 and 9998", field)
    return value


def visible_component(slug: Any) -> Component | None:
    """Return the shown, non-group component with this slug, or None."""
    component = None
    if findable(slug):
        component = db.session.execute(
            db.select(Component).where(Component.slug == slug, Component.is_group.is_(False))
        ).scalar()
    return None if component is None or component.hidden else component


def valid_component(slug: Any, field: str) -> Component:
    """Return the component an incident or maintenance may name with this slug."""
    component = visible_component(slug)
    if component is None:
        raise Invalid(f"{field}: unknown component {slug!r}", field)
    return component


def valid_component_list(value: Any, field: str) -> list[Component]:
    """Validate a non-empty list of component slugs; return each component once, in order."""
    if not isinstance(value, list | tuple) or not value:
        raise Invalid(f"{field} must be a non-empty list of component slugs", field)
    return unique([valid_component(slug, f"{field}[{i}]") for i, slug in enumerate(value)])


def valid_component_statuses(value: Any, field: str) -> dict[Component, ComponentStatus]:
    """Validate a {slug: status} mapping."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be an object of component slug to status", field)
    statuses = {}
    for slug, status in value.items():
        where = f"{field}.{slug}"
        statuses[valid_component(slug, where)] = valid_enum(ComponentStatus, status, where)
    return statuses


def valid_event_status(incident: Incident, value: Any, field: str = "status") -> str:
    """Validate a status for this kind of event; the other kind's statuses conflict."""
    own = IncidentStatus if incident.kind == EventKind.INCIDENT else MaintenanceStatus
    other = MaintenanceStatus if own is IncidentStatus else IncidentStatus
    own_values, other_values = {m.value for m in own}, {m.value for m in other}
    if isinstance(value, str) and value not in own_values and value in other_values:
        raise Conflict(f"{field} {value!r} does not apply to a {incident.kind}", field)
    return valid_enum(own, value, field).value


def unique(components: Sequence[Component]) -> list[Component]:
    """Return each component once, in the order first given."""
    return list({component.id: component for component in components}.values())
