"""Reading reports in every supported format and encoding, and refusing what is not a report.

Each format is made here from one small synthetic report (python-docx, reportlab,
hand-written HTML as government sites publish it), so the tests need no network
and no files beyond the repository.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import zlib
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.ingest import discover, load_corpus, load_report, read_report_text
from assistant.ingest.cleaning import clean_web_text
from assistant.ingest.encoding import UnreadableReport, decode_bytes
from assistant.ingest.pdf_reader import join_pdf_lines
from assistant.sections import parse_outline

CORPUS = PROJECT_ROOT / "corpus"

TITLE = "2026年测试区政府工作报告"
MEETING = "——2026年2月10日在测试区第三届人民代表大会第五次会议上"
PARAGRAPHS = [
    "各位代表：",
    "现在，我代表区人民政府，向大会报告工作，请予审议，并请各位政协委员和列席人员提出意见。",
    "一、2025年工作回顾",
    "过去一年，我们坚持稳中求进工作总基调，全区经济运行稳中有进。全区地区生产总值达到86.42亿元，同比增长5.3%；"
    "一般公共预算收入完成4.56亿元，增长3.1%；城镇新增就业3210人，城镇调查失业率控制在5.5%以内。",
    "（一）产业发展提质增效",
    "工业转型聚势突破。新增规上工业企业12户，规上工业增加值增长8.2%，铜产业链产值突破30亿元，"
    "新能源装机容量达到120万千瓦，绿色低碳转型步伐明显加快。",
    "二、2026年重点工作",
    "今年经济社会发展的主要预期目标是：地区生产总值增长5%左右，一般公共预算收入增长3%，城镇新增就业3000人以上。",
]
SAMPLE = "\n".join([TITLE, MEETING, "区长 张三", *PARAGRAPHS]) + "\n"


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _random_bytes(seed: int, n: int, lo: int = 0, hi: int = 256) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(lo, hi) for _ in range(n))


def _paragraphs(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


# ------------------------------------------------------------------ encodings

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_plain_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "report.txt", SAMPLE.encode(encoding))
    assert read_report_text(path) == SAMPLE


def test_gb18030_only_characters(tmp_path: Path) -> None:
    text = SAMPLE + "朱镕基同志题词。𠀀\n"  # 镕 is GBK but not GB2312; 𠀀 needs GB18030's four-byte form
    path = _write(tmp_path / "report.txt", text.encode("gb18030"))
    assert read_report_text(path) == text


def test_big5_traditional_chinese(tmp_path: Path) -> None:
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(SAMPLE)
    data = traditional.encode("big5", errors="ignore")
    path = _write(tmp_path / "report.txt", data)
    assert read_report_text(path) == data.decode("big5")


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "report.md", SAMPLE)
    assert read_report_text(path) == SAMPLE


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = _write(tmp_path / "report.txt", SAMPLE.replace("\n", "\r\n").encode("utf-8"))
    assert read_report_text(path) == SAMPLE


@pytest.mark.parametrize("name,data", [
    ("empty", b""),
    ("whitespace", b" \n\r\n\t  \n"),
    ("random bytes", _random_bytes(1, 5000)),
    # bytes GB18030 happily decodes into rare characters: must still be refused
    ("high bytes", _random_bytes(2, 5000, 0x81, 0xFF)),
    ("compressed", zlib.compress(SAMPLE.encode("utf-8") * 20)),
    ("nul padded", b"\x00" * 4096),
])
def test_junk_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(UnreadableReport):
        decode_bytes(data)


# ------------------------------------------------------------------ docx

def _make_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.core_properties.title = TITLE
    doc.add_paragraph(TITLE)
    doc.add_paragraph(MEETING)
    doc.add_paragraph("区长 张三")
    for para in PARAGRAPHS[:4]:
        doc.add_paragraph(para)
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([("指标", "2025年", "增长"), ("地区生产总值", "86.42亿元", "5.3%"),
                             ("一般公共预算收入", "4.56亿元", "3.1%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = doc.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "末列"
    for para in PARAGRAPHS[4:]:
        doc.add_paragraph(para)
    doc.add_paragraph("")  # empty paragraphs are dropped
    doc.save(str(path))
    return path


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    _make_docx(tmp_path / "test-2026.docx")
    report = load_report(discover(tmp_path)[0])
    lines = _paragraphs(report.text)
    assert lines[:3] == [TITLE, MEETING, "区长 张三"]
    table_at = lines.index("指标\t2025年\t增长")
    assert lines[table_at - 1] == PARAGRAPHS[3]  # the table sits where it is in the document
    assert lines[table_at + 1] == "地区生产总值\t86.42亿元\t5.3%"
    assert lines[table_at + 3] == "合并单元格\t末列"  # a merged cell appears once
    assert lines[table_at + 4:] == PARAGRAPHS[4:]
    assert (report.meta.region, report.meta.year, report.meta.date) == ("测试区", 2026, "2026-02-10")


def test_broken_docx_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.docx", b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(UnreadableReport, match="docx|extract"):
        read_report_text(path)


# ------------------------------------------------------------------ pdf

def _cjk_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _make_pdf(path: Path, width: float = 300.0, lines_per_page: int = 40) -> Path:
    """A report typeset like a real one: lines filled to `width` points, wrapping mid-sentence, page numbers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(TITLE)
    page, y = 1, 800

    def line(text: str) -> None:
        nonlocal page, y
        if y <= 800 - 18 * lines_per_page:
            c.setFont(font, 10)
            c.drawString(280, 40, f"- {page} -")
            c.showPage()
            page, y = page + 1, 800
        c.setFont(font, 12)
        c.drawString(60, y, text)
        y -= 18

    for para in [TITLE, MEETING, "区长 张三", *PARAGRAPHS]:
        current = ""
        for ch in para:
            if current and stringWidth(current + ch, font, 12) > width:
                line(current)
                current = ""
            current += ch
        line(current)
    c.setFont(font, 10)
    c.drawString(280, 40, f"- {page} -")
    c.showPage()
    c.save()
    return path


