"""Server options (host, port, sub-path, login, proxies and host names, who may embed the widget), from flags and GWR_* env vars.

Kept apart from `assistant.config.Settings` on purpose: those settings decide
what the assistant answers, these only decide how it is served.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings

from .queueing import QueueLimits
from .security import HostList

# Embedding from the app's own origin and from pages on this machine works out of the box;
# intranet portals must be listed explicitly (--frame-ancestors / GWR_FRAME_ANCESTORS).
DEFAULT_FRAME_ANCESTORS = ("'self'", "http://localhost:*", "http://127.0.0.1:*")
_SOURCE_TOKEN = re.compile(r"^[A-Za-z0-9'*:/._\-\[\]]+$")


class ConfigError(ValueError):
    """A server option is malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class ServerConfig:
    """How the web app is served; `settings` is what the assistant itself uses."""

    settings: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = 7860
    root_path: str = ""  # public sub-path behind a reverse proxy, e.g. "/qa" ("" = served at /)
    users: tuple[tuple[str, str], ...] = ()  # HTTP Basic credentials; empty = no login
    frame_ancestors: tuple[str, ...] = DEFAULT_FRAME_ANCESTORS
    workers: int = 1  # answers computed at once (ask() is CPU-bound and the encoder is serialised)
    # limits (docs/operations.md): checked while the body streams in, on every route
    max_body_bytes: int = 64 * 1024  # /api/…
    max_ui_body_bytes: int = 256 * 1024  # everything else (Gradio's routes)
    queue: QueueLimits = field(default_factory=QueueLimits)
    header_timeout_s: float = 10.0  # request headers must be complete within this (slow-header clients)
    login_max_failures: int = 10  # wrong logins for one user name from one address within a minute before a lockout
    login_lockout_s: float = 30.0  # first lockout; each further one doubles (max 15 min)
    # client identity (docs/operations.md): X-Forwarded-For is believed from these peers only (addresses or CIDRs)
    trusted_proxies: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # public host names; empty = any well-formed Host

    @property
    def auth_enabled(self) -> bool:
        return bool(self.users)

    def csp(self) -> str:
        return "frame-ancestors " + " ".join(self.frame_ancestors)


def normalize_root_path(value: str | None) -> str:
    """'/qa/' or 'qa' → '/qa'; '' or '/' → ''. Only a path: the proxy decides host and scheme."""
    value = (value or "").strip()
    if value.startswith(("http://", "https://")) or any(c in value for c in "?#\\ "):
        raise ConfigError(f"root path must be a URL path such as /qa, got {value!r}")
    value = value.strip("/")
    return "/" + value if value else ""


def parse_users(text: str, origin: str) -> tuple[tuple[str, str], ...]:
    """`user:pass` entries separated by newlines or commas; blank lines and # comments are ignored."""
    users: list[tuple[str, str]] = []
    for raw in re.split(r"[\n,]", text):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"{origin}: expected 'user:password', got {line[:20]!r}")
        users.append((user.strip(), password))
    return tuple(users)


def parse_frame_ancestors(text: str | None) -> tuple[str, ...]:
    """Space- or comma-separated CSP sources; anything that could break out of the header is refused."""
    if text is None or not text.strip():
        return DEFAULT_FRAME_ANCESTORS
    tokens = tuple(t for t in re.split(r"[\s,]+", text.strip()) if t)
    for token in tokens:
        if not _SOURCE_TOKEN.match(token):
            raise ConfigError(f"frame-ancestors: invalid source {token!r}")
    return tokens


def _tokens(text: str | None) -> list[str]:
    return [t for t in re.split(r"[\s,]+", (text or "").strip()) if t]


def parse_trusted_proxies(text: str | None) -> tuple[str, ...]:
    """Addresses or CIDRs ('127.0.0.1, 10.0.0.0/8'), like nginx's set_real_ip_from; empty = trust no proxy."""
    networks = []
    for token in _tokens(text):
        try:
            networks.append(str(ipaddress.ip_network(token, strict=False)))
        except ValueError:
            raise ConfigError(f"trusted proxies: {token!r} is not an IP address or CIDR (host names are not "
                              "accepted: list the proxy's address)") from None
    return tuple(networks)


def parse_allowed_hosts(text: str | None) -> tuple[str, ...]:
    """Public host names ('qa.example.gov.cn', 'qa.example.gov.cn:8443', '.example.gov.cn' for subdomains too)."""
    hosts = tuple(t.lower() for t in _tokens(text))
    try:
        HostList.parse(hosts)
    except ValueError as exc:
        raise ConfigError(f"allowed hosts: {exc}") from None
    return hosts


def load_users(auth_file: Path | None, env: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """Credentials from --auth-file (one user:pass a line) and/or the GWR_AUTH env var."""
    env = dict(os.environ) if env is None else env
    users: list[tuple[str, str]] = []
    if env.get("GWR_AUTH"):
        users += parse_users(env["GWR_AUTH"], "GWR_AUTH")
    if auth_file is not None:
        try:
            text = Path(auth_file).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read auth file {auth_file}: {exc.strerror}") from exc
        users += parse_users(text, str(auth_file))
    return tuple(users)


def env_number(name: str, default: float, env: dict[str, str] | None = None) -> float:
    """A positive number from a GWR_* variable, or `default` (a malformed value is a ConfigError, not ignored)."""
    env = dict(os.environ) if env is None else env
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value
