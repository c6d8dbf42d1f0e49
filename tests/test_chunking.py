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


def test_a_scraped_copy_makes_no_fragment_passages():
    """A county report copied from a web page (博野 2025), with its page furniture ("分享到：", a "02-22" under each
    related link): every passage holds some words, and no text of the report is lost from the passages
    but such fragments."""
    from assistant.chunking import MIN_WORD_CHARS, _word_chars
    from assistant.ingest import load_corpus
    from conftest import MORE_LEVELS, dev_reports

    report = next(r for r in load_corpus(dev_reports(MORE_LEVELS)) if r.meta.id == "2025-boye-government-work-report")
    assert report.text.count("\n02-22") >= 5  # the page furniture is there to be handled
    chunks = section_chunks(report)
    assert all(_word_chars(c.text) >= MIN_WORD_CHARS for c in chunks)
    assert all(report.text[c.start:c.end] == c.text for c in chunks)
    assert [c.id for c in chunks] == [f"{report.meta.id}#{i}" for i in range(len(chunks))]
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    left_out = "".join(ch for i, ch in enumerate(report.text) if i not in covered and not ch.isspace())
    assert len(left_out) < 0.01 * len(report.text)
    # a short line that goes on a sentence stays with it: "全年谋划实施总投资55.3亿元的重点项目21个" is searchable whole
    assert any("总投资55.3亿元的重点项目21个" in c.text for c in chunks)


def test_a_copy_pasted_twice_is_one_set_of_passages():
    """河北 2024 as copied holds its report twice over (and a page footer per page): each text is one passage,
    and the report's figures are still all found in them."""
    from assistant.ingest import load_corpus
    from assistant.text import normalize
    from conftest import MORE_LEVELS, dev_reports

    report = next(r for r in load_corpus(dev_reports(MORE_LEVELS)) if r.meta.id == "2024-hebei-government-work-report")
    opening = "过去的一年，极不平凡、极其难忘"
    assert report.text.count(opening) >= 2
    chunks = section_chunks(report)
    keys = ["".join(normalize(c.text).split()) for c in chunks]
    assert len(set(keys)) == len(keys)
    assert sum(opening in c.text for c in chunks) == 1
    passages = "".join(c.text for c in chunks)
    assert all(f in passages for f in ("高新技术产业增加值增长7.5%", "改造提升户厕40.12万座", "新建和美乡村示范村334个"))
