"""The HTTP side of a probe: one bounded exchange, and the reason when it fails.

Bounds, so that a misbehaving endpoint can never stall the prober:

- A whole-exchange deadline of ``timeout_s`` covers connect, headers, redirects and body.
  requests' own timeout is per socket operation (a server trickling one byte per second never
  trips it), so a timer shuts down the probe's socket when the deadline passes, and the body
  is read in small pieces with the deadline checked in between. Only DNS resolution escapes
  the timer (it is a blocking C call); ``ProbeRunner`` stops waiting for such a probe.
- At most 1 MiB of body is read; a larger body is judged on its first MiB.
- At most 5 redirects are followed.

A failed exchange gets a reason from our own classification (``probes.reasons``), never
from exception text (requests puts the URL, which may hold an expanded secret, into its
messages).

An HTTPS exchange also notes when the server's certificate expires (``Answer``): Python
only reads a certificate's dates once it has verified it, so an unverified one leaves it
unknown (such a probe is down with "TLS: certificate verify failed" anyway).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from probes.definitions import ProbeDefinition
from probes.reasons import Failure, timeout_reason
from probes.reasons import format_seconds as format_seconds  # shown in reasons; public here too

USER_AGENT = "capgo-status-probe"
MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 5

_READ_SIZE = 16 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Credentials that must not follow a redirect to another host.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


# --- The deadline and the sockets it guards ---------------------------------------------------

_local = threading.local()


class Deadline:
    """A whole-exchange deadline that shuts down the probe's sockets when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        """Start the timer and let connections made by this thread register with it."""
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the timer; the sockets are closed with the session."""
        self._timer.cancel()
        _local.deadline = None
        with self._lock:
            self._sockets.clear()

    def remaining(self) -> float:
        """Return the seconds left (negative once passed)."""
        return self.expires_at - time.monotonic()

    def passed(self) -> bool:
        """Return whether the deadline has passed."""
        return self.expired or self.remaining() <= 0

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it already has)."""
        if sock is None:
            return
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shutdown(sock)

    def _expire(self) -> None:
        """Mark the deadline passed and wake every blocked read with end-of-file."""
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    """Shut a socket down for both directions, ignoring sockets already closed."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch_current(sock: socket.socket | None) -> None:
    """Hand a fresh connection's socket to the deadline of the probe running in this thread."""
    deadline: Deadline | None = getattr(_local, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)
    _note_certificate(sock)


def _note_certificate(sock: Any) -> None:
    """Note when the server's certificate expires, for the exchange running in this thread.

    Only the first connection's counts: that is the host the probe names, not a redirect's.
    """
    answer: Answer | None = getattr(_local, "answer", None)
    peer_certificate = getattr(sock, "getpeercert", None)
    if answer is None or answer.certificate_expires_at is not None or peer_certificate is None:
        return
    try:
        # An empty dict unless the certificate was verified: then its dates are unknown.
        not_after = peer_certificate().get("notAfter")
        if not_after:
            seconds = ssl.cert_time_to_seconds(not_after)
            answer.certificate_expires_at = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OSError, OverflowError):
        pass  # a date Python cannot read says nothing we could act on


