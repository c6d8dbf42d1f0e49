"""The Gradio chat: the full page (header, sidebar, footer) and the compact widget for iframes.

The conversation lives in a `gr.State` list of turns (question, history,
report, answer dict); the Chatbot is only ever rendered *from* it, two messages
per turn, so a like/dislike on message i maps to turn i // 2 without trusting
anything the browser sends back.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, AsyncIterator

import gradio as gr

from .compare_ui import build_compare_section
from .render import render_answer, render_error, render_pending, render_question
from .service import QAService

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TITLE = "政府工作报告问答助手"
SUBTITLE = "基于东川区、昆明市政府工作报告原文,快速查找数据与政策表述,每个答案都附出处。"
FOOTER = ("答案均为报告原文的逐字摘录,并标注来源段落;未在报告中找到时会明确说明。"
          "请以报告原文为准。本服务在内网离线运行。")
PLACEHOLDER_TEXT = "输入问题,按 Enter 发送"
ALL_REPORTS = "__all__"
EXAMPLES = (
    "东川区2025年地区生产总值是多少？",
    "昆明市2025年地区生产总值增长目标是多少？",
    "“六个东川”指什么？",
    "What was Dongchuan's GDP in 2025?",
)
SYSTEM_FONTS = ["system-ui", "-apple-system", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
                "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

Turn = dict[str, Any]


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
    """Shared chat styling plus the page's own ("page" or "widget"); each mount gets its own CSS."""
    return "\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in ("gwr.css", f"gwr-{kind}.css"))


def js() -> str:
    """Runs once on page load: opens "在报告中查看" links in an in-page panel instead of a new tab."""
    return (STATIC_DIR / "gwr.js").read_text(encoding="utf-8")


# ---------------------------------------------------------------- conversation logic

def messages(turns: list[Turn]) -> list[dict[str, str]]:
    """Chatbot messages for the turns: exactly two per turn (question, answer)."""
    out: list[dict[str, str]] = []
    for turn in turns:
        out.append({"role": "user", "content": turn["question_html"]})
        out.append({"role": "assistant", "content": turn["answer_html"]})
    return out


def _report_arg(choice: str | None, service: QAService) -> str | None:
    return choice if choice and choice != ALL_REPORTS and choice in service.reports else None


