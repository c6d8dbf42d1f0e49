"""Who the client is, login, and response headers for every route (UI, widget, API), as plain ASGI middleware.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: Gradio streams results
over server-sent events, which BaseHTTPMiddleware would buffer.

The client address is the TCP peer, unless that peer is one of the proxies
named in --trusted-proxies: only then is X-Forwarded-For believed (right-most
address that is not itself a trusted proxy, like nginx's `set_real_ip_from`).
Everything that counts per client (the question queue, votes, the login
throttle) reads it through `client_key`, so a forged header changes nothing.

Login is HTTP Basic: browsers prompt once and then send the credentials with
every same-origin request (page, assets, Gradio's fetch/SSE calls), and API
clients just add the header — one mechanism for UI and API alike. Wrong
passwords are counted per (address, user name) and per user name across
addresses; a locked pair gets 429 + Retry-After whatever it sends, so guessing
runs at a handful of tries a minute per account. A lockout never shuts out
other users behind the same address, and a client that has logged in before
keeps a signed device cookie that lets it in with the right password even
while its address is locked (OWASP "device cookies").
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Hashable, Iterable, Iterator

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .config import ServerConfig

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/healthz",)  # load balancers probe without credentials
VERIFIED_USER = "gwr.user"  # scope key: the user name BasicAuthMiddleware has checked (absent without login)
ALLOWED_HOSTS = "gwr.allowed_hosts"  # scope key: the HostList of --allowed-hosts (absent when not configured)
DEVICE_COOKIE = "gwr_device"
DEVICE_COOKIE_AGE_S = 30 * 24 * 3600


def route_path(scope: Scope) -> str:
    """The path as the app routes it (without the public --root-path prefix)."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


_route_path = route_path


def client_key(scope: Scope) -> str:
    """Who is asking, for throttling and votes: the client address (behind a trusted proxy: the one it vouches for)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == name]


# ---------------------------------------------------------------- host names

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"^(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>{_LABEL}(?:\.{_LABEL})*)\.?)(?::(?P<port>[0-9]{{1,5}}))?$")


def split_host(value: str) -> tuple[str, str] | None:
    """'Example.org:8080' → ('example.org', '8080'), '[::1]' → ('[::1]', ''); None unless a name or IP with optional port."""
    m = _HOST.match(value.strip().lower())
    if not m or (m["port"] and int(m["port"]) > 65535):
        return None
    if m["v6"] is not None:
        try:
            return f"[{ipaddress.IPv6Address(m['v6'])}]", m["port"] or ""
        except ValueError:
            return None
    return m["name"], m["port"] or ""


def normal_host(value: str) -> str | None:
    """The Host/Origin form used for comparisons ('name' or 'name:port'), None when malformed."""
    parts = split_host(value)
    return None if parts is None else ":".join(p for p in parts if p)


@dataclass(frozen=True)
class HostList:
    """The public names of --allowed-hosts: 'name', 'name:port' (that port only) or '.name' (it and its subdomains)."""

    entries: tuple[tuple[str, str, bool], ...]

    @classmethod
    def parse(cls, names: Iterable[str]) -> "HostList":
        entries = []
        for raw in names:
            sub = raw.startswith(".")
            parts = split_host(raw[1:] if sub else raw)
            if parts is None:
                raise ValueError(f"not a host name or address with optional port: {raw!r}")
            entries.append((parts[0], parts[1], sub))
        return cls(tuple(entries))

    def allows(self, value: str) -> bool:
        parts = split_host(value)
        if parts is None:
            return False
        name, port = parts
        return any((name == n or (sub and name.endswith("." + n))) and (not p or p == port)
                   for n, p, sub in self.entries)


class AllowedHostsMiddleware:
    """400 for a Host (or X-Forwarded-Host) not in --allowed-hosts: a DNS-rebinding page names its own host.

    Also leaves the list in the scope, where the vote route's origin check finds it. /healthz stays open.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts = HostList.parse(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.hosts.entries:
            await self.app(scope, receive, send)
            return
        host = (_headers(scope, b"host") or [""])[0]
        forwarded = [v.split(",")[0] for v in _headers(scope, b"x-forwarded-host")]
        if route_path(scope) not in OPEN_PATHS and not all(self.hosts.allows(h) for h in [host, *forwarded]):
            logger.info("refused Host %r (X-Forwarded-Host %r): not in --allowed-hosts", host[:100], forwarded[:2])
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _send_json(send, 400, {"error": "bad_host",
                                         "message": "不接受这个主机名的请求。Host not allowed."})
            return
        await self.app({**scope, ALLOWED_HOSTS: self.hosts}, receive, send)


# ---------------------------------------------------------------- client address behind proxies

def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry ('1.2.3.4', '1.2.3.4:5678', '[::1]:80', '::ffff:1.2.3.4'), else None."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    return (ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else ip


