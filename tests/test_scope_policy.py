"""Which reports a question is about, year semantics, alternatives, and the answer policy."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.knowledge import lexicon, translate_english
from assistant.policy import confidence
from assistant.reader.question import analyze
from assistant.types import ReportMeta
from assistant.years import asked_years, reviewed_year, target_year

from eval.calibrate import best_threshold, fit_logistic


def _meta(year: int, **kw) -> ReportMeta:
    return ReportMeta(id=f"r{year}", title=f"某市{year}年政府工作报告", region="某市", year=year, date=None,
                      source=None, path=f"r{year}.txt", **kw)


def test_years_of_a_report_come_from_its_identity() -> None:
    meta = _meta(2026)
    assert (reviewed_year(meta), target_year(meta)) == (2025, 2026)
    assert asked_years(analyze("去年地区生产总值增长多少？"), meta) == {2025}
    assert asked_years(analyze("今年地区生产总值增长目标是多少？"), meta) == {2026}
    assert asked_years(analyze("2024年地区生产总值是多少？"), meta) == {2024}
    assert asked_years(analyze("地区生产总值是多少？"), meta) == set()


@pytest.mark.parametrize("question,short", [
    ("24年全市打算发多少消费券？", (2024,)), ("’25年地区生产总值是多少？", (2025,)), ("24年底常住人口是多少？", (2024,)),
    ("连续12年保持增长的是哪项指标？", ()), ("过去10年变化如何？", ()), ("第10年", ()), ("10年来增长多少？", ()),
    ("推行15年免费教育了吗？", ()), ("12年义务教育覆盖多少人？", ()), ("2024年地区生产总值是多少？", ()),
])
def test_two_digit_years_are_told_from_counts_of_years(question: str, short: tuple[int, ...]) -> None:
    assert analyze(question).short_years == short


def test_a_two_digit_year_is_a_year_where_a_report_of_it_is_indexed(assistant) -> None:
    asked = assistant.analyze("东川区25年地区生产总值是多少？")
    assert asked.years == (2025,)  # the bundled Dongchuan report reviews 2025
    assert assistant.analyze("东川区15年地区生产总值是多少？").years == ()  # no report of 2015: not read as one
    short, full = assistant.ask("东川区25年地区生产总值是多少？"), assistant.ask("东川区2025年地区生产总值是多少？")
    assert not full.abstained and short.answer == full.answer


@pytest.mark.parametrize("question,expected", [
    ("How much ultra-long special treasury bonds will be issued this year?", "超长期特别国债"),
    ("What was the surveyed urban unemployment rate last year?", "城镇调查失业率"),
    ("What is the growth target for retail sales of consumer goods?", "社会消费品零售总额"),
])
def test_english_questions_get_the_report_wording(question: str, expected: str) -> None:
    assert expected in translate_english(question)
    info = analyze(question)
    assert info.english and expected in info.search_text


def test_everyday_wording_maps_to_official_terms() -> None:
    info = analyze("城里人收入涨了多少？")
    assert any("城镇居民人均可支配收入" in t.split("|") for t in info.terms), info.terms
    assert lexicon().official("社零") == "社会消费品零售总额"


@pytest.mark.parametrize("question", ["如何推进富民增收？", "社会安宁方面有什么措施？"])
def test_ordinary_words_are_not_places(assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert "目前没有收录" not in answer.reason, answer.reason
    assert assistant.scopes.find_places(question) == []


@pytest.mark.parametrize("question", ["What is Shenzhen's GDP growth target for 2026?",
                                      "深圳市2026年地区生产总值增长目标是多少？"])
def test_a_place_without_a_report_is_refused(assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.abstained and "没有" in answer.reason, answer.reason


def test_a_national_question_is_not_answered_from_a_local_report(assistant) -> None:
    # the bundled corpus has no national report
    answer = assistant.ask("全国2026年城镇新增就业目标是多少？")
    assert answer.abstained, answer.answer
    assert "全国" in answer.reason


def test_a_question_naming_no_place_says_which_report_and_shows_the_others(assistant) -> None:
    answer = assistant.ask("地区生产总值增长目标是多少？")
    assert not answer.abstained, answer.reason
    first = answer.citations[0]
    assert first.title in answer.reason  # "答案来自《…》"
    assert answer.alternatives, "the other report's figure is shown too"
    for alt in answer.alternatives:
        assert alt.report != first.report
        c = alt.citation
        assert c.text[c.start:c.end] == alt.answer  # verbatim
    d = answer.to_dict()
    assert d["report"] == first.report and d["alternatives"][0]["answer"] == answer.alternatives[0].answer


def test_explain_names_the_features(assistant) -> None:
    answer = assistant.ask("东川区2025年地区生产总值是多少？", explain=True)
    assert not answer.abstained
    for name in ("sentence_coverage", "retrieval_rank", "proximity", "span"):
        assert name in answer.explanation


def test_confidence_is_monotonic_in_coverage() -> None:
    low = confidence({"coverage": 0.2, "score": 0.5})
    high = confidence({"coverage": 0.9, "score": 0.5})
    assert 0.0 < low < high < 1.0


def test_calibration_separates_right_from_wrong() -> None:
    rng = np.random.default_rng(0)
    good = rng.normal(0.8, 0.1, size=(200, 2))
    bad = rng.normal(0.4, 0.1, size=(200, 2))
    x = np.vstack([good, bad])
    y = np.concatenate([np.ones(200), np.zeros(200)])
    from eval import calibrate

    saved = calibrate.FEATURES
    calibrate.FEATURES = ("coverage", "score")
    try:
        w = fit_logistic(x, y)
    finally:
        calibrate.FEATURES = saved
    assert w["coverage"] > 0 and w["score"] > 0
    z = w["bias"] + x @ np.array([w["coverage"], w["score"]])
    probs = 1 / (1 + np.exp(-z))
    t = best_threshold(probs, y)
    kept = probs >= t
    assert y[kept].mean() > 0.9 and kept.sum() >= 150


def test_a_question_that_restates_its_subject_is_not_a_follow_up() -> None:
    from assistant.dialogue import is_follow_up, resolve

    history = ["东川区2025年地区生产总值是多少？", "东川区2026年地区生产总值增长目标是多少？"]
    assert not is_follow_up(history[1], history[0])
    assert resolve("那昆明呢？", history) == "昆明地区生产总值增长目标是多少？"
    assert is_follow_up("2024年计划新增多少？", "驻马店市2023年城镇新增就业多少人？")


def test_descriptive_answers_are_calibrated_apart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Whole-clause answers (judged by ROUGE-L) get their own fit: pooling them would move every other threshold."""
    import json

    from assistant.policy import load_calibration
    from eval.calibrate import calibrate

    rng = np.random.default_rng(1)
    preds, qa = [], []
    for i in range(240):
        descriptive = i % 2 == 0
        right = rng.random() < (0.5 if descriptive else 0.8)
        feats = {"coverage": float(rng.normal(0.8 if right else 0.4, 0.1)), "semantic": 0.1, "span": 0.1}
        gold = "织密就业基层服务网络，新增就业服务站5个。" if descriptive else "135.53亿元"
        answer = (gold if right else "另一句话，说的是别的事情。") if descriptive else (gold if right else "4.4%")
        preds.append({"id": str(i), "answer": answer, "abstained": False, "features": feats,
                      "qtype": "descriptive" if descriptive else "number"})
        qa.append({"id": str(i), "question": "q", "answers": [gold], "type": "descriptive" if descriptive else "number",
                   "split": "dev"})
    run = tmp_path / "run"
    run.mkdir()
    (run / "predictions.jsonl").write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in preds), encoding="utf-8")
    (tmp_path / "qa.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in qa), encoding="utf-8")
    out = tmp_path / "calibration.json"
    doc = calibrate([(run / "predictions.jsonl", tmp_path / "qa.jsonl")], out)
    assert doc["examples"] == 120 and doc["kinds"]["descriptive"]["examples"] == 120
    short, descriptive = load_calibration(str(out)), load_calibration(str(out), "descriptive")
    assert short[0] and descriptive[0] and short[0] != descriptive[0]
    assert load_calibration(str(out), "number") == short  # a kind with no fit of its own takes the shared one


def test_a_notice_of_the_asked_year_is_read_beside_the_report_about_that_year() -> None:
    """"北京市2025年最低工资标准…": the 2026 work report reviews 2025, and the 2025 notice is about 2025 too (a
    document has no year reviewed or planned: it is about the year it is issued in). Both are read; a notice
    of another year is not, and a question about 2026 keeps the 2026 report alone."""
    from assistant.scope import ScopeResolver
    from assistant.types import Report

    def report(rid: str, title: str, year: int, kind: str) -> Report:
        meta = ReportMeta(id=rid, title=title, region="北京市", year=year, date=f"{year}-07-25", source=None,
                          path=f"{rid}.txt", level="province", kind=kind)
        return Report(meta=meta, text=title + "\n")

    reports = {r.meta.id: r for r in (
        report("gwr", "北京市2026年政府工作报告", 2026, "report"),
        report("wage", "关于调整北京市2025年最低工资标准的通知", 2025, "document"),
        report("old", "关于调整北京市2023年最低工资标准的通知", 2023, "document"))}
    resolver = ScopeResolver(reports)
    assert set(resolver.resolve(analyze("北京市2025年最低工资标准如何调整？", ("北京市",))).reports) == {"gwr", "wage"}
    assert resolver.resolve(analyze("北京市2026年如何加强养老服务？", ("北京市",))).reports == ("gwr",)


def _city_report(year: int, growth: str, jobs: str, target_growth: str) -> str:
    return (f"绵阳市{year}年政府工作报告\n\n——{year}年1月20日在绵阳市人民代表大会上\n\n各位代表：\n\n"
            f"一、{year - 1}年工作回顾\n\n过去一年，全市地区生产总值增长{growth}，粮食产量稳定在30亿斤以上，"
            f"新开工重点项目120个，城镇新增就业{jobs}，新建改建农村公路500公里。\n\n"
            f"二、{year}年主要目标任务\n\n{year}年经济社会发展的主要预期目标是：地区生产总值增长{target_growth}；"
            f"{year}年绵阳市城镇新增就业人数4万人以上；城镇调查失业率5.5%以内。\n")


def test_a_year_asked_without_plan_words_is_read_in_the_report_that_reviews_it(tmp_path) -> None:
    """Two reports of one city: the 2021 report sets 2021's targets, the 2022 report says what 2021 brought.
    "2021年…多少" with no word of plan or result is answered with the result; "…目标" still with the target."""
    from assistant.config import Settings
    from assistant.pipeline import Assistant
    from assistant.years import reviewed_year, target_year

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2021-mianyang.txt").write_text(_city_report(2021, "4.0%", "4.2万人", "8%左右"), encoding="utf-8")
    (corpus / "2022-mianyang.txt").write_text(_city_report(2022, "8.7%", "4.6万人", "7.5%左右"), encoding="utf-8")
    assistant = Assistant(Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False)
    by_year = {reviewed_year(r.meta): rid for rid, r in assistant.reports.items()}
    assert set(by_year) == {2020, 2021}

    result = assistant.ask("绵阳市2021年城镇新增就业多少人？")
    assert not result.abstained, result.reason
    assert result.citations[0].report == by_year[2021] and result.answer == "4.6万人"
    target = assistant.ask("绵阳市2021年城镇新增就业目标是多少？")
    assert not target.abstained, target.reason
    assert target_year(assistant.reports[target.citations[0].report].meta) == 2021
    assert target.answer.startswith("4万人")


def test_a_city_without_a_report_is_read_in_its_provinces_report(tmp_path) -> None:
    """"长春市…" with only 吉林省's report indexed: the province's report, which speaks of 长春; a city it never
    names (梅河口) and a city of a province with no report (保山, 云南's reports are a district and a city
    elsewhere) have no report to read."""
    import shutil

    from conftest import CORPUS, PROVINCES, dev_reports

    from assistant.ingest import discover, load_report
    from assistant.scope import ScopeResolver

    for f in [dev_reports(PROVINCES) / "2026-jilin-government-work-report.txt", *CORPUS.glob("*.txt"),
              *CORPUS.glob("*.meta.json")]:
        shutil.copy(f, tmp_path / f.name)
    reports = {r.meta.id: r for r in (load_report(f) for f in discover(tmp_path, warn=False))}
    resolver = ScopeResolver(reports)
    jilin = next(rid for rid, r in reports.items() if r.meta.region == "吉林省")
    scope = resolver.resolve(analyze("2025年长春市获得了哪项国际综合性赛事的举办权？"))
    assert scope.reports == (jilin,) and scope.within == ("长春市",) and not scope.missing
    assert resolver.resolve(analyze("吉林省2025年地区生产总值是多少？")).within == ()  # its own report
    for question, place in (("梅河口市2025年地区生产总值是多少？", "梅河口市"), ("保山市2025年地区生产总值是多少？", "保山市")):
        scope = resolver.resolve(analyze(question))
        assert scope.reports == () and scope.missing == (place,), question


@pytest.mark.slow
def test_a_city_is_answered_from_its_provinces_report_and_told_so(assistant_all) -> None:
    jilin = "2026-jilin-government-work-report"
    answer = assistant_all.ask("2025年长春市获得了哪项国际综合性赛事的举办权？")
    assert not answer.abstained and "第33届世界大冬会" in answer.answer
    assert answer.citations[0].report == jilin
    assert answer.reason == "目前没有收录长春市的报告，答案来自《吉林省2026年政府工作报告》"
    # what the province's report does not say of the city: no answer, and why
    refused = assistant_all.ask("长春市2025年地区生产总值是多少？")
    assert refused.abstained and refused.reason.startswith("目前没有收录长春市的报告，已在《吉林省2026年政府工作报告》中查找")


def test_a_year_without_a_place_narrows_the_reports_read(assistant) -> None:
    """"2024年…" names no place: the reports that review or plan 2024 are searched besides all of them."""
    of_2024 = assistant.scopes.of_years(analyze("2024年一般公共预算收入完成了多少？"))
    assert of_2024 and all(2024 in (reviewed_year(assistant.reports[r].meta), target_year(assistant.reports[r].meta))
                           for r in of_2024)
    assert len(of_2024) < len(assistant.reports)
    assert assistant.scopes.of_years(analyze("一般公共预算收入完成了多少？")) == ()  # no year, no narrowing


@pytest.mark.slow
def test_a_year_is_read_through_a_comparison_with_the_year_before(assistant_all) -> None:
    # "今年拟安排…，比去年增加1.6万亿元。…新开工改造城镇老旧小区3.9万个": the sentence speaks of 2020, not of 2019
    answer = assistant_all.ask("2020年计划新开工改造城镇老旧小区多少个？")
    assert not answer.abstained, answer.reason
    assert answer.citations[0].report == "2020-state-council-government-work-report"
    assert answer.answer.startswith("3.9万个")
