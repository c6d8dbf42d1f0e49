"""How much work reading one report file may take: bounded memory and time, whatever the file claims.

A corpus file is untrusted. A .docx of 30 KB can inflate to gigabytes of XML, a PDF stream to
hundreds of MB, an HTML page can hold millions of elements or nest them thousands deep. Real work
reports are at most ~100 KB of text (~35,000 characters), so every limit here is far above what a
report needs and far below what hurts the machine. Each refusal is an `UnreadableReport` whose
reason names the limit and the Settings field that sets it (`Settings.read_limits.<field>`), so
the index build skips the file and `python -m index status` says why.

The time limit is cooperative: readers call `ReadBudget.check_time()` in their loops (per PDF
page, per .docx body element or table row, per HTML element), so a file that is merely slow is
abandoned with "reading took more than N s" instead of keeping a build busy.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .encoding import UnreadableReport

__all__ = ["ReadLimits", "ReadBudget", "DEFAULT_LIMITS", "FIELD", "mb", "over", "too_much_text"]

#: where the limits live, for the reasons we give
FIELD = "Settings.read_limits"

_MB = 1_000_000


def mb(n: int) -> str:
    """A byte count for a reason text: "8.4 MB", "104 MB"."""
    return f"{n / _MB:.1f} MB" if n < 10 * _MB else f"{n / _MB:.0f} MB"


@dataclass(frozen=True)
class ReadLimits:
    """Caps on reading one report file; the defaults are ~30x what the largest real report needs."""

    # .docx: checked from the zip directory BEFORE python-docx parses anything. A member whose declared
    # size is a lie cannot inflate past it either: zipfile stops at the declared size and fails the CRC.
    max_inflated_bytes: int = 50 * _MB  # sum of the declared uncompressed sizes of all the zip's members
    max_xml_part_bytes: int = 20 * _MB  # one XML part (word/document.xml of a real report: 0.1-2 MB)
    max_zip_members: int = 5_000  # a report has a few dozen parts (styles, fonts, images)
    # .pdf: pages, and pypdf's own limits (pypdf.Configuration) for every stream it decodes
    max_pdf_pages: int = 1_000  # a report has 20-80 pages
    max_pdf_stream_bytes: int = 20 * _MB  # decoded size of one stream (a page's content: tens of KB)
    # operators and operands parsed from one page's content stream (pypdf holds them all in memory, ~150 bytes
    # each): a page of text has a few thousand, a page with a detailed vector map a few hundred thousand
    max_pdf_stream_operations: int = 500_000
    # .html/.htm
    max_html_bytes: int = 10 * _MB  # a report page is 50-500 KB
    max_html_elements: int = 50_000  # start tags; a report page has 1,000-5,000
    max_html_depth: int = 128  # element nesting; real pages stay under 40
    # any format: the extracted text, and the wall-clock time of reading one file
    max_report_chars: int = 1_000_000  # ~30 reports' worth: a file with more is not one report (split it)
    max_read_seconds: float = 60.0

    def budget(self) -> "ReadBudget":
        """A fresh budget for reading one file: the deadline starts now."""
        return ReadBudget(self)

    def pypdf_overwrites(self) -> dict[str, Any]:
        """pypdf.Configuration fields that bound what a PDF can make pypdf decode and walk."""
        stream = self.max_pdf_stream_bytes
        return {
            "maximum_declared_stream_length": stream,
            "array_based_stream_maximum_output_length": stream,
            "zlib_maximum_output_length": stream,
            "lzw_maximum_output_length": stream,
            "run_length_maximum_output_length": stream,
            "brotli_maximum_output_length": stream,
            "jbig2_maximum_output_length": stream,
            "image_maximum_buffer_size": stream,
            "stream_decoding_work_maximum_length": 4 * stream,
            "stream_parsing_work_maximum_count": self.max_pdf_stream_operations,
            # the page tree: its pages plus the /Pages nodes above them (a lying /Count cannot make us walk more)
            "page_tree_maximum_entries": 2 * self.max_pdf_pages + 100,
        }


DEFAULT_LIMITS = ReadLimits()


@dataclass
class ReadBudget:
    """The limits of one read in progress: a deadline and a running count of extracted characters."""

    limits: ReadLimits
    started: float = field(default_factory=time.monotonic)
    chars: int = 0

    def check_time(self) -> None:
        """Raise UnreadableReport once reading has taken longer than max_read_seconds."""
        if time.monotonic() - self.started > self.limits.max_read_seconds:
            raise UnreadableReport(
                f"reading took more than {self.limits.max_read_seconds:g} s (limit {FIELD}.max_read_seconds); "
                "the file is far larger or more complex than a report: split it or re-save it")

    def add_chars(self, n: int) -> None:
        """Count n more characters of extracted text; raise once past max_report_chars (and check the time)."""
        self.chars += n
        if self.chars > self.limits.max_report_chars:
            raise too_much_text(self.limits, self.chars, exact=False)
        self.check_time()


def too_much_text(limits: ReadLimits, chars: int, exact: bool = True) -> UnreadableReport:
    """The file's text is longer than max_report_chars (`chars` counted so far, or exactly when `exact`)."""
    if exact:
        return over("the file holds", f"{chars:,} characters of text", f"{limits.max_report_chars:,}",
                    "max_report_chars", "a work report has ~35,000: it is not one report, split it")
    return over("the file holds", f"more than {limits.max_report_chars:,} characters of text", None,
                "max_report_chars", "a work report has ~35,000: it is not one report, split it")


def over(what: str, value: str, limit: str | None, name: str, advice: str) -> UnreadableReport:
    """An UnreadableReport for one exceeded limit: what, how much, the limit and its Settings field.

    limit=None when `value` already says it ("more than 1,000 pages").
    """
    if limit is None:
        return UnreadableReport(f"{what} {value} (limit {FIELD}.{name}); {advice}")
    return UnreadableReport(f"{what} {value}, over the limit of {limit} ({FIELD}.{name}); {advice}")