class TrustedProxyMiddleware:
    """Rewrites scope["client"] from X-Forwarded-For, and the scheme from X-Forwarded-Proto, for trusted peers only.

    From any other peer the headers are ignored: a client cannot pick its own address, so it cannot
    become a new voter, a new queue client or a new login-throttle key by sending a header.
    """

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.networks = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)

    def trusts(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return ip is not None and any(ip.version == n.version and ip in n for n in self.networks)

    def client_of(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The right-most X-Forwarded-For address that is not a trusted proxy (the peer itself if none is usable)."""
        if not self.trusts(parse_ip(peer)):
            return peer
        address = peer
        entries = [e for value in forwarded_for for e in value.split(",") if e.strip()]
        for entry in reversed(entries):
            ip = parse_ip(entry)
            if ip is None:  # garbage in the chain: nothing left of it can be believed
                break
            address = str(ip)
            if not self.trusts(ip):
                break
        return address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.networks \
                and self.trusts(parse_ip(str(client[0]))):
            scope = {**scope, "client": (self.client_of(str(client[0]), _headers(scope, b"x-forwarded-for")), 0)}
            proto = [p.strip().lower() for v in _headers(scope, b"x-forwarded-proto") for p in v.split(",")]
            if proto and proto[-1] in ("http", "https"):
                secure = proto[-1] == "https"
                scope["scheme"] = ("wss" if secure else "ws") if scope["type"] == "websocket" else proto[-1]
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- login

@dataclass
class LoginThrottle:
    """Failure counting per key: `max_failures` wrong logins within `window_s` lock the key out.

    Each further lockout doubles, up to `max_lockout_s` (forgotten once a key has been quiet that long);
    `succeeded` clears a key. Memory is bounded: at most `max_tracked` keys (the least recently failed go first).
    """

    max_failures: int = 10
    window_s: float = 60.0
    lockout_s: float = 30.0
    max_lockout_s: float = 900.0
    max_tracked: int = 10_000
    label: str = "address"
    _failures: dict[Hashable, deque[float]] = field(default_factory=dict)
    _locked: dict[Hashable, tuple[float, int]] = field(default_factory=dict)  # key -> (until, strikes)

    def locked_for(self, key: Hashable, now: float | None = None) -> float:
        """Seconds this key must still wait (0 = may try)."""
        now = time.monotonic() if now is None else now
        until, _ = self._locked.get(key, (0.0, 0))
        return max(0.0, until - now)

    def failed(self, key: Hashable, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        recent = self._failures.pop(key, None) or deque()
        self._failures[key] = recent  # re-inserted: the dict's order is least recently failed first
        recent.append(now)
        while recent and recent[0] < now - self.window_s:
            recent.popleft()
        if len(recent) >= self.max_failures:
            until, strikes = self._locked.pop(key, (0.0, 0))
            if now - until > self.max_lockout_s:
                strikes = 0
            duration = min(self.max_lockout_s, self.lockout_s * 2 ** strikes)
            self._locked[key] = (now + duration, strikes + 1)
            recent.clear()
            logger.warning("login: %s %s locked out for %.0f s after %d failures",
                           self.label, key, duration, self.max_failures)
        for table in (self._failures, self._locked):
            while len(table) > self.max_tracked:
                table.pop(next(iter(table)))

    def succeeded(self, key: Hashable) -> None:
        self._failures.pop(key, None)
        self._locked.pop(key, None)


def _cookie_values(scope: Scope, name: str, limit: int = 4) -> Iterator[str]:
    found = 0
    for header in _headers(scope, b"cookie"):
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and found < limit:
                found += 1
                yield value.strip().strip('"')


class BasicAuthMiddleware:
    """Requires one of `users` (user, password) on every path but OPEN_PATHS; puts the user in scope[VERIFIED_USER].

    Counting (only for configured user names: a name that does not exist has no password to guess):
    failures per (address, user) in `throttle`, per user across addresses in a looser, longer one
    (distributed guessing), and per device cookie for clients that present one. A right password
    never clears anyone's count but the device's own: otherwise a user at the same address (or the
    victim's own browser, which resends its credentials on every request) would reset an attacker's.
    """

    def __init__(self, app: ASGIApp, users: Iterable[tuple[str, str]], realm: str = "gwr-assistant",
                 throttle: LoginThrottle | None = None) -> None:
        self.app = app
        self.users = [(u.encode(), p.encode()) for u, p in users]
        self.names = {u for u, _ in self.users}
        self.realm = realm
        self.throttle = throttle or LoginThrottle()  # per (address, user name)
        t = self.throttle
        self.user_throttle = LoginThrottle(max_failures=5 * t.max_failures, window_s=15 * t.window_s,
                                           lockout_s=t.lockout_s, max_lockout_s=t.max_lockout_s,
                                           max_tracked=len(self.names) + 1, label="user")
        self.device_throttle = LoginThrottle(max_failures=t.max_failures, window_s=t.window_s, lockout_s=t.lockout_s,
                                             max_lockout_s=t.max_lockout_s, max_tracked=t.max_tracked, label="device")
        self._secret = secrets.token_bytes(32)  # per process: a restart forgets every device cookie

    # ---- credentials and device cookies

    @staticmethod
    def credentials(header: bytes | None) -> tuple[bytes, bytes] | None:
        """(user, password) from an `Authorization: Basic` header, None when absent or malformed."""
        if not header or not header.lower().startswith(b"basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        user, sep, password = decoded.partition(b":")
        return (user, password) if sep else None

    def _check(self, user: bytes, password: bytes) -> bool:
        ok = False
        for u, p in self.users:  # compare against all, in constant time, to leak nothing through timing
            ok |= secrets.compare_digest(user, u) & secrets.compare_digest(password, p)
        return ok

    def _mac(self, user: bytes, nonce: str, expires: str) -> str:
        digest = hmac.new(self._secret, b"\0".join([user, nonce.encode(), expires.encode()]), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def device_cookie(self, user: bytes, now: float | None = None) -> str:
        """A cookie value naming `user` (bound by HMAC, the name itself is not in it), valid for 30 days."""
        nonce = secrets.token_urlsafe(12)
        expires = str(int((time.time() if now is None else now) + DEVICE_COOKIE_AGE_S))
        return f"{nonce}.{expires}.{self._mac(user, nonce, expires)}"

    def device_of(self, scope: Scope, user: bytes) -> str | None:
        """The nonce of a valid, unexpired, not locked-out device cookie for `user`, else None."""
        for value in _cookie_values(scope, DEVICE_COOKIE):
            nonce, _, rest = value.partition(".")
            expires, _, mac = rest.partition(".")
            if not (nonce and expires.isdigit() and mac) or int(expires) < time.time():
                continue
            if hmac.compare_digest(mac, self._mac(user, nonce, expires)) and not self.device_throttle.locked_for(nonce):
                return nonce
        return None

    # ---- the request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _route_path(scope) in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization")
        creds = self.credentials(header)
        user = creds[0] if creds else b""
        counted = user in self.names  # unknown names: nothing to protect, nothing to remember
        pair = (client_key(scope), user)
        device = self.device_of(scope, user) if counted else None
        if counted and device is None:
            wait = max(self.throttle.locked_for(pair), self.user_throttle.locked_for(user))
            if wait > 0:  # locked out, and no device cookie: not even a right password gets in
                await self._too_many(scope, send, wait)
                return
        if creds is not None and self._check(*creds):
            if device is not None:
                self.device_throttle.succeeded(device)
            name = user.decode("utf-8", "replace")
            await self.app({**scope, VERIFIED_USER: name}, receive,
                           send if device is not None else self._with_device_cookie(scope, send, user))
            return
        if counted:  # a wrong password for a real user counts; a first visit without credentials does not
            if device is not None:
                self.device_throttle.failed(device)
            else:
                self.throttle.failed(pair)
                self.user_throttle.failed(user)
        await self._unauthorized(scope, send)

    def _with_device_cookie(self, scope: Scope, send: Send, user: bytes) -> Send:
        """`send` that adds a fresh device cookie to the response (plain HTTP only)."""
        if scope["type"] != "http":
            return send
        path = scope.get("root_path") or "/"
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = (f"{DEVICE_COOKIE}={self.device_cookie(user)}; Path={path}; Max-Age={DEVICE_COOKIE_AGE_S}; "
                  f"HttpOnly; SameSite=Lax{secure}").encode("latin-1")

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return sending

    async def _unauthorized(self, scope: Scope, send: Send) -> None:
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
        await _send_json(send, 429, {"error": "too_many_login_failures",
                                     "message": f"登录失败次数过多,请 {seconds} 秒后再试。Too many failed logins."},
                         [(b"retry-after", str(seconds).encode())])


async def _send_json(send: Send, status: int, payload: dict[str, Any],
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]})
    await send({"type": "http.response.body", "body": body})


def add_identity_middleware(app: "FastAPI", config: "ServerConfig") -> None:
    """Login (if configured), then the trusted client address before it, then the Host check outside both."""
    if config.auth_enabled:
        throttle = LoginThrottle(max_failures=config.login_max_failures, lockout_s=config.login_lockout_s)
        app.add_middleware(BasicAuthMiddleware, users=config.users, throttle=throttle)
    app.add_middleware(TrustedProxyMiddleware, trusted=config.trusted_proxies)  # the login throttle reads its result
    app.add_middleware(AllowedHostsMiddleware, hosts=config.allowed_hosts)


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
