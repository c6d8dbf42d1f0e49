"""Target and result side by side (`assistant/track.py`): last year's target, its result, this year's target.

Fast: the comparison of a target with a result (qualifiers, direction), the indicator a question asks, and
the bundled reports (one 东川区 report: its result and its new target). Slow (`pytest -m slow`): the
development county reports of consecutive years in one index of every document (`assistant_all`).
"""
from __future__ import annotations

import json

import pytest

from assistant.track import indicator_phrase, known_indicator, lower_is_better, official_wording, target_met

DONGCHUAN = "dongchuan-2026-government-work-report"
DINGXING_2021 = "2021-dingxing-government-work-report"
DINGXING_2022 = "2022-dingxing-government-work-report"


# ------------------------------------------------------------------ pure functions


@pytest.mark.parametrize("target,actual,lower,expected", [
    ("8%以上", "8.1%", False, True),
    ("8%以上", "8%", False, True),
    ("8%以上", "3%", False, False),
    ("9%左右", "9.1%", False, True),  # a bare or 左右 figure is a floor
    ("9%左右", "6.4%", False, False),
    ("10%", "12.9%", False, True),
    ("4.5%—5%", "4.6%", False, True),  # reaching a range's low end meets it
    ("5.5%以内", "5.1%", True, True),  # a ceiling: met from below
    ("5.5%以内", "5.5%", True, True),
    ("5.5%以内", "5.6%", True, False),
    ("5.5%以内", "5.1%", False, True),  # the qualifier says it, whatever the indicator
    ("5.5%左右", "5.2%", True, True),  # 失业率 5.5%左右: lower is better
    ("5.5%左右", "5.8%", True, False),
    ("3%左右", "0.1%", True, True),  # 居民消费价格涨幅
    ("8.5%以上", "7%以上", False, None),  # "at least 7" may or may not reach 8.5
    ("7%", "7%以上", False, True),
    ("8%以上", "192.18亿元", False, None),  # a growth target and an amount: not comparable
    ("6%以上", "", False, None),
    ("80亿元以上", "101.1亿元", False, True),
])
def test_target_met_reads_qualifiers_and_direction(target: str, actual: str, lower: bool, expected) -> None:
    assert target_met(target, actual, lower) is expected


def test_a_decrease_is_a_negative_figure() -> None:
    # 能耗下降3%以上 (target) and 下降3.5% (result): the indicator itself is no decrease, the figures are
    assert target_met("3%以上", "3.5%", lower_is_better("单位地区生产总值能耗"), target_negative=True,
                      actual_negative=True) is True
    # a growth target met by a decline: "下降2%" is −2
    assert target_met("5%左右", "2%", False, actual_negative=True) is False
    # an indicator that is a decrease is met by a larger one
    assert not lower_is_better("单位地区生产总值能耗下降")
    assert target_met("3%", "3.5%", lower_is_better("单位地区生产总值能耗下降")) is True


@pytest.mark.parametrize("question,places,expected", [
    ("定兴县2021年地区生产总值增长多少？", ["定兴县"], "地区生产总值增长"),
    ("定兴县2021年地区生产总值实际增长了多少？", ["定兴县"], "地区生产总值增长"),
    ("2021年定兴县的地区生产总值增长目标是多少？", ["定兴县"], "地区生产总值增长"),
    ("定兴今年一般公共预算收入完成多少？", ["定兴"], "一般公共预算收入"),
    ("北京市城镇调查失业率控制在多少？", ["北京市"], "城镇调查失业率"),
])
def test_the_indicator_is_the_question_less_place_year_and_asking_words(question: str, places, expected) -> None:
    phrase = indicator_phrase(question, places)
    assert phrase == expected
    assert known_indicator(phrase)


def test_everyday_wordings_become_the_official_indicator() -> None:
    assert official_wording("GDP增长", ("gdp|地区生产总值|生产总值",)) == "地区生产总值增长"
    assert official_wording("地区生产总值增长", ("地区生产总值",)) == "地区生产总值增长"
    assert not known_indicator("新建道路")


# ------------------------------------------------------------------ bundled reports (real model, fast)


def _verbatim(assistant, point) -> None:
    c = point.citation
    text = assistant.reports[c.report].text
    assert text[c.report_start:c.report_end] == point.answer
    assert c.text[c.start:c.end] == point.answer
    assert point.answer in point.sentence and point.sentence in text


