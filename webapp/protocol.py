"""uvicorn's HTTP/1.1 protocol with a deadline for request headers (slow-header clients).

uvicorn closes idle keep-alive connections, but a client that opens a
connection and then sends its headers a byte at a time (or nothing at all) is
held open forever; a thousand such clients tie up sockets and memory. Here a
timer starts when a connection opens and whenever a new request begins, and
the connection is closed if the request's headers are not complete in time.
"""
from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    """H11Protocol that closes connections whose request headers take longer than `header_timeout` seconds."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT_S
    timed_out = 0  # connections closed for slow headers, for /healthz and tests (per process)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # a new request on a kept-alive connection: its headers get the same deadline
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # headers complete: the request is being handled (bodies are bounded elsewhere)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # still answering the previous request on this connection
        type(self).timed_out += 1
        logger.debug("closing connection from %s: request headers not complete within %.0f s",
                     self.client, self.header_timeout)
        self.transport.close()


def protocol_with_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """A protocol class with its own header deadline (uvicorn takes a class, not an instance)."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": float(seconds)})