def test_pdf_lines_are_joined_into_paragraphs(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "report.pdf")
    text = read_report_text(path)
    assert _paragraphs(text) == [TITLE, MEETING, "区长 张三", *PARAGRAPHS]
    assert "- 1 -" not in text


def test_pdf_paragraphs_survive_page_breaks(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "report.pdf", lines_per_page=4)  # paragraphs run across page ends
    from pypdf import PdfReader

    assert len(PdfReader(str(path)).pages) >= 2
    assert _paragraphs(read_report_text(path)) == [TITLE, MEETING, "区长 张三", *PARAGRAPHS]


def test_pdf_report_metadata_and_sections(tmp_path: Path) -> None:
    _make_pdf(tmp_path / "report.pdf")
    report = load_report(discover(tmp_path)[0])
    assert (report.meta.region, report.meta.year, report.meta.date) == ("测试区", 2026, "2026-02-10")
    titles = [s.title for s in parse_outline(report.text).sections if s.level <= 2]
    assert titles == ["一、2025年工作回顾", "(一)产业发展提质增效", "二、2026年重点工作"]


def test_join_pdf_lines_rules() -> None:
    pages = ["一、总体要求\n今年全区地区生产总值增长5%左右，一般公共预\n算收入增长3%，城镇新增就业3000人以上，\n居民收入稳步增长。\n"
             "This report was delivered on the tenth of\nFebruary, to the district's people's congress.\n"
             "二、重点工作\n- 2 -"]
    assert join_pdf_lines(pages).split("\n") == [
        "一、总体要求", "今年全区地区生产总值增长5%左右，一般公共预算收入增长3%，城镇新增就业3000人以上，居民收入稳步增长。",
        "This report was delivered on the tenth of February, to the district's people's congress.", "二、重点工作"]


def test_scanned_pdf_without_text_is_unreadable(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.rect(50, 50, 400, 600, fill=1)  # a "scanned page": graphics, no text layer
        c.showPage()
    c.save()
    with pytest.raises(UnreadableReport, match="no text layer"):
        read_report_text(path)


def test_junk_pdf_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path / "junk.pdf", b"%PDF-1.7\n" + _random_bytes(3, 3000))
    with pytest.raises(UnreadableReport):
        read_report_text(path)


# ------------------------------------------------------------------ html

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>2026年测试区政府工作报告_测试区人民政府门户网站</title>
<meta name="ArticleTitle" content="2026年测试区政府工作报告">
<meta name="PubDate" content="2026-02-12 09:30">
<meta name="ContentSource" content="测试日报">
<style>.x{color:red}</style><script>var tracker = "首页";</script>
</head><body>
<div class="header"><div class="logo">测试区人民政府</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zw">政务公开</a></li><li><a href="/fw">政务服务</a></li></ul></div>
<div class="main">
 <div class="breadcrumb">您的位置：<a href="/">首页</a> &gt; <a href="/yw">要闻动态</a></div>
 <div class="article">
  <h1>2026年测试区政府工作报告</h1>
  <div class="info">来源：测试日报 时间：2026-02-12 【字体：<a>大</a> <a>中</a> <a>小</a>】 <a>打印</a></div>
  <div class="bdshare">分享到：<a>微信</a> <a>微博</a></div>
  <div id="zoom" class="TRS_Editor">
   <p style="text-align:center">——2026年2月10日在测试区第三届人民代表大会第五次会议上</p>
   <p>区长&nbsp;张三</p>
   <p><img src="photo.jpg"></p>
   <p>张三作政府工作报告。本报记者 李四 摄</p>
   {paragraphs}
   <table><tr><td>指标</td><td>目标</td></tr><tr><td>地区生产总值增长</td><td>5%左右</td></tr></table>
  </div>
  <div class="related"><h3>相关报道</h3><ul><li><a href="/1">测试区人代会开幕</a></li>
   <li><a href="/2">代表热议政府工作报告</a></li></ul></div>
  <div class="pre-next">上一篇：<a href="/0">测试区召开常务会议</a></div>
 </div>
 <div class="sidebar"><h3>热点新闻</h3><ul><li><a>一条很长的热点新闻标题用来测试侧栏链接的过滤</a></li></ul></div>