def test_one_report_gives_its_result_and_its_new_target(assistant) -> None:
    answer = assistant.ask("东川区2025年地区生产总值增长多少？")
    assert not answer.abstained and answer.answer == "4.4%"
    track = answer.track
    assert track is not None and track.region == "东川区" and track.year == 2025
    # no report of 2025 sets the 2025 target: the result and the 2026 target, both from the one report
    assert [(p.label, p.kind, p.year, p.answer) for p in track.points] == [
        ("2025年实际", "actual", 2025, "4.4%"), ("2026年目标", "target", 2026, "6%以上")]
    assert {p.citation.report for p in track.points} == {DONGCHUAN}
    assert track.met is None  # no target of 2025 to compare with
    for point in track.points:
        _verbatim(assistant, point)
    data = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert data["track"]["points"][1]["answer"] == "6%以上" and data["track"]["met"] is None
    assert set(data["track"]) == {"region", "indicator", "year", "met", "points"}
    assert set(data["track"]["points"][0]) == {"label", "kind", "year", "answer", "sentence", "confidence",
                                              "question", "citation"}


def test_no_track_for_descriptive_or_pinned_or_placeless_questions(assistant) -> None:
    for question in ("如何稳就业？", "东川区如何推进乡村振兴？", "东川区2025年新增城镇就业多少人？"):
        answer = assistant.ask(question)
        assert answer.track is None, question
        assert answer.to_dict()["track"] is None
    # a question pinned to one report (as every sub-question is) never builds a track of its own
    assert assistant.ask("东川区2025年地区生产总值增长多少？", report=DONGCHUAN).track is None
    # no place named: the answer's alternatives cover the other reports, no track
    assert assistant.ask("2025年地区生产总值增长多少？").track is None


# ------------------------------------------------------------------ consecutive years (slow)


@pytest.mark.slow
def test_target_from_one_year_result_from_the_next(assistant_all) -> None:
    answer = assistant_all.ask("定兴县2021年地区生产总值增长多少？")
    assert not answer.abstained
    track = answer.track
    assert track is not None and track.region == "定兴县" and track.year == 2021
    got = [(p.label, p.answer, p.citation.report) for p in track.points]
    assert got == [("2021年目标", "8%以上", DINGXING_2021),  # "县域生产总值增长8%以上" (2021 report)
                   ("2021年实际", "8.1%", DINGXING_2022),  # "增长8.1%" (2022 report)
                   ("2022年目标", "10%", DINGXING_2022)]
    for point in track.points:
        _verbatim(assistant_all, point)
    assert track.met is True  # 8.1% ≥ 8%以上


@pytest.mark.slow
@pytest.mark.parametrize("question,year,figures,met", [
    ("涞水县2021年地区生产总值增长多少？", 2021, ["9%左右", "6.4%", "8％以上"], False),
    ("涞水县2021年一般公共预算收入增长多少？", 2021, ["12%", "15.7%", "10％左右"], True),
    ("满城区2022年地区生产总值增长多少？", 2022, ["8%以上", "3%", "7%左右"], False),
    # an amount question is tracked as its growth, the way the reports state its target
    ("定兴县2021年地区生产总值是多少？", 2021, ["8%以上", "8.1%", "10%"], True),
    # no year: the year the answering report was read for
    ("满城区地区生产总值增长目标是多少？", 2022, ["8%以上", "3%", "7%左右"], False),
    # an everyday wording of the indicator
    ("定兴县今年GDP增长目标是多少？", 2021, ["8%以上", "8.1%", "10%"], True),
])
def test_consecutive_reports_give_three_points(assistant_all, question: str, year: int, figures, met) -> None:
    track = assistant_all.ask(question).track
    assert track is not None, question
    assert track.year == year
    assert [p.answer for p in track.points] == figures
    assert [p.label for p in track.points] == [f"{year}年目标", f"{year}年实际", f"{year + 1}年目标"]
    assert track.points[0].citation.report != track.points[1].citation.report == track.points[2].citation.report
    assert track.met is met
    for point in track.points:
        _verbatim(assistant_all, point)


@pytest.mark.slow
def test_single_report_regions(assistant_all) -> None:
    # one report that states the result and the new target: a two-point track from that report
    track = assistant_all.ask("曲阳县2021年地区生产总值增长多少？").track
    assert track is not None and [p.answer for p in track.points] == ["7.2%", "8%以上"]
    assert {p.citation.report for p in track.points} == {"2022-quyang-government-work-report"}
    assert track.met is None
    # one report with no yearly target for the indicator (a new term's five-year goals): no track
    for question in ("顺平县2020年地区生产总值是多少？", "阜平县2020年常住人口城镇化率是多少？"):
        answer = assistant_all.ask(question)
        assert not answer.abstained and answer.track is None, (question, answer.track)


@pytest.mark.slow
def test_no_track_beyond_one_region_or_for_descriptions(assistant_all) -> None:
    for question in ("如何稳就业？", "定兴县如何稳就业？", "定兴县和涞水县2021年地区生产总值增长多少？",
                     "定兴县2021年新建多少公里道路？"):
        assert assistant_all.ask(question).track is None, question
