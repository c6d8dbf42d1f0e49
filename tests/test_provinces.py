"""The 31 provincial 2026 reports, as scraped from official sites, ingest cleanly.

They are real-world material kept in dev-reports/ (development data, never read at run
time): web boilerplate around the text, varied outlines, metadata in many
spellings. Fast tests check every report's metadata against reports.csv, that no
page furniture survives as text or chunks, and that cleaning never edits the
body. The slow test builds (or reuses) one index of all 33 reports and checks
that questions are answered from the right report; it embeds ~3,500 passages
(several minutes on 2 cores), so it only runs with `pytest -m slow`.
"""
from __future__ import annotations

import csv
import re

import pytest

from conftest import PROVINCES, dev_reports

from assistant.chunking import chunk_report
from assistant.config import PROJECT_ROOT
from assistant.ingest import load_corpus
from assistant.sections import parse_outline
from assistant.types import Report

CORPUS = PROJECT_ROOT / "corpus"

# Whole lines that are page furniture, never report text.
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:您的位置|当前位置|首页\s*(?:>|$)|>\s*$|【\s*字[号体]|字[号体]\s*[:：]|加大|还原|减小|大|中|小|【|】|\||×"
    r"|下载|打印|全屏|收藏|分享(?:到)?\s*[:：]?|分享到微信|打印本页|关闭窗口|扫一扫在手机打开当前页|阅读量\s*[:：]?"
    r"|相关(?:报道|文档|附件|链接)\s*(?:[:：]|>>)|责任编辑\s*[:：]|编辑\s*[:：]|来源\s*[:：]|[（(]来源[:：].*[)）]"
    r"|(?:发表|发布)?时间\s*[:：]|\d{4}-\d{2}-\d{2}(?:\s+\d{2}:\d{2}(?::\d{2})?)?|》》点击图片进入专题《《"
    r"|[0-9a-f]{32}:|.{0,60}记者.{0,12})\s*$"  # a photo caption is a short line, not a paragraph with a byline
)


