"""Guards for POST /api/feedback: same-origin check, who the voter is, and a per-client rate limit.

A vote must come from the app's own pages (or from a non-browser client that
sends no Origin at all): a form or `text/plain` fetch from another site carries
that site's Origin (or Referer, or `Sec-Fetch-Site: cross-site`) and is refused.
"""
from __future__ import annotations

import base64
import binascii
import math
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from starlette.requests import Request


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "\0invalid"
    return (parts.netloc or "\0invalid").lower()


def same_origin(request: Request) -> bool:
    """True when the request comes from one of our pages, or carries no browser origin information at all."""
    # a proxy may pass the public host as X-Forwarded-Host; a page on another site cannot set that header
    # without a CORS preflight, which this app never grants
    hosts = {(request.headers.get(name) or "").lower() for name in ("host", "x-forwarded-host")} - {""}
    if request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and _host_of(origin) in hosts
    referer = request.headers.get("referer")
    if referer is not None:
        return _host_of(referer) in hosts
    return True  # curl, scripts: no ambient browser credentials to abuse


def voter_of(request: Request) -> str:
    """The logged-in user when login is on, else the client address (behind a proxy: the proxy's view of it)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):  # the auth middleware has already checked it
        try:
            name = base64.b64decode(auth[6:].strip(), validate=True).partition(b":")[0].decode("utf-8")
        except (binascii.Error, ValueError):
            name = ""
        if name:
            return f"user:{name}"
    client = request.client
    return f"ip:{client.host if client else '?'}"


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
