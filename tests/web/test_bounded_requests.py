"""Requests are bounded before they are read: a form of a gigabyte is refused from its headers."""

from __future__ import annotations

import socket
import time

import pytest

from statuspage import MAX_FORM_BYTES

GIB = 1024**3


def _status_line(sock: socket.socket) -> str:
    sock.settimeout(10)
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("path", ["/admin/sign-in", "/admin/incidents/new"])
def test_a_gigabyte_form_is_refused_before_it_is_read(site, path) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {GIB}\r\n\r\n".encode()
            + b"--x\r\n" * 1000  # a few kilobytes of the promised gigabyte, then nothing
        )
        status = _status_line(sock)
    assert status.split()[1] in ("413", "302"), status  # unauthenticated screens redirect
    assert time.monotonic() - started < 10  # answered without waiting for the gigabyte


def test_an_oversized_form_without_a_length_is_cut_off(site) -> None:
    """Sent chunked, with no Content-Length: never read past the limit.

    A server that marks such input as terminated (gunicorn) has it read up to the limit and
    refused with 413; one that does not (Werkzeug's) has it not read at all, so the form is
    empty and refused as such.
    """
    with socket.create_connection(("127.0.0.1", site.port)) as sock:
        sock.sendall(
            b"POST /admin/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"email=" + b"a" * (64 * 1024)
        sent = 0
        try:
            while sent < 4 * MAX_FORM_BYTES:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: exactly what is asked of it
        status = _status_line(sock)
    assert status.split()[1] in ("400", "413"), status


def test_a_form_within_the_limit_is_read(client) -> None:
    response = client.post("/admin/sign-in", data={"email": "a" * (MAX_FORM_BYTES // 2)})
    assert response.status_code == 400  # an invalid form, not a refused one
