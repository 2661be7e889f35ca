"""Real loopback receivers for the notification tests: an SMTP server and a webhook endpoint.

    with MailServer() as smtp: ... smtp.url ... smtp.messages
    with HookReceiver() as hooks: ... hooks.url("/a") ... hooks.received

Both bind 127.0.0.1 only. The webhook receiver verifies every request's signature with the
Standard Webhooks reference package when given the subscriber's secret.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class MailServer:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.handler = _Collect()
        with socket.socket() as probe:  # aiosmtpd needs a port number, not 0
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return [m for _, _, m in self.handler.messages]

    def to(self, address: str) -> list[EmailMessage]:
        """Return the messages whose envelope went to this address."""
        with self.handler.lock:
            return [m for _, rcpts, m in self.handler.messages if address in rcpts]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.02)
        return self.messages


def text_of(message: EmailMessage) -> str:
    """Return the plain text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class HookReceiver:
    """A threaded HTTP server on 127.0.0.1: each path answers as told (status, delay, hang)."""

    def __init__(self) -> None:
        self.received: list[Hit] = []
        self.behaviour: dict[str, Callable[[], int]] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, 0)
                hit.at = time.monotonic()
                with receiver.lock:
                    receiver.received.append(hit)
                status = receiver.behaviour.get(self.path, lambda: 200)()
                if status < 0:
                    return  # hung until released: never answers
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 512

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)

    def __enter__(self) -> HookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def hang(self, path: str) -> None:
        """Make a path never answer (until the receiver stops)."""

        def hang() -> int:
            self.release.wait(60)
            return -1

        self.behaviour[path] = hang

    def answer(self, path: str, status: int) -> None:
        self.behaviour[path] = lambda: status

    def hits(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.received if path is None or h.path == path]