class ChatHandlers:
    """The event handlers, bound to one service and the app's public base path (for links)."""

    def __init__(self, service: QAService, base: str) -> None:
        self.service = service
        self.base = base

    async def respond(self, message: str | None, turns: list[Turn] | None,
                      report_choice: str | None) -> AsyncIterator[tuple[Any, Any, Any]]:
        """Show the question at once with a typing indicator, then replace it with the answer."""
        question = message if isinstance(message, str) else ""
        turns = list(turns or [])
        if not question.strip():
            yield gr.skip(), gr.skip(), gr.skip()
            return
        report = _report_arg(report_choice, self.service)
        history = [t["question"] for t in turns if t.get("answer") is not None]
        turn: Turn = {"question": question, "history": history, "report": report, "answer": None,
                      "question_html": render_question(question[:2000]), "answer_html": render_pending()}
        limit = self.service.max_question_chars
        if len(question) > limit:
            turn["answer_html"] = render_error(f"问题太长了(最多 {limit} 个字,当前 {len(question)} 个),请精简后再问。")
            turns.append(turn)
            yield "", messages(turns), turns
            return
        yield "", messages(turns + [turn]), turns
        try:
            answer = await self.service.ask(question, history, report)
        except Exception:  # the UI must answer something; the details go to the log
            logger.exception("ask failed for %r", question[:80])
            turn["answer_html"] = render_error("抱歉,回答时出错了,请稍后重试。")
            turns.append(turn)
            yield "", messages(turns), turns
            return
        turn["answer"] = answer.to_dict()
        turn["answer_html"] = render_answer(answer, self.base)
        turns.append(turn)
        yield "", messages(turns), turns

    async def respond_example(self, data: gr.SelectData, turns: list[Turn] | None,
                              report_choice: str | None) -> AsyncIterator[tuple[Any, Any, Any]]:
        value = data.value
        text = value.get("text", "") if isinstance(value, dict) else str(value or "")
        async for update in self.respond(text, turns, report_choice):
            yield update

    def like(self, turns: list[Turn] | None, data: gr.LikeData) -> None:
        """Store 👍/👎 for the answer the user rated (the turn is found from the message index)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turns = turns or []
        if not isinstance(index, int) or not 0 <= index // 2 < len(turns):
            return
        turn = turns[index // 2]
        if turn.get("answer") is None or data.liked not in (True, False):
            return
        vote = 1 if data.liked else -1
        self.service.vote(question=turn["question"], answer=turn["answer"], vote=vote,
                          history=turn["history"], report=turn["report"])
        gr.Info("感谢反馈!" if vote > 0 else "已记录,我们会改进这类问题的回答。", duration=2)

    @staticmethod
    def clear() -> tuple[list, list, str]:
        return [], [], ""


# ---------------------------------------------------------------- layouts

def _chatbot(height: int | str | None, examples: bool, scale: int | None = None) -> gr.Chatbot:
    return gr.Chatbot(
        scale=scale,
        value=[],
        label="对话",
        show_label=False,
        elem_id="gwr-chat",
        height=height,
        layout="bubble",
        placeholder=("<div class='gwr-empty'><div class='gwr-empty-title'>您好,请问想了解报告里的什么内容?</div>"
                     "<div class='gwr-empty-sub'>可以问数据、目标、政策表述,也可以接着上一个问题追问。</div></div>"),
        examples=[{"text": q} for q in EXAMPLES] if examples else None,
        latex_delimiters=[],
        sanitize_html=True,
        feedback_options=("Like", "Dislike"),
        buttons=["copy"],
        autoscroll=True,
        group_consecutive_messages=False,
    )


def _textbox(limit: int) -> gr.Textbox:
    return gr.Textbox(placeholder=PLACEHOLDER_TEXT, label="问题", show_label=False, lines=1, max_lines=4, max_length=limit,
                      container=False, scale=1, autofocus=True, elem_id="gwr-input", submit_btn="发送")


def _wire(handlers: ChatHandlers, chatbot: gr.Chatbot, box: gr.Textbox, turns: gr.State,
          report: gr.Component) -> None:
    """Submit, examples and likes; UI events stay out of the public API (that is `ask`)."""
    outs = [box, chatbot, turns]
    box.submit(handlers.respond, [box, turns, report], outs, api_visibility="private", concurrency_limit=None,
               show_progress="hidden")
    chatbot.example_select(handlers.respond_example, [turns, report], outs, api_visibility="private",
                           concurrency_limit=None, show_progress="hidden")
    chatbot.like(handlers.like, [turns], None, api_visibility="private")
    chatbot.clear(handlers.clear, None, [chatbot, turns, box], api_visibility="private")  # its own 🗑 button


def _public_api(service: QAService) -> None:
    """`ask` for gradio_client: the same contract as POST /api/ask."""

    async def ask(question: str, history: list[str] | None = None, report: str | None = None) -> dict:
        """Answer a question about the reports; returns the Answer JSON (see /api/ask)."""
        question = question if isinstance(question, str) else ""
        if report and report not in service.reports:
            raise gr.Error(f"没有编号为 {report} 的报告")
        history = [h for h in (history or []) if isinstance(h, str)]
        return (await service.ask(question, history, report or None)).to_dict()  # ask() checks the length

    gr.api(ask, api_name="ask", concurrency_limit=None)


def build_page(service: QAService, base: str) -> gr.Blocks:
    """The full chat page: header, chat with sidebar (filter, examples, clear), footer."""
    handlers = ChatHandlers(service, base)
    choices = [("全部报告", ALL_REPORTS)] + service.report_choices()
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=False) as demo:
        turns = gr.State([])
        gr.HTML(f"<div class='gwr-header' role='banner'><div class='gwr-logo' aria-hidden='true'>问</div><div>"
                f"<h1>{TITLE}</h1><p>{SUBTITLE}</p></div></div>", elem_id="gwr-header-block", padding=False)
        with gr.Row(equal_height=False, elem_id="gwr-main"):
            with gr.Column(scale=3, min_width=320, elem_id="gwr-chat-col"):
                chatbot = _chatbot(height="max(420px, calc(100vh - 300px))", examples=False)
                with gr.Row(elem_id="gwr-input-row"):
                    box = _textbox(service.max_question_chars)
            with gr.Column(scale=1, min_width=240, elem_id="gwr-side"):
                report = gr.Dropdown(choices=choices, value=ALL_REPORTS, label="检索范围", interactive=True,
                                     elem_id="gwr-report", filterable=False)
                gr.HTML("<div class='gwr-side-title'>试试这样问</div>", padding=False)
                for q in EXAMPLES:
                    btn = gr.Button(q, size="sm", variant="secondary", elem_classes=["gwr-example"])
                    btn.click(handlers.respond, [btn, turns, report], [box, chatbot, turns],
                              api_visibility="private", concurrency_limit=None, show_progress="hidden")
                clear = gr.Button("清空对话", variant="secondary", elem_id="gwr-clear", size="sm")
                gr.HTML("<div class='gwr-tips'><b>小提示</b><br>· 可以追问,如先问东川区,再问“那昆明呢?”<br>"
                        "· 点击 [1] 或“在报告中查看”可查看原文上下文<br>· 点击答案下方的赞或踩,告诉我们答得好不好</div>",
                        padding=False)
        build_compare_section(service, base)
        gr.HTML(f"<div class='gwr-footer' role='contentinfo'>{FOOTER}</div>", padding=False)
        _wire(handlers, chatbot, box, turns, report)
        clear.click(handlers.clear, None, [chatbot, turns, box], api_visibility="private")
        _public_api(service)
    return demo


def build_widget(service: QAService, base: str) -> gr.Blocks:
    """Chat only, for an iframe of about 400×600; `?report=ID` pins the widget to one report."""
    handlers = ChatHandlers(service, base)
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True) as demo:
        turns = gr.State([])
        report = gr.State(ALL_REPORTS)
        chatbot = _chatbot(height=None, examples=True, scale=1)
        with gr.Row(elem_id="gwr-input-row"):
            box = _textbox(service.max_question_chars)
            clear = gr.Button("清空", size="sm", variant="secondary", scale=0, min_width=56, elem_id="gwr-clear")
        _wire(handlers, chatbot, box, turns, report)
        clear.click(handlers.clear, None, [chatbot, turns, box], api_visibility="private")

        def pinned(request: gr.Request) -> str:
            wanted = request.query_params.get("report", "") if request else ""
            return wanted if wanted in service.reports else ALL_REPORTS

        demo.load(pinned, None, report, api_visibility="private")
    return demo
