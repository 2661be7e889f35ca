"""The outbox's bookkeeping: fan events out to recipients, claim notifications, record outcomes.

Exactly once, as far as a network allows:

- Fan-out is idempotent: the process that sets an event's `fanned_out_at` (a guarded UPDATE,
  so one process wins) inserts its notifications in the same transaction, and
  (event, recipient) is unique besides.
- A claim is one UPDATE that stamps due rows with a token and a lease; on PostgreSQL its
  subquery locks them `FOR UPDATE SKIP LOCKED`, so several probe processes take disjoint
  batches without waiting on each other; SQLite has one writer at a time.
- A notification is marked sent right after it went (in small groups). A worker killed in
  between leaves a lease that lapses: those few are sent again (the in-flight messages, at
  most a claim's batch), with the same Message-ID / webhook-id so receivers can tell.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, update

from statuspage.config import StatusConfig
from statuspage.notify import events
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import (
    Notification,
    NotificationEvent,
    Subscriber,
    SubscriberComponent,
)
from statuspage.vocabulary import (
    HTTP_CHANNELS,
    Audience,
    Channel,
    DeliveryState,
    NotificationKind,
)

BACKOFF_CAP = timedelta(hours=1)


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


# ---------------------------------------------------------------------------------------
# Outcomes


def mark_sent(items: Sequence[Claimed], now: datetime) -> None:
    """Record that these went; a claim that lapsed meanwhile is left to its new holder."""
    if not items:
        return
    for token in {item.claim for item in items}:
        ids = [item.id for item in items if item.claim == token]
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.claim == token)
            .values(
                state=DeliveryState.SENT, sent_at=now, claim=None, lease_until=None, last_error=None
            )
            .execution_options(synchronize_session=False)
        )
    healthy = {item.subscriber.id for item in items if item.subscriber and item.channel != "email"}
    if healthy:
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(healthy), Subscriber.failing_since.is_not(None))
            .values(failing_since=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def mark_dropped(item: Claimed, reason: str) -> None:
    """Record that a notification will never go (its subscriber left, its target is gone)."""
    _finish(item, DeliveryState.DROPPED, reason)
    db.session.commit()


def mark_failed(
    item: Claimed,
    error: str,
    now: datetime,
    *,
    retry_base: timedelta,
    give_up_after: timedelta,
    permanent: bool = False,
) -> bool:
    """Record a failed attempt: retry later with backoff, or give up; True when given up.

    A webhook given up on (no 2xx for a day) is disabled and its owner mailed.
    """
    error = error[: limits.DELIVERY_ERROR]
    subscriber = item.subscriber
    if permanent or now - item.created_at >= give_up_after:
        _finish(item, DeliveryState.FAILED, error)
        if subscriber is not None and item.channel in HTTP_CHANNELS:
            disable(subscriber.id, f"no 2xx answer for a day; last: {error}", now)
        db.session.commit()
        return True
    delay = min(retry_base * 2 ** max(item.attempts - 1, 0), BACKOFF_CAP)
    retry_at = now + delay
    db.session.execute(
        update(Notification)
        .where(Notification.id == item.id, Notification.claim == item.claim)
        .values(claim=None, lease_until=None, next_attempt_at=retry_at, last_error=error)
        .execution_options(synchronize_session=False)
    )
    if subscriber is not None and item.channel in HTTP_CHANNELS:
        # A failing receiver is tried once per backoff step, not once per waiting event.
        db.session.execute(
            update(Notification)
            .where(
                Notification.subscriber_id == subscriber.id,
                Notification.state == DeliveryState.PENDING,
                Notification.claim.is_(None),
                Notification.next_attempt_at < retry_at,
            )
            .values(next_attempt_at=retry_at)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id == subscriber.id)
            .values(last_error=error)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id == subscriber.id, Subscriber.failing_since.is_(None))
            .values(failing_since=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return False


def disable(subscriber_id: int, reason: str, now: datetime) -> None:
    """Disable a subscription, drop what waits for it, and mail its owner why."""
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.disabled_at is not None:
        return
    subscriber.disabled_at = now
    subscriber.disabled_reason = reason[: limits.DELIVERY_ERROR]
    db.session.execute(
        update(Notification)
        .where(
            Notification.subscriber_id == subscriber_id,
            Notification.state == DeliveryState.PENDING,
            Notification.claim.is_(None),
        )
        .values(state=DeliveryState.DROPPED, last_error="subscription disabled")
        .execution_options(synchronize_session=False)
    )
    if subscriber.email:
        host = (subscriber.url or "").split("/")[2] if "//" in (subscriber.url or "") else ""
        events.direct(
            subscriber,
            NotificationKind.DISABLED,
            {"channel": subscriber.kind, "host": host, "reason": subscriber.disabled_reason},
            now,
        )


def _finish(item: Claimed, state: DeliveryState, error: str) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.id == item.id, Notification.claim == item.claim)
        .values(state=state, claim=None, lease_until=None, last_error=error)
        .execution_options(synchronize_session=False)
    )


def waiting(now: datetime) -> tuple[int, int]:
    """Return how many notifications are due now, and how many wait for a later retry."""
    pending = db.select(db.func.count()).where(Notification.state == DeliveryState.PENDING)
    due = db.session.execute(pending.where(Notification.next_attempt_at <= now)).scalar() or 0
    later = db.session.execute(pending.where(Notification.next_attempt_at > now)).scalar() or 0
    unfanned = db.session.execute(
        db.select(db.func.count()).where(NotificationEvent.fanned_out_at.is_(None))
    ).scalar()
    return due + (unfanned or 0), later


def prune(now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Forget finished notifications and events older than `keep`, and stale sign-ups.

    An unconfirmed subscriber whose link has expired is deleted too: an address nobody
    confirmed is not kept. Return how many rows went.
    """
    from statuspage.notify.subscribers import CONFIRM_DAYS

    cutoff = now - keep
    gone = db.session.execute(
        delete(Notification).where(
            Notification.state != DeliveryState.PENDING, Notification.created_at < cutoff
        )
    ).rowcount
    busy = db.select(Notification.event_id).distinct()
    gone += db.session.execute(
        delete(NotificationEvent).where(
            NotificationEvent.fanned_out_at.is_not(None),
            NotificationEvent.created_at < cutoff,
            NotificationEvent.id.not_in(busy),
        )
    ).rowcount
    stale = list(
        db.session.execute(
            db.select(Subscriber.id).where(
                Subscriber.confirmed_at.is_(None),
                Subscriber.created_at < now - timedelta(days=CONFIRM_DAYS),
            )
        ).scalars()
    )
    if stale:
        db.session.execute(delete(Notification).where(Notification.subscriber_id.in_(stale)))
        db.session.execute(
            delete(SubscriberComponent).where(SubscriberComponent.subscriber_id.in_(stale))
        )
        gone += db.session.execute(delete(Subscriber).where(Subscriber.id.in_(stale))).rowcount
    db.session.commit()
    return gone or 0
