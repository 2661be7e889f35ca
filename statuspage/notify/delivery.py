"""Draining the outbox: mail on one lane, webhooks and chat on another, neither waiting.

The mail lane claims batches and sends them over one SMTP connection, kept open while there
is work. The HTTP lane hands each claimed notification to a bounded pool of workers, each
POST bounded to 10 s, and claims more as workers come free: a receiver that hangs holds one
worker for one timeout, never the mail, the other receivers, or any page (pages never
deliver anything). Both lanes fan events out first. Nothing here holds a database
transaction while a message is on the wire.

The probe process runs the lanes as two background threads (`start`); `statuspage deliver`
runs them in the foreground, and `--once` (`drain`) until nothing is due.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from probes.definitions import expand_text
from statuspage.notify import chat, mail, outbox, outcomes, webhooks
from statuspage.notify.outbox import Claimed
from statuspage.notify.subscribers import confirm_token, unsubscribe_token
from statuspage.reads.serializers import timestamp
from statuspage.store.db import utcnow
from statuspage.vocabulary import HTTP_CHANNELS, Channel, NotificationKind

log = logging.getLogger("statuspage.notify")

MAIL_BATCH = 100
# Sent mail is marked in groups this big: a crash re-sends at most this many.
MARK_EVERY = 20
IDLE_CLOSE_S = 30.0


class Deliverer:
    """Deliver what the outbox holds, on the app's settings."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        settings = app.config
        url = settings.get("SMTP_URL")
        self.smtp = mail.SmtpSettings.from_url(url) if url else None
        site = app.config["STATUS"].site
        default_from = f"{site.name} Status <noreply@{urlsplit(site.url).hostname}>"
        self.envelope = mail.Envelope(
            settings.get("MAIL_FROM") or default_from, settings.get("MAIL_REPLY_TO") or None
        )
        self.lease = timedelta(seconds=float(settings.get("NOTIFY_LEASE_S", 120)))
        self.retry_base = timedelta(seconds=float(settings.get("NOTIFY_RETRY_BASE_S", 30)))
        self.give_up = timedelta(seconds=float(settings.get("NOTIFY_GIVE_UP_S", 86400)))
        self.poll_s = float(settings.get("NOTIFY_POLL_S", 1.0))
        self.timeout_s = float(settings.get("WEBHOOK_TIMEOUT_S", webhooks.TIMEOUT_S))
        # Threads waiting on a socket cost little: enough that a hundred receivers hanging
        # at once still leave workers for the rest.
        self.workers = int(settings.get("WEBHOOK_WORKERS", 128))
        self.allow_loopback = bool(settings.get("WEBHOOKS_ALLOW_LOOPBACK"))
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._rendered: dict[tuple[int, str], mail.Rendered] = {}  # by (event, language)
        self._threads: list[threading.Thread] = []
        # drain(): what failed during it, so a short backoff cannot keep it going.
        self._failed_now: set[int] = set()
        self.connections = 0

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Run both lanes in background threads until `stop`."""
        for name, lane in (("mail", self._mail_lane), ("http", self._http_lane)):
            thread = threading.Thread(
                target=self._guarded, args=(lane,), name=f"deliver-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the lanes to stop, and wait for them."""
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout)

    def drain(self) -> Counter[str]:
        """Deliver everything due now, both lanes at once, then return what happened.

        A notification that fails during the drain is not tried again by it, however soon its
        retry is due.
        """
        while True:  # again while a round did something: one lane may leave the other work
            before = sum(self.counts.values())
            lanes = [
                threading.Thread(target=self._guarded, args=(lane, True))
                for lane in (self._mail_lane, self._http_lane)
            ]
            for thread in lanes:
                thread.start()
            for thread in lanes:
                thread.join()
            if sum(self.counts.values()) == before:
                return self.counts

    def _guarded(self, lane: Callable[[bool], None], until_idle: bool = False) -> None:
        """Run a lane; an unexpected error is logged and the lane starts over after a pause."""
        while not self.stopping.is_set():
            try:
                with self.app.app_context():
                    lane(until_idle)
                return
            except Exception:
                log.exception("delivery lane failed; starting over")
                if until_idle:
                    return
                self.stopping.wait(self.poll_s)

    def _count(self, what: str, n: int = 1) -> None:
        with self._counts_lock:
            self.counts[what] += n

    def _skip(self, until_idle: bool) -> set[int]:
        return self._failed_now if until_idle else set()

    def fan_out(self) -> int:
        """Fan out every event not fanned out yet; return the notifications written."""
        written = 0
        config = current_app.config["STATUS"]
        for event_id in outbox.events_to_fan_out():
            written += outbox.fan_out(event_id, config, utcnow())
        return written

    # --- mail --------------------------------------------------------------------------------

    def _mail_lane(self, until_idle: bool) -> None:
        if self.smtp is None:
            return  # mail is not configured: email notifications wait (and say so)
        sender = mail.MailSender(self.smtp)
        idle_since = time.monotonic()
        try:
            while not self.stopping.is_set():
                self.fan_out()
                items = outbox.claim(
                    [Channel.EMAIL], MAIL_BATCH, utcnow(), self.lease, self._skip(until_idle)
                )
                if items:
                    self._send_mail(sender, items)
                    idle_since = time.monotonic()
                    continue
                if until_idle:
                    return
                if time.monotonic() - idle_since > IDLE_CLOSE_S:
                    sender.close()
                self.stopping.wait(self.poll_s)
        finally:
            self.connections += sender.connections
            sender.close()

    def _send_mail(self, sender: mail.MailSender, items: list[Claimed]) -> None:
        sent: list[Claimed] = []
        for index, item in enumerate(items):
            prepared = self._prepare_mail(item)
            if prepared is None:
                continue
            message, to = prepared
            try:
                sender.send(message, self.envelope.address, to)
            except Exception as error:  # smtplib raises many kinds, and OSError
                reason = mail.describe(error)
                if mail.permanent(error):
                    self._failed(item, reason, permanent=True)
                    continue
                # The server is unreachable: this and the rest of the batch wait a retry.
                outcomes.mark_sent(sent, utcnow())
                for rest in items[index:]:
                    self._failed(rest, reason)
                log.warning("mail: %s via %s; %d waiting", reason, self.smtp.safe, len(items))
                return
            sent.append(item)
            if len(sent) >= MARK_EVERY:
                outcomes.mark_sent(sent, utcnow())
                self._count("sent", len(sent))
                sent = []
        outcomes.mark_sent(sent, utcnow())
        self._count("sent", len(sent))

    def _prepare_mail(self, item: Claimed) -> tuple[Any, str] | None:
        """Return the message and its address, or None when it is not to go (marked so)."""
        site_url = item.payload["site"]["url"]
        subscriber = item.subscriber
        if item.kind in (NotificationKind.CONFIRM, NotificationKind.DISABLED):
            if subscriber is None or not subscriber.email:
                outcomes.mark_dropped(item, "no address")
                return None
            language = mail.mail_language(subscriber.language)
            link = None
            if item.kind == NotificationKind.CONFIRM:
                token = confirm_token(subscriber.code, subscriber.identity)
                link = f"{mail.pages_in(site_url, language)}/subscribe/confirm/{token}"
            rendered = mail.render_direct(item, link, language)
            return mail.build(rendered, subscriber.email, self.envelope, item), subscriber.email
        if subscriber is None:  # an [alerts] address
            target = self._alert_target(item)
            if target is None:
                return None
            rendered = mail.render_alert(item)
            return mail.build(rendered, target, self.envelope, item), target
        if not subscriber.active or not subscriber.email:
            outcomes.mark_dropped(item, "unsubscribed or disabled")
            return None
        language = mail.mail_language(subscriber.language)
        rendered = self._render(item, language)
        token = unsubscribe_token(subscriber.code, subscriber.identity)
        unsubscribe_url = f"{mail.pages_in(site_url, language)}/unsubscribe/{token}"
        fast = mail.build_bytes(
            rendered,
            subscriber.email,
            self.envelope,
            item,
            unsubscribe_url=unsubscribe_url,
            unsubscribe_code=subscriber.code,
        )
        if fast is not None:
            return fast, subscriber.email
        message = mail.build(
            rendered,
            subscriber.email,
            self.envelope,
            item,
            unsubscribe_url=unsubscribe_url,
            unsubscribe_code=subscriber.code,
        )
        return message, subscriber.email

    def _render(self, item: Claimed, language: str) -> mail.Rendered:
        """Render an event's mail once per language, however many subscribers it goes to."""
        key = (item.event_id, language)
        rendered = self._rendered.get(key)
        if rendered is None:
            if len(self._rendered) > 64:
                self._rendered.clear()
            rendered = self._rendered[key] = mail.render_event(item, language)
        return rendered

    def _alert_target(self, item: Claimed) -> str | None:
        """Return the [alerts] address or URL a staff notification is for (None: dropped)."""
        for channel, target in current_app.config["STATUS"].alerts.targets():
            key = outbox.alert_recipient(channel, target)
            if channel == item.channel and key == item.recipient:
                return expand_text(target, os.environ)
        outcomes.mark_dropped(item, "no longer in [alerts]")
        return None

    def _failed(self, item: Claimed, reason: str, *, permanent: bool = False) -> None:
        self._failed_now.add(item.id)
        gave_up = outcomes.mark_failed(
            item,
            reason,
            utcnow(),
            retry_base=self.retry_base,
            give_up_after=self.give_up,
            permanent=permanent,
        )
        self._count("failed" if gave_up else "retried")

    # --- webhooks and chat ---------------------------------------------------------------------

    def _http_lane(self, until_idle: bool) -> None:
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="deliver-post")
        in_flight: dict[Future[webhooks.Answer], Claimed] = {}
        # Claim in batches (a quarter of the pool at least), not one per finished POST.
        batch = max(1, self.workers // 4)
        fanned_at = claimed_at = 0.0
        try:
            while not self.stopping.is_set():
                self._record_answers([f for f in in_flight if f.done()], in_flight)
                written = 0
                if time.monotonic() - fanned_at > self.poll_s:
                    written, fanned_at = self.fan_out(), time.monotonic()
                free = self.workers - len(in_flight)
                items: list[Claimed] = []
                # (or fewer, once a moment has passed: hung receivers may hold the rest)
                if free and (free >= batch or time.monotonic() - claimed_at > 0.05):
                    claimed_at = time.monotonic()
                    skip = self._skip(until_idle)
                    items = outbox.claim(HTTP_CHANNELS, free, utcnow(), self.lease, skip)
                for item in items:
                    request = self._prepare_post(item)
                    if request is not None:
                        url, body, headers = request
                        future = pool.submit(
                            webhooks.post,
                            url,
                            body,
                            headers,
                            timeout_s=self.timeout_s,
                            allow_loopback=self.allow_loopback,
                        )
                        in_flight[future] = item
                if items or written:
                    continue
                if in_flight:
                    wait(list(in_flight), timeout=self.poll_s, return_when=FIRST_COMPLETED)
                    time.sleep(0.01)  # let a few more finish: one commit records them all
                elif until_idle:
                    return
                else:
                    self.stopping.wait(self.poll_s)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _record_answers(
        self, done: list[Future[webhooks.Answer]], in_flight: dict[Future[Any], Claimed]
    ) -> None:
        sent = []
        for future in done:
            item = in_flight.pop(future)
            answer = future.result()
            if answer.ok:
                sent.append(item)
            else:
                self._failed(item, answer.reason)
        if sent:
            outcomes.mark_sent(sent, utcnow())
            self._count("sent", len(sent))

    def _prepare_post(self, item: Claimed) -> tuple[str, bytes, dict[str, str]] | None:
        """Return the URL, body and headers of a POST, or None when it is not to go."""
        subscriber = item.subscriber
        if subscriber is None:  # an [alerts] chat channel
            url = self._alert_target(item)
            if url is None:
                return None
            body = chat.chat_body(item.channel, item.payload, item.kind)
            return url, json.dumps(body, ensure_ascii=False).encode(), {}
        if not subscriber.active or not subscriber.url:
            outcomes.mark_dropped(item, "unsubscribed or disabled")
            return None
        if item.channel != Channel.WEBHOOK:
            body = chat.chat_body(item.channel, item.payload, item.kind)
            return subscriber.url, json.dumps(body, ensure_ascii=False).encode(), {}
        site = item.payload["site"]
        token = unsubscribe_token(subscriber.code, subscriber.identity)
        generated = timestamp(utcnow(), ZoneInfo(site.get("timezone", "UTC"))) or ""
        raw = webhooks.webhook_body(item.payload, f"{site['url']}/unsubscribe/{token}", generated)
        headers = webhooks.signed_headers(
            subscriber.secret or "", f"msg_{item.message_id}", int(time.time()), raw
        )
        return subscriber.url, raw, headers
