"""Keep the component table in step with the config."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from statuspage.config import StatusConfig
from statuspage.store.db import db
from statuspage.store.models import Component

log = logging.getLogger(__name__)


def sync_components(config: StatusConfig) -> None:
    """Add new components, update names and order, hide removed ones; keep all history."""
    for attempt in (1, 2):
        try:
            _apply(config)
            db.session.commit()
            return
        except IntegrityError:
            # Another process inserted the same new slug at the same moment: read it and retry.
            db.session.rollback()
            if attempt == 2:
                raise


def _apply(config: StatusConfig) -> None:
    existing = {c.slug: c for c in db.session.execute(db.select(Component)).scalars()}
    wanted: set[str] = set()
    groups: dict[str, Component] = {}
    position = 0
    for entry in config.components:
        group = None
        if entry.group:
            group = groups.get(entry.group)
            if group is None:
                group = _upsert(existing, entry.group_slug, entry.group, None, position, True)
                groups[entry.group] = group
                wanted.add(group.slug)
                position += 1
        component = _upsert(existing, entry.slug, entry.name, entry.description, position, False)
        component.group = group
        wanted.add(entry.slug)
        position += 1
    for slug, component in existing.items():
        if slug not in wanted and not component.hidden:
            log.info("component %s is no longer configured: hiding it, history kept", slug)
            component.hidden = True


def _upsert(
    existing: dict[str, Component],
    slug: str,
    name: str,
    description: str | None,
    position: int,
    is_group: bool,
) -> Component:
    component = existing.get(slug)
    if component is None:
        component = Component(slug=slug)
        db.session.add(component)
        existing[slug] = component
    component.name = name
    component.description = description
    component.position = position
    component.is_group = is_group
    component.hidden = False
    return component
