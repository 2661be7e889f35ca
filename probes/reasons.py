"""Why an exchange failed, in our own short words ("connection refused", "timeout after 10 s").

Reasons come from classifying the exception, never from its text: requests puts the URL, which
may hold an expanded secret, into its messages.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Iterator

import requests
import urllib3.exceptions

# The most characters of server-supplied text a reason quotes.
SHOWN_CHARS = 60


class Failure(Exception):
    """A failure whose public reason is already known."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_seconds(seconds: float) -> str:
    """Return a timeout as shown in reasons: ``10 s``, ``2 s``, ``0.5 s``."""
    return f"{round(seconds, 3):g} s"


def timeout_reason(timeout_s: float) -> str:
    """Return the reason for a probe that ran out of time."""
    return f"timeout after {format_seconds(timeout_s)}"


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
    if isinstance(exc, Failure):
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
