"""Word (.docx) reports: paragraphs and tables in document order.

Reports are often typeset with tables (targets, budgets, the 民生实事 list); their
cells carry answerable facts, so each table row becomes one line of text with its
cells separated by tabs, at the place the table sits in the document.

A .docx is a zip file, and a zip can say "30 KB" on disk and inflate to gigabytes.
Before python-docx parses anything, `check_zip` reads the zip's directory and refuses
a file whose parts add up to more than the limits (see limits.py); a part that lies
about its size cannot inflate past what it declared either: zipfile stops there and
fails the CRC check, which we report as a damaged file.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from .encoding import UnreadableReport
from .limits import DEFAULT_LIMITS, ReadBudget, ReadLimits, mb, over
from .readers import Extracted

_XML_SUFFIXES = (".xml", ".rels")


def check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse a .docx whose zip directory declares more than the limits allow (nothing is inflated here)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise UnreadableReport(f"not a valid .docx (Word 2007+) file: {exc}") from exc
    if len(infos) > limits.max_zip_members:
        raise over("the .docx holds", f"{len(infos):,} parts", f"{limits.max_zip_members:,}", "max_zip_members",
                   "a report has a few dozen: re-save it from Word")
    total = sum(info.file_size for info in infos)
    if total > limits.max_inflated_bytes:
        raise over("the .docx expands to", mb(total), mb(limits.max_inflated_bytes), "max_inflated_bytes",
                   f"it is {mb(path.stat().st_size)} on disk (a zip bomb, or a document with huge media): "
                   "save the report without embedded media, or split it")
    for info in infos:
        if info.filename.lower().endswith(_XML_SUFFIXES) and info.file_size > limits.max_xml_part_bytes:
            raise over(f"the .docx part {info.filename} expands to", mb(info.file_size),
                       mb(limits.max_xml_part_bytes), "max_xml_part_bytes",
                       "a report's text needs 0.1-2 MB of XML: split the document")


def read_docx(path: Path, budget: ReadBudget | None = None) -> Extracted:
    """The text of a .docx file; raises UnreadableReport when it is not a Word document or exceeds a limit."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    budget = budget or DEFAULT_LIMITS.budget()
    check_zip(path, budget.limits)
    try:
        doc = Document(str(path))
    except (PackageNotFoundError, KeyError) as exc:
        raise UnreadableReport(f"not a valid .docx (Word 2007+) file: {exc}") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # "Bad CRC-32 for file 'word/document.xml'": a part is damaged, or does not hold what its header declares
        raise UnreadableReport(f"the .docx is damaged (a part does not match the size or checksum it declares: "
                               f"{exc}); re-save it from Word") from exc
    budget.check_time()
    lines = _body_lines(doc, budget)
    hints: dict[str, str] = {}
    title = (doc.core_properties.title or "").strip()
    if title:
        hints["title"] = title
    return Extracted("\n".join(lines), hints)


def _body_lines(doc, budget: ReadBudget) -> list[str]:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    paragraph, table = qn("w:p"), qn("w:tbl")
    for child in doc.element.body.iterchildren():
        if child.tag == paragraph:
            text = Paragraph(child, doc).text.strip()
            budget.add_chars(len(text) + 1)  # also checks the deadline, once per body element
            if text:
                out.append(text)
        elif child.tag == table:
            out.extend(_table_lines(Table(child, doc), budget))
    return out


def _table_lines(table, budget: ReadBudget) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for row in table.rows:
        budget.check_time()
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(p.strip() for p in cell.text.split("\n") if p.strip()))
        if any(cells):
            lines.append("\t".join(cells).strip())
            budget.add_chars(len(lines[-1]) + 1)
    return lines
