"""The chat page as people use it, in headless Chromium against the real server, assistant and corpus:
copy, failed requests, slow networks, reloads, long questions, screen-reader labels, keyboard and phones.

Screenshots at 1366×768, 390×844 and of the 400×600 widget go to artifacts/screenshots/ (gitignored).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from conftest import PROVINCES, dev_reports
from web_helpers import browser, page, requests_seen, service  # noqa: F401  (shared fixtures)
from web_helpers import (ANSWERS, READY, BROWSER_TIMEOUT, LOCAL_HOSTS, SCREENSHOTS, UI_TEXT_PROBLEMS_JS, ask_in_browser,
                         free_port, serve_app)
from webapp.config import ServerConfig
from webapp.server import create_app
from webapp.examples import chat_candidates
from webapp.ui import subtitle

GDP_Q = "东川区2025年地区生产总值是多少？"
GDP_A = "135.53亿元"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
STORE = "gwr-chat:page:/"


@pytest.fixture(scope="module")
def server(service, settings) -> Iterator[str]:
    with serve_app(create_app(ServerConfig(settings=settings), service), free_port()) as base:
        yield base


def _context(browser: Any, requests_seen: list[str], viewport: dict[str, int], **kwargs: Any) -> Any:
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
    ctx.on("request", lambda request: requests_seen.append(request.url))
    return ctx


def ask(page: Any, question: str) -> Any:
    return ask_in_browser(page, question)[0]


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def stored_turns(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.evaluate(f"localStorage.getItem('{STORE}') || '[]'"))


# ---------------------------------------------------------------- 1. copy

def test_copy_puts_plain_text_on_the_clipboard(page) -> None:
    answer = ask(page, GDP_Q)
    sentence = answer.locator(".gwr-sentence").inner_text()
    answer.locator("button.gwr-copy").click()
    page.wait_for_function("() => document.querySelector('.gwr-status').textContent.includes('已复制')")
    text = page.evaluate("navigator.clipboard.readText()")
    assert "<" not in text and "gwr-" not in text, text
    lines = text.splitlines()
    assert lines[0] == GDP_A
    assert lines[1] in sentence and GDP_A in lines[1]  # the quoted sentence, verbatim
    assert lines[2].startswith("来源：《东川区2026年政府工作报告》 · "), lines[2]
    assert lines[3].startswith("查看原文：" + page.url.rstrip("/") + "/view?report=dongchuan-2026-government-work-report")


# ---------------------------------------------------------------- 2. failures keep the conversation

def test_failed_requests_keep_the_conversation_and_offer_retry(page) -> None:
    ask(page, GDP_Q)
    page.route("**/api/ask", lambda route: route.abort("internetdisconnected"))
    box = page.locator("#gwr-input textarea")
    box.fill("增长了多少？")
    box.press("Enter")
    failed = page.locator("#gwr-chat .gwr-failed").first
    failed.wait_for()
    assert "网络连接中断" in failed.inner_text() and failed.locator("button.gwr-retry").count() == 1
    page.wait_for_timeout(3500)  # the old UI emptied the chat about 3 s after a dropped connection
    assert page.locator("#gwr-chat .gwr-q").all_inner_texts() == [GDP_Q, "增长了多少？"]
    assert GDP_A in page.locator(ANSWERS).first.inner_text()
    assert not page.evaluate(UI_TEXT_PROBLEMS_JS)

    page.unroute("**/api/ask")
    page.route("**/api/ask", lambda route: route.fulfill(status=503, body="Service Unavailable",
                                                         content_type="text/plain"))
    failed.locator("button.gwr-retry").click()
    page.wait_for_function("() => document.querySelector('#gwr-chat .gwr-failed .gwr-notice')"
                           "?.textContent.includes('服务器暂时繁忙')")
    assert "SyntaxError" not in page.locator("#gwr-chat").inner_text()
    assert not page.evaluate(UI_TEXT_PROBLEMS_JS)
    shot(page, "20-failed-request")

    page.unroute("**/api/ask")
    page.locator("#gwr-chat .gwr-failed button.gwr-retry").click()
    page.locator("#gwr-chat li.gwr-turn").nth(1).locator(".gwr-answer:not(.gwr-pending):not(.gwr-failed)").wait_for()
    assert page.locator("#gwr-chat .gwr-failed").count() == 0
    assert page.locator("#gwr-chat li.gwr-turn").nth(1).locator(".gwr-lead strong").inner_text() == "4.4%"  # history kept
    assert [t["status"] for t in stored_turns(page)] == ["done", "done"]


# ---------------------------------------------------------------- 3. pending state under a slow network

def test_question_and_pending_state_show_at_once_on_a_slow_network(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 8000, "downloadThroughput": -1, "uploadThroughput": -1})
    page.evaluate("""() => {
      window.__t = {};
      window.addEventListener('keydown', (e) => { if (e.key === 'Enter') { window.__t.enter = performance.now(); } }, true);
      new MutationObserver(() => {
        if (!window.__t.pending && document.querySelector('#gwr-chat .gwr-pending')) { window.__t.pending = performance.now(); }
      }).observe(document.body, { subtree: true, childList: true });
    }""")
    box = page.locator("#gwr-input textarea")
    box.fill(GDP_Q)
    box.press("Enter")
    page.wait_for_selector("#gwr-chat .gwr-pending")
    t = page.evaluate("window.__t")
    waited = t["pending"] - t["enter"]
    print(f"\nEnter → question and pending state shown: {waited:.0f} ms (network latency 8 s)")
    assert waited < 200
    assert page.locator("#gwr-chat .gwr-q").last.inner_text() == GDP_Q
    assert box.input_value() == ""
    assert page.locator("button.gwr-send").is_disabled()
    pending_turn = page.locator("#gwr-chat li.gwr-turn").last
    assert pending_turn.locator("button.gwr-like, button.gwr-dislike").count() == 0  # nothing to vote on yet
    box.fill("再问一遍")
    box.press("Enter")  # sending twice while waiting does nothing
    assert page.locator("#gwr-chat .gwr-q").count() == 1
    shot(page, "21-pending")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.locator(ANSWERS).first.wait_for()
    assert GDP_A in page.locator(ANSWERS).first.inner_text()
    assert not page.locator("button.gwr-send").is_disabled()


# ---------------------------------------------------------------- 4 and 11. Chinese everywhere

def test_no_english_or_markup_in_the_page_and_its_labels(page, server, service) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert not page.evaluate(UI_TEXT_PROBLEMS_JS)  # the empty page
    ask(page, GDP_Q)
    answer = ask(page, "东川区2025年地区生产总值排名第几？")  # an abstention with its closest passages
    answer.locator("details.gwr-sources summary").click()
    ask(page, "What was Dongchuan's GDP in 2025?")
    problems = page.evaluate(UI_TEXT_PROBLEMS_JS)
    assert not problems, problems
    # what a screen reader reads for an answer is the answer, not markup
    label = page.locator("#gwr-chat li.gwr-turn").first.locator(".gwr-bot").inner_text()
    assert label.startswith("回答：") and "<" not in label and GDP_A in label
    assert page.locator("#gwr-chat").get_attribute("aria-label") == "对话记录"
    assert subtitle(service.report_list()) in page.locator(".gwr-header p").inner_text()

    widget = page.context.new_page()
    widget.goto(server + "/widget/")
    widget.wait_for_selector(READY)
    ask(widget, GDP_Q)
    problems = widget.evaluate(UI_TEXT_PROBLEMS_JS)
    assert not problems, problems


# ---------------------------------------------------------------- 5. reload

def test_reload_restores_the_conversation_and_clear_really_clears(page) -> None:
    ask(page, GDP_Q)
    ask(page, "增长了多少？")
    page.reload()
    page.wait_for_selector("#gwr-chat .gwr-answer")
    assert page.locator("#gwr-chat .gwr-q").all_inner_texts() == [GDP_Q, "增长了多少？"]
    assert page.locator(ANSWERS).nth(1).locator(".gwr-lead strong").inner_text() == "4.4%"
    third = ask(page, "2026年的目标呢？")  # history survives the reload too
    assert "2026" in third.locator(".gwr-resolved").inner_text()
    page.locator("#gwr-clear").click()
    assert page.locator("#gwr-chat .gwr-answer").count() == 0
    assert page.evaluate(f"localStorage.getItem('{STORE}')") is None
    page.reload()
    page.wait_for_selector(READY)
    page.wait_for_timeout(500)
    assert page.locator("#gwr-chat .gwr-answer").count() == 0
    assert page.locator("#gwr-empty").is_visible()


# ---------------------------------------------------------------- 6. long questions

def test_long_question_shows_counter_and_message_instead_of_cutting(page, service) -> None:
    limit = service.max_question_chars
    box = page.locator("#gwr-input textarea")
    box.fill("地" * (limit - 20))
    assert page.locator(".gwr-counter").inner_text() == f"{limit - 20}/{limit}"
    assert page.locator(".gwr-limit-msg").inner_text() == ""
    box.fill("东川区地区生产总值" * 60)
    n = len("东川区地区生产总值" * 60)
    assert len(box.input_value()) == n  # not silently cut
    assert "问题太长了" in page.locator(".gwr-limit-msg").inner_text()
    assert f"当前 {n} 个" in page.locator(".gwr-limit-msg").inner_text()
    assert page.locator("button.gwr-send").is_disabled()
    box.press("Enter")
    page.wait_for_timeout(300)
    assert page.locator("#gwr-chat .gwr-q").count() == 0
    box.fill("东川区2025年地区生产总值是多少？")
    assert page.locator(".gwr-counter").inner_text() == "" and not page.locator("button.gwr-send").is_disabled()


# ---------------------------------------------------------------- 8. keyboard, phone, widget

def _open_viewer(page: Any) -> Any:
    answer = ask(page, GDP_Q)
    link = answer.locator("a.gwr-ref").first
    link.focus()
    page.keyboard.press("Enter")
    page.frame_locator(".gwr-viewer-frame").locator("mark#hit").wait_for()
    return link


def test_report_panel_traps_focus_and_returns_it(page) -> None:
    link = _open_viewer(page)
    inside = "() => { const a = document.activeElement; return !!(a && a.closest('.gwr-viewer')); }"
    assert page.evaluate(inside)
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert page.evaluate(inside), f"focus left the panel after {key}"
    shot(page, "22-panel-1366")
    page.keyboard.press("Escape")
    page.locator(".gwr-viewer").wait_for(state="hidden")
    assert link.evaluate("el => el === document.activeElement")  # focus is back on the [1] that opened it


def test_phone_layout_examples_above_the_fold_and_nothing_over_the_panel(browser, server, requests_seen) -> None:
    ctx = _context(browser, requests_seen, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(BROWSER_TIMEOUT)
        pg.goto(server + "/")
        pg.wait_for_selector(READY)
        chips = pg.locator("#gwr-chat .gwr-example")
        assert chips.count() >= 2
        for i in range(chips.count()):
            box = chips.nth(i).bounding_box()
            assert box and box["y"] + box["height"] <= PHONE["height"], f"example {i} below the fold"
        send = pg.locator("button.gwr-send").bounding_box()
        assert send and send["y"] + send["height"] <= PHONE["height"]
        shot(pg, "23-phone-empty")
        _open_viewer(pg)
        pg.locator("#gwr-chat li.gwr-turn").last.scroll_into_view_if_needed()
        shot(pg, "24-phone-panel")
        panel = pg.locator(".gwr-viewer-box").bounding_box()
        assert panel
        covered = pg.evaluate("""(b) => {
          const bad = [];
          for (let x = b.x + 4; x < b.x + b.width - 4; x += (b.width - 8) / 6) {
            for (let y = b.y + 4; y < b.y + b.height - 4; y += (b.height - 8) / 10) {
              const el = document.elementFromPoint(x, y);
              if (!el || !el.closest('.gwr-viewer-box')) { bad.push([Math.round(x), Math.round(y), el && el.className]); }
            }
          }
          return bad;
        }""", panel)
        assert not covered, covered
        pg.keyboard.press("Escape")
        pg.locator(".gwr-viewer").wait_for(state="hidden")
        shot(pg, "25-phone-answer")
    finally:
        ctx.close()


def test_desktop_and_widget_screenshots(page, browser, server, service, requests_seen) -> None:
    shot(page, "26-desktop-empty")
    ask(page, GDP_Q)
    ask(page, "东川区2026年地区生产总值增长目标是多少？")
    follow_up = ask(page, "那昆明呢？")  # answered from the 2025 report although the conversation is about 2026
    shot(page, "27-desktop-conversation")
    assert "昆明" in follow_up.locator(".gwr-resolved").inner_text()
    assert "2025年" in follow_up.locator(".gwr-resolved").inner_text()
    assert "2026年" in follow_up.locator(".gwr-yearnote").inner_text()
    ctx = _context(browser, requests_seen, {"width": 400, "height": 600})
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(BROWSER_TIMEOUT)
        pg.goto(server + "/widget/")
        pg.wait_for_selector(READY)
        for i in range(pg.locator("#gwr-chat .gwr-example").count()):
            box = pg.locator("#gwr-chat .gwr-example").nth(i).bounding_box()
            assert box and box["y"] + box["height"] <= 600
        shot(pg, "28-widget-400x600-empty")
        ask(pg, GDP_Q)
        shot(pg, "29-widget-400x600-answer")
        assert not pg.evaluate(UI_TEXT_PROBLEMS_JS)
        kunming = next(r["id"] for r in service.report_list() if r["region"] == "昆明市")
        pg.goto(server + f"/widget/?report={kunming}")  # pinned to one report
        pg.wait_for_selector(READY)
        pinned = ask(pg, "地区生产总值增长目标是多少？")
        titles = pinned.locator(".gwr-src .gwr-title").all_text_contents()
        assert titles and all("昆明" in t for t in titles), titles
    finally:
        ctx.close()


# ---------------------------------------------------------------- 10. examples come from the reports

def test_examples_and_subtitle_follow_the_indexed_reports(page, service) -> None:
    shown = page.locator("#gwr-side button.gwr-example").all_inner_texts()
    assert shown == list(service.examples().chat) and len(shown) == 4
    regions = {r["region"] for r in service.report_list()}
    assert all(any(q.startswith(r) for r in regions) for q in shown)
    assert len({r for r in regions if any(q.startswith(r) for q in shown)}) == 2  # both reports' regions


def test_example_candidates_for_other_reports_name_those_reports(tmp_path: Path) -> None:
    import shutil

    from assistant.ingest import load_corpus

    provinces = dev_reports(PROVINCES)
    for f in sorted(p for p in provinces.iterdir() if p.suffix == ".txt")[:3]:
        shutil.copy(f, tmp_path / f.name)
    metas = [r.meta.to_dict() for r in load_corpus(tmp_path)]
    assert len(metas) == 3
    rounds = chat_candidates(metas)
    assert rounds and all(len(r) == 3 for r in rounds)
    for q, m in (c for r in rounds for c in r):
        assert q.startswith(m["region"]), q
        assert "东川" not in q and "昆明" not in q
    assert all(m["region"] in subtitle(metas) for m in metas)


# ---------------------------------------------------------------- must stay last

def test_a_question_naming_no_place_shows_the_other_reports_answers(page) -> None:
    turn = ask(page, "地区生产总值增长目标是多少？")
    alts = turn.locator(".gwr-alts .gwr-alt")
    assert alts.count() >= 1, turn.inner_text()
    assert "其他报告" in turn.locator(".gwr-alts").inner_text()
    assert "/view" in (alts.first.get_attribute("href") or "")


def test_no_request_left_the_server(requests_seen) -> None:
    assert len(requests_seen) > 20, "the other tests should have made requests"
    outside = sorted({u for u in requests_seen
                      if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert not outside, outside
