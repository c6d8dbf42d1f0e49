"""The compare section of the page: one question, a table of every report's answer.

Each row quotes the report's own span with a link to the highlighted passage, or says
"未提及". Rows sort by rank, value or region (server-side, so the table, the TSV text
and the downloads always agree); comparable figures get a small bar. Downloads are
links to GET /api/compare.csv|.xlsx with the same question, scope and order.
"""
from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from assistant.compare import NOT_STATED, Comparison, CompareRow, display_order, summary, to_tsv

from .gradio_guard import Refused, client_of, queued, text_value
from .render import view_url
from .service import QAService

logger = logging.getLogger(__name__)

LEVEL_CHOICES = [("按问题判断", ""), ("省级", "province"), ("市级", "city"), ("县级", "county")]
SORT_CHOICES = [("排名", "rank"), ("数值从高到低", "value_desc"), ("数值从低到高", "value_asc"), ("地区", "region")]


def download_url(base: str, fmt: str, question: str, level: str, sort: str) -> str:
    query = {"question": question, "sort": sort}
    if level:
        query["level"] = level
    return f"{base}/api/compare.{fmt}?" + urlencode(query)


def render_table(comparison: Comparison, rows: list[CompareRow], base: str) -> str:
    """The comparison as an HTML table: rank, region, verbatim answer, qualifier, source link, bar."""
    top = max((abs(r.quantity.value) for r in rows if r.rank is not None and r.quantity), default=0.0)
    body = []
    for r in rows:
        if r.abstained:
            answer = f"<span class='gwr-cmp-none'>{NOT_STATED}</span>"
            source = ""
        else:
            answer = f"<b>{escape(r.answer)}</b>"
            c = r.citation
            source = ("" if c is None else
                      f"<a class='gwr-view gwr-cmp-source' href='{escape(view_url(base, c.report, c.report_start, c.report_end))}'"
                      f" target='_blank' rel='noopener' title='{escape(r.sentence)}'>原文</a>")
        bar = ""
        if comparison.comparable and r.rank is not None and r.quantity and top > 0:
            width = max(2, round(100 * abs(r.quantity.value) / top))
            bar = (f"<div class='gwr-cmp-bar' aria-hidden='true'>"
                   f"<div class='gwr-cmp-fill' style='width:{width}%'></div></div>")
        qual = "" if r.abstained or not r.qualifier else escape(r.qualifier)
        rank = "" if r.rank is None else str(r.rank)
        body.append(f"<tr data-report='{escape(r.report)}'><td class='gwr-cmp-rank'>{rank}</td>"
                    f"<td class='gwr-cmp-region'>{escape(r.region)}</td><td class='gwr-cmp-answer'>{answer}</td>"
                    f"<td class='gwr-cmp-qual'>{qual}</td><td>{source}</td><td>{bar}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("排名", "地区", "答案(原文)", "限定", "出处", "图示" if comparison.comparable else ""))
    return ("<div class='gwr-cmp-scroll'><table id='gwr-compare-rows' class='gwr-cmp-table'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def render_header(comparison: Comparison, base: str, level: str, sort: str) -> str:
    if not comparison.rows:
        return f"<div class='gwr-cmp-message' role='alert'>{escape(comparison.message)}</div>"
    links = " ".join(
        f"<a id='gwr-compare-{fmt}' href='{escape(download_url(base, fmt, comparison.question, level, sort))}' "
        f"download>下载 {fmt.upper()}</a>" for fmt in ("csv", "xlsx"))
    note = f"<div class='gwr-cmp-note'>{escape(comparison.message)}</div>" if comparison.message else ""
    return (f"<div class='gwr-cmp-summary'><div>按问题“{escape(comparison.core_question)}”逐份报告查找:"
            f"{escape(summary(comparison))}({comparison.latency_ms:.0f} 毫秒)</div>{note}"
            f"<div class='gwr-cmp-downloads'>{links}</div></div>")


class CompareHandlers:
    def __init__(self, service: QAService, base: str) -> None:
        self.service = service
        self.base = base

    async def run(self, question: str, level: str, sort: str,
                  request: gr.Request = None) -> tuple[Any, str, str, str]:  # type: ignore[assignment]
        """The comparison through the service's queue (per-client limit, deadline); a refusal is said in place."""
        try:
            question = text_value(question)
            level = text_value(level, "level")
            sort = text_value(sort, "sort")
            if level and level not in {value for _, value in LEVEL_CHOICES}:
                raise Refused("范围无效。")
            comparison = await queued(self.service.compare(question, None, level or None, client=client_of(request)))
        except Refused as exc:
            comparison = Comparison(question=question if isinstance(question, str) else "", core_question="",
                                    scope="", rows=(), message=str(exc))
            level, sort = "", "rank"
        return (comparison,) + self.render(comparison, level, sort)

    def render(self, comparison: Comparison | None, level: str, sort: str) -> tuple[str, str, str]:
        if not isinstance(comparison, Comparison):
            return "", "", ""
        if sort not in {value for _, value in SORT_CHOICES}:
            sort = "rank"
        header = render_header(comparison, self.base, level or "", sort)
        if not comparison.rows:
            return header, "", ""
        rows = display_order(comparison, sort)
        return header, render_table(comparison, rows, self.base), to_tsv(comparison, rows)


def build_compare_section(service: QAService, base: str, demo: gr.Blocks) -> None:
    """The compare section, added to the page's Blocks where this is called.

    Its examples are the ones checked against the served index (webapp/examples.py): filled in when
    the page loads and again when a build finishes while the page is open; a click runs the comparison.
    """
    handlers = CompareHandlers(service, base)

    def current_examples(shown: list[str] | None = None) -> Any:
        wanted = list(service.examples().compare)
        if shown is not None and wanted == shown:
            return gr.skip(), gr.skip()
        return gr.Dataset(samples=[[q] for q in wanted], visible=bool(wanted)), wanted

    with gr.Accordion("对比模式：同一个问题，逐份报告的答案", open=True, elem_id="gwr-compare"):
        state = gr.State(None)
        shown = gr.State(None)
        with gr.Row(equal_height=False):
            question = gr.Textbox(label="对比问题", placeholder="例如：各省2026年地区生产总值增长目标是多少？", lines=1,
                                  max_lines=2, max_length=service.max_question_chars, scale=4, min_width=220,
                                  elem_id="gwr-compare-q")
            go = gr.Button("对比", variant="primary", scale=0, min_width=80, elem_id="gwr-compare-go")
        level = gr.Radio(choices=LEVEL_CHOICES, value="", label="范围", elem_id="gwr-compare-level")
        examples = gr.Dataset(components=[question], samples=[], label="对比示例（点击即对比）", visible=False,
                              elem_id="gwr-compare-examples")
        sort = gr.Radio(choices=SORT_CHOICES, value="rank", label="排序", elem_id="gwr-compare-sort")
        header = gr.HTML(elem_id="gwr-compare-header", padding=False)
        table = gr.HTML(elem_id="gwr-compare-table", padding=False)
        tsv = gr.Textbox(label="纯文本（制表符分隔，可直接粘贴到表格）", lines=3, max_lines=10, interactive=False,
                         elem_id="gwr-compare-tsv")
        outs = [state, header, table, tsv]

        async def run_example(sample: list[str], level_value: str, sort_value: str,
                              request: gr.Request = None) -> tuple[Any, ...]:  # type: ignore[assignment]
            text = sample[0] if isinstance(sample, list) and sample and isinstance(sample[0], str) else ""
            return (text,) + await handlers.run(text, level_value, sort_value, request)

        go.click(handlers.run, [question, level, sort], outs, api_visibility="private", concurrency_limit=None)
        question.submit(handlers.run, [question, level, sort], outs, api_visibility="private", concurrency_limit=None)
        examples.click(run_example, [examples, level, sort], [question] + outs, api_visibility="private",
                       concurrency_limit=None)
        sort.change(handlers.render, [state, level, sort], [header, table, tsv], api_visibility="private")
        demo.load(current_examples, None, [examples, shown], api_visibility="private")
        # a page opened during the first build gets its examples when the build is done, without a reload
        gr.Timer(20).tick(current_examples, [shown], [examples, shown], api_visibility="private")


__all__ = ["build_compare_section", "render_table", "render_header"]
