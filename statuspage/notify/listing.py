"""What staff see of subscribers: states, search, counts, failures, CSV, an update's reach."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func

from statuspage.notify.outbox import matching_subscribers
from statuspage.store.db import db, findable, utcnow
from statuspage.store.models import (
    Component,
    Incident,
    Notification,
    Subscriber,
    SubscriberComponent,
)
from statuspage.vocabulary import Audience, DeliveryState


def state_of(subscriber: Subscriber) -> str:
    """Return a subscriber's state in a word."""
    if subscriber.disabled_at is not None:
        return "disabled"
    if subscriber.confirmed_at is None:
        return "unconfirmed"
    return "failing" if subscriber.failing_since is not None else "active"


def find(search: str | None = None, limit: int = 200) -> list[Subscriber]:
    """Return subscribers, newest first; `search` matches part of an address or URL host."""
    query = db.select(Subscriber).order_by(Subscriber.id.desc()).limit(limit)
    if search and findable(search):
        pattern = f"%{search.strip().lower()}%"
        query = query.where(Subscriber.email.like(pattern) | Subscriber.url.like(pattern))
    return list(db.session.execute(query).scalars())


def counts() -> dict[str, dict[str, int]]:
    """Return subscriber counts by kind and state, and confirmed ones by followed component."""
    by_kind: dict[str, int] = {}
    for subscriber in db.session.execute(db.select(Subscriber)).scalars():
        label = f"{subscriber.kind} ({state_of(subscriber)})"
        by_kind[label] = by_kind.get(label, 0) + 1
    by_component = dict(
        db.session.execute(
            db.select(Component.name, func.count(SubscriberComponent.subscriber_id))
            .join(SubscriberComponent, SubscriberComponent.component_id == Component.id)
            .join(Subscriber, Subscriber.id == SubscriberComponent.subscriber_id)
            .where(Subscriber.confirmed_at.is_not(None))
            .group_by(Component.name)
        ).all()
    )
    return {"kind": dict(sorted(by_kind.items())), "component": by_component}


def failures(limit: int = 50) -> list[Notification]:
    """Return the newest notifications that failed or are being retried."""
    return list(
        db.session.execute(
            db.select(Notification)
            .where(
                (Notification.state == DeliveryState.FAILED)
                | (
                    (Notification.state == DeliveryState.PENDING)
                    & Notification.last_error.is_not(None)
                )
            )
            .order_by(Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


CSV_FIELDS = ["code", "kind", "email", "url", "components", "incident", "state", "created_at"]


def export_csv(subscribers: list[Subscriber]) -> str:
    """Return subscribers as CSV (no secrets), for a person asking for their data."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for s in subscribers:
        writer.writerow(
            [
                s.code,
                s.kind,
                _cell(s.email),
                _cell(s.url),
                " ".join(c.slug for c in s.components),
                s.incident.code if s.incident else "",
                state_of(s),
                s.created_at.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()


def _cell(value: str | None) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def reach(incident: Incident | None, component_ids: list[int] | None = None) -> int:
    """Return how many confirmed subscribers an update on `incident` would reach now."""
    if component_ids is None:
        component_ids = [a.component_id for a in incident.affected] if incident else []
    return len(
        matching_subscribers(
            Audience.SUBSCRIBERS, incident.id if incident else None, component_ids, utcnow()
        )
    )
