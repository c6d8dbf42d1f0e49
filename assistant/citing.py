"""Citations the way officials write them in their own documents.

    《东川区2026年政府工作报告》（2026年2月10日）“一、“十四五”时期和2025年工作回顾”：“实现地区生产总值135.53亿元、增长4.4%,高于全省全市增长水平。”

Staff paste answers into briefing notes and speeches, where a source is named by
the document's title in 《》, its date in Chinese form and the part of it quoted,
then the words themselves. The pieces, and the choices made for them:

* title: `ReportMeta.title`, as recorded.
* date: `ReportMeta.date` (ISO) in Chinese form — "2026年2月10日", "2026年2月" or "2026年"
  for partial dates; left out together with its brackets when unknown or unreadable.
* section: the stored path ("三、2026年重点工作 > (五)深化改革创新… > 强化投资消费双轮驱动")
  shortened to at most two headings — the report's part (its first heading, which a
  reader finds in the table of contents) and the most specific heading (where the
  sentence sits), joined by " > " as the app shows them; middle levels are dropped
  because the quote itself locates the passage. The app's own label for the lines
  before the first heading ("报告开头") is no heading of the report and is left out.
* quote: verbatim, the report's own characters (half-width commas, nested “” included):
  no normalisation, so the citation can be found again with a plain text search.

Pure functions: no I/O, nothing beyond the arguments.
"""
from __future__ import annotations

import re

from .sections import FRONT
from .types import ReportMeta

SECTION_SEPARATOR = " > "  # how `Chunk.section` / `Citation.section` join a section path
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def chinese_date(iso: str | None) -> str:
    """"2026-02-10" → "2026年2月10日" (also "2026-02" → "2026年2月", "2026" → "2026年"); "" when unknown."""
    if not iso or not isinstance(iso, str):
        return ""
    m = _ISO_DATE.match(iso)
    if not m:
        return ""
    year, month, day = m.group(1), m.group(2), m.group(3)
    text = f"{int(year)}年"
    if month and 1 <= int(month) <= 12:
        text += f"{int(month)}月"
        if day and 1 <= int(day) <= 31:
            text += f"{int(day)}日"
    return text


def section_label(section: str) -> str:
    """The stored section path cut to the part and the most specific heading (see the module docstring)."""
    parts = [p.strip() for p in (section or "").split(SECTION_SEPARATOR) if p.strip() and p.strip() != FRONT]
    if len(parts) > 2:
        parts = [parts[0], parts[-1]]
    return SECTION_SEPARATOR.join(parts)


def source_text(title: str, date: str | None = None, section: str = "") -> str:
    """《title》（date）“section”: the source without the quote; date and section left out when unknown."""
    text = f"《{title.strip()}》" if title and title.strip() else ""
    when = chinese_date(date)
    if when:
        text += f"（{when}）"
    label = section_label(section)
    if label:
        text += f"“{label}”"
    return text


def document_source(meta: ReportMeta, section: str) -> str:
    """The report and the part of it, in document style (for citations that support without a quote)."""
    return source_text(meta.title, meta.date, section)


def document_citation(meta: ReportMeta, section: str, quote: str) -> str:
    """《title》（date）“section”：“quote” — the quote verbatim, exactly as the report has it."""
    return f"{document_source(meta, section)}：“{quote}”"


__all__ = ["chinese_date", "section_label", "source_text", "document_source", "document_citation"]
