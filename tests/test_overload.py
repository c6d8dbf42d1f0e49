"""Overload and slow/abusive clients: the bounded queue (503 + Retry-After), dropped work, login throttling, header timeout."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from limits_helpers import read_response, request_head, serve
from webapp.config import ServerConfig
from webapp.queueing import AskQueue, DeadlineExceeded, Overloaded, QueueLimits
from webapp.security import LoginThrottle
from webapp.server import create_app
from webapp.service import QAService

GDP_Q = "东川区2025年地区生产总值是多少？"
GDP_A = "135.53亿元"


class GatedAssistant:
    """The real assistant behind a gate: lets a test hold the single answer slot for as long as it needs."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.gate = threading.Event()
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def ask(self, question: str, **kwargs: Any) -> Any:
        self.gate.wait(timeout=30)
        self.asked.append(question)
        return self.real.ask(question, **kwargs)

    def ask_each(self, question: str, reports: Any, **kwargs: Any) -> Any:
        """A comparison's reports, each let through the gate as it is read."""
        for rid in reports:
            self.gate.wait(timeout=30)
            self.asked.append(question)
            yield from self.real.ask_each(question, [rid], **kwargs)


# ---------------------------------------------------------------- the queue itself

def test_queue_sheds_drops_and_expires() -> None:
    pool = ThreadPoolExecutor(max_workers=2)
    gate = threading.Event()
    ran: list[str] = []

    def job(name: str) -> Any:
        def run() -> str:
            gate.wait(timeout=10)
            ran.append(name)
            return name
        return run

    async def scenario() -> None:
        q = AskQueue(pool, QueueLimits(slots=1, max_waiting=2, per_client=2, wait_timeout_s=5))
        first = asyncio.ensure_future(q.run(job("first"), client="a"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(q.run(job("second"), client="a"))
        third = asyncio.ensure_future(q.run(job("third"), client="b"))
        await asyncio.sleep(0.05)
        assert (q.running, q.waiting) == (1, 2)
        with pytest.raises(Overloaded) as too_many:  # client "a" already has two in flight
            await q.run(job("a3"), client="a")
        assert too_many.value.scope == "client"
        with pytest.raises(Overloaded) as full:  # the queue is full for everybody else
            await q.run(job("c1"), client="c")
        assert full.value.scope == "server" and full.value.retry_after >= 1
        third.cancel()  # its client went away while it waited
        await asyncio.sleep(0.05)
        assert q.waiting == 1
        gate.set()
        assert await first == "first" and await second == "second"
        assert ran == ["first", "second"], "a dropped job must never be computed"
        assert q.stats()["dropped"] == 1 and q.stats()["shed"] == 1 and q.stats()["client_limited"] == 1

        gate.clear()
        short = AskQueue(pool, QueueLimits(slots=1, max_waiting=4, wait_timeout_s=0.2))
        blocker = asyncio.ensure_future(short.run(job("blocker")))
        await asyncio.sleep(0.05)
        with pytest.raises(DeadlineExceeded):
            await short.run(job("late"))
        gate.set()
        await blocker
        assert "late" not in ran and short.stats()["expired"] == 1

    asyncio.run(scenario())
    pool.shutdown()


def test_queue_takes_turns_between_clients() -> None:
    """A client with one question waits behind one question of a busy client, not behind its whole backlog."""
    pool = ThreadPoolExecutor(max_workers=1)
    gate = threading.Event()
    order: list[str] = []

    def job(name: str) -> Any:
        def run() -> None:
            gate.wait(timeout=10)
            order.append(name)
        return run

    async def scenario() -> None:
        q = AskQueue(pool, QueueLimits(slots=1, max_waiting=10, per_client=10, wait_timeout_s=5))
        tasks = [asyncio.ensure_future(q.run(job(f"busy{i}"), client="busy")) for i in range(4)]
        await asyncio.sleep(0.05)
        tasks.append(asyncio.ensure_future(q.run(job("quiet"), client="quiet")))
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(scenario())
    pool.shutdown()
    assert order == ["busy0", "busy1", "quiet", "busy2", "busy3"]


def test_queue_sheds_on_predicted_wait() -> None:
    """When answers are slow (a busy machine), fewer may wait: the wait, not the count, is what is bounded."""
    pool = ThreadPoolExecutor(max_workers=1)

    async def scenario() -> None:
        q = AskQueue(pool, QueueLimits(slots=1, max_waiting=10, per_client=10, wait_timeout_s=5, target_wait_s=0.2))
        await q.run(lambda: time.sleep(0.5))  # the queue learns that a job takes a while
        running = asyncio.ensure_future(q.run(lambda: time.sleep(0.5)))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(q.run(lambda: None))  # one may always wait
        await asyncio.sleep(0.05)
        assert q.predicted_wait_s() > 0.2
        with pytest.raises(Overloaded):
            await q.run(lambda: None)
        await asyncio.gather(running, waiting)

    asyncio.run(scenario())
    pool.shutdown()


# ---------------------------------------------------------------- through the real server

@contextmanager
def gated_server(assistant, settings, tmp_path_factory, per_client: int) -> Iterator[tuple[Any, QAService, str]]:
    """A served app with one slot a test can hold (the gate) and room for two waiting jobs:
    (gate, service, base URL)."""
    gated = GatedAssistant(assistant)
    service = QAService(gated, tmp_path_factory.mktemp("fb") / "fb.sqlite3",
                        queue_limits=QueueLimits(slots=1, max_waiting=2, per_client=per_client, wait_timeout_s=20,
                                                 target_wait_s=60))
    with serve(create_app(ServerConfig(settings=settings), service)) as (host, port):
        yield gated, service, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def gated(assistant, settings, tmp_path_factory) -> Any:
    with gated_server(assistant, settings, tmp_path_factory, per_client=10) as served:
        yield served


def test_full_queue_sheds_with_503_and_retry_after(gated) -> None:
    assistant, service, base = gated
    assistant.gate.clear()
    results: list[httpx.Response] = []

    def ask() -> None:
        results.append(httpx.post(base + "/api/ask", json={"question": GDP_Q}, timeout=30))

    threads = [threading.Thread(target=ask) for _ in range(3)]  # one running, two waiting
    for t in threads:
        t.start()
        time.sleep(0.2)
    health = httpx.get(base + "/healthz").json()
    assert health["queue"]["running"] == 1 and health["queue"]["waiting"] == 2 and health["status"] == "busy"
    shed = httpx.post(base + "/api/ask", json={"question": GDP_Q}, timeout=10)
    assert shed.status_code == 503
    assert int(shed.headers["retry-after"]) >= 1
    assert shed.json()["error"] == "overloaded" and "繁忙" in shed.json()["message"]
    assistant.gate.set()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in results] == [200, 200, 200]
    assert all(GDP_A in r.json()["answer"] for r in results), "queued answers must be the real ones"
    assert httpx.get(base + "/healthz").json()["queue"]["waiting"] == 0


def test_disconnected_client_work_is_dropped(gated) -> None:
    assistant, service, base = gated
    assistant.gate.clear()
    before = list(assistant.asked)
    holder = threading.Thread(target=lambda: httpx.post(base + "/api/ask", json={"question": GDP_Q}, timeout=30))
    holder.start()
    time.sleep(0.2)
    with pytest.raises(httpx.TimeoutException):  # a client that gives up while queued
        httpx.post(base + "/api/ask", json={"question": "被放弃的问题：昆明市人口是多少？"}, timeout=0.5)
    deadline = time.monotonic() + 5
    while service.queue.waiting and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.queue.waiting == 0, "the abandoned question must leave the queue"
    assistant.gate.set()
    holder.join(timeout=30)
    assert "被放弃的问题：昆明市人口是多少？" not in assistant.asked[len(before):]
    assert service.queue.stats()["dropped"] >= 1


# ---------------------------------------------------------------- login throttling

def test_login_throttled_even_for_the_right_password(assistant, settings, tmp_path) -> None:
    from fastapi.testclient import TestClient

    service = QAService(assistant, tmp_path / "fb.sqlite3")
    app = create_app(ServerConfig(settings=settings, users=(("zhang", "s3cret"),), login_max_failures=5,
                                  login_lockout_s=60), service)
    with TestClient(app) as c:
        assert c.get("/api/reports").status_code == 401  # no credentials yet: not a failure
        for i in range(5):
            assert c.get("/api/reports", auth=("zhang", f"guess{i}")).status_code == 401
        locked = c.get("/api/reports", auth=("zhang", "s3cret"))
        assert locked.status_code == 429, "a right password after a burst of wrong ones must not get in"
        assert int(locked.headers["retry-after"]) > 0 and "登录失败次数过多" in locked.json()["message"]
        assert c.get("/healthz").status_code == 200  # probes stay open


def test_login_throttle_expires_and_doubles() -> None:
    t = LoginThrottle(max_failures=3, window_s=60, lockout_s=10)
    for _ in range(3):
        t.failed("1.2.3.4", now=100.0)
    assert t.locked_for("1.2.3.4", now=101.0) == pytest.approx(9.0)
    assert t.locked_for("5.6.7.8", now=101.0) == 0  # other addresses unaffected
    assert t.locked_for("1.2.3.4", now=111.0) == 0
    for _ in range(3):
        t.failed("1.2.3.4", now=120.0)
    assert t.locked_for("1.2.3.4", now=120.0) == pytest.approx(20.0)  # second lockout is twice as long
    t.succeeded("1.2.3.4")
    assert t.locked_for("1.2.3.4", now=121.0) == 0


# ---------------------------------------------------------------- slow headers

def test_slow_headers_time_out(assistant, settings, tmp_path) -> None:
    service = QAService(assistant, tmp_path / "fb.sqlite3")
    with serve(create_app(ServerConfig(settings=settings), service), header_timeout=0.5) as addr:
        slow = socket.create_connection(addr)
        idle = socket.create_connection(addr)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ...and never the blank line
        time.sleep(1.5)
        for s in (slow, idle):
            s.settimeout(2)
            try:
                assert s.recv(1024) == b"", "the server must close a connection whose headers never end"
            except ConnectionResetError:
                pass
            s.close()
        with socket.create_connection(addr) as fine:  # a prompt client on a fresh connection is unaffected
            fine.sendall(request_head("GET", "/healthz", {}))
            status, _, body = read_response(fine)
            assert status == 200 and b'"queue"' in body
