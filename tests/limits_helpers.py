"""Helpers for the hardening tests: a real uvicorn server (with our protocol) in a thread, and raw HTTP over sockets.

Raw sockets because the point of several tests is what the server does *before* a client has finished
sending (a huge declared body, a body still streaming, headers that never end) — an HTTP client library
would insist on sending the whole request first.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from web_helpers import free_port, wait_http


@contextmanager
def serve(app: Any, header_timeout: float = 10.0) -> Iterator[tuple[str, int]]:
    """The app under uvicorn with webapp.protocol's header deadline; yields (host, port)."""
    import uvicorn

    from webapp.protocol import protocol_with_timeout

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            http=protocol_with_timeout(header_timeout))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", auth=("zhang", "s3cret"))
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and whatever body arrives before the server closes or stops sending."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
