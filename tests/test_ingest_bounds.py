"""Reading a report file takes bounded memory and time, whatever the file is (assistant/ingest/limits.py).

Every hostile file of tests/hostile_files.py is read in a fresh subprocess, which reports the
seconds `extract_report` took and how far it raised the process's peak RSS: each must be skipped
(UnreadableReport naming the limit and its Settings field) within a few seconds and a few hundred
MB at most. Before the limits, the 100 MB .docx took 34 s and 650 MB, the 400,000-element page
29 s and 460 MB, and the deeply nested page did not finish at all.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import hostile_files as hostile
from test_ingest_formats import CORPUS, _cjk_font, _gov_page, _make_docx, _make_pdf

from assistant.chunking import MAX_WHOLE, chunk_report
from assistant.config import PROJECT_ROOT, Settings
from assistant.encoders import StandInEncoder
from assistant.ingest import ReadLimits, discover, load_report
from assistant.ingest.encoding import UnreadableReport
from assistant.ingest.readers import extract_report, read_report_text
from assistant.storage import build_index, read_manifest

MAX_SECONDS = 5.0
MAX_RSS_GROWTH_MB = 300
REAL_REPORT = CORPUS / "dongchuan-2026-government-work-report.txt"  # a full-length report (~17,000 characters)

_MEASURE = textwrap.dedent("""
    import gc, json, resource, sys, time
    from pathlib import Path
    import docx, pypdf, bs4, lxml.html  # imported before the baseline: only reading is measured
    from assistant.ingest.readers import extract_report
    from assistant.ingest.encoding import UnreadableReport
    import assistant.ingest.docx_reader, assistant.ingest.pdf_reader, assistant.ingest.html_reader
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        result = {"read": len(extract_report(Path(sys.argv[1])).text)}
    except UnreadableReport as exc:
        result = {"skipped": str(exc)}
    result["seconds"] = time.perf_counter() - start
    result["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps(result))
""")


def _measure(path: Path) -> dict[str, Any]:
    """extract_report(path) in a fresh process: {"skipped": reason} or {"read": chars}, seconds, rss_growth_mb."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# file maker, the reason's pattern (each names the limit's Settings field)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "docx inflating to 8 MB": (lambda d: hostile.inflating_docx(d / "bomb8.docx", 8_000_000),
                               r"more than 1,000,000 characters .*Settings\.read_limits\.max_report_chars"),
    "docx inflating to 100 MB": (lambda d: hostile.inflating_docx(d / "bomb100.docx", 100_000_000),
                                 r"expands to 100 MB, over the limit of 50 MB .*Settings\.read_limits\."
                                 r"max_inflated_bytes"),
    "docx inflating to 100 MB in one paragraph": (
        lambda d: hostile.inflating_docx(d / "bomb100p.docx", 100_000_000, one_paragraph=True),
        r"Settings\.read_limits\.max_inflated_bytes"),
    "docx part of 19 MB": (lambda d: hostile.inflating_docx(d / "bomb19.docx", 19_000_000),  # just under the caps
                           r"Settings\.read_limits\.max_report_chars"),
    "docx with a 30 MB part": (lambda d: hostile.inflating_docx(d / "bomb30.docx", 30_000_000),
                               r"word/document\.xml expands to 30 MB.*Settings\.read_limits\.max_xml_part_bytes"),
    "docx lying about its sizes": (lambda d: hostile.lie_about_zip_sizes(hostile.inflating_docx(d / "liar.docx")),
                                   r"damaged .*Bad CRC-32"),
    "pdf inflating to 100 MB": (lambda d: hostile.inflating_pdf(d / "bomb.pdf", 100_000_000),
                                r"Settings\.read_limits\.max_pdf_stream_bytes"),
    "pdf stream of 19 MB": (lambda d: hostile.inflating_pdf(d / "bomb19.pdf", 19_000_000),  # under the byte cap
                            r"Settings\.read_limits\.max_pdf_stream_operations"),
    "pdf of 20,000 pages": (lambda d: hostile.many_pages_pdf(d / "pages.pdf", 20_000),
                            r"20,000 pages, over the limit of 1,000 \(Settings\.read_limits\.max_pdf_pages\)"),
    "html of 400,000 elements": (lambda d: hostile.huge_html(d / "huge.html"),
                                 r"more than 50,000 elements .*Settings\.read_limits\.max_html_elements"),
    "html nested 5,000 deep": (lambda d: hostile.huge_html(d / "deep.html", 20_000, depth=5_000),
                               r"more than 128 deep .*Settings\.read_limits\.max_html_depth"),
    "html with entity declarations": (lambda d: hostile.huge_html(d / "laughs.html", 100_000, entities=True),
                                      r"Settings\.read_limits\.max_html_elements"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_skipped_in_bounded_time_and_memory(tmp_path: Path, name: str) -> None:
    make, reason = HOSTILE[name]
    path = make(tmp_path)
    result = _measure(path)
    assert "skipped" in result, f"{name} was read ({result}), not refused"
    assert re.search(reason, result["skipped"]), result["skipped"]
    assert result["seconds"] < MAX_SECONDS, result
    assert result["rss_growth_mb"] < MAX_RSS_GROWTH_MB, result


def test_huge_table_row_is_read_in_bounded_passages(tmp_path: Path) -> None:
    """180,000 characters in one table row: under every limit, so it is read, and chunked into small passages."""
    path = hostile.huge_table_row_docx(tmp_path / "table.docx")
    result = _measure(path)
    assert result.get("read", 0) > 150_000, result
    assert result["seconds"] < MAX_SECONDS and result["rss_growth_mb"] < MAX_RSS_GROWTH_MB, result
    chunks = chunk_report(load_report(discover(tmp_path)[0]))
    assert max(len(c.text) for c in chunks) <= 2 * Settings().max_chunk_chars


@pytest.mark.parametrize("kind", list(hostile.HOSTILE_KINDS))
def test_text_without_headings_makes_bounded_passages(tmp_path: Path, kind: str) -> None:
    (tmp_path / "report.txt").write_text(hostile.no_heading_text(41_000, kind), encoding="utf-8")
    report = load_report(discover(tmp_path)[0])
    assert len(report.text) >= 40_000
    settings = Settings()
    chunks = chunk_report(report, settings.chunking, settings.max_chunk_chars, settings.chunk_overlap_sentences)
    longest = max(len(c.text) for c in chunks)
    assert longest <= MAX_WHOLE * settings.max_chunk_chars, longest
    assert sum(len(c.text) for c in chunks) >= len(report.text.strip()) * 0.9  # nothing lost on the way


# ------------------------------------------------------------------ the deadline


@pytest.mark.parametrize("make", [
    lambda d: hostile.inflating_docx(d / "slow.docx", 4_000_000),
    lambda d: hostile.many_pages_pdf(d / "slow.pdf", 500),
    lambda d: hostile.huge_html(d / "slow.html", 20_000),
], ids=["docx", "pdf", "html"])
def test_reading_stops_at_the_deadline(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    with pytest.raises(UnreadableReport, match=r"reading took more than 0\.005 s .*Settings\.read_limits\."
                                               r"max_read_seconds"):
        extract_report(path, ReadLimits(max_read_seconds=0.005))


def test_text_over_the_character_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text(hostile.no_heading_text(41_000, "sentences"), encoding="utf-8")
    with pytest.raises(UnreadableReport, match=r"41,000 characters of text, over the limit of 40,000"):
        extract_report(path, ReadLimits(max_report_chars=40_000))
    assert len(extract_report(path, ReadLimits(max_report_chars=41_000)).text) == 41_000


# ------------------------------------------------------------------ good files still read


def _long_docx(path: Path, paragraphs: list[str]) -> Path:
    from docx import Document

    doc = Document()
    for para in paragraphs:
        doc.add_paragraph(para)
    doc.save(str(path))
    return path


def _long_pdf(path: Path, paragraphs: list[str], per_line: int = 40) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    c = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for para in paragraphs:
        for i in range(0, len(para), per_line):
            if y < 60:
                c.showPage()
                y = 800
            c.setFont(font, 11)
            c.drawString(50, y, para[i:i + per_line])
            y -= 16
    c.showPage()
    c.save()
    return path


def test_small_good_files_read_with_default_limits(tmp_path: Path) -> None:
    for path in (_make_docx(tmp_path / "r.docx"), _make_pdf(tmp_path / "r.pdf")):
        assert "86.42亿元" in read_report_text(path)
    html = tmp_path / "r.html"
    html.write_bytes(_gov_page().encode("gb18030"))
    assert "86.42亿元" in read_report_text(html)


@pytest.mark.parametrize("fmt", ["docx", "pdf", "html", "txt"])
def test_full_length_report_reads_in_every_format(tmp_path: Path, fmt: str) -> None:
    """The bundled full-length report, saved as .docx/.pdf/.html, reads within the default limits (and quickly)."""
    paragraphs = [p for p in REAL_REPORT.read_text(encoding="utf-8").split("\n") if p.strip()]
    total = sum(len(p) for p in paragraphs)
    assert total > 15_000
    path = tmp_path / f"report.{fmt}"
    if fmt == "docx":
        _long_docx(path, paragraphs)
    elif fmt == "pdf":
        _long_pdf(path, paragraphs)
    elif fmt == "html":
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        path.write_text(f"<html><head><meta charset='utf-8'><title>t</title></head><body><div class='article'>"
                        f"{body}</div></body></html>", encoding="utf-8")
    else:
        path.write_text("\n".join(paragraphs), encoding="utf-8")
    result = _measure(path)
    assert "read" in result, result
    assert result["read"] >= 0.95 * total, (result, total)
    assert result["seconds"] < MAX_SECONDS, result


# ------------------------------------------------------------------ builds


def _settings(root: Path, **changes: Any) -> Settings:
    return Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index", **changes)


def test_build_indexes_the_good_report_and_skips_the_hostile_ones(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _make_docx(corpus / "test-2026.docx")
    (corpus / "no-headings.txt").write_text(hostile.no_heading_text(41_000, "commas"), encoding="utf-8")
    hostile.inflating_docx(corpus / "bomb.docx", 100_000_000)
    hostile.inflating_pdf(corpus / "bomb.pdf", 100_000_000)
    hostile.huge_html(corpus / "huge.html")
    hostile.many_pages_pdf(corpus / "pages.pdf", 20_000)
    settings = _settings(tmp_path)
    build_index(settings, encoder=StandInEncoder(16), progress=False)

    manifest = read_manifest(settings.index_dir)
    assert sorted(f["rel_path"] for f in manifest["files"]) == ["no-headings.txt", "test-2026.docx"]
    reasons = {s["rel_path"]: s["reason"] for s in manifest["skipped"]}
    assert sorted(reasons) == ["bomb.docx", "bomb.pdf", "huge.html", "pages.pdf"]
    assert "Settings.read_limits.max_inflated_bytes" in reasons["bomb.docx"]
    assert "Settings.read_limits.max_pdf_stream_bytes" in reasons["bomb.pdf"]
    assert "Settings.read_limits.max_html_elements" in reasons["huge.html"]
    assert "Settings.read_limits.max_pdf_pages" in reasons["pages.pdf"]
    assert manifest["build_seconds"] < 60

    # `python -m index status` names every skipped file with its reason
    from index.__main__ import main as index_cli

    index_cli(["status", "--corpus", str(corpus), "--index-dir", str(settings.index_dir)])
    status = json.loads(capsys.readouterr().out)
    assert {s["file"]: s["reason"] for s in status["skipped"]} == reasons


def test_build_reads_with_the_limits_in_settings(tmp_path: Path) -> None:
    """Settings.read_limits reaches the readers: a lower character limit skips the long file, not the short."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _make_docx(corpus / "test-2026.docx")
    (corpus / "long.txt").write_text(hostile.no_heading_text(41_000, "sentences"), encoding="utf-8")
    settings = _settings(tmp_path, read_limits=ReadLimits(max_report_chars=20_000))
    build_index(settings, encoder=StandInEncoder(16), progress=False)
    manifest = read_manifest(settings.index_dir)
    assert [f["rel_path"] for f in manifest["files"]] == ["test-2026.docx"]
    (skipped,) = manifest["skipped"]
    assert skipped["rel_path"] == "long.txt"
    assert re.search(r"more than 20,000 characters .*Settings\.read_limits\.max_report_chars", skipped["reason"])
