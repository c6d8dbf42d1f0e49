"""The chat page and the compact widget: one chat written in plain JS, rendered by the server.

The chat itself (static/gwr.js) talks to the JSON API: POST /api/ask for
answers (each carries the `answer_id` a vote must name) and POST /api/feedback
for 👍/👎. Doing it in our own script rather than with Gradio's Chatbot is what
lets the page keep the conversation across failed requests and reloads, show the
question and a pending state at once, copy plain text, speak Chinese everywhere
(including screen-reader labels) and trap focus in the report panel.

The chat's markup, CSS and script are inlined into the HTML of the page (around
Gradio's app, which renders the comparison section and serves the `ask` endpoint
for gradio_client) and of the widget (a page of its own): the chat is usable as
soon as the HTML has arrived, before Gradio's bundle loads on a slow network.

Everything the script needs (reports, examples, limits, the public base path) is
rendered into one `data-config` attribute per request, and served again by
GET /api/page when the index changes; the examples are checked against the index
(webapp/examples.py), never written down here.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any, Iterable

import gradio as gr

from .compare_ui import build_compare_section
from .gradio_guard import Refused, client_of, queued, text_list, text_value
from .examples import newest_by_region
from .service import QAService

STATIC_DIR = Path(__file__).resolve().parent / "static"
TITLE = "政府工作报告问答助手"
FOOTER = ("答案均为报告原文的逐字摘录，并标注来源段落；未在报告中找到时会明确说明。"
          "请以报告原文为准。本服务在内网离线运行。")
SYSTEM_FONTS = ["system-ui", "-apple-system", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
                "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    """Gradio's default theme loads IBM Plex from local files or Google Fonts; system fonts only here."""
    return gr.themes.Default(
        primary_hue=gr.themes.colors.red,
        secondary_hue=gr.themes.colors.slate,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_md,
        font=SYSTEM_FONTS,
        font_mono=MONO_FONTS,
    ).set(
        body_background_fill="#f4f5f7",
        block_border_width="0px",
        block_shadow="none",
        button_primary_background_fill="#b3261e",
        button_primary_background_fill_hover="#951f19",
        button_primary_text_color="#ffffff",
    )


def css(kind: str) -> str:
    """The chat's styling plus the page's own ("page" or "widget"), or Gradio's part of the page ("gradio")."""
    names = ("gwr-gradio.css",) if kind == "gradio" else ("gwr.css", f"gwr-{kind}.css")
    return "\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in names)


def js() -> str:
    """Runs once on page load: the whole chat (see the module docstring)."""
    return (STATIC_DIR / "gwr.js").read_text(encoding="utf-8")


# ---------------------------------------------------------------- derived from the reports

def subtitle(reports: Iterable[dict[str, Any]]) -> str:
    regions = [m["region"] for m in newest_by_region(reports)]
    if not regions:
        return "基于政府工作报告原文，快速查找数据与政策表述，每个答案都附出处。"
    scope = "、".join(regions) if len(regions) <= 3 else f"{'、'.join(regions[:3])}等 {len(regions)} 地"
    return f"基于{scope}政府工作报告原文，快速查找数据与政策表述，每个答案都附出处。"


def follow_up_tip(reports: Iterable[dict[str, Any]]) -> str:
    regions = [m["region"] for m in newest_by_region(reports)]
    if len(regions) >= 2:
        return f"可以追问，如先问{regions[0]}，再问“那{regions[1]}呢？”"
    return "可以接着上一个问题追问，如“增长了多少？”"


