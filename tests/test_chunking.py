"""Chunks keep their report, section path and exact offsets."""
from __future__ import annotations

from assistant.chunking import chunk_report, fixed_chunks, section_chunks

DONGCHUAN = "dongchuan-2026-government-work-report"


def test_chunks_are_verbatim_slices(reports):
    for report in reports.values():
        chunks = section_chunks(report)
        assert chunks
        for chunk in chunks:
            assert report.text[chunk.start:chunk.end] == chunk.text
            assert chunk.report_id == report.meta.id
            assert chunk.section_path


def test_ids_are_stable_and_unique(reports):
    report = reports[DONGCHUAN]
    first = [c.id for c in section_chunks(report)]
    second = [c.id for c in section_chunks(report)]
    assert first == second
    assert len(set(first)) == len(first)


def test_long_paragraphs_are_split_at_sentences(reports):
    report = reports[DONGCHUAN]
    chunks = section_chunks(report, max_chars=320)
    for chunk in chunks:
        if chunk.kind == "paragraph":
            assert len(chunk.text) <= 320 or "。" not in chunk.text[:-1]
            assert chunk.text.endswith(("。", "!", "!", ":", ":", ";", "”")), chunk.text[-10:]


def test_inner_topic_sentences_extend_the_section_path(reports):
    chunks = section_chunks(reports[DONGCHUAN])
    industry = next(c for c in chunks if "规上工业企业从33户增至61户" in c.text)
    assert industry.section_path[-1] == "工业转型聚势突破"
    assert industry.section_path[0] == "一、“十四五”时期和2025年工作回顾"


def test_glossary_entry_is_one_chunk(reports):
    chunks = section_chunks(reports[DONGCHUAN])
    glossary = [c for c in chunks if c.kind == "glossary"]
    assert len(glossary) == 33
    assert all(c.section_path[0] == "名词解释" for c in glossary)


def test_fixed_baseline_chunks_cover_the_report(reports):
    report = reports[DONGCHUAN]
    chunks = fixed_chunks(report, size=500, overlap=50)
    assert all(len(c.text) <= 500 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(report.text)
    assert chunk_report(report, "fixed")[0].kind == "fixed"
