"""材料汇编: a conversation's questions and answers as a Word document or as Markdown.

Staff collect what the assistant found into a briefing file. Every answer is a
verbatim excerpt, so the file says so once at the top and then gives, per question:
the question (and how a follow-up was understood), the answer or the abstention
message, the sentence quoted as its own paragraph, and where it comes from in
document style (assistant/citing.py), plus the other passages cited and what other
reports say. Report text is never rewritten or escaped: a quote must be findable in
the report with a plain text search.

`items` are (question, answer JSON) pairs, the JSON as /api/ask returns it
(`Answer.to_dict()` plus `quote`). Pure functions: the caller chooses the date and
passes the reports' metadata (for their dates); nothing is read or written here.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from .citing import chinese_date, document_citation, source_text
from .text import clean_question
from .types import ReportMeta

DEFAULT_TITLE = "材料汇编"
VERBATIM_NOTE = "说明：以下答案均为报告原文的逐字摘录，未作改写或概括；每条注明出处（报告名称、日期和所在部分）。"
ABSTAINED = "报告中未找到相关答案。"
BODY_FONT = "仿宋"  # body text, as in official documents
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
QUOTE_FONT = "楷体"
LATIN_FONT = "Times New Roman"

Item = tuple[str, Mapping[str, Any]]

# characters XML 1.0 cannot hold (python-docx refuses them): a client's question may contain them
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True)
class Entry:
    """One question of the brief, ready to render in either format."""

    number: str  # "一", "二", …
    question: str
    understood: str  # the question as resolved from the conversation, "" when it says the same
    answer: str  # the answer, or the abstention message
    abstained: bool
    quote: str  # the verbatim sentence, "" when abstained
    source: str  # its source in document style
    others: tuple[str, ...]  # other cited passages' sources (for an abstention: the closest passages)
    alternatives: tuple[str, ...]  # other reports' answers, each a full document-style citation


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十, 100 → 一百: question numbers as documents write them."""
    digits = "零一二三四五六七八九"
    if n <= 0:
        return str(n)
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + chinese_number(rest) if rest < 10 else
                                     (digits[rest // 10] + "十" + (digits[rest % 10] if rest % 10 else "")))
        return digits[n // 100] + "百" + tail
    return str(n)


def _meta(metas: Mapping[str, ReportMeta] | None, report: Any) -> ReportMeta | None:
    return metas.get(report) if metas and isinstance(report, str) else None


def _source(citation: Mapping[str, Any], metas: Mapping[str, ReportMeta] | None) -> str:
    """A citation's report and section in document style (title alone when the report is unknown)."""
    meta = _meta(metas, citation.get("report"))
    title = meta.title if meta else str(citation.get("title") or citation.get("report") or "")
    return source_text(title, meta.date if meta else None, str(citation.get("section") or ""))


def _quote(citation: Mapping[str, Any], sentence: str, metas: Mapping[str, ReportMeta] | None) -> str:
    meta = _meta(metas, citation.get("report"))
    if meta is not None:
        return document_citation(meta, str(citation.get("section") or ""), sentence)
    return f"{_source(citation, metas)}：“{sentence}”"


def _unique(values: Iterable[str], skip: Sequence[str] = ()) -> tuple[str, ...]:
    seen = set(skip)
    out = []
    for v in values:
        if v and v not in seen:
            seen.add(v)
            out.append(v)
    return tuple(out)


def entries(items: Sequence[Item], metas: Mapping[str, ReportMeta] | None = None) -> list[Entry]:
    """The brief's content, format-free: what each question's section says."""
    out = []
    for i, (question, data) in enumerate(items, 1):
        citations = [c for c in (data.get("citations") or []) if isinstance(c, Mapping)]
        abstained = bool(data.get("abstained")) or not data.get("answer")
        resolved = str(data.get("resolved_question") or "")
        understood = resolved if resolved and resolved != clean_question(question) else ""
        if abstained:
            answer = str(data.get("message") or "") or ABSTAINED
            quote, source = "", ""
            others = _unique(_source(c, metas) for c in citations)
        else:
            answer = str(data.get("answer") or "")
            quote = str(data.get("sentence") or "") or answer
            source = _source(citations[0], metas) if citations else ""
            others = _unique((_source(c, metas) for c in citations[1:]), skip=[source])
        alternatives = tuple(
            _quote(a.get("citation") or {"report": a.get("report"), "title": a.get("title")},
                   str(a.get("sentence") or a.get("answer") or ""), metas)
            for a in (data.get("alternatives") or []) if isinstance(a, Mapping) and not abstained)
        out.append(Entry(chinese_number(i), question, understood, answer, abstained, quote, source, others,
                         alternatives))
    return out


def _day(generated: date | datetime | None) -> date:
    if generated is None:
        return date.today()
    return generated.date() if isinstance(generated, datetime) else generated


# ---------------------------------------------------------------- Markdown

def _md_inline(text: str) -> str:
    """A client's words on one line, Markdown syntax neutralised (report text is never passed through this)."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text).strip())


def _md_quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines() or [""])


def brief_markdown(items: Sequence[Item], title: str = DEFAULT_TITLE, generated: date | datetime | None = None,
                   metas: Mapping[str, ReportMeta] | None = None) -> str:
    """The conversation as a Markdown document: a heading per question, the quote as a block quote."""
    day = _day(generated)
    lines = [f"# {_md_inline(title)}", "", f"生成日期：{chinese_date(day.isoformat())}", "", VERBATIM_NOTE, ""]
    for e in entries(items, metas):
        lines += [f"## {e.number}、{_md_inline(e.question)}", ""]
        if e.understood:
            lines += [f"（按上下文理解为：{_md_inline(e.understood)}）", ""]
        lines += [f"**答：** {e.answer}", ""]
        if e.quote:
            lines += [_md_quote(e.quote), ""]
        if e.source:
            lines += [f"**出处：** {e.source}", ""]
        if e.others:
            lines += ["**最接近的段落（供参考）：**" if e.abstained else "**其他出处：**", ""]
            lines += [f"- {s}" for s in e.others] + [""]
        if e.alternatives:
            lines += ["**其他报告：**", ""]
            lines += [f"- {s}" for s in e.alternatives] + [""]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- Word

def _xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _set_fonts(rpr_owner: Any, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set a style's or run's fonts, East Asian included (w:rFonts/@w:eastAsia), dropping theme fonts.

    Word picks the East Asian font for Chinese characters from w:eastAsia only, and a theme attribute
    (w:eastAsiaTheme, as the built-in headings have) would override it.
    """
    from docx.oxml.ns import qn

    rpr = rpr_owner.element.get_or_add_rPr() if hasattr(rpr_owner, "element") else rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _style_document(doc: Any) -> None:
    """Official-looking styles: 仿宋 body, 黑体 headings, 楷体 quotes, black text."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = doc.styles
    _set_fonts(styles["Normal"], BODY_FONT)
    styles["Normal"].font.size = Pt(12)
    for name, font, size in (("Title", TITLE_FONT, 22), ("Heading 1", HEADING_FONT, 14),
                             ("Quote", QUOTE_FONT, 12)):
        style = styles[name]
        _set_fonts(style, font)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
    styles["Quote"].font.italic = False  # italics do not suit Chinese characters
    title = styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    borders = title.element.pPr.find(qn("w:pBdr")) if title.element.pPr is not None else None
    if borders is not None:  # the template's blue rule under the title
        title.element.pPr.remove(borders)


def _labelled(doc: Any, label: str, text: str, style: str | None = None) -> None:
    paragraph = doc.add_paragraph(style=style)
    paragraph.add_run(label).bold = True
    paragraph.add_run(_xml_safe(text))


def brief_docx(items: Sequence[Item], title: str = DEFAULT_TITLE, generated: date | datetime | None = None,
               metas: Mapping[str, ReportMeta] | None = None) -> bytes:
    """The conversation as a .docx: real headings and paragraphs, the quote in the Quote style."""
    from docx import Document

    day = _day(generated)
    doc = Document()
    _style_document(doc)
    doc.core_properties.title = _xml_safe(title)
    doc.core_properties.subject = "政府工作报告问答摘录"
    doc.core_properties.created = datetime(day.year, day.month, day.day)
    doc.add_heading(_xml_safe(title), level=0)
    doc.add_paragraph(f"生成日期：{chinese_date(day.isoformat())}")
    doc.add_paragraph(VERBATIM_NOTE)
    for e in entries(items, metas):
        doc.add_heading(_xml_safe(f"{e.number}、{' '.join(e.question.split())}"), level=1)
        if e.understood:
            doc.add_paragraph(_xml_safe(f"（按上下文理解为：{e.understood}）"))
        _labelled(doc, "答：", e.answer)
        if e.quote:
            doc.add_paragraph(_xml_safe(e.quote), style="Quote")
        if e.source:
            _labelled(doc, "出处：", e.source)
        if e.others:
            doc.add_paragraph().add_run("最接近的段落（供参考）：" if e.abstained else "其他出处：").bold = True
            for s in e.others:
                doc.add_paragraph(_xml_safe(s), style="List Bullet")
        if e.alternatives:
            doc.add_paragraph().add_run("其他报告：").bold = True
            for s in e.alternatives:
                doc.add_paragraph(_xml_safe(s), style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


__all__ = ["DEFAULT_TITLE", "VERBATIM_NOTE", "Entry", "entries", "chinese_number", "brief_markdown", "brief_docx"]
