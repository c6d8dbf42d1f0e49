"""Comparison questions typed in the chat: `Assistant.ask` answers them report by report.

The fast tests use the bundled corpus (东川区 2026, 昆明市 2025 summary) and the real model;
the slow ones the index of every development document (`assistant_all`, see conftest.py).
"""
from __future__ import annotations

import json

import pytest

from assistant.compare import NOT_STATED, chat_intent, summary
from assistant.config import PROJECT_ROOT
from assistant.types import Answer

DC = "dongchuan-2026-government-work-report"
KM = "kunming-2025-government-work-report-summary"
ROW_KEYS = {"report", "region", "title", "answer", "display", "stated", "sentence", "citation", "rank", "qualifier"}


def _check_rows(answer: Answer, assistant) -> None:
    """Every stated row quotes its report verbatim where its citation points; unstated rows say 未提及."""
    data = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))  # JSON-safe as the API sends it
    rows = data["comparison"]["rows"]
    assert rows and all(ROW_KEYS <= set(r) for r in rows)
    for r in rows:
        report = assistant.reports[r["report"]]
        assert r["title"] == report.meta.title and r["region"] == (report.meta.region or report.meta.title)
        if not r["stated"]:
            assert r["display"] == NOT_STATED and r["answer"] == "" and r["rank"] is None
            continue
        c = r["citation"]
        assert r["display"] == r["answer"] and c["report"] == r["report"]
        assert c["text"][c["start"]:c["end"]] == r["answer"]  # the highlighted span is the answer
        assert report.text[c["report_start"]:c["report_end"]] == r["answer"]  # the viewer's offsets
        assert report.text[c["passage_start"]:c["passage_end"]] == c["text"]


def test_named_regions_compared_in_the_chat(assistant) -> None:
    answer = assistant.ask("东川区和昆明市的地区生产总值分别是多少？")
    comp = answer.comparison
    assert comp is not None and comp.scope == "named"
    assert sorted(r.region for r in comp.rows) == ["东川区", "昆明市"]  # one row per region, 未提及 rows kept
    _check_rows(answer, assistant)
    dc = next(r for r in comp.rows if r.report == DC)
    assert not dc.abstained and dc.answer == "135.53亿元"
    # older clients read answer/sentence/citations: the top row's, verbatim
    assert not answer.abstained and answer.answer == dc.answer and answer.sentence == dc.sentence
    assert answer.citations == (dc.citation,) and answer.answer in answer.sentence
    assert answer.message == summary(comp) and "\n" not in answer.message
    data = answer.to_dict()
    assert data["report"] == DC and data["comparison"]["reports"] == 2


def test_ranked_rows_put_the_first_of_the_ranking_in_the_answer(assistant) -> None:
    answer = assistant.ask("对比东川区和昆明市的固定资产投资目标")
    comp = answer.comparison
    assert comp is not None and {r.report for r in comp.rows} == {DC, KM}
    _check_rows(answer, assistant)
    assert comp.comparable and answer.answer == comp.ranking[0].answer
    assert answer.citations[0].report == comp.ranking[0].report
    row = answer.to_dict()["comparison"]["rows"]
    assert {r["report"]: r["rank"] for r in row} == {r.report: r.rank for r in comp.rows}
    assert any(r["qualifier"] == "以上" for r in row)  # "80亿元以上"


def test_superlative_between_named_regions(assistant) -> None:
    answer = assistant.ask("东川区和昆明市哪个的地区生产总值增长目标更高？")
    comp = answer.comparison
    assert comp is not None and comp.superlative == "max" and comp.winners
    assert answer.answer == comp.winners[0].answer and comp.winners[0].region in answer.message


