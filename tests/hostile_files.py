"""Hostile report files, made on the spot: what a careless (or malicious) operator drops into the corpus.

Used by the ingest tests and importable by scripts (a chaos run) so both exercise the very
same files. Nothing here is a real report; every file is small on disk and built in memory
bounded by one block, however large it claims or expands to be.
"""
from __future__ import annotations

import random
import struct
import zipfile
import zlib
from pathlib import Path

__all__ = ["no_heading_text", "inflating_docx", "lie_about_zip_sizes", "huge_table_row_docx", "inflating_pdf",
           "many_pages_pdf", "huge_html", "HOSTILE_KINDS"]

# words of a work report, so tokenizers and sentence splitters meet realistic characters
_WORDS = ("经济", "发展", "建设", "推进", "加快", "产业", "项目", "全面", "创新", "改革", "开放", "民生", "保障", "服务",
          "城乡", "生态", "环境", "治理", "安全", "稳定", "就业", "收入", "消费", "投资", "工业", "农业", "乡村", "振兴",
          "教育", "医疗", "文化", "旅游", "数字", "科技", "人才", "企业", "市场", "营商", "基础设施", "高质量")
_SUFFIXES = ("", "", "", "，", "，", "。")  # the "sentences" style: clauses and sentences of a real paragraph

#: kind -> what the text looks like; every kind has no "一、" heading and, except "sentences", no sentence end
HOSTILE_KINDS = {
    "plain": "no punctuation and no line break at all",
    "commas": "clauses separated by commas only, no sentence end, no line break",
    "sentences": "ordinary sentences in one paragraph, no line break",
    "spaces": "ASCII words and spaces only",
    "lines": "thousands of short lines without punctuation",
}


def no_heading_text(n_chars: int = 41_000, kind: str = "plain", seed: int = 0) -> str:
    """A report-sized text with none of the structure the chunker leans on (see HOSTILE_KINDS)."""
    if kind not in HOSTILE_KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(HOSTILE_KINDS)}")
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < n_chars:
        if kind == "spaces":
            word = rng.choice(("growth", "policy", "county", "budget", "reform", "people")) + " "
        else:
            word = rng.choice(_WORDS)
            if kind == "commas" and rng.random() < 0.25:
                word += "，"
            elif kind == "sentences":
                word += rng.choice(_SUFFIXES)
            elif kind == "lines" and rng.random() < 0.2:
                word += "\n"
        parts.append(word)
        size += len(word)
    return "".join(parts)[:n_chars]


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="word/document.xml"/></Relationships>')
_DOC_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_DOC_TAIL = "</w:body></w:document>"
_PARAGRAPH = "各位代表：过去一年，全市经济保持稳中有进，地区生产总值增长5.2%。"


