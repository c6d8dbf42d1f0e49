"""Login and response headers for every route (UI, widget, API), as plain ASGI middleware.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: Gradio streams results
over server-sent events, which BaseHTTPMiddleware would buffer.

Login is HTTP Basic: browsers prompt once and then send the credentials with
every same-origin request (page, assets, Gradio's fetch/SSE calls), and API
clients just add the header — one mechanism for UI and API alike. Wrong
passwords are throttled per client address: after a few failures the address
is locked out for a while (429 + Retry-After, whatever it sends), so guessing
runs at a handful of tries a minute instead of hundreds a second.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/healthz",)  # load balancers probe without credentials


def route_path(scope: Scope) -> str:
    """The path as the app routes it (without the public --root-path prefix)."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


_route_path = route_path


def client_key(scope: Scope) -> str:
    """Who is asking, for throttling: the client address (uvicorn puts the proxy's X-Forwarded-For here)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class LoginThrottle:
    """Per-address failure counting: `max_failures` wrong logins within `window_s` lock the address out.

    Each further lockout doubles, up to `max_lockout_s`; a right password (when not locked) clears the record.
    Memory is bounded: at most `max_tracked` addresses are remembered (the oldest are forgotten).
    """

    max_failures: int = 10
    window_s: float = 60.0
    lockout_s: float = 30.0
    max_lockout_s: float = 900.0
    max_tracked: int = 10_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked: dict[str, tuple[float, int]] = field(default_factory=dict)  # key -> (until, strikes)

    def locked_for(self, key: str, now: float | None = None) -> float:
        """Seconds this address must still wait (0 = may try)."""
        now = time.monotonic() if now is None else now
        until, _ = self._locked.get(key, (0.0, 0))
        return max(0.0, until - now)

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        recent = self._failures.setdefault(key, deque())
        recent.append(now)
        while recent and recent[0] < now - self.window_s:
            recent.popleft()
        if len(recent) >= self.max_failures:
            _, strikes = self._locked.get(key, (0.0, 0))
            duration = min(self.max_lockout_s, self.lockout_s * 2 ** strikes)
            self._locked[key] = (now + duration, strikes + 1)
            recent.clear()
            logger.warning("login: %s locked out for %.0f s after %d failures", key, duration, self.max_failures)
        for table in (self._failures, self._locked):
            while len(table) > self.max_tracked:
                table.pop(next(iter(table)))

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
        self._locked.pop(key, None)


class BasicAuthMiddleware:
    """Requires one of `users` (user, password) on every path but OPEN_PATHS."""

    def __init__(self, app: ASGIApp, users: Iterable[tuple[str, str]], realm: str = "gwr-assistant",
                 throttle: LoginThrottle | None = None) -> None:
        self.app = app
        self.users = [(u.encode(), p.encode()) for u, p in users]
        self.realm = realm
        self.throttle = throttle or LoginThrottle()

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
        header = headers.get(b"authorization")
        key = client_key(scope)
        wait = self.throttle.locked_for(key)
        if wait > 0:  # locked out: not even a right password gets in, so guessing gains nothing
            await self._too_many(scope, send, wait)
            return
        if self._ok(header):
            self.throttle.succeeded(key)
            await self.app(scope, receive, send)
            return
        if header:  # a wrong password counts; a first visit without credentials does not
            self.throttle.failed(key)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        api = route_path(scope).startswith("/api/")
        body = (json.dumps({"error": "unauthorized", "message": "需要登录:请提供用户名和密码 (HTTP Basic)。"},
                           ensure_ascii=False) if api else "需要登录。").encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"www-authenticate", f'Basic realm="{self.realm}", charset="UTF-8"'.encode()),
            (b"content-type", b"application/json; charset=utf-8" if api else b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})


    async def _too_many(self, scope: Scope, send: Send, wait: float) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        seconds = max(1, int(wait + 0.999))
        body = json.dumps({"error": "too_many_login_failures",
                           "message": f"登录失败次数过多,请 {seconds} 秒后再试。Too many failed logins."},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"retry-after", str(seconds).encode()),
            (b"content-type", b"application/json; charset=utf-8"),
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
