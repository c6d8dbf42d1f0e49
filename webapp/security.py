"""Login and response headers for every route (UI, widget, API), as plain ASGI middleware.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: Gradio streams results
over server-sent events, which BaseHTTPMiddleware would buffer.

Login is HTTP Basic: browsers prompt once and then send the credentials with
every same-origin request (page, assets, Gradio's fetch/SSE calls), and API
clients just add the header — one mechanism for UI and API alike.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from typing import Any, Awaitable, Callable, Iterable

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/healthz",)  # load balancers probe without credentials


def _route_path(scope: Scope) -> str:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class BasicAuthMiddleware:
    """Requires one of `users` (user, password) on every path but OPEN_PATHS."""

    def __init__(self, app: ASGIApp, users: Iterable[tuple[str, str]], realm: str = "gwr-assistant") -> None:
        self.app = app
        self.users = [(u.encode(), p.encode()) for u, p in users]
        self.realm = realm

    def _ok(self, header: bytes | None) -> bool:
        if not header or not header.lower().startswith(b"basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        if not sep:
            return False
        ok = False
        for u, p in self.users:  # compare against all, in constant time, to leak nothing through timing
            ok |= secrets.compare_digest(user, u) & secrets.compare_digest(password, p)
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _route_path(scope) in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self._ok(headers.get(b"authorization")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        api = _route_path(scope).startswith("/api/")
        body = (json.dumps({"error": "unauthorized", "message": "需要登录:请提供用户名和密码 (HTTP Basic)。"},
                           ensure_ascii=False) if api else "需要登录。").encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"www-authenticate", f'Basic realm="{self.realm}", charset="UTF-8"'.encode()),
            (b"content-type", b"application/json; charset=utf-8" if api else b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds the frame-ancestors CSP (who may embed us) and a few harmless hardening headers."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.extra = [
            (b"content-security-policy", csp.encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-frame-options"]
                headers += [h for h in self.extra if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
