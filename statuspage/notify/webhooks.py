"""Webhooks: Standard Webhooks signatures, URLs that cannot reach inside, one bounded POST.

Signing follows the Standard Webhooks spec (https://www.standardwebhooks.com): headers
`webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` over
"<id>.<timestamp>.<body>" with the key inside the subscriber's `whsec_` secret; the tests
verify it with the spec's own `standardwebhooks` package.

A URL is vetted when it is registered and again at every delivery, and the connection goes
to the very address that was vetted (so a DNS answer that changes in between, "rebinding",
cannot point it inside): https only, to public addresses only. Loopback (and plain http to
it) is allowed only with the WEBHOOKS_ALLOW_LOOPBACK setting, which exists for tests.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "capgo-statuspage-webhooks"
DNS_TIMEOUT_S = 3.0

# DNS lookups have no timeout of their own; at sign-up they run here and are waited on briefly.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class UnsafeURL(ValueError):
    """A URL a webhook may not use, with why (never quoting the URL: it may be a secret)."""


@dataclass(frozen=True)
class Vetted:
    """A URL checked for delivery: where to connect, and what to say to it."""

    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str  # the IP address that was checked, and the one connected to


@dataclass(frozen=True)
class Answer:
    """How a delivery went: a status (None when no answer came) and a short reason."""

    ok: bool
    status: int | None
    reason: str


def new_secret() -> str:
    """Return a fresh signing secret, `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` header value for a body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the three Standard Webhooks headers."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def _allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_syntax(url: str, allow_loopback: bool = False) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, target) of an acceptable URL, or raise UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("must be an https:// URL")
    if parts.scheme == "http" and not allow_loopback:
        raise UnsafeURL("must be an https:// URL")
    if parts.username or parts.password:
        raise UnsafeURL("must not hold a user name or password")
    if any(ch in url for ch in "\r\n\t ") or len(url) > 2000:
        raise UnsafeURL("must not hold spaces or line breaks, and be at most 2000 characters")
    host = parts.hostname
    default = 443 if parts.scheme == "https" else 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or default, target


def vet(url: str, allow_loopback: bool = False) -> Vetted:
    """Check a URL and resolve it; every address it resolves to must be public."""
    scheme, host, port, target = check_syntax(url, allow_loopback)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL("its host name does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeURL("its host name does not resolve")
    for address in addresses:
        if not _allowed(address, allow_loopback):
            raise UnsafeURL("points at a private, loopback or reserved address")
    if scheme == "http" and not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise UnsafeURL("must be an https:// URL")
    return Vetted(scheme, host, port, target, addresses[0])


def vet_quickly(url: str, allow_loopback: bool = False) -> Vetted:
    """Vet a URL with DNS bounded to a few seconds (for a sign-up in a web request)."""
    check_syntax(url, allow_loopback)
    future = _resolver.submit(vet, url, allow_loopback)
    try:
        return future.result(timeout=DNS_TIMEOUT_S)
    except FutureTimeout:
        raise UnsafeURL("its host name did not resolve in time") from None


class _Reaper:
    """One thread that shuts down the sockets of exchanges past their deadline.

    (A timer thread per request would cost more than a fast receiver's whole answer.)
    """

    def __init__(self) -> None:
        self._watched: dict[int, tuple[float, http.client.HTTPConnection, threading.Event]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, connection: http.client.HTTPConnection, seconds: float) -> threading.Event:
        """Watch a connection; the event is set if its deadline passes."""
        expired = threading.Event()
        with self._lock:
            self._watched[id(connection)] = (time.monotonic() + seconds, connection, expired)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="webhook-reaper", daemon=True
                )
                self._thread.start()
        return expired

    def forget(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._watched.pop(id(connection), None)

    def _run(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self._lock:
                if not self._watched:  # idle: stop; the next watch starts a new thread
                    self._thread = None
                    return
                late = [(c, e) for key, (at, c, e) in self._watched.items() if at <= now]
                for connection, _ in late:
                    self._watched.pop(id(connection), None)
            for connection, expired in late:
                expired.set()
                sock = connection.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)


_reaper = _Reaper()


@functools.lru_cache(maxsize=1)
def _context() -> ssl.SSLContext:
    # Building a default context loads the CA bundle: once, not per request.
    return ssl.create_default_context()


class _Pinned(http.client.HTTPSConnection):
    """An HTTPS connection to a vetted address, with the host name for TLS and Host."""

    def __init__(self, vetted: Vetted, timeout: float, context: ssl.SSLContext | None) -> None:
        super().__init__(vetted.host, vetted.port, timeout=timeout, context=context)
        self.vetted = vetted

    def connect(self) -> None:
        sock = socket.create_connection((self.vetted.address, self.vetted.port), self.timeout)
        if self.vetted.scheme == "https":
            sock = self._context.wrap_socket(sock, server_hostname=self.vetted.host)
        self.sock = sock


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float = TIMEOUT_S,
    allow_loopback: bool = False,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST a JSON body; a 2xx within `timeout_s` (the whole exchange) is success.

    Redirects are not followed (one could lead inside). Reasons never quote the URL.
    """
    try:
        vetted = vet(url, allow_loopback)
    except UnsafeURL as error:
        return Answer(False, None, f"refused: the URL {error}")
    connection = _Pinned(vetted, timeout_s, context or _context())
    # The socket timeout bounds each read; the reaper bounds the whole exchange, so a
    # receiver trickling a byte a second cannot hold a worker.
    expired = _reaper.watch(connection, timeout_s)
    try:
        connection.request(
            "POST",
            vetted.target,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError | socket.timeout):
            return Answer(False, None, f"no answer within {timeout_s:g} s")
        if isinstance(error, ssl.SSLError):
            return Answer(False, None, "TLS failed")
        if isinstance(error, ConnectionRefusedError):
            return Answer(False, None, "connection refused")
        return Answer(False, None, f"connection failed ({error.__class__.__name__})")
    finally:
        _reaper.forget(connection)
        connection.close()
    if 200 <= status < 300:
        return Answer(True, status, f"HTTP {status}")
    return Answer(False, status, f"HTTP {status}, expected 2xx")


def webhook_body(payload: dict[str, Any], unsubscribe_url: str, generated_at: str) -> bytes:
    """Return the Statuspage-shaped body: meta, page, and incident or component_update."""
    body: dict[str, Any] = {
        "meta": {"unsubscribe": unsubscribe_url, "generated_at": generated_at},
        "page": payload["page"],
    }
    if "component_update" in payload:
        body["component_update"] = payload["component_update"]
        body["component"] = payload["component"]
    else:
        body["incident"] = payload["incident"]
    return json.dumps(body, ensure_ascii=False).encode()
