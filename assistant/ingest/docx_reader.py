"""Word (.docx) reports: paragraphs and tables in document order.

Reports are often typeset with tables (targets, budgets, the 民生实事 list); their
cells carry answerable facts, so each table row becomes one line of text with its
cells separated by tabs, at the place the table sits in the document.
"""
from __future__ import annotations

from pathlib import Path

from .encoding import UnreadableReport
from .readers import Extracted


def read_docx(path: Path) -> Extracted:
    """The text of a .docx file; raises UnreadableReport when it is not a Word document."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise UnreadableReport(f"not a valid .docx (Word 2007+) file: {exc}") from exc
    lines = list(_body_lines(doc))
    hints: dict[str, str] = {}
    title = (doc.core_properties.title or "").strip()
    if title:
        hints["title"] = title
    return Extracted("\n".join(lines), hints)


def _body_lines(doc) -> list[str]:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = Paragraph(child, doc).text.strip()
            if text:
                out.append(text)
        elif child.tag == qn("w:tbl"):
            out.extend(_table_lines(Table(child, doc)))
    return out


def _table_lines(table) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(p.strip() for p in cell.text.split("\n") if p.strip()))
        if any(cells):
            lines.append("\t".join(cells).strip())
    return lines
