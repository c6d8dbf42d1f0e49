"""Request limits on every route: body sizes while streaming, refused upload routes, 415, surrogates, nesting."""
from __future__ import annotations

import json
import socket
from typing import Any, Iterator

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from limits_helpers import read_response, request_head, serve
from webapp.config import ServerConfig
from webapp.server import create_app
from webapp.service import QAService

GDP_Q = "东川区2025年地区生产总值是多少？"
API_LIMIT, UI_LIMIT = 64 * 1024, 256 * 1024


@pytest.fixture(scope="module")
def server(assistant, settings, tmp_path_factory) -> Iterator[tuple[str, int]]:
    service = QAService(assistant, tmp_path_factory.mktemp("fb") / "feedback.sqlite3")
    app = create_app(ServerConfig(settings=settings, max_body_bytes=API_LIMIT, max_ui_body_bytes=UI_LIMIT), service)
    with serve(app) as addr:
        yield addr


@pytest.fixture()
def http(server) -> Iterator[httpx.Client]:
    host, port = server
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=30) as c:
        yield c


def _declared_huge(server: tuple[str, int], path: str, size: int = 300 * 1024 * 1024) -> tuple[int, dict, bytes]:
    """Headers declaring `size` bytes and not one byte of body: the answer must come anyway."""
    with socket.create_connection(server) as s:
        s.sendall(request_head("POST", path, {"Content-Type": "application/json", "Content-Length": str(size)}))
        return read_response(s)


def _chunked(server: tuple[str, int], path: str, total: int, content_type: str = "application/json") -> tuple[int, int]:
    """Streams a chunked body of up to `total` bytes; returns (status, bytes sent before the answer came)."""
    sent = 0
    with socket.create_connection(server) as s:
        s.sendall(request_head("POST", path, {"Content-Type": content_type, "Transfer-Encoding": "chunked"}))
        s.settimeout(0.05)
        chunk = b"[" * 16384
        while sent < total:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            try:
                if s.recv(1, socket.MSG_PEEK):
                    break  # the server has answered mid-body
            except (socket.timeout, BlockingIOError):
                pass
        status, _, _ = read_response(s)
    return status, sent


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/export.docx", "/gradio_api/call/ask",
                                  "/gradio_api/queue/join", "/gradio_api/run/predict"])
def test_declared_huge_body_refused_before_reading(server, path: str) -> None:
    status, headers, body = _declared_huge(server, path)
    assert status == 413, (path, body)
    assert json.loads(body)["error"] == "body_too_large"
    assert "请求体太大" in json.loads(body)["message"]


@pytest.mark.parametrize("path,limit", [("/api/ask", API_LIMIT), ("/gradio_api/call/ask", UI_LIMIT),
                                        ("/gradio_api/queue/join", UI_LIMIT)])
def test_streamed_body_cut_off_at_the_limit(server, path: str, limit: int) -> None:
    status, sent = _chunked(server, path, total=8 * 1024 * 1024)
    assert status == 413
    assert sent < limit + 1024 * 1024, f"the server let {sent} bytes in before answering"


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload?upload_id=x",
                                  "/gradio_api/process_recording"])
def test_upload_routes_refused(http: httpx.Client, path: str) -> None:
    r = http.post(path, files={"files": ("a.txt", b"x" * 1000, "text/plain")})
    assert r.status_code == 403, (path, r.status_code, r.text[:200])
    assert r.json()["error"] == "feature_disabled"


def test_body_within_limit_still_answered(http: httpx.Client) -> None:
    r = http.post("/api/ask", json={"question": GDP_Q, "history": ["东川区" * 100] * 10})
    assert r.status_code == 200 and "135.53亿元" in r.json()["answer"]


# ---------------------------------------------------------------- content type, surrogates, nesting

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_body_gets_415(http: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = http.post("/api/ask", content=json.dumps({"question": GDP_Q}).encode(), headers=headers)
    assert r.status_code == 415, r.text
    assert r.json()["error"] == "unsupported_media_type" and "JSON" in r.json()["message"]


def test_json_with_charset_accepted(http: httpx.Client) -> None:
    r = http.post("/api/ask", content=json.dumps({"question": GDP_Q}).encode(),
                  headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200


SURROGATE = '"\\ud800"'  # a JSON escape for a lone surrogate: valid JSON, not encodable text
SURROGATE_BODIES = {
    "question": '{"question": %s}' % SURROGATE,
    "question tail": '{"question": "东川区\\udfff是多少"}',
    "report": '{"question": "%s", "report": %s}' % (GDP_Q, SURROGATE),
    "history": '{"question": "%s", "history": [%s]}' % (GDP_Q, SURROGATE),
    "key": '{"question": "%s", %s: 1}' % (GDP_Q, SURROGATE),
}


@pytest.mark.parametrize("name", list(SURROGATE_BODIES))
def test_lone_surrogate_gets_4xx(http: httpx.Client, name: str) -> None:
    r = http.post("/api/ask", content=SURROGATE_BODIES[name].encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400, (name, r.status_code, r.text)
    assert r.json()["error"] == "invalid_text" and "无效字符" in r.json()["message"]


def test_lone_surrogate_in_feedback_gets_4xx(http: httpx.Client) -> None:
    body = '{"question": %s, "vote": 1, "answer": {"answer": "x"}}' % SURROGATE
    r = http.post("/api/feedback", content=body.encode(), headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("body", [b"[" * 30000, b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  b'{"question": "x", "history": ' + b"[" * 20 + b"]" * 20 + b"}"])
def test_deep_nesting_gets_400(http: httpx.Client, body: bytes) -> None:
    r = http.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text[:200]
    assert r.json()["error"] in ("too_deep", "invalid_json")


@pytest.mark.parametrize("body", [b'{"data": [' + b'"\\ud800"' + b', [], null]}', b"[" * 30000,
                                  b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_gradio_call_route_never_500s(http: httpx.Client, body: Any) -> None:
    r = http.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code < 500, (r.status_code, r.text[:300])


def test_limit_options_from_flags_and_env(monkeypatch) -> None:
    from webapp.config import ConfigError
    from webapp.server import config_from_args

    monkeypatch.setenv("GWR_QUEUE_SIZE", "8")
    monkeypatch.setenv("GWR_MAX_BODY", "1024")
    config, _ = config_from_args(["--queue-per-client", "2", "--header-timeout", "3"])
    assert (config.queue.max_waiting, config.queue.per_client, config.max_body_bytes, config.header_timeout_s) == \
        (8, 2, 1024, 3.0)
    monkeypatch.setenv("GWR_QUEUE_SIZE", "many")
    with pytest.raises(ConfigError):
        config_from_args([])