def chat_config(service: QAService, base: str, kind: str) -> dict[str, Any]:
    """What gwr.js needs, rendered into the page and served again by GET /api/page when the index changes."""
    reports = service.report_list()
    examples = service.examples()
    status = service.status()
    return {
        "kind": kind,
        "base": base,
        "maxChars": service.max_question_chars,
        "index": status["index"],
        "state": status["state"],
        "reports": {m["id"]: {"title": m.get("title") or "", "region": m.get("region") or "", "year": m.get("year"),
                              "date": m.get("date") or "", "level": m.get("level") or "",
                              "reviewed_year": m.get("reviewed_year"), "target_year": m.get("target_year")}
                    for m in reports},
        "choices": [{"id": rid, "label": label} for label, rid in service.report_choices()],
        "examples": list(examples.chat),
        "compareExamples": list(examples.compare),
        "subtitle": subtitle(reports),
        "followUpTip": follow_up_tip(reports),
        "skipped": service.skipped_files() if kind == "page" else [],
    }


def skipped_markup(skipped: list[dict[str, str]]) -> str:
    """Report files left out of the index, with why: said under the report filter, where a user looks for them."""
    items = "".join(f"<li><b>{escape(s['rel_path'])}</b>：{escape(s['reason'])}</li>" for s in skipped)
    return (f'<details class="gwr-skipped"{"" if skipped else " hidden"}><summary>有 {len(skipped)} 个文件未能收录'
            f'</summary><ul>{items}</ul></details>')


# Enter pressed before the chat's script has run (a slow stylesheet holds scripts back) is kept, not a newline:
# the script sends it as soon as it starts. The send button before then submits the form as /?q=… (a link).
EARLY_ENTER = ("if(!window.__gwrChat&amp;&amp;event.key===&#39;Enter&#39;&amp;&amp;!event.shiftKey&amp;&amp;!event.isComposing)"
               "{event.preventDefault();window.__gwrEarly=this.value;}")


def _example_buttons(examples: Iterable[str]) -> str:
    return "".join(f'<button type="button" class="gwr-example" data-q="{escape(q, quote=True)}">{escape(q)}</button>'
                   for q in examples)


def chat_markup(config: dict[str, Any], page: bool) -> str:
    """The static skeleton, complete before any script runs; gwr.js fills in the conversation."""
    data = escape(json.dumps(config, ensure_ascii=False), quote=True)
    examples = _example_buttons(config["examples"])
    empty = ('<div class="gwr-empty" id="gwr-empty"><div class="gwr-empty-title">您好，请问想了解报告里的什么内容？</div>'
             '<div class="gwr-empty-sub">可以问数据、目标、政策表述，也可以接着上一个问题追问。</div>'
             f'<div class="gwr-empty-examples" role="group" aria-label="示例问题">{examples}</div></div>')
    chat = (f'<div id="gwr-chat" class="gwr-chat" role="log" aria-live="polite" aria-label="对话记录" tabindex="0">'
            f'{empty}<ol class="gwr-turns" aria-label="问答列表"></ol></div>')
    clear_small = '' if page else '<button type="button" id="gwr-clear" class="gwr-clear" aria-label="清空对话">清空</button>'
    form = (f'<form id="gwr-input-row" class="gwr-input-row" autocomplete="off">'
            f'<div id="gwr-input" class="gwr-input"><textarea rows="1" name="q" aria-label="输入问题" onkeydown="{EARLY_ENTER}" '
            f'placeholder="输入问题，按回车发送" enterkeyhint="send"></textarea></div>'
            f'<button type="submit" class="gwr-send" aria-label="发送问题">发送</button>{clear_small}</form>'
            f'<div class="gwr-limit" aria-live="polite"><span class="gwr-counter"></span>'
            f'<span class="gwr-limit-msg" role="alert"></span></div>'
            f'<div class="gwr-status" role="status" aria-live="polite"></div>')
    if not page:
        return f'<div id="gwr-app" class="gwr-app gwr-widget" data-config="{data}">{chat}{form}</div>'
    options = "".join(f'<option value="{escape(c["id"], quote=True)}">{escape(c["label"])}</option>'
                      for c in config["choices"])
    side = (f'<aside id="gwr-side" class="gwr-side" aria-label="侧栏">'
            f'<label class="gwr-side-title" for="gwr-report">检索范围</label>'
            f'<select id="gwr-report" class="gwr-report"><option value="">全部报告</option>{options}</select>'
            f'{skipped_markup(config["skipped"])}'
            f'<div class="gwr-side-title gwr-ex-title"{"" if config["examples"] else " hidden"}>试试这样问</div>'
            f'<div class="gwr-side-examples">{examples}</div>'
            f'<div class="gwr-side-actions"><button type="button" id="gwr-clear" class="gwr-clear">清空对话</button>'
            f'<button type="button" class="gwr-export" data-export="docx">导出文档</button>'
            f'<button type="button" class="gwr-export" data-export="md">导出文本</button>'
            f'<button type="button" class="gwr-export" data-export="print">打印</button></div>'
            f'<div class="gwr-tips"><b>小提示</b><br>· <span class="gwr-tip-follow">{escape(config["followUpTip"])}</span><br>'
            f'· 点击 [1] 或“在报告中查看”可查看原文上下文<br>· “复制链接”可把问答分享给同事，打开即得同一答案</div></aside>')
    header = (f'<header class="gwr-header"><div class="gwr-logo" aria-hidden="true">问</div><div>'
              f'<h1>{TITLE}</h1><p class="gwr-subtitle">{escape(config["subtitle"])}</p></div></header>')
    return (f'<div id="gwr-app" class="gwr-app gwr-page" data-config="{data}">{header}'
            f'<div id="gwr-main" class="gwr-main"><section class="gwr-chat-col" aria-label="对话">{chat}{form}</section>'
            f'{side}</div></div>')


