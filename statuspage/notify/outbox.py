"""The outbox's bookkeeping: fan events out to recipients, and claim their notifications.

Exactly once, as far as a network allows:

- Fan-out is idempotent: the process that sets an event's `fanned_out_at` (a guarded UPDATE,
  so one process wins) inserts its notifications in the same transaction, and
  (event, recipient) is unique besides.
- A claim is one UPDATE that stamps due rows with a token and a lease; on PostgreSQL its
  subquery locks them `FOR UPDATE SKIP LOCKED`, so several probe processes take disjoint
  batches without waiting on each other; SQLite has one writer at a time.
- A notification is marked sent right after it went, in small groups (notify.outcomes). A
  worker killed in between leaves a lease that lapses: those few are sent again (the
  in-flight messages, at most a claim's batch), with the same Message-ID / webhook-id so
  receivers can tell.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update

from statuspage.config import StatusConfig
from statuspage.store.db import db
from statuspage.store.models import (
    Notification,
    NotificationEvent,
    Subscriber,
    SubscriberComponent,
)
from statuspage.vocabulary import Audience, Channel, DeliveryState


@dataclass(frozen=True)
class Recipient:
    """What delivery needs of a subscriber, read with the claim."""

    id: int
    code: str
    kind: str
    identity: str
    email: str | None
    url: str | None
    secret: str | None
    language: str
    active: bool


@dataclass(frozen=True)
class Claimed:
    """One claimed notification, with its event and recipient."""

    id: int
    claim: str
    channel: str
    recipient: str
    attempts: int
    created_at: datetime
    event_id: int
    event_key: str
    kind: str
    payload: dict[str, Any]
    subscriber: Recipient | None

    @property
    def message_id(self) -> str:
        """Return an id stable per (event, recipient): receivers can drop a repeat."""
        return hashlib.sha256(f"{self.event_key}|{self.recipient}".encode()).hexdigest()[:32]


def alert_recipient(channel: str, target: str) -> str:
    """Return the recipient key of an [alerts] target (its address or URL is not stored)."""
    return "a" + hashlib.sha256(f"{channel}|{target}".encode()).hexdigest()[:40]


# ---------------------------------------------------------------------------------------
# Fan-out


def events_to_fan_out(limit: int = 50) -> list[int]:
    """Return the ids of events not fanned out yet, oldest first."""
    return list(
        db.session.execute(
            db.select(NotificationEvent.id)
            .where(NotificationEvent.fanned_out_at.is_(None))
            .order_by(NotificationEvent.id)
            .limit(limit)
        ).scalars()
    )


def fan_out(event_id: int, config: StatusConfig, now: datetime) -> int:
    """Write a notification per recipient of an event, once; return how many were written."""
    taken = db.session.execute(
        update(NotificationEvent)
        .where(NotificationEvent.id == event_id, NotificationEvent.fanned_out_at.is_(None))
        .values(fanned_out_at=now)
    )
    if taken.rowcount != 1:  # another process has done it
        db.session.rollback()
        return 0
    event = db.session.get(NotificationEvent, event_id)
    assert event is not None
    if event.audience == Audience.STAFF:
        rows = [
            {"recipient": alert_recipient(channel, target), "channel": channel, "priority": 0}
            for channel, target in config.alerts.targets()
        ]
    else:
        rows = [
            {"recipient": f"s{sid}", "subscriber_id": sid, "channel": kind, "priority": 1}
            for sid, kind in matching_subscribers(
                event.audience,
                event.incident_id,
                json.loads(event.component_ids),
                event.created_at,
            )
        ]
    for row in rows:
        row.update(event_id=event_id, created_at=now, next_attempt_at=now, state="pending")
    if rows:
        db.session.execute(insert(Notification), rows)
    db.session.commit()
    return len(rows)


def matching_subscribers(
    audience: str, incident_id: int | None, component_ids: Iterable[int], before: datetime
) -> list[tuple[int, str]]:
    """Return (id, kind) of every subscriber an event reaches, each address or URL once.

    Confirmed before the event, not disabled; following everything, one of the event's
    components, or this very incident. An event touching no component reaches everyone.
    """
    query = db.select(
        Subscriber.id, Subscriber.kind, Subscriber.email, Subscriber.url, Subscriber.incident_id
    ).where(
        Subscriber.confirmed_at.is_not(None),
        Subscriber.confirmed_at <= before,
        Subscriber.disabled_at.is_(None),
        or_(Subscriber.incident_id.is_(None), Subscriber.incident_id == incident_id),
    )
    if audience == Audience.WEBHOOKS:
        query = query.where(Subscriber.kind == Channel.WEBHOOK, Subscriber.incident_id.is_(None))
    candidates = db.session.execute(query.order_by(Subscriber.id)).all()
    wanted = set(component_ids)
    follows = _followed_components([row.id for row in candidates]) if wanted else {}
    chosen: dict[tuple[str, str], tuple[int, str, bool]] = {}
    for row in candidates:
        followed = follows.get(row.id)
        if row.incident_id is None and followed and not followed & wanted:
            continue
        # A person both subscribed and following this incident gets one message.
        where = (row.kind, (row.url if row.kind != Channel.EMAIL else row.email) or "")
        if where in chosen and chosen[where][2] is False:
            continue
        chosen[where] = (row.id, row.kind, row.incident_id is not None)
    return sorted((sid, kind) for sid, kind, _ in chosen.values())


def _followed_components(ids: Sequence[int]) -> dict[int, set[int]]:
    """Return each subscriber's followed components (absent: everything)."""
    follows: dict[int, set[int]] = {}
    rows = db.session.execute(
        db.select(SubscriberComponent.subscriber_id, SubscriberComponent.component_id)
    )
    wanted = set(ids)
    for subscriber_id, component_id in rows:
        if subscriber_id in wanted:
            follows.setdefault(subscriber_id, set()).add(component_id)
    return follows


