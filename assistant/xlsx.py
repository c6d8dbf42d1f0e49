"""One-sheet XLSX workbooks (the comparison table download), written with XlsxWriter.

The header row is bold, frozen and carries an autofilter; columns are sized to their
text (CJK characters count double, capped, long columns wrap). Text is always written
as literal text ("6%左右", "00123" and "=…" stay strings); numbers are written as
numbers when the cell is an int/float, or when it is a plain decimal string in one of
the `numeric_columns` (by header), so those columns sort and chart in the spreadsheet.
"""
from __future__ import annotations

import io
import logging
import math
import re
import unicodedata
from typing import Collection, Sequence, Union

import xlsxwriter

log = logging.getLogger(__name__)

Cell = Union[str, int, float, None]

# the numeric columns of the comparison table (assistant.compare.TABLE_HEADER)
NUMERIC_COLUMNS: frozenset[str] = frozenset({"数值", "排名", "置信度"})
MAX_WIDTH = 60  # characters; wider columns wrap
MIN_WIDTH = 6

# a plain decimal with no leading zeros: "00123", "1e5", "4.5–5" and " 1" stay text
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")
# characters XML 1.0 forbids; a report's stray control character must not corrupt the file
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLS_STRMAX = 32767


def _sheet_name(name: str) -> str:
    """A name Excel accepts: no []:*?/\\, at most 31 characters, no edge apostrophes."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip("'") or "Sheet1"


def display_width(text: str) -> int:
    """Width of the longest line in character cells: East Asian wide/full-width count 2."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.splitlines()), default=0)


def _number(value: Cell, numeric: bool) -> int | float | None:
    """The cell as a number to write, or None to write it as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if numeric and isinstance(value, str) and _DECIMAL.fullmatch(value):
        return float(value) if "." in value else int(value)
    return None


def _text(value: Cell) -> str:
    text = "" if value is None else str(value)
    return _ILLEGAL.sub(" ", text)[:_XLS_STRMAX]


def xlsx_bytes(rows: Sequence[Sequence[Cell]], sheet: str = "Sheet1",
               numeric_columns: Collection[str] = NUMERIC_COLUMNS) -> bytes:
    """The rows (the first is the header) as the bytes of an .xlsx workbook with one sheet."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    try:
        ws = wb.add_worksheet(_sheet_name(sheet))
        bold = wb.add_format({"bold": True, "valign": "top"})
        plain = wb.add_format({"valign": "top"})
        wrap = wb.add_format({"valign": "top", "text_wrap": True})

        header = [_text(h) for h in rows[0]] if rows else []
        numeric = [h in numeric_columns for h in header]
        ncols = max((len(r) for r in rows), default=0)
        widths = [0] * ncols
        for r in rows:
            for c, v in enumerate(r):
                widths[c] = max(widths[c], display_width(_text(v)))
        wrapped = [w > MAX_WIDTH for w in widths]
        for c, w in enumerate(widths):
            ws.set_column(c, c, min(max(w + 2, MIN_WIDTH), MAX_WIDTH))

        for c, h in enumerate(header):
            ws.write_string(0, c, h, bold)
        for i, r in enumerate(rows[1:], start=1):
            for c, v in enumerate(r):
                fmt = wrap if wrapped[c] else plain
                n = _number(v, c < len(numeric) and numeric[c])
                if n is not None:
                    ws.write_number(i, c, n, fmt)
                else:
                    ws.write_string(i, c, _text(v), fmt)
        if rows:
            ws.freeze_panes(1, 0)
            if ncols:
                ws.autofilter(0, 0, len(rows) - 1, ncols - 1)
    finally:
        wb.close()
    data = buf.getvalue()
    log.debug("xlsx: %d rows × %d columns, %d bytes", len(rows), ncols, len(data))
    return data


__all__ = ["Cell", "MAX_WIDTH", "NUMERIC_COLUMNS", "display_width", "xlsx_bytes"]