def inline_assets(kind: str) -> tuple[str, str]:
    """(style, script) elements: inlined so the chat works as soon as the HTML has arrived, on any network."""
    return f"<style>{css(kind)}</style>", f"<script>({js()})();</script>"


def page_shell(service: QAService, base: str) -> tuple[str, str]:
    """What goes around Gradio's app on the chat page: (before, after) — the chat before, the footer after.

    Rendered per request, so a page loaded after a build shows that build's reports and examples.
    """
    style, script = inline_assets("page")
    config = chat_config(service, base, "page")
    before = f'{style}{chat_markup(config, page=True)}{script}'
    after = f'<footer class="gwr-footer" id="gwr-footer">{FOOTER}</footer>'
    return before, after


def widget_page(service: QAService, base: str) -> str:
    """The widget: a small page of its own (no Gradio bundle), for an iframe of about 400×600."""
    style, script = inline_assets("widget")
    config = chat_config(service, base, "widget")
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="same-origin">'
            f'<title>{TITLE}</title><link rel="icon" type="image/svg+xml" href="{escape(base)}/gwr-static/favicon.svg">'
            f'{style}</head><body class="gwr-widget-body">{chat_markup(config, page=False)}{script}</body></html>')


# ---------------------------------------------------------------- Blocks

def _public_api(service: QAService) -> None:
    """`ask` for gradio_client: the same contract as POST /api/ask (including `answer_id`)."""

    async def ask(question: str, history: list[str] | None = None, report: str | None = None,
                  request: gr.Request = None) -> dict:  # type: ignore[assignment]
        """Answer a question about the reports; returns the Answer JSON (see /api/ask)."""
        try:
            question = text_value(question)
            history = text_list(history)
            report = text_value(report, "report") or None
            if report and report not in service.reports:
                raise Refused(f"没有编号为 {report[:80]} 的报告")
            # ask() checks the length; the queue applies the same per-client limit as /api/ask
            answer = await queued(service.ask(question, history, report, client=client_of(request)))
        except Refused as exc:
            raise gr.Error(str(exc)) from None
        return service.issue(answer, question, history, report)

    gr.api(ask, api_name="ask", concurrency_limit=None)


def build_page(service: QAService, base: str) -> gr.Blocks:
    """Gradio's part of the page: the comparison section and the `ask` API (the chat is rendered around it)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=False) as demo:
        build_compare_section(service, base, demo)
        _public_api(service)
    return demo
