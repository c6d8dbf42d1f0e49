"""HTML built on the server from `Answer` fields: the report view page, and answers for non-JS consumers.

Every piece of report or user text goes through `html.escape` here. The chat
page itself renders answers in the browser from the /api/ask JSON (with
textContent, never innerHTML; see static/gwr.js); `render_answer` is the same
presentation as static HTML for anything that embeds answers server-side.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence
from urllib.parse import urlencode

from assistant.sections import parse_outline
from assistant.types import Answer, Citation, Report

SOURCE_LABEL = "来源"


def _e(text: str) -> str:
    return escape(text, quote=True)


def _one_line(text: str) -> str:
    """Newlines would end the HTML block in Markdown; a passage never needs them."""
    return " ".join(text.split("\n"))


def highlight(text: str, start: int, end: int, mark_attrs: str = "") -> str:
    """Escaped `text` with [start, end) wrapped in <mark>; no mark when the span is empty or out of range."""
    if 0 <= start < end <= len(text):
        attrs = f" {mark_attrs}" if mark_attrs else ""
        return f"{_e(text[:start])}<mark{attrs}>{_e(text[start:end])}</mark>{_e(text[end:])}"
    return _e(text)


def view_url(base: str, report: str, start: int, end: int) -> str:
    """Link to the report view around [start, end) of the report text (`base` = the app's public root)."""
    return f"{base}/view?" + urlencode({"report": report, "start": start, "end": end})


def _citation_range(c: Citation) -> tuple[int, int]:
    if c.report_start >= 0 and c.report_end > c.report_start:
        return c.report_start, c.report_end
    return c.passage_start, c.passage_end


def render_question(question: str) -> str:
    """The user's message: escaped text only (never HTML, never Markdown)."""
    return f'<div class="gwr-q">{_e(_one_line(question))}</div>'


def _sources(citations: Sequence[Citation], base: str, title: str, open_: bool) -> str:
    items = []
    for i, c in enumerate(citations, start=1):
        start, end = _citation_range(c)
        passage = highlight(_one_line(c.text), c.start, c.end) if c.start >= 0 else _e(_one_line(c.text))
        section = f'<span class="gwr-sec">{_e(c.section)}</span>' if c.section else ""
        items.append(
            f'<li class="gwr-src"><div class="gwr-src-head"><span class="gwr-num">{i}</span>'
            f'<span class="gwr-title">《{_e(c.title)}》</span>{" · " + section if section else ""}</div>'
            f'<div class="gwr-passage">{passage}</div>'
            f'<a class="gwr-view" href="{_e(view_url(base, c.report, start, end))}" target="_blank" '
            f'rel="noopener">在报告中查看 ›</a></li>'
        )
    return (f'<details class="gwr-sources"{" open" if open_ else ""}><summary>{_e(title)}（{len(citations)}）</summary>'
            f'<ol class="gwr-src-list">{"".join(items)}</ol></details>')


def render_answer(answer: Answer, base: str = "") -> str:
    """The assistant's message: bold answer, its sentence with the span marked, [n] markers, sources."""
    resolved = ""
    if answer.resolved_question and _norm(answer.resolved_question) != _norm(answer.question):
        resolved = f'<div class="gwr-resolved">理解为：{_e(_one_line(answer.resolved_question))}</div>'
    if answer.abstained:
        notice = answer.message or answer.reason or "报告中未找到相关答案。"
        body = f'{resolved}<div class="gwr-notice">{_e(_one_line(notice))}</div>'
        if answer.citations:
            body += _sources(answer.citations, base, "最接近的段落", open_=True)
        return f'<div class="gwr-answer gwr-abstained">{body}</div>'

    sentence = _one_line(answer.sentence)
    pos = sentence.find(answer.answer) if answer.answer else -1
    sentence_html = highlight(sentence, pos, pos + len(answer.answer)) if pos >= 0 else _e(sentence)
    refs = "".join(
        f'<a class="gwr-ref gwr-view" href="{_e(view_url(base, c.report, *_citation_range(c)))}" target="_blank" '
        f'rel="noopener" title="{_e(c.title)}">[{i}]</a>'
        for i, c in enumerate(answer.citations, start=1))
    meta = (f'<div class="gwr-meta">置信度 {answer.confidence:.0%} · 用时 {answer.latency_ms / 1000:.2f} 秒'
            f' · 答案为报告原文摘录</div>')
    sources = _sources(answer.citations, base, SOURCE_LABEL, open_=False) if answer.citations else ""
    return (f'<div class="gwr-answer">{resolved}<div class="gwr-lead"><strong>{_e(answer.answer)}</strong></div>'
            f'<p class="gwr-sentence">{sentence_html}<span class="gwr-refs">{refs}</span></p>'
            f'{sources}{meta}</div>')


def _norm(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


# ---------------------------------------------------------------- report view

@dataclass(frozen=True)
class ViewRange:
    """The part of a report the view shows and the span it highlights."""

    start: int
    end: int
    path: tuple[str, ...]
    whole: bool


def view_range(report: Report, start: int, end: int, whole: bool = False) -> ViewRange:
    """The (level ≤ 2) section containing [start, end), or the whole report when none does."""
    text = report.text
    if whole:
        return ViewRange(0, len(text), (), True)
    sections = [s for s in parse_outline(text).sections if s.level <= 2 and s.start <= start and end <= s.end]
    if not sections:
        return ViewRange(0, len(text), (), True)
    sections.sort(key=lambda s: (s.level, s.start))
    deepest = sections[-1]
    path = tuple(s.title for s in sections)
    return ViewRange(deepest.start, deepest.end, path, False)


def render_report_view(report: Report, start: int, end: int, base: str, whole: bool = False) -> str:
    """A standalone page: the section (or report) with the span in <mark id=hit>, scrolled into view."""
    rng = view_range(report, start, end, whole)
    text = report.text
    heads = {s.start for s in parse_outline(text).sections if s.level <= 2}
    paragraphs: list[str] = []
    pos = rng.start
    for line in text[rng.start:rng.end].split("\n"):
        ls, le = pos, pos + len(line)
        pos = le + 1
        if not line.strip():
            continue
        s, e = max(start, ls) - ls, min(end, le) - ls
        body = highlight(line, s, e, 'id="hit"' if start >= ls else 'class="cont"') if s < e else _e(line)
        tag = "h2" if ls + len(line) - len(line.lstrip()) in heads else "p"
        paragraphs.append(f"<{tag}>{body}</{tag}>")
    crumbs = " › ".join(_e(p) for p in rng.path) if rng.path else "全文"
    if rng.whole:
        toggle = ""
    else:
        toggle = (f'<a class="toggle" href="{_e(view_url(base, report.meta.id, start, end))}&amp;scope=report">'
                  f'查看报告全文</a>')
    meta = " · ".join(_e(x) for x in (report.meta.region, report.meta.date or "", report.meta.source or "") if x)
    return VIEW_PAGE.format(title=_e(report.meta.title), crumbs=crumbs, toggle=toggle, meta=meta,
                            body="".join(paragraphs), css_href=_e(f"{base}/gwr-static/gwr-view.css"))


VIEW_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css_href}">
</head><body>
<header><div class="doc-title">{title}</div><div class="doc-meta">{meta}</div>
<nav><span class="crumbs">{crumbs}</span>{toggle}</nav></header>
<main>{body}</main>
<script>
(function () {{
  // scroll only this document (scrollIntoView would also scroll the chat page around the viewer iframe)
  var hit = document.getElementById("hit");
  if (hit) {{
    var top = hit.getBoundingClientRect().top + window.scrollY - window.innerHeight / 3;
    window.scrollTo(0, Math.max(0, top));
  }}
}})();
</script>
</body></html>
"""
