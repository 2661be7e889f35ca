"""The outbox's outcomes: sent, dropped, retried with backoff, given up; and housekeeping.

Every update names the claim it settles (`claim == token`): a claim that lapsed and was
taken over by another process is left to its new holder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from statuspage.notify import events
from statuspage.notify.outbox import Claimed
from statuspage.notify.subscribers import CONFIRM_DAYS
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import (
    Notification,
    NotificationEvent,
    Subscriber,
    SubscriberComponent,
)
from statuspage.vocabulary import HTTP_CHANNELS, DeliveryState, NotificationKind

BACKOFF_CAP = timedelta(hours=1)


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
