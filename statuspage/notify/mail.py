"""Mail: the SMTP setting, one connection for many messages, and the messages themselves.

`STATUSPAGE_SMTP_URL` is `smtp://host:port` (plain), `smtp+starttls://user:pass@host:587`
(STARTTLS, required) or `smtps://user:pass@host:465` (TLS from the start). The password is
kept out of every repr, log line and page: `SmtpSettings.safe` is what is shown.
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from statuspage.config import ConfigError
from statuspage.notify.outbox import Claimed
from statuspage.reads.formatting import local_moment
from statuspage.reads.system_text import event_name, update_text
from statuspage.vocabulary import LANGUAGE_TAGS, LANGUAGES, N_, NotificationKind

log = logging.getLogger(__name__)

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
SMTP_TIMEOUT_S = 30
# Replaced per recipient in a message rendered once per event.
UNSUBSCRIBE_MARK = "@@UNSUBSCRIBE_URL@@"


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes, read from STATUSPAGE_SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Read the URL; a bad one raises ConfigError naming the problem, never the password."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ConfigError("STATUSPAGE_SMTP_URL is not a valid URL") from None
        if parts.scheme not in SCHEMES:
            raise ConfigError(
                "STATUSPAGE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
            )
        if not parts.hostname:
            raise ConfigError("STATUSPAGE_SMTP_URL has no host")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port or SCHEMES[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def safe(self) -> str:
        """Return the URL as it may be shown: no password."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


class MailSender:
    """One SMTP connection, opened when first needed and reused for every message after."""

    def __init__(self, settings: SmtpSettings, timeout: float = SMTP_TIMEOUT_S) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many were opened, for the tests and the benchmark

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.scheme == "smtp+starttls":
                smtp.starttls(context=context)
        if s.username and s.password:
            smtp.login(s.username, s.password)
        self.connections += 1
        return smtp

    def send(self, message: EmailMessage | bytes, sender: str, recipient: str) -> None:
        """Send one message; a dropped connection is reopened once before giving up."""
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                if isinstance(message, bytes):
                    self._smtp.sendmail(sender, [recipient], message)
                else:
                    self._smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None


def permanent(error: Exception) -> bool:
    """Tell whether an SMTP error refuses this message for good (5xx), not for now."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [value[0] for value in error.recipients.values()]
        code = min(codes) if codes else None
    return isinstance(code, int) and 500 <= code < 600


def describe(error: Exception) -> str:
    """Return a short reason for a failed send (no server text: it may quote the address)."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [value[0] for value in error.recipients.values()]
        code = codes[0] if codes else None
    if code:
        return f"SMTP {code} ({error.__class__.__name__})"
    return f"mail server unreachable ({error.__class__.__name__})"


# ---------------------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class Rendered:
    """A message's subject and parts, rendered once per event."""

    subject: str
    text: str
    html: str


def one_line(text: str, limit: int = 200) -> str:
    """Return text fit for a header: one line (no header injection), at most `limit` long."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


SUBJECT_WORDS = {
    NotificationKind.INCIDENT_CREATED: N_("New incident"),
    NotificationKind.INCIDENT_UPDATED: N_("Update"),
    NotificationKind.INCIDENT_RESOLVED: N_("Resolved"),
    NotificationKind.INCIDENT_POSTMORTEM: N_("Postmortem"),
    NotificationKind.MAINTENANCE_SCHEDULED: N_("Scheduled maintenance"),
    NotificationKind.MAINTENANCE_STARTED: N_("Maintenance started"),
    NotificationKind.MAINTENANCE_UPDATED: N_("Maintenance update"),
    NotificationKind.MAINTENANCE_COMPLETED: N_("Maintenance completed"),
}
EVENT_SUBJECT = N_("[%(site)s Status] %(words)s: %(name)s")
CONFIRM_SUBJECT = N_("Confirm your subscription to %(site)s status")
DISABLED_SUBJECT = N_("Your %(site)s status %(channel)s was disabled")


def mail_language(language: str | None) -> str:
    """Return the language a subscriber's mail is written in: theirs, or the site's."""
    return language if language in LANGUAGES else current_app.config["STATUS"].site.language


def pages_in(site_url: str, language: str) -> str:
    """Return the root of the site's pages in `language`: /fr for French, the root for its own."""
    if language == current_app.config["STATUS"].site.language:
        return site_url
    return f"{site_url}/{language}"