</div>
<div class="footer">版权所有：测试区人民政府 主办单位：测试区政府办公室 ICP备12345678号</div>
</body></html>
"""


def _gov_page(paragraph_html: str | None = None) -> str:
    paras = paragraph_html or "\n".join(
        f"<p><strong>{p}</strong></p>" if p.startswith(("一、", "二、")) else f"<p>&nbsp;&nbsp;{p}</p>" for p in PARAGRAPHS
    )
    return GOV_PAGE.replace("{paragraphs}", paras)


def test_html_gov_page_keeps_only_the_report(tmp_path: Path) -> None:
    path = _write(tmp_path / "report.html", _gov_page().encode("gb18030"))  # declared gb2312, read as GB18030
    report = load_report(discover(tmp_path)[0])
    lines = _paragraphs(report.text)
    assert lines == [TITLE, MEETING, "区长 张三", *PARAGRAPHS, "指标\t目标", "地区生产总值增长\t5%左右"]
    for junk in ("首页", "政务公开", "字体", "分享", "相关报道", "人代会开幕", "上一篇", "热点新闻", "版权所有",
                 "tracker", "记者", "来源"):
        assert junk not in report.text, junk
    meta = report.meta
    assert (meta.region, meta.year, meta.date, meta.source) == ("测试区", 2026, "2026-02-10", "测试日报")
    assert path.exists()


def test_html_without_article_markup_uses_text_density(tmp_path: Path) -> None:
    """No class names at all: the body is the block that directly holds the most text."""
    body = "".join(f"<div>{p}</div>" for p in [TITLE, MEETING, *PARAGRAPHS])
    links = "".join(f"<a href='/{i}'>栏目{i}</a> " for i in range(30))
    page = f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body><div>{links}</div>" \
           f"<div><div>{body}</div></div><div>{links}</div></body></html>"
    path = _write(tmp_path / "page.htm", page)
    assert _paragraphs(read_report_text(path)) == [TITLE, MEETING, *PARAGRAPHS]


def test_html_br_separated_paragraphs(tmp_path: Path) -> None:
    page = "<html><body><div class='content'>" + "<br/>\n".join([TITLE, MEETING, *PARAGRAPHS]) + "</div></body></html>"
    path = _write(tmp_path / "page.html", page.encode("utf-8"))
    assert _paragraphs(read_report_text(path)) == [TITLE, MEETING, *PARAGRAPHS]


def test_html_with_wrong_charset_declaration(tmp_path: Path) -> None:
    page = _gov_page().replace("charset=gb2312", "charset=utf-8")
    path = _write(tmp_path / "page.html", page.encode("gbk"))  # declared utf-8, really GBK
    assert PARAGRAPHS[3] in read_report_text(path)


def test_binary_html_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", _random_bytes(4, 4000))
    with pytest.raises(UnreadableReport):
        read_report_text(path)


# ------------------------------------------------------------------ web boilerplate in .txt

SCRAPED = """下载
打印
全屏
收藏
【字号：
加大
还原
减小
】
您的位置:
首页
>
要闻
要闻
2026年测试区政府工作报告
——二〇二六年二月十日在测试区三届人民代表大会第五次会议上
来源：测试日报
时间：2026-02-12
区长 张三
张三作政府工作报告。测试日报记者 李四
{body}
相关报道：
测试区人代会开幕
责任编辑：
王五
"""


def test_scraped_text_boilerplate_is_stripped(tmp_path: Path) -> None:
    body = "\n".join(PARAGRAPHS)
    path = _write(tmp_path / "scraped.txt", SCRAPED.replace("{body}", body))
    report = load_report(discover(tmp_path)[0])
    assert report.text == "\n".join([TITLE, "——二〇二六年二月十日在测试区三届人民代表大会第五次会议上", "区长 张三",
                                     body]) + "\n"
    meta = report.meta
    assert (meta.region, meta.year, meta.date, meta.source) == ("测试区", 2026, "2026-02-10", "测试日报")


def test_cleaning_never_touches_the_body() -> None:
    """Boilerplate-looking lines *inside* the report stay: only the page around it goes."""
    body = "\n".join(PARAGRAPHS[:3] + ["来源：统计公报", "相关报道：见附件", "下载", *PARAGRAPHS[3:]] +
                     ["x" * 300])  # a long paragraph after the marker: not a link list
    cleaned = clean_web_text(body)
    assert cleaned.text == body
    assert cleaned.removed == 0


def test_cleaning_date_lines_and_share_widgets() -> None:
    text = "\n".join(["2026年测试区人民政府工作报告", "2026年02月14日 07时41分", "来源:", "测试日报", "【字体：", "大", "中",
                      "小", "】", "分享：", MEETING, *PARAGRAPHS, "扫一扫在手机打开当前页", "打印本页", "关闭窗口"])
    cleaned = clean_web_text(text)
    assert cleaned.text.split("\n") == ["2026年测试区人民政府工作报告", MEETING, *PARAGRAPHS]
    assert (cleaned.source, cleaned.published) == ("测试日报", "2026-02-14")


# ------------------------------------------------------------------ the bundled reports

# Outline fingerprints of the two bundled reports (every section and block of parse_outline),
# as the original parser produced them. The lead tunes QA on these reports, so a change to
# sections.py must leave them as they are; if a change of outline is intended, update the
# digest in the same commit and say so.
BUNDLED_OUTLINES = {
    "dongchuan-2026-government-work-report.txt": "f5a79729bf016429d9eaa50cc20e788d16bef49c62e29e51deadc373fa4a6603",
    "kunming-2025-government-work-report-summary.txt": "5832dbaa78da3d2cd6f9122b2377bea1489b91ef6c1e4a47bffa7afdf01cb85b",
}


def _outline_digest(text: str) -> str:
    outline = parse_outline(text)
    data = [[(s.level, s.title, s.start, s.end) for s in outline.sections],
            [(b.start, b.end, list(b.path), b.kind, b.lead_end) for b in outline.blocks]]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()


def test_bundled_reports_come_out_unchanged() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        assert read_report_text(path) == path.read_text(encoding="utf-8"), path.name


def test_bundled_metadata() -> None:
    reports = {r.meta.id: r.meta for r in load_corpus(CORPUS)}
    dongchuan = reports["dongchuan-2026-government-work-report"]
    kunming = reports["kunming-2025-government-work-report-summary"]
    assert (dongchuan.title, dongchuan.region, dongchuan.year, dongchuan.date, dongchuan.source) == (
        "东川区2026年政府工作报告", "东川区", 2026, "2026-02-10", "东川区人民政府")
    assert (kunming.title, kunming.region, kunming.year, kunming.date, kunming.source) == (
        "昆明市2025年政府工作报告(新闻摘要)", "昆明市", 2025, "2025-01-12", "昆明信息港")


def test_bundled_outline_is_unchanged() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        assert _outline_digest(path.read_text(encoding="utf-8")) == BUNDLED_OUTLINES[path.name], (
            f"the outline of {path.name} changed: the bundled reports' sections must stay as they are")


# ------------------------------------------------------------------ a corpus with bad files

def test_unreadable_files_are_skipped_with_one_log_line_each(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path / "good.txt", SAMPLE)
    _make_docx(tmp_path / "good-docx.docx")
    _write(tmp_path / "empty.txt", b"")
    _write(tmp_path / "junk.txt", _random_bytes(5, 2000))
    _write(tmp_path / "junk.docx", b"not a zip")
    _write(tmp_path / "legacy.doc", b"\xd0\xcf\x11\xe0 old word")
    _write(tmp_path / "boilerplate.html", "<html><head><title>测试区人民政府</title></head><body>"
                                          "<div class='nav'><a>首页</a></div><script>var a;</script></body></html>")
    _write(tmp_path / "notes.txt.meta.json", json.dumps({"title": "not a report"}))
    _write(tmp_path / ".hidden.txt", SAMPLE)
    with caplog.at_level(logging.WARNING, logger="assistant.ingest"):
        reports = load_corpus(tmp_path)
    assert sorted(r.meta.path for r in reports) == ["good-docx.docx", "good.txt"]
    bad = ["empty.txt", "junk.txt", "junk.docx", "legacy.doc", "boilerplate.html"]
    messages = [r.getMessage() for r in caplog.records]
    for name in bad:
        lines = [m for m in messages if m.startswith(f"skipping {name}:")]
        assert len(lines) == 1, (name, messages)
        assert len(lines[0]) > len(f"skipping {name}: ") + 5  # a reason follows
    assert len(messages) == len(bad)