@pytest.mark.parametrize("question", [
    "东川区2025年地区生产总值是多少？",
    "昆明市2025年地区生产总值增长目标是多少？",
    "昆明市政府工作报告里，东川区2026年社会消费品零售总额增长目标是多少？",  # two places, one question
    "东川要联动昆明周边及哪些地方构建交通互联新格局？",
    "“十四五”期间哪个地方对口帮扶东川区？",  # 哪个地方: a factoid, not every report
    "与“十三五”末相比，东川全区旅游人数增长了多少倍？",  # 相比, but one place
])
def test_ordinary_questions_get_no_comparison(assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.comparison is None and answer.to_dict()["comparison"] is None


def test_no_bundled_eval_question_is_a_chat_comparison(reports) -> None:
    metas = {rid: r.meta for rid, r in reports.items()}
    compared = []
    for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            compared += [q for q in [item["question"], *item.get("history", [])] if chat_intent(q, metas)]
    assert compared == []


def test_no_row_answered_abstains_with_the_rows(assistant) -> None:
    answer = assistant.ask("对比东川区和昆明市的载人航天发射次数")
    comp = answer.comparison
    assert comp is not None and len(comp.rows) == 2 and all(r.abstained for r in comp.rows)
    assert answer.abstained and answer.answer == "" and answer.message == summary(comp)
    assert [r["display"] for r in answer.to_dict()["comparison"]["rows"]] == [NOT_STATED, NOT_STATED]


def test_follow_ups_after_a_comparison(assistant) -> None:
    first = "东川区和昆明市的地区生产总值分别是多少？"
    # another indicator: still a comparison of the same places
    more = assistant.ask("增长了多少？", history=[first])
    assert more.comparison is not None and {r.report for r in more.comparison.rows} == {DC, KM}
    assert "增长" in more.resolved_question
    # one place named: that place is asked the compared question
    one = assistant.ask("那昆明呢？", history=["对比东川区和昆明市的固定资产投资目标"])
    assert one.comparison is None and one.resolved_question.startswith("昆明") and "固定资产投资" in one.resolved_question
    assert not one.abstained and one.citations[0].report == KM
    # and the conversation goes on from there
    later = assistant.ask("那东川区呢？", history=["对比东川区和昆明市的固定资产投资目标", "那昆明呢？"])
    assert later.comparison is None and later.resolved_question.startswith("东川区")
    assert not later.abstained and later.citations[0].report == DC


def test_a_report_filter_asks_that_report_alone(assistant) -> None:
    answer = assistant.ask("东川区和昆明市的地区生产总值分别是多少？", report=DC)
    assert answer.comparison is None and answer.citations and answer.citations[0].report == DC


# ------------------------------------------------------------------ every development document (slow)


@pytest.mark.slow
def test_provinces_compared_in_the_chat(assistant_all) -> None:  # type: ignore[no-untyped-def]
    from assistant.compare import report_level
    from assistant.years import reviewed_year, target_year

    answer = assistant_all.ask("各省2026年地区生产总值增长目标是多少？")
    comp = answer.comparison
    assert comp is not None and comp.scope == "level:province"
    expected = {rid for rid, r in assistant_all.reports.items()
                if report_level(r.meta) == "province" and 2026 in (reviewed_year(r.meta), target_year(r.meta))}
    assert {r.report for r in comp.rows} == expected  # every report in scope has its row, stated or not
    provinces = {r.region for r in comp.rows}
    assert len(provinces) >= 25
    _check_rows(answer, assistant_all)
    stated = [r for r in comp.rows if not r.abstained]
    assert len(stated) >= 25 and answer.answer == comp.ranking[0].answer
    assert answer.message.endswith(f"{len(comp.rows)} 份报告中 {len(stated)} 份提及")


@pytest.mark.slow
def test_no_general_or_descriptive_eval_question_is_a_chat_comparison(assistant_all) -> None:  # type: ignore[no-untyped-def]
    from assistant.compare import chat_resolve
    from assistant.dialogue import resolve

    metas = {rid: r.meta for rid, r in assistant_all.reports.items()}
    scopes = assistant_all.scopes
    compared, changed = [], []
    for name in ("qa.jsonl", "qa_general.jsonl", "qa_descriptive.jsonl"):
        for line in (PROJECT_ROOT / "eval" / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            history = item.get("history", [])
            resolved = chat_resolve(assistant_all, item["question"], history)
            if resolved != resolve(item["question"], history, scopes.find_places, scopes.years_of):
                changed.append(item["id"])
            compared += [item["id"] for q in [resolved, *history] if chat_intent(q, metas)]
    assert compared == [] and changed == []