@dataclass(frozen=True)
class _SystemTitle:
    """An incident's title as an event carried it, for `event_name`."""

    name: str
    name_message: str | None


@dataclass(frozen=True)
class _SystemText:
    """An update's text as an event carried it, for `update_text`."""

    body: str
    author: str | None
    message: str | None
    created_at: datetime


def _update_body(update: dict[str, Any]) -> str:
    """Return an update's text: the system's in the reader's language, staff's as written."""
    written = update.get("created_at")
    if not update.get("message") or not written:
        return update["body"]
    text = _SystemText(update["body"], None, update["message"], datetime.fromisoformat(written))
    return update_text(text)


def _moment(value: str) -> str:
    """Return an ISO time from a payload the reader's way, in the site's zone."""
    return local_moment(datetime.fromisoformat(value), current_app.config["STATUS"].site.zone)


def render_event(item: Claimed, language: str) -> Rendered:
    """Render a subscriber's mail for an event in `language` (the unsubscribe link a mark)."""
    payload = item.payload
    incident = payload["incident"]
    update = payload.get("update")
    root = pages_in(payload["site"]["url"], language)
    with force_locale(language):
        name = event_name(_SystemTitle(incident["name"], payload.get("name_message")))
        window = None
        if incident.get("scheduled_for") and incident.get("scheduled_until"):
            window = (_moment(incident["scheduled_for"]), _moment(incident["scheduled_until"]))
        context = {
            "site": payload["site"],
            "site_root": root,
            "kind": item.kind,
            "incident": incident,
            "name": name,
            "update": update,
            "update_body": _update_body(update) if update else "",
            "postmortem": payload.get("postmortem"),
            "components": incident["components"],
            "window": window,
            "url": f"{root}/incidents/{incident['id']}",
            "unsubscribe_url": UNSUBSCRIBE_MARK,
            "language_tag": LANGUAGE_TAGS.get(language, language),
        }
        words = gettext(SUBJECT_WORDS.get(NotificationKind(item.kind), N_("Update")))
        subject = gettext(EVENT_SUBJECT, site=payload["site"]["name"], words=words, name=name)
        return Rendered(
            one_line(subject),
            render_template("mail/event.txt", **context),
            render_template("mail/event.html", **context),
        )


def render_alert(item: Claimed) -> Rendered:
    """Render the on-call team's mail for an alert (in the site's language, as staff read)."""
    payload = item.payload
    subject = one_line(f"[{payload['site']['name']} alert] {payload['title']}")
    context = {"alert": payload, "site": payload["site"], "kind": item.kind}
    return Rendered(
        subject,
        render_template("mail/alert.txt", **context),
        render_template("mail/alert.html", **context),
    )


def render_direct(item: Claimed, link: str | None, language: str) -> Rendered:
    """Render a mail to one subscriber's own address, in `language`: a confirmation or notice."""
    payload = item.payload
    name = payload["site"]["name"]
    context = {
        "site": payload["site"],
        "site_root": pages_in(payload["site"]["url"], language),
        "payload": payload,
        "link": link,
        "kind": item.kind,
        "language_tag": LANGUAGE_TAGS.get(language, language),
    }
    with force_locale(language):
        if item.kind == NotificationKind.CONFIRM:
            subject = gettext(CONFIRM_SUBJECT, site=name)
            template = "mail/confirm"
        else:
            channel = payload.get("channel", "webhook")
            subject = gettext(DISABLED_SUBJECT, site=name, channel=channel)
            template = "mail/disabled"
        return Rendered(
            one_line(subject),
            render_template(f"{template}.txt", **context),
            render_template(f"{template}.html", **context),
        )


