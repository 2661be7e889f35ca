"""Subscribers: sign-up with double opt-in, signed links, unsubscribing, removal.

Links carry itsdangerous tokens signed with the site's secret key and bound to the
subscriber's identity (a hash of its kind, address or URL and followed incident): a token
cannot be forged, and one made for an address is worthless for any other. A confirmation
link expires; an unsubscribe link does not (mail is read late), and once used its
subscriber is gone, so it does nothing again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func

from statuspage.notify import events
from statuspage.notify.webhooks import UnsafeURL, check_syntax, new_secret, vet_quickly
from statuspage.staff.validation import Invalid
from statuspage.store import limits
from statuspage.store.db import db, findable
from statuspage.store.models import (
    Component,
    Incident,
    Notification,
    SignUpAttempt,
    Subscriber,
    SubscriberComponent,
)
from statuspage.vocabulary import N_, Channel, NotificationKind

CONFIRM_SALT = "subscriber-confirm"
UNSUBSCRIBE_SALT = "subscriber-unsubscribe"
CONFIRM_DAYS = 7
RESEND_AFTER = timedelta(hours=1)
WINDOW = timedelta(hours=1)
# An office behind one address signs up many people; one address is signed up rarely.
MAX_PER_CLIENT = 30
MAX_PER_TARGET = 5
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
# The hosts each chat platform's incoming-webhook URLs live on.
CHAT_HOSTS = {
    Channel.SLACK: ("hooks.slack.com",),
    Channel.DISCORD: ("discord.com", "discordapp.com"),
    Channel.TEAMS: (".webhook.office.com", ".logic.azure.com", ".powerplatform.com"),
}


class RateLimited(Exception):
    """Too many sign-ups from one client address in the last hour."""


@dataclass(frozen=True)
class Confirmed:
    """The outcome of a confirmation link: the subscriber, and a secret shown this once."""

    subscriber: Subscriber
    secret: str | None
    already: bool


def normalise_email(value: object) -> str:
    """Return a valid address, trimmed and lowercase, or raise Invalid."""
    if not isinstance(value, str) or not findable(value):
        raise Invalid(N_("enter an email address"), "email")
    email = value.strip().lower()
    if len(email) > limits.EMAIL or not EMAIL_PATTERN.match(email):
        raise Invalid(N_("enter a valid email address"), "email")
    return email


def identity(kind: str, where: str, incident: Incident | None = None) -> str:
    """Return the hash that makes one subscription per kind, address or URL, and incident."""
    return hashlib.sha256(
        f"{kind}|{where}|{incident.code if incident else ''}".encode()
    ).hexdigest()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirm_token(subscriber_code: str, subscriber_identity: str) -> str:
    """Return the token of a confirmation link."""
    return _serializer(CONFIRM_SALT).dumps([subscriber_code, subscriber_identity[:24]])


def unsubscribe_token(subscriber_code: str, subscriber_identity: str) -> str:
    """Return the token of an unsubscribe link."""
    return _serializer(UNSUBSCRIBE_SALT).dumps([subscriber_code, subscriber_identity[:24]])


def _subscriber_for(token: str, salt: str, max_age: int | None = None) -> Subscriber | None:
    """Return the subscriber a valid token names, if it still exists with that identity."""
    try:
        code, bound = _serializer(salt).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not findable(code) or not isinstance(bound, str):
        return None
    subscriber = db.session.execute(db.select(Subscriber).where(Subscriber.code == code)).scalar()
    if subscriber is None or not hmac.compare_digest(subscriber.identity[:24], bound):
        return None
    return subscriber


def _components(slugs: list[str] | None) -> list[Component]:
    """Return the visible leaf components with these slugs, or raise Invalid."""
    if not slugs:
        return []
    if not all(isinstance(s, str) and findable(s) for s in slugs):
        raise Invalid(N_("unknown component"), "components")
    found = list(
        db.session.execute(
            db.select(Component).where(
                Component.slug.in_(set(slugs)),
                Component.hidden.is_(False),
                Component.is_group.is_(False),
            )
        ).scalars()
    )
    if len(found) != len(set(slugs)):
        raise Invalid(N_("unknown component"), "components")
    return found


def _throttle(client: str, target: str, now: datetime) -> bool:
    """Count a sign-up; raise RateLimited per client, return False when the target had enough."""
    since = now - WINDOW
    db.session.execute(delete(SignUpAttempt).where(SignUpAttempt.at <= since))
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), target.encode(), "sha256")
    target_hash = key.hexdigest()
    by_client = db.session.execute(
        db.select(func.count()).where(SignUpAttempt.address == client, SignUpAttempt.at > since)
    ).scalar()
    if (by_client or 0) >= MAX_PER_CLIENT:
        db.session.commit()
        raise RateLimited
    by_target = db.session.execute(
        db.select(func.count()).where(
            SignUpAttempt.target_hash == target_hash, SignUpAttempt.at > since
        )
    ).scalar()
    db.session.add(SignUpAttempt(at=now, address=client[:64], target_hash=target_hash))
    return (by_target or 0) < MAX_PER_TARGET


def sign_up(
    kind: Channel,
    *,
    email: object,
    url: object = None,
    components: list[str] | None = None,
    incident: Incident | None = None,
    client: str,
    now: datetime,
    language: str = "en",
) -> None:
    """Ask to subscribe: a confirmation mail goes to the address (or the URL's owner).

    `language` is the one the reader signed up in (the page's), kept for their mail.

    The outcome is the same whether or not the address was known (no enumeration): a
    confirmed subscriber is left as it is; an unconfirmed one is mailed again at most once an
    hour. Raises Invalid for a bad field and RateLimited for a busy client address.
    """
    address = normalise_email(email)
    chosen = _components(components)
    where = address
    if kind != Channel.EMAIL:
        where = valid_hook_url(kind, url)
    if not _throttle(client, f"{kind}|{where}", now):
        db.session.commit()
        return
    key = identity(kind, where, incident)
    subscriber = db.session.execute(
        db.select(Subscriber).where(Subscriber.identity == key)
    ).scalar()
    if subscriber is None:
        subscriber = Subscriber(
            kind=kind,
            identity=key,
            email=address,
            url=None if kind == Channel.EMAIL else where,
            incident=incident,
            components=chosen,
            language=language,
            created_at=now,
        )
        db.session.add(subscriber)
    elif subscriber.confirmed_at is not None:
        db.session.commit()
        return
    else:
        subscriber.components = chosen  # unconfirmed: nobody's choice is overwritten
        subscriber.email = address
        sent = subscriber.confirmation_sent_at
        if sent is not None and now - sent < RESEND_AFTER:
            db.session.commit()
            return
    subscriber.confirmation_sent_at = now
    db.session.flush()
    events.direct(
        subscriber,
        NotificationKind.CONFIRM,
        {
            "channel": kind.value,
            "host": urlsplit(where).hostname if kind != Channel.EMAIL else None,
            "incident_name": incident.name if incident else None,
            "valid_days": CONFIRM_DAYS,
        },
        now,
    )
    db.session.commit()


def valid_hook_url(kind: Channel, url: object) -> str:
    """Return a webhook or chat URL fit to register, or raise Invalid saying why."""
    allow_loopback = bool(current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"))
    if not isinstance(url, str) or not findable(url) or not url.strip():
        raise Invalid(N_("enter the URL"), "url")
    url = url.strip()
    try:
        _, host, _, _ = check_syntax(url, allow_loopback)
        hosts = CHAT_HOSTS.get(kind)
        loopback = allow_loopback and host in ("127.0.0.1", "::1", "localhost")
        if hosts and not loopback and not _on_hosts(host, hosts):
            places = ", ".join(h.lstrip(".") for h in hosts)
            raise Invalid(f"a {kind.value} URL is on {places}", "url")
        vet_quickly(url, allow_loopback)
    except UnsafeURL as error:
        raise Invalid(f"the URL {error}", "url") from None
    return url


def _on_hosts(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host.endswith(h) if h.startswith(".") else host == h for h in hosts)


def confirm(token: str, now: datetime) -> Confirmed | None:
    """Confirm the subscription a link names; a webhook gets its secret, shown this once."""
    subscriber = _subscriber_for(token, CONFIRM_SALT, max_age=CONFIRM_DAYS * 86400)
    if subscriber is None:
        return None
    if subscriber.confirmed_at is not None:
        return Confirmed(subscriber, None, already=True)
    subscriber.confirmed_at = now
    secret = None
    if subscriber.kind == Channel.WEBHOOK:
        secret = subscriber.secret = new_secret()
    db.session.commit()
    return Confirmed(subscriber, secret, already=False)


def for_unsubscribe(token: str) -> Subscriber | None:
    """Return the subscriber an unsubscribe link names, if it is still subscribed."""
    return _subscriber_for(token, UNSUBSCRIBE_SALT)


def unsubscribe(token: str) -> bool:
    """Remove the subscriber an unsubscribe link names, with its data; False if none."""
    subscriber = for_unsubscribe(token)
    if subscriber is None:
        return False
    _delete([subscriber])
    db.session.commit()
    return True


def add_hook(kind: Channel, url: object, email: object, now: datetime) -> tuple[Subscriber, str]:
    """Add a confirmed webhook or chat channel for staff; return it and its secret (shown once)."""
    where = valid_hook_url(kind, url)
    owner = normalise_email(email) if email else None
    key = identity(kind, where)
    if db.session.execute(db.select(Subscriber.id).where(Subscriber.identity == key)).first():
        raise Invalid(N_("this URL is already subscribed"), "url")
    secret = new_secret() if kind == Channel.WEBHOOK else ""
    subscriber = Subscriber(
        kind=kind,
        identity=key,
        email=owner,
        url=where,
        secret=secret or None,
        created_at=now,
        confirmed_at=now,
    )
    db.session.add(subscriber)
    db.session.commit()
    return subscriber, secret


def _delete(subscribers: list[Subscriber]) -> None:
    ids = [s.id for s in subscribers]
    # Explicit, not only ON DELETE CASCADE: the rows must go on any database.
    db.session.execute(delete(Notification).where(Notification.subscriber_id.in_(ids)))
    db.session.execute(
        delete(SubscriberComponent).where(SubscriberComponent.subscriber_id.in_(ids))
    )
    db.session.execute(delete(Subscriber).where(Subscriber.id.in_(ids)))


def remove(address_or_code: str) -> int:
    """Delete every subscription of an address (or the one with this code); return how many."""
    if not findable(address_or_code):
        return 0
    value = address_or_code.strip()
    found = list(
        db.session.execute(
            db.select(Subscriber).where(
                (Subscriber.code == value) | (Subscriber.email == value.lower())
            )
        ).scalars()
    )
    if found:
        _delete(found)
    db.session.commit()
    return len(found)
