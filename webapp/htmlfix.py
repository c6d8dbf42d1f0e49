"""Rewrite Gradio's HTML shell: lang="zh-CN" and no social-media meta tags pointing at outside hosts.

Gradio's page template declares lang="en" (Chromium then picks Japanese glyph
shapes for Han characters) and carries og:/twitter: meta tags with
raw.githubusercontent.com and gradio.app URLs. They trigger no request, but an
intranet page should not name outside hosts at all, so they are dropped here.
"""
from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from .security import ASGIApp, Receive, Scope, Send

_SOCIAL_META = re.compile(rb'<meta\s+(?:property="og:[^"]*"|name="twitter:[^"]*")[^>]*>\s*', re.S)
_LANG = re.compile(rb'<html(\s+)lang="en"')


def fix_html(body: bytes) -> bytes:
    body = _SOCIAL_META.sub(b"", body)
    return _LANG.sub(rb'<html\1lang="zh-CN"', body, count=1)


Shell = Callable[[], Awaitable[tuple[str, str]]]


def wrap_app(body: bytes, before: str, after: str) -> bytes:
    """Gradio's page with our markup before and after its <gradio-app> element (unchanged without one)."""
    start = body.find(b"<gradio-app")
    end = body.find(b"</gradio-app>", start)
    if start < 0 or end < 0:
        return body
    end += len(b"</gradio-app>")
    return body[:start] + before.encode("utf-8") + body[start:end] + after.encode("utf-8") + body[end:]


class HtmlFixMiddleware:
    """Buffers text/html responses (small, never streamed) and applies `fix_html`.

    With `shell`, Gradio's page also gets the chat rendered around its app (webapp/ui.py `page_shell`).
    """

    def __init__(self, app: ASGIApp, shell: Shell | None = None) -> None:
        self.app = app
        self.shell = shell

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                ctype = headers.get(b"content-type", b"")
                if ctype.startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = fix_html(b"".join(chunks))
            if self.shell is not None and b"<gradio-app" in body:
                before, after = await self.shell()
                body = wrap_app(body, before, after)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