@dataclass(frozen=True)
class Envelope:
    """Who mail is from, and where replies (and mailto: unsubscribes) go."""

    sender: str  # "Name <address>" as configured
    reply_to: str | None = None

    @property
    def address(self) -> str:
        """Return the bare sender address, for the SMTP envelope."""
        return parseaddr(self.sender)[1]

    @property
    def domain(self) -> str:
        """Return the domain of Message-IDs."""
        return self.address.rpartition("@")[2] or "localhost"

    @property
    def encoded_from(self) -> str:
        """Return the From header's value, its display name encoded if it is not ASCII."""
        name, address = parseaddr(self.sender)
        return formataddr((name, address), charset="utf-8")


def build(
    rendered: Rendered,
    to: str,
    envelope: Envelope,
    item: Claimed,
    *,
    unsubscribe_url: str | None = None,
    unsubscribe_code: str | None = None,
) -> EmailMessage:
    """Return one message: plain text and HTML, a stable Message-ID, unsubscribe headers."""
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = formataddr(("", to))
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(item.created_at)
    message["Message-ID"] = f"<{item.message_id}@{envelope.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    text, html = rendered.text, rendered.html
    if unsubscribe_url:
        text = text.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
        html = html.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
        links = [f"<{unsubscribe_url}>"]
        reply = parseaddr(envelope.reply_to or "")[1]
        if reply:
            subject = quote(f"unsubscribe {unsubscribe_code or ''}".strip())
            links.append(f"<mailto:{reply}?subject={subject}>")
        message["List-Unsubscribe"] = ", ".join(links)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _ascii(text: str) -> bool:
    return text.isascii() and "\r" not in text and "\n" not in text


def _qp(text: str) -> bytes:
    """Return text as quoted-printable with CRLF line ends (7-bit clean, lines under 77)."""
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def build_bytes(
    rendered: Rendered,
    to: str,
    envelope: Envelope,
    item: Claimed,
    *,
    unsubscribe_url: str,
    unsubscribe_code: str,
) -> bytes | None:
    """Return a subscriber's message as bytes, assembled without the email package.

    The same message as `build` makes, at a fraction of its cost: a fan-out of 10,000 spends
    its time on the wire, not flattening MIME trees. None for an address that is not plain
    ASCII (then `build` handles it).
    """
    if not _ascii(to):
        return None
    subject = rendered.subject
    if not subject.isascii():
        subject = Header(subject, "utf-8").encode(linesep="\r\n")
    reply = parseaddr(envelope.reply_to or "")[1]
    links = f"<{unsubscribe_url}>"
    if reply:
        links += f", <mailto:{reply}?subject={quote(f'unsubscribe {unsubscribe_code}')}>"
    boundary = "=_sp_" + secrets.token_hex(12)
    headers = [
        f"From: {envelope.encoded_from}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(item.created_at)}",
        f"Message-ID: <{item.message_id}@{envelope.domain}>",
        "Auto-Submitted: auto-generated",
    ]
    if envelope.reply_to:
        headers.append(f"Reply-To: {formataddr(parseaddr(envelope.reply_to), charset='utf-8')}")
    headers += [
        f"List-Unsubscribe: {links}",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    part = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable'
    text = rendered.text.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
    html = rendered.html.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
    return b"".join(
        [
            "\r\n".join(headers).encode("ascii"),
            f"\r\n\r\n--{boundary}\r\n{part.format('plain')}\r\n\r\n".encode(),
            _qp(text),
            f"\r\n--{boundary}\r\n{part.format('html')}\r\n\r\n".encode(),
            _qp(html),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
