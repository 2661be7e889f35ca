"""A real loopback HTTP server that answers like Capgo, and misbehaves on request.

    with CapgoStandIn() as capgo:
        capgo.set("/updates", status(500, {"error": "unknown_error"}))
        ... probe f"{capgo.url}/updates" ...
        assert capgo.hits("/updates") == 1

Healthy answers by default (see ``_healthy``). ``set(path, behaviour)`` takes one of the
behaviours built by the functions below, an ``int`` status, or a ``(status, body)`` pair.
``CapgoStandIn(tls=True)`` serves HTTPS with a certificate from a throwaway CA made at start
(``ca_path`` is that CA's bundle, for a client that should trust it); ``expires_at`` sets
when that certificate expires. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

UPDATES_UP_TO_DATE = {
    "error": "no_new_version_available",
    "message": "No new version available",
    "kind": "up_to_date",
}
HUGE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Behaviour:
    """How the stand-in answers one path."""

    kind: str
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0


def _encode(body: Any) -> tuple[bytes, str]:
    """Return the bytes and content type for a body given as bytes, text or a JSON value."""
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


def status(code: int, body: Any = b"", *, headers: Mapping[str, str] | None = None) -> Behaviour:
    """Answer ``code`` with ``body`` (bytes, text, or a JSON value)."""
    data, content_type = _encode(body)
    return Behaviour("answer", code, data, content_type, tuple((headers or {}).items()))


def json_body(value: Any, code: int = 200) -> Behaviour:
    """Answer ``code`` with ``value`` as JSON (even a string, which ``status`` sends as text)."""
    return Behaviour("answer", code, json.dumps(value).encode(), "application/json")


def slow(seconds: float) -> Behaviour:
    """Give the healthy answer after ``seconds``."""
    return Behaviour("delay", seconds=seconds)


def delay_ms(milliseconds: float) -> Behaviour:
    """Give the healthy answer exactly ``milliseconds`` after reading the request."""
    return Behaviour("delay", seconds=milliseconds / 1000)


def endless(chunk_delay_s: float = 0.0) -> Behaviour:
    """Answer 200 with a chunked body that never ends (a chunk every ``chunk_delay_s``)."""
    return Behaviour("endless", seconds=chunk_delay_s)


def trickle(interval_s: float = 1.0) -> Behaviour:
    """Answer 200 with a small JSON body sent one byte every ``interval_s``."""
    return Behaviour("trickle", seconds=interval_s)


def trickle_headers(interval_s: float = 1.0) -> Behaviour:
    """Send the status line and headers one byte every ``interval_s``."""
    return Behaviour("trickle_headers", seconds=interval_s)


def conditional(body: Any, etag: str) -> Behaviour:
    """Answer 200 with ``body`` and its ETag, or 304 to a request that names that ETag."""
    data, content_type = _encode(body)
    return Behaviour("conditional", 200, data, content_type, (("ETag", etag),))


def redirect(location: str, code: int = 302) -> Behaviour:
    """Redirect to ``location``."""
    return Behaviour("answer", code, b"", "text/plain", (("Location", location),))


HANG = Behaviour("hang")  # never answers, until the server stops
NOT_JSON = Behaviour("answer", 200, b"<html><body>Bad gateway</body></html>", "text/html")
HUGE = Behaviour("huge")  # 8 MiB of valid JSON
REDIRECT_LOOP = Behaviour("redirect_loop")  # redirects to itself forever
CLOSE = Behaviour("close")  # closes the connection without answering
RESET = Behaviour("reset")  # resets the connection (RST) without answering


@dataclass(frozen=True)
class Received:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lowercased
    body: bytes


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server that tolerates clients hanging up on it."""

    daemon_threads = True
    request_queue_size = 256  # a whole probe cycle connects at once
    standin: CapgoStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away; report anything else."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError):  # ssl.SSLError is an OSError
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Dispatches every request to the stand-in's behaviour for its path."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Wrap the connection in TLS here, on the connection's own thread."""
        context = self.server.standin.ssl_context
        if context is not None:
            self.request.settimeout(5)  # a client that never completes the handshake
            self.request = context.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()

    def finish(self) -> None:
        """Close the TLS socket too: the server only knows the plain one it accepted."""
        try:
            super().finish()
        finally:
            if self.server.standin.ssl_context is not None:
                self.request.close()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Keep test output clean."""

    def do_GET(self) -> None:
        """Handle any method the same way."""
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        """Record the request, then behave as told for its path."""
        standin = self.server.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        received = Received(
            self.command,
            parts.path,
            parts.query,
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        behaviour = standin._record(received)
        try:
            self._behave(behaviour, received)
        except OSError:  # the client hung up, as probes do when they give up
            self.close_connection = True

    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Send a complete answer."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _behave(self, behaviour: Behaviour | None, received: Received) -> None:
        """Answer according to ``behaviour`` (the healthy answer when None)."""
        stopping = self.server.standin._stopping
        kind = behaviour.kind if behaviour else "healthy"
        if kind == "answer":
            assert behaviour is not None
            self._send(behaviour.status, behaviour.body, behaviour.content_type, behaviour.headers)
        elif kind == "conditional":
            assert behaviour is not None
            if received.headers.get("if-none-match") == dict(behaviour.headers)["ETag"]:
                self._send(304, b"", behaviour.content_type, behaviour.headers)
            else:
                self._send(200, behaviour.body, behaviour.content_type, behaviour.headers)
        elif kind == "delay":
            assert behaviour is not None
            _sleep_exactly(behaviour.seconds, stopping)
            self._send(*_healthy(received))
        elif kind == "hang":
            stopping.wait()
            self.close_connection = True
        elif kind == "huge":
            self._send_huge()
        elif kind == "endless":
            assert behaviour is not None
            self._send_endless(behaviour.seconds, stopping)
        elif kind == "trickle":
            assert behaviour is not None
            self._send_trickle(behaviour.seconds, stopping)
        elif kind == "trickle_headers":
            assert behaviour is not None
            self._send_trickled_headers(behaviour.seconds, stopping)
        elif kind == "redirect_loop":
            self._send(302, b"", "text/plain", (("Location", received.path),))
        elif kind == "close":
            self.close_connection = True
        elif kind == "reset":
            self._reset()
        else:
            self._send(*_healthy(received))

    def _send_huge(self) -> None:
        """Send 8 MiB of valid JSON, in pieces, until done or the client leaves."""
        prefix = b'{"status":"ok","padding":"'
        suffix = b'"}'
        filler = HUGE_BYTES - len(prefix) - len(suffix)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        self.wfile.write(prefix)
        piece = b"x" * 65536
        while filler > 0:
            self.wfile.write(piece[: min(filler, len(piece))])
            filler -= len(piece)
        self.wfile.write(suffix)

    def _send_endless(self, chunk_delay_s: float, stopping: threading.Event) -> None:
        """Send a chunked body that never ends, until the client leaves or the server stops."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"[" + b"0," * 8191 + b"0"  # 16 KiB of the start of a JSON array
        frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        while not stopping.is_set():
            self.wfile.write(frame)
            if chunk_delay_s and stopping.wait(chunk_delay_s):
                break
            chunk = b",0" * 8192
            frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        self.close_connection = True

    def _send_trickle(self, interval_s: float, stopping: threading.Event) -> None:
        """Send a valid JSON body one byte every ``interval_s``."""
        body = b'{"status":"ok"}' + b" " * 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            if stopping.wait(interval_s):
                break
        self.close_connection = True

    def _send_trickled_headers(self, interval_s: float, stopping: threading.Event) -> None:
        """Send a whole answer, status line and headers included, one byte at a time."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
        head += b"p" * 200 + b'\r\nContent-Length: 15\r\n\r\n{"status":"ok"}'
        for index in range(len(head)):
            self.wfile.write(head[index : index + 1])
            if stopping.wait(interval_s):
                break
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection so that the client sees a reset, not an orderly close."""
        # Linger on with a zero timeout turns close() into an RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the reader holds a reference that would delay the real close
        self.connection.close()
        self.close_connection = True


def _healthy(received: Received) -> tuple[int, bytes]:
    """Return Capgo's healthy answer for a request."""
    path, method = received.path, received.method
    if path in ("/ok", "/latency"):
        return 200, b'{"status":"ok"}'
    if path == "/updates" and method == "POST":
        return 200, json.dumps(UPDATES_UP_TO_DATE).encode()
    if path in ("/updates", "/stats"):  # GET: the route is up; POST /stats: recorded
        return 200, b'{"status":"ok"}'
    if path == "/app":
        if received.headers.get("authorization"):
            return 200, b"[]"
        return 401, b'{"error":"no_key_provided","message":"No key provided"}'
    return 404, b'{"error":"not_found"}'


def _sleep_exactly(seconds: float, stopping: threading.Event) -> None:
    """Sleep ``seconds`` precisely (time.sleep alone may wake early), or until stopping."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if stopping.wait(left):
            return


def _coerce(behaviour: Behaviour | int | tuple[int, Any]) -> Behaviour:
    """Accept a status code or a ``(status, body)`` pair as a behaviour."""
    if isinstance(behaviour, Behaviour):
        return behaviour
    if isinstance(behaviour, int):
        return status(behaviour, {"error": f"http_{behaviour}"})
    code, body = behaviour
    return status(code, body)


class CapgoStandIn:
    """A loopback Capgo imitation; use as a context manager."""

    def __init__(self, *, tls: bool = False, expires_at: datetime | None = None) -> None:
        self.tls = tls
        self.expires_at = expires_at
        self.ssl_context: ssl.SSLContext | None = None
        self.ca_path: str | None = None
        self._lock = threading.Lock()
        self._behaviours: dict[str, Behaviour] = {}
        self._hits: Counter[str] = Counter()
        self._last: dict[str, Received] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> CapgoStandIn:
        """Start serving."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop serving."""
        self.stop()

    def start(self) -> None:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        if self.tls:
            self._make_tls()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="capgo-standin",
            daemon=True,
        )
        self._thread.start()

    def _make_tls(self) -> None:
        """Issue a certificate for 127.0.0.1 from a CA made now and trusted by no one."""
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost", not_after=self.expires_at)
        self.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.ssl_context)
        handle, self.ca_path = tempfile.mkstemp(prefix="standin-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as file:
            file.write(ca.cert_pem.bytes())

    def stop(self) -> None:
        """Release hanging handlers, stop serving and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.ca_path:
            os.unlink(self.ca_path)
            self.ca_path = None

    @property
    def port(self) -> int:
        """Return the port served."""
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Return the base URL, without a trailing slash."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def set(self, path: str, behaviour: Behaviour | int | tuple[int, Any]) -> None:
        """Make ``path`` (any method) behave as told."""
        with self._lock:
            self._behaviours[path] = _coerce(behaviour)

    def reset(self) -> None:
        """Restore healthy answers and forget recorded requests."""
        with self._lock:
            self._behaviours.clear()
            self._hits.clear()
            self._last.clear()

    def hits(self, path: str) -> int:
        """Return how many requests ``path`` received."""
        with self._lock:
            return self._hits[path]

    def last(self, path: str) -> Received | None:
        """Return the last request ``path`` received."""
        with self._lock:
            return self._last.get(path)

    def last_headers(self, path: str) -> dict[str, str]:
        """Return the headers (lowercased names) of the last request to ``path``."""
        received = self.last(path)
        return dict(received.headers) if received else {}

    def _record(self, received: Received) -> Behaviour | None:
        """Count and keep a request; return the behaviour for its path."""
        with self._lock:
            self._hits[received.path] += 1
            self._last[received.path] = received
            return self._behaviours.get(received.path)


def unused_port() -> int:
    """Return a 127.0.0.1 port nothing listens on (bound, read, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
