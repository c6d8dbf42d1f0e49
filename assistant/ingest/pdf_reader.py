"""Text-based PDF reports: pypdf's text, with the layout's line breaks undone.

A PDF has no paragraphs, only lines placed on a page, and Chinese text wraps
mid-sentence at the right margin ("……同比增长" / "5.2%，……"). The passage
chunker works on paragraphs, so we join a line to the next one unless it ends a
sentence (。！？；：…), is a heading ("一、……", short and unpunctuated), or the
next line starts a heading. Page numbers ("- 3 -", "第3页") and running headers
repeated on most pages are dropped. A PDF without a text layer (a scan) is
unreadable here: OCR is out of scope, and the log line says so.

Reading is bounded (limits.py): at most `max_pdf_pages` pages, every stream pypdf
decodes capped by pypdf's own limits (`pypdf.apply_configuration`), and the deadline
and the character budget checked after each page.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from .encoding import UnreadableReport
from .limits import DEFAULT_LIMITS, FIELD, ReadBudget, ReadLimits, mb, over
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


def read_pdf(path: Path, budget: ReadBudget | None = None) -> Extracted:
    """The text of a text-based PDF; raises UnreadableReport for scans, encrypted or broken files, and
    for files over the reading limits."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    budget = budget or DEFAULT_LIMITS.budget()
    limits = budget.limits
    try:
        with apply_configuration(**limits.pypdf_overwrites()):
            reader = PdfReader(str(path))
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise UnreadableReport("the PDF is password-protected")
                except UnreadableReport:
                    raise
                except Exception as exc:
                    raise UnreadableReport(f"the PDF is encrypted and cannot be opened: {exc}") from exc
            _check_page_count(_declared_pages(reader), limits)  # before walking the page tree
            _check_page_count(len(reader.pages), limits)  # the walk itself is capped by page_tree_maximum_entries
            pages = []
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                budget.add_chars(len(pages[-1]) + 1)  # and the deadline
            title = _title(reader)
    except LimitReachedError as exc:
        raise _limit_reached(exc, limits) from exc
    except PdfReadError as exc:
        raise UnreadableReport(f"not a readable PDF: {exc}") from exc
    if not any(p.strip() for p in pages):
        n = len(pages)
        raise UnreadableReport(f"the PDF has no text layer ({n} page{'s' if n != 1 else ''}; a scanned document "
                               "needs OCR first)")
    hints: dict[str, str] = {"title": title} if title else {}
    return Extracted(join_pdf_lines(pages), hints)


def _title(reader) -> str:  # type: ignore[no-untyped-def]
    try:
        return (reader.metadata.title or "").strip() if reader.metadata else ""
    except Exception:  # a broken info dictionary is not worth failing the report for
        return ""


def _declared_pages(reader) -> int:  # type: ignore[no-untyped-def]
    """The page count the PDF's catalog declares (/Pages /Count): cheap, and may lie (0 when unknown)."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count) if isinstance(count, int) else 0
    except Exception:  # a missing or broken catalog: the page-tree walk decides
        return 0


def _check_page_count(pages: int, limits: ReadLimits) -> None:
    if pages > limits.max_pdf_pages:
        raise over("the PDF has", f"{pages:,} pages", f"{limits.max_pdf_pages:,}", "max_pdf_pages",
                   "a work report has 20-80 pages: split the file")


def _limit_reached(exc: Exception, limits: ReadLimits) -> UnreadableReport:
    """pypdf refused to go on (a stream that inflates too far, a page tree too large): say which limit."""
    message = str(exc)
    if "page tree" in message.lower():
        return over("the PDF has", f"more than {limits.max_pdf_pages:,} pages", None, "max_pdf_pages",
                    f"a work report has 20-80 pages: split the file (pypdf: {message})")
    if "tokens" in message.lower() or "parsing" in message.lower():
        return over("a page of the PDF draws", f"more than {limits.max_pdf_stream_operations:,} operations", None,
                    "max_pdf_stream_operations", f"a page of text needs a few thousand: re-save or re-print the PDF "
                    f"(pypdf: {message})")
    return UnreadableReport(
        f"the PDF holds a stream that expands past the reading limits (pypdf: {message}); limit: "
        f"{mb(limits.max_pdf_stream_bytes)} decoded per stream ({FIELD}.max_pdf_stream_bytes), a report page "
        "needs a few KB: re-save or re-print the PDF")


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
