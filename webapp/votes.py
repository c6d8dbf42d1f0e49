"""Guards for POST /api/feedback: same-origin check, who the voter is, and a per-client rate limit.

A vote must come from the app's own pages (or from a non-browser client that
sends no Origin at all): a form or `text/plain` fetch from another site carries
that site's Origin (or Referer, or `Sec-Fetch-Site: cross-site`) and is refused.
With --allowed-hosts the Origin must name one of those public hosts, which also
stops a DNS-rebinding page (its Host header is its own name, so Host proves nothing).

A voter is the user the login middleware verified, else the client address
(behind a trusted proxy: the address it vouches for). Nothing the client merely
claims (a Basic user name without login, X-Forwarded-For from anyone else, a
cookie) makes it a new voter, so forged voters add at most one vote per address.
"""
from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from starlette.requests import Request

from .security import ALLOWED_HOSTS, VERIFIED_USER, HostList, client_key, normal_host


def _host_of(url: str) -> str | None:
    """The normalised 'host[:port]' of an Origin or Referer, None when it has none or is malformed."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return None
    return None if "@" in netloc else normal_host(netloc)


def same_origin(request: Request) -> bool:
    """True when the request comes from one of our pages, or carries no browser origin information at all."""
    if request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return False
    allowed = request.scope.get(ALLOWED_HOSTS)
    if isinstance(allowed, HostList):  # the configured public names, not what the request says about itself
        def ours(host: str | None) -> bool:
            return host is not None and allowed.allows(host)
    else:
        # a proxy may pass the public host as X-Forwarded-Host; a page on another site cannot set that header
        # without a CORS preflight, which this app never grants. Hosts that are not a name or IP are ignored.
        hosts = {normal_host(request.headers.get(name) or "") for name in ("host", "x-forwarded-host")} - {None}

        def ours(host: str | None) -> bool:
            return host is not None and host in hosts
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and ours(_host_of(origin))
    referer = request.headers.get("referer")
    if referer is not None:
        return ours(_host_of(referer))
    return True  # curl, scripts: no ambient browser credentials to abuse


def voter_address(address: str) -> str:
    """The address a vote is counted for: IPv6 by /64 (one host usually owns a whole /64), IPv4 as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


def voter_of(request: Request) -> str:
    """The user the login middleware verified when login is on, else the (trusted) client address."""
    user = request.scope.get(VERIFIED_USER)
    if isinstance(user, str) and user:
        return f"user:{user}"
    return f"ip:{voter_address(client_key(request.scope))}"


class RateLimiter:
    """Token bucket per key: `burst` requests at once, then one every `per` seconds. Bounded memory (LRU)."""

    def __init__(self, burst: int = 20, per: float = 2.0, max_keys: int = 10000) -> None:
        self.burst, self.per, self.max_keys = float(burst), float(per), max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed (a token is used), else the seconds to wait before the next request may pass."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) / self.per)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) * self.per
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
