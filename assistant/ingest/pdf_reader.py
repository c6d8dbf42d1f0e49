"""Text-based PDF reports: pypdf's text, with the layout's line breaks undone.

A PDF has no paragraphs, only lines placed on a page, and Chinese text wraps
mid-sentence at the right margin ("……同比增长" / "5.2%，……"). The passage
chunker works on paragraphs, so we join a line to the next one unless it ends a
sentence (。！？；：…), is a heading ("一、……", short and unpunctuated), or the
next line starts a heading. Page numbers ("- 3 -", "第3页") and running headers
repeated on most pages are dropped. A PDF without a text layer (a scan) is
unreadable here: OCR is out of scope, and the log line says so.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from .encoding import UnreadableReport
from .readers import Extracted

_PAGE_NUMBER = re.compile(r"^(?:[-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+"
                          r"|page\s*\d+(?:\s*of\s*\d+)?)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。！？；：!?;:…]+[”’\"')）》」』]*$")
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[)）]|\d{1,2}[、．]|第[一二三四五六七八九十百]+[章节部分篇]"
    r"|附件\s*\d*$|名词解释|注释)"
)
_CONTINUES = re.compile(r"[，、,（(“《\-～~]$")  # a line ending like this always goes on
_OPENS = re.compile(r"^(?:——|各位代表)")  # a line starting like this starts a paragraph (meeting line, list items)


def read_pdf(path: Path) -> Extracted:
    """The text of a text-based PDF; raises UnreadableReport for scans, encrypted or broken files."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UnreadableReport("the PDF is password-protected")
            except UnreadableReport:
                raise
            except Exception as exc:
                raise UnreadableReport(f"the PDF is encrypted and cannot be opened: {exc}") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise UnreadableReport(f"not a readable PDF: {exc}") from exc
    if not any(p.strip() for p in pages):
        n = len(pages)
        raise UnreadableReport(f"the PDF has no text layer ({n} page{'s' if n != 1 else ''}; a scanned document "
                               "needs OCR first)")
    hints: dict[str, str] = {}
    try:
        title = (reader.metadata.title or "").strip() if reader.metadata else ""
    except Exception:  # a broken info dictionary is not worth failing the report for
        title = ""
    if title:
        hints["title"] = title
    return Extracted(join_pdf_lines(pages), hints)


def _width(line: str) -> float:
    """Display width: a CJK or full-width character counts 1, an ASCII one 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in line)


def _page_lines(pages: list[str]) -> list[list[str]]:
    """Lines of each page, without page numbers and running headers/footers."""
    split = [[ln.strip() for ln in p.replace("\r", "\n").split("\n") if ln.strip()] for p in pages]
    split = [[ln for ln in lines if not _PAGE_NUMBER.match(ln)] for lines in split]
    if len(split) >= 3:
        edges = Counter(ln for lines in split for ln in set(lines[:2] + lines[-2:]))
        running = {ln for ln, n in edges.items() if n >= max(3, len(split) // 2) and len(ln) <= 40}
        split = [[ln for ln in lines if ln not in running] for lines in split]
    return split


def join_pdf_lines(pages: list[str]) -> str:
    """Paragraphs from PDF page texts: wrapped lines joined, headings kept on their own line."""
    lines = [ln for page in _page_lines(pages) for ln in page]
    if not lines:
        return ""
    widths = sorted(_width(ln) for ln in lines)
    full = widths[int(len(widths) * 0.9)] if len(widths) >= 5 else widths[-1]  # a full-width line
    out: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current = _glue(current, line) if current else line
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or not _joins(line, nxt, full):
            out.append(current)
            current = ""
    return "\n".join(out)


def _joins(line: str, nxt: str, full: float) -> bool:
    if _SENTENCE_END.search(line) or _HEADING.match(nxt) or _OPENS.match(nxt):
        return False
    if _CONTINUES.search(line):
        return True
    if _HEADING.match(line) and _width(line) < 0.8 * full:
        return False
    return _width(line) >= 0.8 * full  # a short unpunctuated line is a title or a heading


def _glue(left: str, right: str) -> str:
    a, b = left[-1:], right[:1]
    if a.isascii() and b.isascii() and a.isalpha() and b.isalnum() or (a.isascii() and a.isdigit() and b.isascii()
                                                                         and b.isalpha()):
        return left + " " + right  # English words wrapped at a space
    if left.endswith("-") and right[:1].isascii() and right[:1].isalpha():
        return left[:-1] + right
    return left + right
