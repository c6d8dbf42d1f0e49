"""Every expensive route under one admission control: comparisons (API, downloads, Gradio), the report
view, exports and Gradio's `ask` are shed, limited per client and stopped for clients that left, like
/api/ask; malformed values never give a 500; slow bodies are cut."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from limits_helpers import read_response, request_head, serve
from test_overload import GDP_Q, GatedAssistant, gated_server
from webapp.compare_ui import CompareHandlers
from webapp.config import ServerConfig
from webapp.limits import BodyLimitMiddleware
from webapp.queueing import QueueLimits
from webapp.server import create_app
from webapp.service import QAService

COMPARE_Q = "东川区和昆明市的地区生产总值分别是多少？"


@pytest.fixture(scope="module")
def busy(assistant, settings, tmp_path_factory) -> Any:
    """A served app whose single slot a test can hold (the gate), with room for two waiting jobs (all tests
    call from one address: the per-client limit is above what they send, so the queue is what sheds)."""
    with gated_server(assistant, settings, tmp_path_factory, per_client=20) as served:
        yield served


def _fill_queue(base: str) -> list[threading.Thread]:
    """One question running (held by the gate) and two waiting: the queue is full."""
    threads = [threading.Thread(target=lambda: httpx.post(base + "/api/ask", json={"question": GDP_Q}, timeout=30))
               for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    return threads


def _drain(gated: GatedAssistant, service: QAService, threads: list[threading.Thread]) -> None:
    gated.gate.set()
    for t in threads:
        t.join(timeout=30)
    deadline = time.monotonic() + 10
    while (service.queue.running or service.queue.waiting) and time.monotonic() < deadline:
        time.sleep(0.05)


def _gradio_call(base: str, api: str, data: list[Any]) -> tuple[int, str]:
    """Gradio's HTTP call: (status of the POST, the event stream's text — "event: error" or "event: complete" —
    with its JSON data lines decoded, so the messages read as the user sees them)."""
    r = httpx.post(f"{base}/gradio_api/call/{api}", json={"data": data}, timeout=30)
    if r.status_code != 200:
        return r.status_code, r.text
    stream = httpx.get(f"{base}/gradio_api/call/{api}/{r.json()['event_id']}", timeout=60)
    lines = []
    for line in stream.text.splitlines():
        if line.startswith("data: "):
            try:
                line = "data: " + json.dumps(json.loads(line[6:]), ensure_ascii=False)
            except ValueError:
                pass
        lines.append(line)
    return stream.status_code, "\n".join(lines)


def test_every_expensive_route_is_shed_when_the_queue_is_full(busy) -> None:
    gated, service, base = busy
    gated.gate.clear()
    threads = _fill_queue(base)
    try:
        assert service.queue.stats()["waiting"] == 2
        compare = httpx.post(base + "/api/compare", json={"question": COMPARE_Q}, timeout=10)
        csv = httpx.get(base + "/api/compare.csv", params={"question": COMPARE_Q}, timeout=10)
        report = next(iter(service.reports))
        view = httpx.get(base + "/view", params={"report": report}, timeout=10)
        export = httpx.post(base + "/api/export.docx", json={"turns": [{"question": GDP_Q}]}, timeout=10)
        for r in (compare, csv, view, export):
            assert r.status_code == 503, (r.request.url, r.status_code, r.text[:200])
            assert int(r.headers["retry-after"]) >= 1
        assert "繁忙" in view.text and view.headers["content-type"].startswith("text/html")
        assert compare.json()["error"] == "overloaded"
        # Gradio's comparison handler says so in the page, not with a 500 or an English toast
        comparison, header, table, _ = asyncio.run(CompareHandlers(service, "").run(COMPARE_Q, "", "rank"))
        assert "繁忙" in header and not table
        status, text = _gradio_call(base, "ask", [GDP_Q, [], None])
        assert "event: error" in text and "繁忙" in text, text[:300]
        assert service.queue.stats()["shed"] >= 6
    finally:
        _drain(gated, service, threads)
    # the crowd has gone: the next comparison is answered at once
    t = time.perf_counter()
    again = httpx.post(base + "/api/compare", json={"question": COMPARE_Q}, timeout=30)
    assert again.status_code == 200 and len(again.json()["rows"]) == 2
    assert time.perf_counter() - t < 10
    assert service.queue.stats()["done_by_kind"]["compare"] >= 1


@pytest.fixture()
def per_client(assistant, settings, tmp_path) -> Any:
    """Room for ten waiting jobs, but three per client."""
    gated = GatedAssistant(assistant)
    service = QAService(gated, tmp_path / "fb.sqlite3",
                        queue_limits=QueueLimits(slots=1, max_waiting=10, per_client=3, wait_timeout_s=20,
                                                 target_wait_s=60))
    with serve(create_app(ServerConfig(settings=settings), service)) as (host, port):
        yield gated, service, f"http://{host}:{port}"
    gated.gate.set()


def test_gradio_ask_keeps_the_per_client_limit(per_client) -> None:
    gated, service, base = per_client
    gated.gate.clear()
    results: list[str] = []

    def call() -> None:
        results.append(_gradio_call(base, "ask", [GDP_Q, [], None])[1])

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
        time.sleep(0.15)
    time.sleep(0.5)
    gated.gate.set()
    for t in threads:
        t.join(timeout=60)
    refused = [r for r in results if "event: error" in r]
    answered = [r for r in results if "event: complete" in r]
    # three (one running, two waiting) are this client's share; the others are refused though the queue has room
    assert len(refused) == 2 and all("太多" in r for r in refused), results
    assert service.queue.stats()["waiting"] == 0
    assert answered and all("135.53" in r for r in answered)


def test_a_comparison_stops_when_its_client_leaves(busy) -> None:
    gated, service, base = busy
    gated.gate.clear()
    before = len(gated.asked)
    stopped = service.queue.stats()["stopped"]
    with pytest.raises(httpx.TimeoutException):
        httpx.post(base + "/api/compare", json={"question": COMPARE_Q}, timeout=1.0)
    time.sleep(0.5)  # the server notices the disconnect and tells the running comparison to stop
    gated.gate.set()
    deadline = time.monotonic() + 10
    while service.queue.running and time.monotonic() < deadline:
        time.sleep(0.05)
    asked = gated.asked[before:]
    assert len(asked) == 1, f"the comparison went on after its client left: {asked}"
    assert service.queue.stats()["stopped"] == stopped + 1


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/compare", "/api/export.md"])
def test_a_5001_digit_number_is_a_400(busy, path) -> None:
    gated, service, base = busy
    gated.gate.set()
    body = '{"question": ' + "9" * 5001 + ', "answer_id": ' + "1" * 5001 + "}"
    r = httpx.post(base + path, content=body, headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"] == "invalid_json", r.text[:300]
    # and as a question: too long, said so
    r = httpx.post(base + "/api/ask", json={"question": "9" * 5001}, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize("data", [["\ud800是多少？", [], None], [GDP_Q, 5, None], [GDP_Q, ["\udfff"], None],
                                  [5, None, None], [GDP_Q, [], 7], [GDP_Q, {"a": 1}, "x" * 5001]])
def test_gradio_ask_refuses_malformed_values_without_a_500(busy, data) -> None:
    gated, service, base = busy
    gated.gate.set()
    body = json.dumps({"data": data})  # json.dumps escapes lone surrogates as \\ud800, as a browser would send
    r = httpx.post(f"{base}/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (200, 422), r.text[:300]
    if r.status_code == 200:
        stream = httpx.get(f"{base}/gradio_api/call/ask/{r.json()['event_id']}", timeout=60).text
        assert "event: error" in stream, stream[:300]


def test_a_slow_body_is_cut() -> None:
    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with serve(BodyLimitMiddleware(app, body_timeout_s=1.0)) as (host, port):
        with socket.create_connection((host, port)) as sock:
            sock.sendall(request_head("POST", "/api/ask", {"content-type": "application/json",
                                                           "content-length": "1000"}))
            t = time.monotonic()
            sock.sendall(b'{"q')  # and then nothing more
            status, _, body = read_response(sock, timeout=10)
            took = time.monotonic() - t
        assert status == 408 and b"body_timeout" in body
        assert 0.8 < took < 5
        # a whole body in time passes
        assert httpx.post(f"http://{host}:{port}/api/ask", content=b"{}").text == "ok"