# ---------------------------------------------------------------------------------------
# Claims


def claim(
    channels: Iterable[str],
    limit: int,
    now: datetime,
    lease: timedelta,
    skip: Collection[int] = (),
) -> list[Claimed]:
    """Claim up to `limit` due notifications on these channels, most urgent first."""
    token = secrets.token_hex(8)
    due = (
        db.select(Notification.id)
        .where(
            Notification.state == DeliveryState.PENDING,
            Notification.channel.in_(list(channels)),
            Notification.next_attempt_at <= now,
            or_(Notification.lease_until.is_(None), Notification.lease_until < now),
        )
        .order_by(Notification.priority, Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if skip:
        due = due.where(Notification.id.not_in(list(skip)))
    if db.session.execute(due.limit(1)).first() is None:
        db.session.rollback()
        return []  # idle polling stays a read: on SQLite it takes no write lock
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(claim=token, lease_until=now + lease, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = db.session.execute(
        db.select(
            Notification.id,
            Notification.channel,
            Notification.recipient,
            Notification.attempts,
            Notification.created_at,
            NotificationEvent.id,
            NotificationEvent.key,
            NotificationEvent.kind,
            Subscriber,
        )
        .join(NotificationEvent, NotificationEvent.id == Notification.event_id)
        .outerjoin(Subscriber, Subscriber.id == Notification.subscriber_id)
        .where(Notification.claim == token)
        .order_by(Notification.priority, Notification.id)
    ).all()
    event_ids = {row[5] for row in rows}
    payloads = {
        event_id: json.loads(text)
        for event_id, text in db.session.execute(
            db.select(NotificationEvent.id, NotificationEvent.payload).where(
                NotificationEvent.id.in_(event_ids)
            )
        )
    }  # a batch is mostly one event: its payload is read and parsed once
    claimed = [
        Claimed(
            id=row[0],
            claim=token,
            channel=row[1],
            recipient=row[2],
            attempts=row[3],
            created_at=row[4],
            event_id=row[5],
            event_key=row[6],
            kind=row[7],
            payload=payloads[row[5]],
            subscriber=_recipient(row[8]),
        )
        for row in rows
    ]
    db.session.rollback()  # ends the read; nothing is held while messages go out
    return claimed


def _recipient(subscriber: Subscriber | None) -> Recipient | None:
    if subscriber is None:
        return None
    return Recipient(
        id=subscriber.id,
        code=subscriber.code,
        kind=subscriber.kind,
        identity=subscriber.identity,
        email=subscriber.email,
        url=subscriber.url,
        secret=subscriber.secret,
        language=subscriber.language,
        active=subscriber.confirmed_at is not None and subscriber.disabled_at is None,
    )