def _body_lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln.strip()]


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, str]]:
    dev_reports(PROVINCES)
    with open(PROVINCES / "reports.csv", encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def provinces(catalog: dict[str, dict[str, str]]) -> dict[str, Report]:
    reports = {r.meta.path: r for r in load_corpus(PROVINCES)}
    return reports


def test_all_31_reports_are_read(provinces: dict[str, Report], catalog: dict[str, dict[str, str]]) -> None:
    assert len(catalog) == 31
    assert sorted(provinces) == sorted(catalog)


def test_metadata_matches_the_catalog(provinces: dict[str, Report], catalog: dict[str, dict[str, str]]) -> None:
    problems = []
    for file, row in sorted(catalog.items()):
        meta = provinces[file].meta
        expected = (row["province"], int(row["year"]), f"{row['province']}{row['year']}年政府工作报告")
        if (meta.region, meta.year, meta.title) != expected:
            problems.append((file, "region/year/title", (meta.region, meta.year, meta.title), expected))
        # the delivery date: in the reporting year, not after the web copy was published
        if not meta.date or not re.fullmatch(r"2026-\d\d-\d\d", meta.date) or meta.date > row["publish_date"]:
            problems.append((file, "date", meta.date, row["publish_date"]))
        if not meta.source:
            problems.append((file, "source", meta.source))
    assert not problems, problems


def test_metadata_of_hard_cases(provinces: dict[str, Report]) -> None:
    meta = {p.split("-")[1]: r.meta for p, r in provinces.items()}
    assert meta["gansu"].date == "2026-01-27"  # "二〇二六年一月二十七日在甘肃省十四届人民代表大会"
    assert meta["guangdong"].region == "广东省"  # meeting line wrapped after "第十四届"
    assert meta["sichuan"].date == "2026-02-03"  # the meeting, not the page's "2026年02月10日 07时41分"
    assert meta["ningxia"].source == "宁夏日报客户端"  # "来源：" and its value on separate lines
    assert meta["yunnan"].source == "云南日报"
    assert meta["shaanxi"].source == "陕西省人民政府"


def test_no_page_furniture_in_text_or_chunks(provinces: dict[str, Report]) -> None:
    found = []
    for path, report in sorted(provinces.items()):
        lines = _body_lines(report.text)
        for line in lines[:8] + lines[-8:]:
            if BOILERPLATE_LINE.match(line):
                found.append((path, "text", line))
        for chunk in chunk_report(report):
            for line in chunk.text.split("\n"):
                if line.strip() and BOILERPLATE_LINE.match(line):
                    found.append((path, chunk.id, line))
    assert not found, found[:10]


def test_boilerplate_pattern_catches_the_raw_pages() -> None:
    """The check above is meaningful: the same pattern finds furniture in the scraped files."""
    dev_reports(PROVINCES)
    hits = 0
    for path in sorted(PROVINCES.glob("*.txt")):
        lines = _body_lines(path.read_text(encoding="utf-8"))
        hits += any(BOILERPLATE_LINE.match(ln) for ln in lines[:20] + lines[-20:])
    assert hits >= 28


def test_cleaning_only_drops_lines_around_the_body(provinces: dict[str, Report]) -> None:
    for path, report in sorted(provinces.items()):
        raw = (PROVINCES / path).read_text(encoding="utf-8").split("\n")
        kept = report.text.split("\n")
        # every kept line is an original line, in the original order
        it = iter(raw)
        assert all(any(line == r for r in it) for line in kept if line), path
        # from "各位代表" to the last kept line, nothing was dropped
        start = next(i for i, ln in enumerate(kept) if ln.startswith("各位代表"))
        raw_start = raw.index(kept[start])
        body = [ln for ln in kept[start:] if ln]
        assert [ln for ln in raw[raw_start:raw_start + len(body)] if ln] == body, path


def test_outline_of_the_provincial_reports(provinces: dict[str, Report]) -> None:
    for path, report in sorted(provinces.items()):
        outline = parse_outline(report.text)
        level1 = [s.title for s in outline.sections if s.level == 1 and s.title != "名词解释"
                  and not s.title.startswith("附件")]
        assert len(level1) >= 2, (path, level1)  # Inner Mongolia has two unnumbered parts
        for block in outline.blocks:
            assert report.text[block.start:block.end].strip(), path
    by_name = {p.split("-")[1]: parse_outline(r.text) for p, r in provinces.items()}
    gansu = [s.title for s in by_name["gansu"].sections if s.level == 1]
    assert gansu == ["“十四五”时期工作回顾", "“十五五”时期的主要目标任务", "2026年重点工作"]
    gansu2 = [s.title for s in by_name["gansu"].sections if s.level == 2]
    assert gansu2[0] == "(一)放大促消费扩投资政策效应" and len(gansu2) == 8  # full-width （一）
    yunnan2 = [s.title for s in by_name["yunnan"].sections if s.level == 2]
    assert "(一)经济运行顶住压力、稳中有进" in yunnan2  # a numbered sentence alone on its line
    for name, minimum in (("guangdong", 13), ("hainan", 28), ("sichuan", 20), ("jiangxi", 26)):
        glossary = [s for s in by_name[name].sections if s.level == 4]
        assert len(glossary) >= minimum, name
    qinghai = {s.title for s in by_name["qinghai"].sections if s.level == 3}
    assert "生态底色更加亮丽" in qinghai  # a topic sentence alone on its line names the paragraph after it


def test_chunks_are_verbatim_slices(provinces: dict[str, Report]) -> None:
    for report in provinces.values():
        for chunk in chunk_report(report):
            assert report.text[chunk.start:chunk.end] == chunk.text and chunk.text.strip()


# ------------------------------------------------------------------ 33 reports in one index (slow)

SEED_QUESTIONS = [
    ("东川区2025年地区生产总值是多少？", "135.53亿元", "dongchuan-2026-government-work-report"),
    ("東川區2025年地區生產總值是多少？", "135.53亿元", "dongchuan-2026-government-work-report"),
]
PROVINCE_QUESTIONS = [  # verbatim gold spans from each province's report
    ("云南省“十四五”时期地区生产总值突破多少？", "3万亿元", "2026-yunnan-government-work-report"),
    ("广东省地区生产总值总量连续多少年居全国首位？", "37年", "2026-guangdong-government-work-report"),
    ("宁夏全国文明村镇达到多少个？", "84个", "2026-ningxia-government-work-report"),
    ("贵州省2025年城镇新增就业多少人？", "62.6万人", "2026-guizhou-government-work-report"),
    ("西藏2025年重点项目完成投资多少？", "2125亿元", "2026-tibet-government-work-report"),
    ("天津“津农精品”销售额连续几年突破百亿元？", "3年", "2026-tianjin-government-work-report"),
    ("云南省非烟非能工业增加值增长多少？", "8.1%", "2026-yunnan-government-work-report"),
    ("广东省预计全社会研发投入多少？", "5350亿元", "2026-guangdong-government-work-report"),
    ("西藏投入多少亿元办好民生项目？", "187亿元", "2026-tibet-government-work-report"),
    ("广西筹措多少亿元实施暖心民政？", "890.59亿元", "2026-guangxi-government-work-report"),
]


@pytest.fixture(scope="module")
def assistant33(assistant_all):  # type: ignore[no-untyped-def]
    """The index of every report (the 33 of this module among them), shared with the QA-floor tests."""
    return assistant_all


@pytest.mark.slow
def test_33_reports_in_one_index(assistant33) -> None:  # type: ignore[no-untyped-def]
    provinces = [r for r in assistant33.reports if r.startswith("2026-") and r.endswith("-government-work-report")]
    assert len(provinces) == 31 and len(assistant33.reports) >= 33
    official = set(provinces) | {r.stem for r in CORPUS.glob("*.txt")}  # the copies from official sites
    for chunk in assistant33.index.chunks:
        if chunk.report_id not in official:
            continue
        for line in chunk.text.split("\n"):
            assert not (line.strip() and BOILERPLATE_LINE.match(line)), (chunk.id, line)


@pytest.mark.slow
@pytest.mark.parametrize("question,gold,report", SEED_QUESTIONS + PROVINCE_QUESTIONS)
def test_questions_are_answered_from_the_right_report(assistant33, question: str, gold: str,  # type: ignore[no-untyped-def]
                                                      report: str) -> None:
    answer = assistant33.ask(question)
    assert not answer.abstained, (question, answer.message)
    assert gold in answer.answer, (question, answer.answer, answer.sentence)
    assert answer.citations[0].report == report, (question, answer.citations[0].report)
