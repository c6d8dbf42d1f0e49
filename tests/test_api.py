"""The JSON API, the report view, headers, login and the 👍/👎 store — against the real assistant and corpus."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from assistant.config import PROJECT_ROOT
from web_helpers import client, service  # noqa: F401  (shared fixtures)
from web_helpers import free_port, reverse_proxy, serve_app, wait_http
from webapp.config import ConfigError, ServerConfig, normalize_root_path, parse_frame_ancestors, parse_users
from webapp.render import render_answer, render_question
from webapp.server import create_app
from webapp.service import QAService

GDP_Q = "东川区2025年地区生产总值是多少？"
GDP_A = "135.53亿元"
CITATION_KEYS = {"report", "title", "section", "text", "start", "end", "report_start", "report_end", "chunk_id"}
ANSWER_KEYS = {"question", "answer", "sentence", "abstained", "reason", "confidence", "qtype", "resolved_question",
               "message", "citations", "latency_ms"}


def _reports(service: QAService) -> dict[str, str]:
    return {r["region"]: r["id"] for r in service.report_list()}


# ---------------------------------------------------------------- happy paths

def test_ask_returns_answer_json_with_citations(client) -> None:
    r = client.post("/api/ask", json={"question": GDP_Q})
    assert r.status_code == 200, r.text
    data = r.json()
    assert ANSWER_KEYS <= set(data)
    assert GDP_A in data["answer"]
    assert data["abstained"] is False
    assert GDP_A in data["sentence"]
    assert data["citations"], "an answer must cite its source"
    for c in data["citations"]:
        assert CITATION_KEYS <= set(c)
    first = data["citations"][0]
    assert GDP_A in first["text"]
    assert first["text"][first["start"]:first["end"]] == data["answer"]
    assert "东川" in first["title"]


def test_ask_with_history_and_report(client, service) -> None:
    kunming = _reports(service)["昆明市"]
    r = client.post("/api/ask", json={"question": "地区生产总值增长目标是多少？", "report": kunming, "history": []})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["citations"] and all(c["report"] == kunming for c in data["citations"])
    r = client.post("/api/ask", json={"question": "产业投资呢？",
                                      "history": ["昆明市2025年地区生产总值增长目标是多少？"]})
    assert r.status_code == 200
    assert "产业投资" in r.json()["resolved_question"]


def test_reports_and_health(client) -> None:
    r = client.get("/api/reports")
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == len(data["reports"]) >= 2
    for meta in data["reports"]:
        assert {"id", "title", "region", "year"} <= set(meta)
    h = client.get("/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["chunks"] > 0


# ---------------------------------------------------------------- bad input: 4xx with a clear message, never 500

BAD_REQUESTS = [
    ("empty question", {"json": {"question": ""}}, {422}, "empty_question"),
    ("blank question", {"json": {"question": "   \n "}}, {422}, "empty_question"),
    ("missing field", {"json": {"q": GDP_Q}}, {422}, "missing_question"),
    ("null question", {"json": {"question": None}}, {422}, "missing_question"),
    ("non-string question", {"json": {"question": 123}}, {422}, "invalid_question"),
    ("list question", {"json": {"question": ["东川"]}}, {422}, "invalid_question"),
    ("too long", {"json": {"question": "东" * 501}}, {413, 422}, "question_too_long"),
    ("invalid json", {"content": b'{"question": "x",', "headers": {"content-type": "application/json"}},
     {400, 422}, "invalid_json"),
    ("not utf-8", {"content": b'{"question": "\xff"}', "headers": {"content-type": "application/json"}},
     {400, 422}, "invalid_json"),
    ("empty body", {"content": b"", "headers": {"content-type": "application/json"}}, {400, 422}, "invalid_json"),
    ("array body", {"json": [GDP_Q]}, {422}, "invalid_body"),
    ("unknown report", {"json": {"question": GDP_Q, "report": "no-such-report"}}, {404, 422}, "unknown_report"),
    ("report wrong type", {"json": {"question": GDP_Q, "report": 7}}, {422}, "invalid_report"),
    ("history wrong type", {"json": {"question": GDP_Q, "history": "东川"}}, {422}, "invalid_history"),
    ("huge body", {"content": b'{"question": "' + b"a" * 70000 + b'"}'}, {413}, "body_too_large"),
]


@pytest.mark.parametrize("name,kwargs,statuses,code", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_clear_4xx(client, name: str, kwargs: dict, statuses: set[int], code: str) -> None:
    r = client.post("/api/ask", **kwargs)
    assert r.status_code in statuses, (r.status_code, r.text)
    data = r.json()
    assert data["error"] == code
    assert isinstance(data["message"], str) and len(data["message"]) > 5


def test_max_length_question_is_accepted(client, service) -> None:
    q = GDP_Q + "啊" * (service.max_question_chars - len(GDP_Q))
    r = client.post("/api/ask", json={"question": q})
    assert r.status_code == 200


def test_html_in_question_is_returned_as_plain_data(client) -> None:
    q = "<img src=x onerror=alert(1)>东川区地区生产总值是多少？"
    r = client.post("/api/ask", json={"question": q})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["question"] == q


# ---------------------------------------------------------------- rendering (what the chat shows)

def test_rendering_escapes_user_and_report_text(assistant) -> None:
    html = render_question('<img src=x onerror="alert(1)"> & <script>')
    assert "<img" not in html and "<script" not in html and "&lt;img" in html
    answer = assistant.ask(GDP_Q)
    out = render_answer(answer, base="/qa")
    assert f"<strong>{GDP_A}</strong>" in out
    assert f"<mark>{GDP_A}</mark>" in out
    assert 'href="/qa/view?report=' in out
    assert "\n" not in out  # one HTML block: Markdown must not touch report text


def test_view_page_highlights_span(client, assistant) -> None:
    c = assistant.ask(GDP_Q).citations[0]
    r = client.get("/view", params={"report": c.report, "start": c.report_start, "end": c.report_end})
    assert r.status_code == 200
    assert f'<mark id="hit">{GDP_A}</mark>' in r.text
    assert "查看报告全文" in r.text
    whole = client.get("/view", params={"report": c.report, "start": c.report_start, "end": c.report_end,
                                        "scope": "report"})
    assert f'<mark id="hit">{GDP_A}</mark>' in whole.text and len(whole.text) > len(r.text)
    assert client.get("/view", params={"report": "nope"}).status_code == 404
    assert client.get("/view", params={"report": c.report, "start": "x"}).status_code == 422


# ---------------------------------------------------------------- intranet: headers, no outside URLs, login

def test_pages_name_no_outside_host(client) -> None:
    for path in ("/", "/widget/"):
        r = client.get(path)
        assert r.status_code == 200
        html = r.text
        assert 'lang="zh-CN"' in html
        for bad in ("fonts.googleapis", "fonts.gstatic", "cdn.", "jsdelivr", "unpkg", "githubusercontent",
                    "gradio.app", "huggingface.co"):
            assert bad not in html, (path, bad)
        if path == "/":
            assert '"analytics_enabled":false' in html
        assert 'id="gwr-app"' in html and "<script>" in html  # the chat is in the HTML itself
    theme_css = client.get("/theme.css")
    assert theme_css.status_code == 200 and "googleapis" not in theme_css.text and "@import" not in theme_css.text


def test_widget_url_with_or_without_slash_is_the_widget(client) -> None:
    for path in ("/widget?report=abc", "/widget/"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 200 and 'class="gwr-app gwr-widget"' in r.text, path
        assert "<gradio-app" not in r.text and "gradio_config" not in r.text  # a page of its own: no Gradio bundle


def test_frame_ancestors_header(client) -> None:
    for path in ("/", "/widget/", "/api/reports", "/view?report=x"):
        csp = client.get(path).headers.get("content-security-policy", "")
        assert csp.startswith("frame-ancestors 'self'"), (path, csp)
        assert "http://localhost:*" in csp


def test_config_parsing() -> None:
    assert parse_users("a:b\n# comment\n\nc:d:e", "x") == (("a", "b"), ("c", "d:e"))
    with pytest.raises(ConfigError):
        parse_users("nopassword", "x")
    assert parse_frame_ancestors("https://portal.example.com, 'self'") == ("https://portal.example.com", "'self'")
    with pytest.raises(ConfigError):
        parse_frame_ancestors("https://ok.example; script-src *")
    assert normalize_root_path("qa/") == "/qa" and normalize_root_path("/") == ""
    with pytest.raises(ConfigError):
        normalize_root_path("http://host/qa")


def test_login_applies_to_ui_and_api(service, settings) -> None:
    from fastapi.testclient import TestClient

    app = create_app(ServerConfig(settings=settings, users=(("zhang", "s3cret"),)), service)
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200  # probes stay open
        for path in ("/", "/widget/", "/api/reports", "/view?report=x", "/gradio_api/info"):
            assert c.get(path).status_code == 401, path
        r = c.post("/api/ask", json={"question": GDP_Q})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert "Basic" in r.headers["www-authenticate"]
        assert c.get("/api/reports", auth=("zhang", "wrong")).status_code == 401
        assert c.get("/api/reports", auth=("zhang", "s3cret")).status_code == 200
        assert c.get("/", auth=("zhang", "s3cret")).status_code == 200
        ok = c.post("/api/ask", json={"question": GDP_Q}, auth=("zhang", "s3cret"))
        assert ok.status_code == 200 and GDP_A in ok.json()["answer"]


# (the 👍/👎 store and POST /api/feedback: tests/test_feedback.py)


# ---------------------------------------------------------------- gradio_client and the real entry point

def test_gradio_client_ask_endpoint(service, settings) -> None:
    from gradio_client import Client

    app = create_app(ServerConfig(settings=settings), service)
    with serve_app(app, free_port()) as base:
        client = Client(base + "/", verbose=False, download_files=False)
        result = client.predict(GDP_Q, [], None, api_name="/ask")
    data = result if isinstance(result, dict) else json.loads(result)
    assert GDP_A in data["answer"] and data["citations"]


def test_app_py_behind_reverse_proxy_with_login(settings, assistant, tmp_path: Path) -> None:
    """`python app.py` for real: --root-path behind a prefix-stripping proxy, GWR_AUTH login, CSP flag."""
    port, proxy_port = free_port(), free_port()
    env = {**os.environ, "GWR_AUTH": "li:pw", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port), "--root-path", "/qa",
           "--index-dir", str(settings.index_dir), "--corpus", str(settings.corpus_dir),
           "--feedback", str(tmp_path / "fb.sqlite3"), "--frame-ancestors", "'self' https://portal.example.com"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=180)
        with reverse_proxy(proxy_port, "/qa", f"http://127.0.0.1:{port}") as public:
            auth = ("li", "pw")
            assert httpx.get(public + "/api/reports").status_code == 401
            page = httpx.get(public + "/", auth=auth)
            assert page.status_code == 200
            assert page.headers["content-security-policy"] == "frame-ancestors 'self' https://portal.example.com"
            assert f'"root":"http://127.0.0.1:{proxy_port}/qa"' in page.text.replace(" ", "")
            widget = httpx.get(public + "/widget", auth=auth)
            assert widget.status_code == 200 and "&quot;base&quot;: &quot;/qa&quot;" in widget.text
            assert "&quot;base&quot;: &quot;/qa&quot;" in page.text  # the chat's API calls go through the prefix
            assert httpx.get(public + "/gwr-static/gwr-view.css", auth=auth).status_code == 200
            r = httpx.post(public + "/api/ask", json={"question": GDP_Q}, auth=auth, timeout=60)
            assert r.status_code == 200 and GDP_A in r.json()["answer"]
            c = r.json()["citations"][0]
            view = httpx.get(public + "/view", params={"report": c["report"], "start": c["report_start"],
                                                       "end": c["report_end"]}, auth=auth)
            assert view.status_code == 200 and 'href="/qa/gwr-static/gwr-view.css"' in view.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
