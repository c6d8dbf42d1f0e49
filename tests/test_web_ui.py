"""The chat page and the widget in headless Chromium, against the real server, assistant and corpus.

One module-wide browser context records every request any page or iframe
makes; the last test asserts none of them left localhost. Screenshots go to
artifacts/screenshots/ (gitignored). How the page copes with real use (copy,
failures, slow networks, reloads, phones, screen readers) is in
test_browser_chat.py.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from web_helpers import browser, requests_seen, service  # noqa: F401  (shared fixtures)
from web_helpers import (ANSWERS, READY, BROWSER_TIMEOUT, LOCAL_HOSTS, SCREENSHOTS, ask_in_browser, free_port,
                         reverse_proxy, serve_app, static_server)
from webapp.config import ServerConfig
from webapp.service import QAService
from webapp.server import create_app

GDP_Q = "东川区2025年地区生产总值是多少？"
GDP_A = "135.53亿元"
TIMEOUT = BROWSER_TIMEOUT
EXAMPLE_HOST = Path(__file__).resolve().parent.parent / "examples" / "intranet-host.html"


@pytest.fixture(scope="module")
def server(service, settings) -> Iterator[str]:
    app = create_app(ServerConfig(settings=settings), service)
    with serve_app(app, free_port()) as base:
        yield base


@pytest.fixture(scope="module")
def context(browser, requests_seen) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    ctx.on("request", lambda request: requests_seen.append(request.url))
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context, server) -> Iterator[Any]:
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server + "/")
    pg.evaluate("localStorage.clear()")  # each test starts with an empty conversation
    pg.reload()
    pg.wait_for_selector(READY)
    yield pg
    pg.close()


def ask(page_or_frame: Any, question: str) -> tuple[Any, float]:
    return ask_in_browser(page_or_frame, question, TIMEOUT)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# ---------------------------------------------------------------- the chat page

def test_answer_with_highlighted_citation_and_report_view(page) -> None:
    answer, _ = ask(page, GDP_Q)
    assert GDP_A in answer.locator(".gwr-lead strong").inner_text()
    assert answer.locator(".gwr-sentence mark").inner_text() == GDP_A
    assert answer.locator(".gwr-refs a").first.inner_text() == "[1]"
    assert "《东川区2026年政府工作报告》" in answer.locator(".gwr-cite").inner_text()  # visible, not only in 来源
    assert not answer.locator(".gwr-sources").evaluate("d => d.open")
    shot(page, "01-answer")
    answer.locator(".gwr-sources summary").click()
    passage_mark = answer.locator(".gwr-src .gwr-passage mark").first
    passage_mark.wait_for()
    assert passage_mark.inner_text() == GDP_A
    assert "东川区" in answer.locator(".gwr-src .gwr-title").first.inner_text()
    shot(page, "02-sources")

    # "在报告中查看": the section opens in an in-page panel with the span marked and scrolled into view
    answer.locator(".gwr-src a.gwr-view").first.click()
    viewer = page.locator(".gwr-viewer")
    viewer.wait_for(state="visible")
    frame = page.frame_locator(".gwr-viewer-frame")
    hit = frame.locator("mark#hit")
    hit.wait_for()
    assert hit.inner_text() == GDP_A
    page.wait_for_timeout(400)
    box = hit.bounding_box()
    frame_box = page.locator(".gwr-viewer-frame").bounding_box()
    assert box and frame_box and frame_box["y"] <= box["y"] <= frame_box["y"] + frame_box["height"] - box["height"]
    shot(page, "03-report-view")
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")


def test_follow_up_uses_conversation_history(page) -> None:
    """Earlier questions of the conversation go to ask() as history: the follow-up is resolved against them."""
    ask(page, "东川区2025年地区生产总值是多少？")
    second, _ = ask(page, "增长了多少？")
    assert "东川区2025年地区生产总值增长" in second.locator(".gwr-resolved").inner_text()
    assert second.locator(".gwr-lead strong").inner_text() == "4.4%"
    ask(page, "昆明市2025年地区生产总值增长目标是多少？")
    third, _ = ask(page, "产业投资呢？")
    assert "产业投资" in third.locator(".gwr-resolved").inner_text()
    assert third.locator(".gwr-lead strong").inner_text() == "7%左右"


def test_follow_up_to_another_region(page) -> None:
    first, _ = ask(page, "东川区2026年地区生产总值增长目标是多少？")
    assert first.locator(".gwr-lead strong").count() == 1
    second, _ = ask(page, "那昆明呢？")
    shot(page, "04-follow-up")
    resolved = second.locator(".gwr-resolved").inner_text()
    assert "昆明" in resolved and "2025年" in resolved, resolved  # the history reached ask(); the year is the report's
    note = second.locator(".gwr-yearnote").inner_text()
    assert "2026年" in note and "2025年" in note and "《昆明市2025年政府工作报告" in note, note
    assert second.locator(".gwr-notice").count() == 0
    assert "5%左右" in second.locator(".gwr-lead strong").inner_text()
    assert first.locator(".gwr-yearnote").count() == 0  # asked 2026, answered from the 2026 report: no note


def test_report_filter_limits_citations(page, service) -> None:
    kunming = next(r["id"] for r in service.report_list() if r["region"] == "昆明市")
    page.locator("#gwr-report").select_option(kunming)
    answer, _ = ask(page, "地区生产总值增长目标是多少？")
    titles = answer.locator(".gwr-src .gwr-title").all_text_contents()
    assert titles and all("昆明" in t for t in titles), titles
    assert "5%左右" in answer.inner_text()
    shot(page, "05-report-filter")


def test_examples_clear_and_abstention(page, service) -> None:
    examples = page.locator("#gwr-side button.gwr-example").all_inner_texts()
    assert examples == list(service.examples().chat) and examples
    page.locator("#gwr-side button.gwr-example").first.click()
    first = page.locator(ANSWERS).first
    first.wait_for()
    assert page.locator("#gwr-chat .gwr-q").first.inner_text() == examples[0]
    assert first.locator(".gwr-lead strong").inner_text(), "a derived example must be answerable"
    unrelated, _ = ask(page, "东川区2025年的火星探测器发射了几次？")
    assert unrelated.locator(".gwr-notice").count() == 1, unrelated.inner_text()
    assert unrelated.locator(".gwr-src").count() == 0  # no passage shares the question's words: none shown
    assert "最接近的段落" not in unrelated.inner_text()
    related, _ = ask(page, "东川区2025年地区生产总值排名第几？")
    assert related.locator(".gwr-notice").count() == 1, related.inner_text()
    sources = related.locator("details.gwr-sources")
    assert "最接近的段落" in sources.locator("summary").inner_text()
    assert not sources.evaluate("d => d.open")  # collapsed by default
    assert "地区生产总值" in sources.locator(".gwr-passage").first.text_content()
    shot(page, "06-abstention")
    page.locator("#gwr-clear").click()
    page.wait_for_function("document.querySelectorAll('#gwr-chat .gwr-answer').length === 0")


def _rows(service: QAService, answer_id: str, want: int) -> list[Any]:
    deadline = time.monotonic() + 20
    rows = list(service.feedback.votes(answer_id=answer_id))
    while len(rows) != want and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = list(service.feedback.votes(answer_id=answer_id))
    return rows


def _answer_id(page: Any) -> str:
    return page.evaluate("() => JSON.parse(localStorage.getItem('gwr-chat:page:' + location.pathname)).at(-1).answerId")


def test_votes_like_unlike_and_switch(page, service) -> None:
    """👍 stores one row; 👍 again withdraws it; 👎 then 👍 keeps one row that follows the last click."""
    answer, _ = ask(page, GDP_Q)
    aid = _answer_id(page)
    like, dislike = answer.locator("button.gwr-like"), answer.locator("button.gwr-dislike")
    like.click()
    rows = _rows(service, aid, 1)
    assert len(rows) == 1 and rows[0].vote == 1 and rows[0].question == GDP_Q and GDP_A in rows[0].answer
    assert rows[0].answer_json["citations"][0]["text"]
    page.wait_for_function("() => document.querySelector('#gwr-chat li.gwr-turn:last-child .gwr-like').getAttribute('aria-pressed') === 'true'")
    page.locator("#gwr-chat li.gwr-turn:last-child button.gwr-like").click()  # un-like
    page.wait_for_function("() => document.querySelector('#gwr-chat li.gwr-turn:last-child .gwr-like').getAttribute('aria-pressed') === 'false'")
    assert _rows(service, aid, 0) == []
    page.locator("#gwr-chat li.gwr-turn:last-child button.gwr-dislike").click()
    page.wait_for_function("() => document.querySelector('#gwr-chat li.gwr-turn:last-child .gwr-dislike').getAttribute('aria-pressed') === 'true'")
    page.locator("#gwr-chat li.gwr-turn:last-child button.gwr-like").click()  # switch 👎 → 👍
    page.wait_for_function("() => document.querySelector('#gwr-chat li.gwr-turn:last-child .gwr-like').getAttribute('aria-pressed') === 'true'")
    rows = _rows(service, aid, 1)
    assert [r.vote for r in rows] == [1]
    second, _ = ask(page, "增长了多少？")  # a follow-up's vote keeps its history (from the server's copy)
    aid2 = _answer_id(page)
    second.locator("button.gwr-dislike").click()
    rows = _rows(service, aid2, 1)
    assert rows[0].vote == -1 and rows[0].history == [GDP_Q]


def test_html_in_question_is_inert_text(page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = "<img src=x onerror=alert(1)>东川区地区生产总值是多少？"
    ask(page, payload)
    ask(page, "<script>alert(2)</script><b>粗体</b>")
    page.wait_for_timeout(500)
    page.locator("#gwr-chat .gwr-q").last.scroll_into_view_if_needed()
    assert dialogs == []
    assert page.locator("#gwr-chat img[src='x']").count() == 0
    assert page.locator("#gwr-chat script").count() == 0
    assert page.locator("#gwr-chat .gwr-q b").count() == 0
    texts = page.locator("#gwr-chat .gwr-q").all_inner_texts()
    assert payload in texts and "<script>alert(2)</script><b>粗体</b>" in texts
    shot(page, "07-html-as-text")


def test_enter_to_answer_latency(page) -> None:
    times = []
    for q in (GDP_Q, "昆明市2025年地区生产总值增长目标是多少？", "“六个东川”指什么？",
              "东川区2026年固定资产投资目标是多少？", "What was Dongchuan's GDP in 2025?"):
        _, seconds = ask(page, q)
        times.append(seconds)
    med = statistics.median(times)
    line = f"Enter→answer in the browser: median {med:.2f}s, max {max(times):.2f}s over {len(times)} questions"
    print("\n" + line)
    (SCREENSHOTS.parent / "latency.txt").write_text(line + "\n" + "\n".join(f"{t:.3f}" for t in times) + "\n")
    assert med < 10


# ---------------------------------------------------------------- widget, sub-path, login

def test_widget_in_iframe_on_another_origin(context, server, tmp_path: Path) -> None:
    host_dir = tmp_path / "portal"
    host_dir.mkdir()
    html = EXAMPLE_HOST.read_text(encoding="utf-8")
    assert 'src="http://127.0.0.1:7860/widget"' in html
    (host_dir / "index.html").write_text(html.replace("http://127.0.0.1:7860", server), encoding="utf-8")
    with static_server(host_dir, free_port()) as portal:
        assert urlsplit(portal).port != urlsplit(server).port
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        try:
            pg.goto(portal + "/index.html")
            widget = pg.frame_locator("iframe#gwr-widget")
            widget.locator(READY).wait_for()
            size = pg.locator("iframe#gwr-widget").bounding_box()
            assert size and 390 <= size["width"] <= 410 and 590 <= size["height"] <= 610
            shot(pg, "08-widget-empty")
            chip = widget.locator("#gwr-chat .gwr-example").first  # the widget's example chips
            expected = chip.inner_text()
            chip.click()
            widget.locator(ANSWERS).first.wait_for()
            assert widget.locator("#gwr-chat .gwr-q").first.inner_text() == expected
            answer, _ = ask(widget, GDP_Q)
            assert GDP_A in answer.locator(".gwr-lead strong").inner_text()
            assert answer.locator(".gwr-sentence mark").inner_text() == GDP_A
            assert widget.locator(".gwr-header").count() == 0  # chat only
            shot(pg, "09-widget-in-portal")
            answer.locator("a.gwr-ref").first.click()  # the viewer works inside the iframe too
            widget.frame_locator(".gwr-viewer-frame").locator("mark#hit").wait_for()
            shot(pg, "10-widget-report-view")
        finally:
            pg.close()


def test_served_under_sub_path_behind_proxy(context, service, settings) -> None:
    port = free_port()
    app = create_app(ServerConfig(settings=settings, root_path="/qa"), service)
    with serve_app(app, port, root_path="/qa"), reverse_proxy(free_port(), "/qa", f"http://127.0.0.1:{port}") as url:
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        failed: list[str] = []
        pg.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        try:
            pg.goto(url + "/")
            pg.wait_for_selector(READY)
            answer, _ = ask(pg, GDP_Q)
            assert GDP_A in answer.inner_text()
            href = answer.locator("a.gwr-ref").first.get_attribute("href")
            assert href and href.startswith("/qa/view?")
            answer.locator("a.gwr-ref").first.click()
            pg.frame_locator(".gwr-viewer-frame").locator("mark#hit").wait_for()
            assert not failed, failed
            shot(pg, "11-sub-path")
        finally:
            pg.close()


def test_login_protects_ui(browser, service, settings, requests_seen) -> None:
    app = create_app(ServerConfig(settings=settings, users=(("wang", "pw-123"),)), service)
    with serve_app(app, free_port()) as base:
        anonymous = browser.new_context(locale="zh-CN")
        try:
            assert anonymous.request.get(base + "/").status == 401
            with pytest.raises(Exception, match="ERR_INVALID_AUTH_CREDENTIALS"):
                anonymous.new_page().goto(base + "/")  # headless Chromium cannot prompt: refused
        finally:
            anonymous.close()
        ctx = browser.new_context(locale="zh-CN", http_credentials={"username": "wang", "password": "pw-123"})
        ctx.on("request", lambda request: requests_seen.append(request.url))
        try:
            pg = ctx.new_page()
            pg.set_default_timeout(TIMEOUT)
            pg.goto(base + "/")
            pg.wait_for_selector(READY)
            answer, _ = ask(pg, GDP_Q)
            assert GDP_A in answer.inner_text()
        finally:
            ctx.close()


# ---------------------------------------------------------------- must stay last

def test_no_request_left_localhost(requests_seen) -> None:
    assert len(requests_seen) > 20, "the other tests should have made requests"
    outside = sorted({u for u in requests_seen
                      if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert not outside, outside
