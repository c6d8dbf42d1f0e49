"""A minimal XLSX writer (one sheet of text and numbers) with the standard library only.

Comparison tables are downloaded as spreadsheets; a full spreadsheet library would be
a dependency for five XML files. Cells that are plain decimal numbers are written as
numbers (so columns sort and chart in the spreadsheet), everything else as inline text.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Sequence
from xml.sax.saxutils import escape

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# characters XML 1.0 forbids; a report's stray control character must not corrupt the file
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""


def _col(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ref: str, value: str) -> str:
    if _NUMBER.fullmatch(value):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(_ILLEGAL.sub(" ", value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_bytes(rows: Sequence[Sequence[str]], sheet: str = "Sheet1") -> bytes:
    """The rows (the first is the header) as the bytes of an .xlsx workbook with one sheet."""
    sheet_name = escape(re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Sheet1", {'"': "&quot;"})
    body = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_col(j)}{i}", str(v)) for j, v in enumerate(row))
        body.append(f'<row r="{i}">{cells}</row>')
    worksheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 f'<sheetData>{"".join(body)}</sheetData></worksheet>')
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", worksheet)
    return buf.getvalue()


def read_xlsx_rows(data: bytes) -> list[list[str]]:
    """The cell texts of the first sheet of an .xlsx written by `xlsx_bytes` (for checks and tests)."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    out = []
    for row in root.iterfind(".//m:row", ns):
        cells = []
        for c in row.iterfind("m:c", ns):
            t = c.find("m:is/m:t", ns)
            v = c.find("m:v", ns)
            cells.append(t.text or "" if t is not None else (v.text or "" if v is not None else ""))
        out.append(cells)
    return out


__all__ = ["xlsx_bytes", "read_xlsx_rows"]