def _write_docx(path: Path, body_parts: list[tuple[str, int]]) -> Path:
    """A minimal valid .docx whose body is each (xml, repeat) in turn, streamed into the zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(_DOC_HEAD.encode("utf-8"))
            for xml, repeat in body_parts:
                unit = xml.encode("utf-8")
                per_block = max(1, (1 << 20) // len(unit))
                block = unit * per_block
                left = repeat
                while left >= per_block:
                    out.write(block)
                    left -= per_block
                out.write(unit * left)
            out.write(_DOC_TAIL.encode("utf-8"))
    return path


def inflating_docx(path: Path, inflated_bytes: int = 8_000_000, paragraph: str = _PARAGRAPH,
                   one_paragraph: bool = False) -> Path:
    """A valid .docx a few KB on disk whose word/document.xml expands to about `inflated_bytes`.

    one_paragraph=True puts all the text in a single paragraph (one line of text, no breaks).
    """
    if one_paragraph:
        unit = f"<w:r><w:t>{paragraph}</w:t></w:r>"
        repeat = max(1, inflated_bytes // len(unit.encode("utf-8")))
        return _write_docx(path, [("<w:p>", 1), (unit, repeat), ("</w:p>", 1)])
    unit = f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p>"
    return _write_docx(path, [(unit, max(1, inflated_bytes // len(unit.encode("utf-8"))))])


def huge_table_row_docx(path: Path, cell_chars: int = 60_000, cells: int = 3) -> Path:
    """A .docx holding one table row whose cells hold `cell_chars` characters each, without punctuation."""
    text = no_heading_text(cell_chars, "plain", seed=1)
    cell = f"<w:tc><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"
    return _write_docx(path, [("<w:p><w:r><w:t>2026年测试县政府工作报告</w:t></w:r></w:p><w:tbl><w:tr>", 1),
                              (cell, cells), ("</w:tr></w:tbl>", 1)])


def lie_about_zip_sizes(path: Path, claimed: int = 1000) -> Path:
    """Rewrite every entry's uncompressed size in the zip's central directory (and local headers) to `claimed`.

    The CRC is left alone: a reader that trusts the directory stops early and sees a bad CRC, one that
    does not trusts nothing; either way the sizes say nothing about what the entry expands to.
    """
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    for info in infos:
        # local header: signature, version, flags, method, time, date, crc, csize, usize (offset 22)
        off = info.header_offset
        assert data[off:off + 4] == b"PK\x03\x04"
        if struct.unpack_from("<I", data, off + 22)[0] != 0xFFFFFFFF:
            struct.pack_into("<I", data, off + 22, claimed)
    pos = 0
    while True:  # central directory records
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        if struct.unpack_from("<I", data, pos + 24)[0] == 0xFFFFFFFF:  # zip64: the size is in the extra field
            name_len, extra_len = struct.unpack_from("<HH", data, pos + 28)
            extra = pos + 46 + name_len
            end = extra + extra_len
            while extra + 4 <= end:
                tag, size = struct.unpack_from("<HH", data, extra)
                if tag == 0x0001:
                    struct.pack_into("<Q", data, extra + 4, claimed)  # the uncompressed size comes first
                    break
                extra += 4 + size
        else:
            struct.pack_into("<I", data, pos + 24, claimed)
        pos += 4
    path.write_bytes(bytes(data))
    return path


def _pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF of the given objects (numbered from 1; object 1 is the catalog) with a correct xref table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _flate_stream(unit: bytes, inflated_bytes: int) -> bytes:
    comp = zlib.compressobj(9)
    parts = []
    block = unit * max(1, (1 << 20) // len(unit))
    left = inflated_bytes
    while left > 0:
        piece = block[:left]
        parts.append(comp.compress(piece))
        left -= len(piece)
    parts.append(comp.flush())
    data = b"".join(parts)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"


def inflating_pdf(path: Path, inflated_bytes: int = 100_000_000, unit: bytes = b"BT /F1 12 Tf (growth) Tj ET\n"
                  ) -> Path:
    """A one-page PDF, a few hundred KB on disk, whose content stream expands to `inflated_bytes`."""
    return _pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        _flate_stream(unit, inflated_bytes),
        _FONT,
    ])


def many_pages_pdf(path: Path, pages: int = 20_000, text: bytes = b"(growth and reform) Tj") -> Path:
    """A small PDF of `pages` pages that all show the one same content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    content = b"BT /F1 12 Tf 72 700 Td " + text + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        _FONT,
    ]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
            b" /Contents 3 0 R >>")
    objects += [page] * pages
    return _pdf(path, objects)


def huge_html(path: Path, elements: int = 400_000, depth: int = 0, entities: bool = False) -> Path:
    """An HTML page of `elements` tiny paragraphs, optionally nested `depth` <div>s deep, optionally with
    a billion-laughs style entity declaration (which an HTML parser must not expand)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "<!DOCTYPE html>"
    if entities:
        head = ('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>')
    with open(path, "w", encoding="utf-8") as out:
        out.write(head + "<html><head><meta charset=\"utf-8\"><title>2026年测试县政府工作报告</title></head><body>")
        out.write("<div class=\"x\">" * depth)
        unit = "<p>经济发展&f;</p>" if entities else "<p>经济发展</p>"
        out.write(unit * elements)
        out.write("</div>" * depth)
        out.write("</body></html>")
    return path
