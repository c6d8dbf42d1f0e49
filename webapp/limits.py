"""Request-size limits applied while the body streams in, on every route (API and Gradio's alike).

Starlette and Gradio read a request body whole before looking at it, so a
300 MB POST costs 300+ MB of memory before any handler can refuse it. This
ASGI middleware runs before them: it refuses a declared Content-Length over
the limit without reading a byte, and counts the bytes of chunked or
understated bodies as they arrive, answering 413 the moment the limit is
passed. A body must also arrive within `body_timeout_s` of the request's start
(408 after that): a client trickling a few bytes a second cannot hold a
connection and a handler for minutes. Routes for features this app does not offer (Gradio's file upload,
recording, streaming input, its editor) are refused outright.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from .security import ASGIApp, Receive, Scope, Send, route_path

logger = logging.getLogger(__name__)

# Gradio routes behind features this app never uses (no file or audio inputs, no dev tools).
REFUSED_ROUTES = re.compile(
    r"(?:^|/)gradio_api/(?:upload|upload_progress|process_recording|stream/|vibe-|undo-vibe-edit|"
    r"run-history|profiling|dev/)")


async def send_json(send: Send, status: int, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *extra,
    ]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for bodies over `api_bytes` on /api/… and over `other_bytes` elsewhere; 403 for refused routes."""

    def __init__(self, app: ASGIApp, api_bytes: int = 64 * 1024, other_bytes: int = 256 * 1024,
                 body_timeout_s: float = 10.0) -> None:
        self.app = app
        self.api_bytes = api_bytes
        self.other_bytes = other_bytes
        self.body_timeout_s = body_timeout_s

    def limit_for(self, path: str) -> int:
        return self.api_bytes if path.startswith("/api/") else self.other_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if REFUSED_ROUTES.search(path):
            await send_json(send, 403, {"error": "feature_disabled",
                                        "message": "本服务未开放文件上传等功能。This feature is disabled."})
            return
        limit = self.limit_for(path)
        too_large = {"error": "body_too_large",
                     "message": f"请求体太大(上限 {limit} 字节)。Request body too large (max {limit} bytes)."}
        declared = None
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_json(send, 400, {"error": "bad_content_length",
                                                "message": "Content-Length 无效。Invalid Content-Length."})
                    return
        if declared is not None and declared > limit:
            await send_json(send, 413, too_large)  # refused before a single byte is read
            return

        received = 0
        tripped = False
        started = False
        body_done = False
        deadline: float | None = None  # set when the app first reads: a body must then arrive in time

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, tripped, started, body_done, deadline
            if tripped:
                return {"type": "http.disconnect"}
            if body_done:  # waiting for the disconnect after the body (a handler watching its client): no limit
                return await receive()
            if deadline is None:
                deadline = time.monotonic() + self.body_timeout_s
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                tripped = True
                logger.info("request body on %s not complete after %.0f s: refused", path, self.body_timeout_s)
                if not started:
                    started = True
                    await send_json(send, 408, {"error": "body_timeout", "message":
                                                f"请求体在 {self.body_timeout_s:.0f} 秒内没有传完。"
                                                "Request body not received in time."})
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    if not started:
                        started = True
                        await send_json(send, 413, too_large)
                    return {"type": "http.disconnect"}  # the app stops reading; what it had is dropped
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if tripped:
                return  # our 413 went out; whatever the app says after the disconnect is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if tripped:  # the app complaining that its client "disconnected": expected, already answered
                return
            raise