class _WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket the current probe's deadline can shut down."""

    def connect(self) -> None:
        """Connect (and, for HTTPS, handshake), then register the socket."""
        super().connect()
        _watch_current(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Register a kept-alive socket with the probe reusing it, then send."""
        _watch_current(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """An HTTPS connection whose socket the current probe's deadline can shut down.

    The watching is _WatchedHTTPConnection's: in this class order its ``super()`` calls reach
    HTTPSConnection first, so the socket is registered once the TLS handshake (bounded by
    socket timeouts) is done.
    """


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _ProbeAdapter(HTTPAdapter):
    """A transport adapter whose connections obey the probe deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with deadline-aware connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def new_session() -> requests.Session:
    """Return a session set up for probing (pass one to ``run_probe`` to change ``verify``)."""
    session = requests.Session()
    # Proxies and ~/.netrc from the environment would change what is measured and could attach
    # credentials no definition asked for.
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    adapter = _ProbeAdapter(max_retries=0)  # a retry would hide the failure we look for
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- One exchange -----------------------------------------------------------------------------


@dataclass
class Answer:
    """What the final response said, filled in as it arrives."""

    status: int | None = None
    body: bytes = b""
    truncated: bool = False
    content_type: str = ""
    # The final response's headers (a conditional reader wants its ETag and Last-Modified).
    headers: Mapping[str, str] = field(default_factory=dict)
    certificate_expires_at: datetime | None = None


def _read_body(response: requests.Response, deadline: Deadline) -> tuple[bytes, bool]:
    """Read at most 1 MiB of the body before the deadline; return it and whether more came."""
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:  # one read past the limit tells "exactly 1 MiB" from "more"
        remaining = deadline.remaining()
        if remaining <= 0:
            raise Failure(timeout_reason(deadline.seconds))
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            # Backstop for sessions without the deadline timer: no single read outlives it.
            sock.settimeout(remaining)
        # read1 does at most one socket read; read(amt) would loop until amt bytes came.
        chunk = raw.read1(_READ_SIZE, decode_content=False)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if deadline.expired:
        # The timer's shutdown looks like end-of-file to a body delimited by the connection.
        raise Failure(timeout_reason(deadline.seconds))
    body = b"".join(chunks)
    return body[:MAX_BODY_BYTES], size > MAX_BODY_BYTES


def _decode_content(body: bytes, encoding: str) -> tuple[bytes, bool] | None:
    """Undo gzip/deflate (bounded to 1 MiB of output); None when the encoding is unknown."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body, False
    if encoding in ("gzip", "x-gzip", "deflate"):
        # 47 = zlib or gzip header, auto-detected; -15 = raw deflate, which some servers send.
        for wbits in (47, -15):
            decompressor = zlib.decompressobj(wbits)
            try:
                data = decompressor.decompress(body, MAX_BODY_BYTES)
            except zlib.error:
                continue
            return data, bool(decompressor.unconsumed_tail)
    return None


def exchange(
    session: requests.Session,
    request: ProbeDefinition,
    secret_headers: frozenset[str],
    deadline: Deadline,
    answer: Answer,
) -> None:
    """Send a probe's request, follow redirects by hand and read the final body into ``answer``."""
    send(
        session,
        request.method,
        request.url,
        request.json,
        request.headers,
        deadline,
        answer,
        secret_headers,
    )


def send(
    session: requests.Session,
    method: str,
    url: str,
    body: Any,
    extra_headers: Mapping[str, str],
    deadline: Deadline,
    answer: Answer,
    secret_headers: frozenset[str] = frozenset(),
) -> None:
    """Send one request within ``deadline`` and read the final answer into ``answer``."""
    # Identity encoding keeps the 1 MiB bound a bound on what we hold, not on compressed bytes.
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
        {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    )
    headers.update(extra_headers)
    _local.answer = answer
    try:
        _follow(session, method, url, body, headers, secret_headers, deadline, answer)
    finally:
        _local.answer = None


def _follow(
    session: requests.Session,
    method: str,
    url: str,
    body: Any,
    headers: CaseInsensitiveDict[str],
    secret_headers: frozenset[str],
    deadline: Deadline,
    answer: Answer,
) -> None:
    """Make the request and its redirects, at most MAX_REDIRECTS, reading the final body."""
    for hop in range(MAX_REDIRECTS + 1):
        remaining = deadline.remaining()
        if remaining <= 0:
            raise Failure(timeout_reason(deadline.seconds))
        # Redirects are followed here, not by requests: requests reads each redirect body in
        # full (unbounded, undeadlined) and would restart the timeout on every hop.
        response = session.request(
            method,
            url,
            headers=dict(headers),
            json=body,
            timeout=(remaining, remaining),
            stream=True,
            allow_redirects=False,
        )
        try:
            answer.status = response.status_code
            target = session.get_redirect_target(response)
            if response.status_code not in _REDIRECT_STATUSES or not target:
                answer.content_type = response.headers.get("content-type", "")
                answer.headers = CaseInsensitiveDict(response.headers)
                raw_body, truncated = _read_body(response, deadline)
                decoded = _decode_content(raw_body, response.headers.get("content-encoding", ""))
                # An unknown encoding leaves bytes no check can read: judged as not JSON/text.
                answer.body, more = decoded if decoded is not None else (b"", False)
                answer.truncated = truncated or more
                return
        finally:
            # Closing without reading the rest drops the connection instead of draining it.
            response.close()
        if hop == MAX_REDIRECTS:
            raise Failure("too many redirects")
        next_url = urljoin(response.url, target)
        status = response.status_code
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, body = "GET", None  # what browsers and requests do
            headers.pop("Content-Type", None)
        if session.should_strip_auth(response.url, next_url):
            for name in list(headers):
                if name.lower() in _CREDENTIAL_HEADERS or name.lower() in secret_headers:
                    del headers[name]
        url = next_url
