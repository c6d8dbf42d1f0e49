"""Turn a report file into plain text: decoding and format-specific extraction.

Each reader takes a path and returns the report's text, or raises
`UnreadableReport` with a reason a person can act on.
"""
from __future__ import annotations

import codecs
import logging
from pathlib import Path
from typing import Callable

logger = logging.getLogger(__name__)


class UnreadableReport(Exception):
    """A report file that cannot be turned into text (the message says why)."""


def decode_bytes(data: bytes) -> str:
    """Decode report bytes: UTF-8 (with or without BOM), UTF-16 (BOM), else GB18030.

    GB18030 is a superset of GBK/GB2312, the encodings older government systems export.
    """
    if not data:
        raise UnreadableReport("the file is empty")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
        try:
            return data.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableReport(f"not valid UTF-8, UTF-16 or GB18030 text ({exc.reason} at byte {exc.start})") from exc


def read_plain_text(path: Path) -> str:
    return decode_bytes(path.read_bytes())


READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_plain_text,
    ".md": read_plain_text,
}


def read_report_text(path: Path) -> str:
    """The text of a report file, whatever its format; raises UnreadableReport."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableReport(f"unsupported file type {path.suffix or '(none)'}")
    try:
        text = reader(path)
    except UnreadableReport:
        raise
    except OSError as exc:
        raise UnreadableReport(f"cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a broken docx/pdf/html: report it, never crash the build
        raise UnreadableReport(f"cannot extract text: {type(exc).__name__}: {exc}") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise UnreadableReport("no text found in the file")
    if _looks_binary(text):
        raise UnreadableReport("the content is not text (binary data)")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\t\f\v") or c == "\ufffd")
    return bad > max(8, len(sample) // 50)
