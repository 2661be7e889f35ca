"""The HTTP side of a probe: one bounded exchange, and the reason when it fails.

Bounds, so that a misbehaving endpoint can never stall the prober:

- A whole-exchange deadline of ``timeout_s`` covers connect, headers, redirects and body.
  requests' own timeout is per socket operation (a server trickling one byte per second never
  trips it), so a timer shuts down the probe's socket when the deadline passes, and the body
  is read in small pieces with the deadline checked in between. Only DNS resolution escapes
  the timer (it is a blocking C call); ``ProbeRunner`` stops waiting for such a probe.
- At most 1 MiB of body is read; a larger body is judged on its first MiB.
- At most 5 redirects are followed.

A failed exchange gets a reason from our own classification, never from exception text
(requests puts the URL, which may hold an expanded secret, into its messages).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from probes.definitions import ProbeDefinition

USER_AGENT = "capgo-status-probe"
MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 5

_READ_SIZE = 16 * 1024
SHOWN_CHARS = 60
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Credentials that must not follow a redirect to another host.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def format_seconds(seconds: float) -> str:
    """Return a timeout as shown in reasons: ``10 s``, ``2 s``, ``0.5 s``."""
    return f"{round(seconds, 3):g} s"


def timeout_reason(timeout_s: float) -> str:
    """Return the reason for a probe that ran out of time."""
    return f"timeout after {format_seconds(timeout_s)}"


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


class _Failure(Exception):
    """A failure whose public reason is already known."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Answer:
    """What the final response said, filled in as it arrives."""

    status: int | None = None
    body: bytes = b""
    truncated: bool = False
    content_type: str = ""


def _read_body(response: requests.Response, deadline: Deadline) -> tuple[bytes, bool]:
    """Read at most 1 MiB of the body before the deadline; return it and whether more came."""
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:  # one read past the limit tells "exactly 1 MiB" from "more"
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _Failure(timeout_reason(deadline.seconds))
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
        raise _Failure(timeout_reason(deadline.seconds))
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
    """Send the request, follow redirects by hand and read the final body into ``answer``."""
    method, url, body = request.method, request.url, request.json
    # Identity encoding keeps the 1 MiB bound a bound on what we hold, not on compressed bytes.
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
        {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    )
    headers.update(request.headers)
    for hop in range(MAX_REDIRECTS + 1):
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _Failure(timeout_reason(deadline.seconds))
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
            raise _Failure("too many redirects")
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


# --- Classifying failures ---------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and every exception it wraps (causes, contexts, args, ``.reason``)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None))
        stack.extend(e for e in (*linked, *current.args) if isinstance(e, BaseException))


def _ssl_reason(error: ssl.SSLError) -> str:
    """Return a short reason from OpenSSL's reason code (``WRONG_VERSION_NUMBER``)."""
    code = error.reason if isinstance(error.reason, str) else ""
    text = re.sub(r"[^a-z0-9]+", " ", code.lower()).strip()[:SHOWN_CHARS]
    return text or "handshake failed"


_TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
    urllib3.exceptions.LocationValueError,
)
_CUT_SHORT = (
    http.client.IncompleteRead,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
)
_CONNECTION = (requests.ConnectionError, OSError, http.client.HTTPException)


def classify(exc: Exception, timeout_s: float, expired: bool = False) -> str | None:
    """Return the public reason for a failed exchange, or None for an unexpected error."""
    if isinstance(exc, _Failure):
        return exc.reason
    causes = list(_causes(exc))

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((c for c in causes if isinstance(c, types)), None)

    # urllib3's NewConnectionError (refused, DNS...) subclasses its ConnectTimeoutError for
    # history's sake; it is not a timeout.
    timed_out = any(
        isinstance(c, _TIMEOUTS) and not isinstance(c, urllib3.exceptions.NewConnectionError)
        for c in causes
    )
    if expired or timed_out:
        return timeout_reason(timeout_s)
    if first(ssl.SSLCertVerificationError):
        return "TLS: certificate verify failed"
    ssl_error = first(ssl.SSLError)
    if isinstance(ssl_error, ssl.SSLError):
        return f"TLS: {_ssl_reason(ssl_error)}"
    if first(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return "TLS: handshake failed"
    if first(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "DNS lookup failed"
    if first(ConnectionRefusedError):
        return "connection refused"
    if first(http.client.RemoteDisconnected):  # before ConnectionResetError: it is one
        return "connection closed without response"
    if first(ConnectionResetError, BrokenPipeError):
        return "connection reset"
    if first(*_BAD_URL):
        return "invalid URL"
    if first(*_CUT_SHORT):
        return "connection closed during body"
    if first(*_CONNECTION):
        return "connection failed"
    if first(requests.RequestException):
        return "request failed"
    return None


def describe_error(exc: Exception, timeout_s: float) -> str:
    """Return the short reason for a failed request, as results word it ("connection refused").

    For requests made outside a probe run, such as an agent sending its results.
    """
    return classify(exc, timeout_s) or f"request failed: {type(exc).__name__}"
