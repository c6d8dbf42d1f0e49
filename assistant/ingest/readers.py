"""Turn a report file into plain text: decoding and format-specific extraction.

Each reader takes a path and returns an `Extracted` (the text, plus metadata
hints found outside the text such as an HTML page's <title>), or raises
`UnreadableReport` with a reason a person can act on. Whatever the format, the
text then goes through the same checks (not empty, not binary) and the same
web-boilerplate cleaning, so a .txt copied from a site and the .html page it
came from index alike.

Reading is bounded (see `limits.py`): `extract_report(path, limits)` gives the reader a
`ReadBudget` (a deadline and a count of extracted characters) and every limit it meets
becomes an `UnreadableReport` naming the limit, never a hang or a gigabyte of memory.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .cleaning import clean_web_text
from .encoding import UnreadableReport, decode_bytes
from .limits import DEFAULT_LIMITS, ReadBudget, ReadLimits, too_much_text

logger = logging.getLogger(__name__)

__all__ = ["Extracted", "READERS", "UnreadableReport", "decode_bytes", "extract_report", "read_report_text"]


@dataclass(frozen=True)
class Extracted:
    """A report's text and what its container said about it (keys: title, source, published)."""

    text: str
    hints: dict[str, str] = field(default_factory=dict)


def read_plain_text(path: Path, budget: ReadBudget | None = None) -> Extracted:
    limits = budget.limits if budget else DEFAULT_LIMITS
    size = path.stat().st_size
    if size > 4 * limits.max_report_chars:  # no encoding takes more than 4 bytes a character
        raise too_much_text(limits, size // 4, exact=False)
    return Extracted(decode_bytes(path.read_bytes()))


def _read_docx(path: Path, budget: ReadBudget | None = None) -> Extracted:
    from .docx_reader import read_docx

    return read_docx(path, budget)


def _read_pdf(path: Path, budget: ReadBudget | None = None) -> Extracted:
    from .pdf_reader import read_pdf

    return read_pdf(path, budget)


def _read_html(path: Path, budget: ReadBudget | None = None) -> Extracted:
    from .html_reader import read_html

    return read_html(path, budget)


#: suffix -> reader(path, budget=None); without a budget a reader uses the default limits
READERS: dict[str, Callable[..., Extracted]] = {
    ".txt": read_plain_text,
    ".md": read_plain_text,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}


def extract_report(path: Path, limits: ReadLimits | None = None) -> Extracted:
    """The cleaned text of a report file and its metadata hints; raises UnreadableReport.

    `limits` bound the memory and time reading may take (default: ReadLimits(), which is
    what Settings.read_limits holds unless configured otherwise).
    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableReport(f"unsupported file type {path.suffix or '(none)'}")
    limits = limits or DEFAULT_LIMITS
    budget = limits.budget()
    try:
        extracted = reader(path, budget)
    except UnreadableReport:
        raise
    except OSError as exc:
        raise UnreadableReport(f"cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a broken docx/pdf/html: report it, never crash the build
        raise UnreadableReport(f"cannot extract text: {type(exc).__name__}: {exc}") from exc
    if len(extracted.text) > limits.max_report_chars:
        raise too_much_text(limits, len(extracted.text))
    budget.check_time()
    text = extracted.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise UnreadableReport("no text found in the file")
    if _looks_binary(text):
        raise UnreadableReport("the content is not text (binary data)")
    cleaned = clean_web_text(text)
    if not cleaned.text.strip():
        raise UnreadableReport("only web-page boilerplate, no report text")
    hints = dict(extracted.hints)
    for key, value in (("source", cleaned.source), ("published", cleaned.published)):
        if value and not hints.get(key):
            hints[key] = value
    if cleaned.removed:
        logger.debug("%s: removed %d lines of web-page boilerplate", path.name, cleaned.removed)
    return Extracted(cleaned.text, hints)


def read_report_text(path: Path, limits: ReadLimits | None = None) -> str:
    """The text of a report file, whatever its format; raises UnreadableReport."""
    return extract_report(path, limits).text


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\t\f\v") or c == "\ufffd")
    return bad > max(8, len(sample) // 50)
