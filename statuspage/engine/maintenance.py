"""Maintenance windows moved along by the clock, with the system's default texts."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy.orm import selectinload

from statuspage.config import StatusConfig
from statuspage.engine.evaluation import evaluate
from statuspage.notify.events import announce_update, announced
from statuspage.rules import DEFAULT_TEXTS, default_part, maintenance_status
from statuspage.store.db import db
from statuspage.store.models import Incident, IncidentUpdate
from statuspage.store.site_state import bump_version, lock_site
from statuspage.vocabulary import Cause, EventKind, MaintenanceStatus

log = logging.getLogger(__name__)


def move_maintenance(maintenance: Incident, status: MaintenanceStatus, now: datetime) -> None:
    """Move a maintenance to a status the clock gave it, with the system's default text.

    A maintenance announced to subscribers when scheduled is announced at each step too.
    """
    update = IncidentUpdate(
        incident=maintenance,
        status=status,
        body=DEFAULT_TEXTS[status],
        message=json.dumps([default_part(status)]),
        author=None,
        created_at=now,
        display_at=now,
        deliver_notifications=announced(maintenance),
    )
    db.session.add(update)
    maintenance.status = status
    maintenance.updated_at = now
    if status == MaintenanceStatus.COMPLETED and maintenance.resolved_at is None:
        maintenance.resolved_at = now
    announce_update(update, now)


def advance_maintenances(config: StatusConfig, now: datetime) -> None:
    """Move maintenances along their windows, with the default texts, and re-evaluate."""
    rows = list(
        db.session.execute(
            db.select(Incident)
            .where(
                Incident.kind == EventKind.MAINTENANCE,
                Incident.status != MaintenanceStatus.COMPLETED,
            )
            .options(selectinload(Incident.affected))
        ).scalars()
    )
    touched: set[int] = set()
    for maintenance in rows:
        status = maintenance_status(
            maintenance.scheduled_for, maintenance.scheduled_until, now, maintenance.status
        )
        if status == maintenance.status:
            continue
        lock_site()
        move_maintenance(maintenance, status, now)
        bump_version(now)
        db.session.commit()
        touched.update(a.component_id for a in maintenance.affected)
    for component_id in sorted(touched):
        evaluate(component_id, config, now, Cause.MAINTENANCE)
