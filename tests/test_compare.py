"""Compare mode: comparison questions detected and scoped, figures parsed and ranked, tables exported.

Fast tests use the 2 bundled reports and the real model; the slow tests use the
33-report index of tests/test_provinces.py and the comparison QA set.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from assistant.compare import (NOT_STATED, TABLE_HEADER, CompareRow, compare, detect, rank_rows, report_level,
                               scope_reports, sort_rows, table_rows, to_csv, to_tsv)
from assistant.config import PROJECT_ROOT
from assistant.quantity import parse_quantity
from assistant.xlsx import NUMERIC_COLUMNS, xlsx_bytes
from test_provinces import assistant33, catalog  # noqa: F401  (the 33-report index, built once and reused)

DC = "dongchuan-2026-government-work-report"
KM = "kunming-2025-government-work-report-summary"
QA_COMPARE = PROJECT_ROOT / "eval" / "qa_compare.jsonl"


# ------------------------------------------------------------------ quantities

@pytest.mark.parametrize("text,low,high,unit_class,qualifier", [
    ("5%左右", 5, 5, "percent", "about"),
    ("4.5%—5%", 4.5, 5, "percent", ""),
    ("4.5-5%", 4.5, 5, "percent", ""),
    ("5％左右", 5, 5, "percent", "about"),  # full-width percent sign, as some reports write it
    ("110万人以上", 1.1e6, 1.1e6, "people", "at_least"),
    ("不少于28万人", 2.8e5, 2.8e5, "people", "at_least"),
    ("5%以内", 5, 5, "percent", "at_most"),
    ("1600亿斤以上", 8e10, 8e10, "mass", "at_least"),  # 斤 to kg: comparable with 吨
    ("513万吨以上", 5.13e9, 5.13e9, "mass", "at_least"),
    ("135.53亿元", 1.3553e10, 1.3553e10, "currency", ""),
])
def test_parse_quantity(text: str, low: float, high: float, unit_class: str, qualifier: str) -> None:
    q = parse_quantity(text)
    assert q is not None
    assert q.text == text  # the quoted span is never changed
    assert q.value_low == pytest.approx(low) and q.value_high == pytest.approx(high)
    assert (q.unit_class, q.qualifier) == (unit_class, qualifier)


def test_parse_quantity_without_a_number() -> None:
    assert parse_quantity("与经济增长同步") is None
    assert parse_quantity("") is None


# ------------------------------------------------------------------ question analysis


def test_detects_comparisons_and_their_scope(reports) -> None:
    metas = {rid: r.meta for rid, r in reports.items()}
    intent = detect("对比东川区和昆明市的固定资产投资目标", metas)
    assert intent is not None and set(intent.regions) == {DC, KM}
    assert intent.core == "固定资产投资目标是多少？"
    assert scope_reports(intent, metas) == ([DC, KM], "named") or set(scope_reports(intent, metas)[0]) == {DC, KM}

    intent = detect("哪个省的城镇新增就业目标最高？", metas)
    assert intent is not None and (intent.level, intent.superlative) == ("province", "max")
    assert intent.core == "城镇新增就业目标是多少？"

    intent = detect("各省2026年地区生产总值增长目标是多少？", metas)
    assert intent is not None and intent.level == "province" and intent.core == "2026年地区生产总值增长目标是多少？"

    intent = detect("城镇调查失业率目标最低的是哪个省？", metas)
    assert intent is not None and intent.superlative == "min" and intent.core == "城镇调查失业率目标是多少？"

    intent = detect("Which province has the highest GDP growth target for 2026?", metas)
    assert intent is not None and intent.level == "province" and intent.superlative == "max"
    assert "GDP growth target for 2026" in intent.core and "province" not in intent.core.lower()


@pytest.mark.parametrize("question", ["东川区2025年地区生产总值是多少？", "那昆明呢？", "东川区有多少个省级重点项目？",
                                      "东川区2025年哪个产业增长最快？"])
def test_single_report_questions_are_not_comparisons(reports, question: str) -> None:
    assert detect(question, {rid: r.meta for rid, r in reports.items()}) is None


def test_report_level_from_the_region_name(reports) -> None:
    levels = {rid: report_level(r.meta) for rid, r in reports.items()}
    assert levels == {DC: "county", KM: "city"}


# ------------------------------------------------------------------ ranking and tables (pure)


def _row(report: str, answer: str | None, region: str | None = None) -> CompareRow:
    stated = answer is not None
    return CompareRow(report=report, region=region or report, title=report, answer=answer or "", sentence="",
                      confidence=0.9 if stated else 0.1, abstained=not stated,
                      quantity=parse_quantity(answer) if answer else None)


def test_rank_rows_highest_and_lowest_with_ties_ranges_and_other_units() -> None:
    rows = [_row("a", "5%左右"), _row("b", "5.5%—6%"), _row("c", None), _row("d", "5%以上"), _row("e", "30万人")]
    ranked, unit_class = rank_rows(rows, "max")
    by = {r.report: r.rank for r in ranked}
    assert unit_class == "percent"
    assert by == {"a": 2, "b": 1, "c": None, "d": 2, "e": None}  # range by midpoint; ties share a rank
    assert [r.report for r in ranked] == ["a", "b", "c", "d", "e"]  # original order kept
    lowest, _ = rank_rows(rows, "min")
    assert {r.report: r.rank for r in lowest}["b"] == 3
    assert [r.report for r in sort_rows(ranked, "rank")] == ["b", "a", "d", "e", "c"]  # unstated last


def test_tables_quote_spans_and_mark_unstated_rows() -> None:
    from assistant.compare import Comparison

    ranked, unit_class = rank_rows([_row("a", "4.5%—5%", "甲省"), _row("b", None, "乙省")])
    comp = Comparison(question="q", core_question="q", scope="all", rows=ranked, unit_class=unit_class)
    rows = table_rows(comp)
    assert rows[1][:6] == ["甲省", "4.5%—5%", "", "4.5–5", "%", "1"]
    assert rows[2][1] == NOT_STATED
    parsed = list(csv.reader(io.StringIO(to_csv(comp))))
    assert parsed == rows
    assert [line.split("\t") for line in to_tsv(comp).splitlines()] == rows


def test_xlsx_read_back_by_openpyxl() -> None:
    """The workbook, read independently: header, frozen pane, filter, widths, numbers, literal text."""
    from assistant.compare import Comparison

    ranked, unit_class = rank_rows([_row("a", "4.5%—5%", "甲自治区"), _row("b", "6%左右", "乙省"), _row("c", None, "丙省")])
    rows = table_rows(Comparison(question="q", core_question="q", scope="all", rows=ranked, unit_class=unit_class))
    assert NUMERIC_COLUMNS <= set(TABLE_HEADER)
    col = {h: i for i, h in enumerate(TABLE_HEADER)}
    rows[1][col["原文"]] = "=SUM(A1:A9)" + "目标增长" * 30  # formula-like and long: literal, wrapped
    rows[2][col["章节"]], rows[2][col["报告"]] = "+86 123", "@报告"
    rows[3][col["数值"]] = "00123"  # a decimal-looking string with a leading zero stays text
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows, sheet="对比"))).active
    assert ws.title == "对比" and ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:J{len(rows)}"
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got[0] == list(TABLE_HEADER) and all(c.font.b for c in ws[1])
    assert got[1][col["原文"]].startswith("=SUM(A1:A9)目标增长") and ws.cell(2, col["原文"] + 1).data_type == "s"
    assert ws.cell(2, col["原文"] + 1).alignment.wrap_text
    assert (got[2][col["章节"]], got[2][col["报告"]], got[3][col["数值"]]) == ("+86 123", "@报告", "00123")
    assert got[1][col["答案"]] == "4.5%—5%" and got[2][col["答案"]] == "6%左右" and got[1][col["数值"]] == "4.5–5"
    assert got[2][col["数值"]] == 6 and isinstance(got[2][col["数值"]], (int, float))
    assert [r[col["排名"]] for r in got[1:3]] == [2, 1] and isinstance(got[1][col["置信度"]], float)
    assert [r[col["地区"]] for r in got[1:]] == ["甲自治区", "乙省", "丙省"] and got[3][col["答案"]] == NOT_STATED
    widths = {h: ws.column_dimensions[chr(65 + i)].width for h, i in col.items()}
    assert all(w and w >= 6 for w in widths.values())
    assert widths["原文"] > widths["排名"] and widths["原文"] <= 61  # capped
    assert widths["地区"] >= 2 * 4 + 2  # CJK characters count double: "甲自治区" is 8 wide


# ------------------------------------------------------------------ with the assistant (2 bundled reports)


def test_compare_named_regions(assistant) -> None:
    result = compare(assistant, "对比东川区和昆明市2025年地区生产总值")
    assert result.scope == "named" and {r.report for r in result.rows} == {DC, KM}
    dc = next(r for r in result.rows if r.report == DC)
    assert not dc.abstained and "135.53亿元" in dc.answer
    for r in result.rows:
        if not r.abstained:
            c = r.citation
            assert c is not None and c.report == r.report and c.text[c.start:c.end] == r.answer


def test_compare_answers_match_single_report_answers(assistant) -> None:
    """A row is what `ask(core, report=…)` answers: compare adds no answer logic of its own."""
    seen: list[tuple[str, int, int]] = []
    result = compare(assistant, "各地地区生产总值增长目标是多少？", on_row=lambda r, done, total: seen.append(
        (r.report, done, total)))
    assert result.scope == "all" and len(result.rows) == len(assistant.reports)
    n = len(result.rows)
    assert [(d, t) for _, d, t in seen] == [(i, n) for i in range(1, n + 1)]  # each row heard as it was read
    assert {rid for rid, _, _ in seen} == {r.report for r in result.rows}
    for row in result.rows:
        single = assistant.ask(result.core_question, report=row.report)
        assert row.abstained == single.abstained
        assert single.answer in row.answer  # at most widened to the whole figure ("5%" → "5%左右")


@pytest.mark.parametrize("question", ["地区生产总值增长目标是多少？", "城镇新增就业多少人？", "如何稳就业？",
                                      "What is the GDP growth target?", "东川区2025年粮食产量是多少？"])
def test_ask_each_is_ask_per_report(assistant, monkeypatch, question: str) -> None:
    """Analysed and embedded once, read report by report: the same answers as one `ask` per report
    (with as many passages and sentences read as `ask` reads; comparisons read fewer, see Settings.compare_k)."""
    monkeypatch.setattr(assistant, "settings", assistant.settings.with_(compare_sentences=8,
                                                                      compare_k=assistant.settings.k))
    rids = list(assistant.reports) + ["no-such-report"]
    each = dict(assistant.ask_each(question, rids))
    assert list(each) == rids
    assert each["no-such-report"].abstained and "no-such-report" in each["no-such-report"].message
    for rid in assistant.reports:
        single = assistant.ask(question, report=rid)
        got = each[rid]
        assert (got.answer, got.abstained, got.reason) == (single.answer, single.abstained, single.reason), rid
        assert got.confidence == pytest.approx(single.confidence)
        assert [c.chunk_id for c in got.citations] == [c.chunk_id for c in single.citations]


def test_a_year_keeps_the_comparison_to_the_reports_of_that_year(assistant) -> None:
    """"各地2026年…" compares the reports that speak of 2026, not a 2025 report's own targets."""
    from assistant.years import reviewed_year, target_year

    result = compare(assistant, "各地2026年地区生产总值增长目标是多少？")
    expected = {rid for rid, r in assistant.reports.items() if 2026 in (reviewed_year(r.meta), target_year(r.meta))}
    assert expected and {row.report for row in result.rows} == expected


def test_whole_figure_widens_ranges_and_qualifiers_verbatim() -> None:
    from assistant.quantity import complete_figure

    for text, span, whole in [("地区生产总值增长5%—5.5%，在", "5%", "5%—5.5%"), ("增长5%-5.5%，", "5.5%", "5%-5.5%"),
                              ("增长5%左右，", "5%", "5%左右"), ("就业50万人以上。", "50万人", "50万人以上"),
                              ("增长5%，进出口", "5%", "5%"), ("增长5%、6.5%左右", "5%", "5%")]:
        i = text.index(span)
        s, e = complete_figure(text, i, i + len(span))
        assert text[s:e] == whole, (text, span)


def test_compare_explains_bad_input(assistant) -> None:
    assert compare(assistant, "").message
    assert compare(assistant, "东川区2025年地区生产总值是多少？", force=False).message
    assert "没有编号" in compare(assistant, "地区生产总值是多少？", reports=["no-such-report"]).message


def test_cli_compare_writes_csv(settings, tmp_path: Path, capsys) -> None:
    from assistant.__main__ import main

    out = tmp_path / "t.csv"
    code = main(["--compare", "对比东川区和昆明市2025年地区生产总值", "--csv", str(out),
                 "--index-dir", str(settings.index_dir), "--corpus", str(settings.corpus_dir)])
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["地区", "答案"] and {r[0] for r in rows[1:]} == {"东川区", "昆明市"}
    assert "135.53亿元" in capsys.readouterr().out


# ------------------------------------------------------------------ the comparison QA set


def test_compare_qa_set_is_verbatim_and_complete() -> None:
    from conftest import PROVINCES, dev_reports

    from eval.compare import load_compare_qa

    provinces = dev_reports(PROVINCES)
    items = load_compare_qa(QA_COMPARE)
    assert len(items) >= 8
    ids = sorted(p.stem for p in provinces.glob("*.txt"))
    for item in items:
        assert sorted(item.cells) == ids, item.id
        for rid, gold in item.cells.items():
            if gold is not None:
                text = (provinces / f"{rid}.txt").read_text(encoding="utf-8")
                assert gold[0] in text, (item.id, rid, gold)


def test_figure_correct_does_not_take_5_for_5_5() -> None:
    from eval.compare import figure_correct

    assert figure_correct("增长5%左右", ["5%左右"])
    assert not figure_correct("5.5%", ["5%"])
    assert not figure_correct("15%", ["5%"])
    assert figure_correct("5%", ["5%"])


# ------------------------------------------------------------------ 33 reports (slow)


@pytest.mark.slow
def test_compare_qa_set_on_33_reports(assistant33) -> None:  # type: ignore[no-untyped-def]
    from eval.compare import load_compare_qa, run_compare_eval

    scored, summary = run_compare_eval(assistant33, load_compare_qa(QA_COMPARE))
    print(json.dumps(summary, ensure_ascii=False))
    assert summary["cells_out_of_scope"] == 0
    assert summary["cell_accuracy"] >= 0.9, summary
    assert summary["not_stated_precision"] >= 0.9, summary
    assert summary["citation_contains_span"] == 1.0, summary


@pytest.mark.slow
def test_highest_target_names_the_winner(assistant33) -> None:  # type: ignore[no-untyped-def]
    result = compare(assistant33, "哪个省的2026年城镇新增就业目标最高？")
    assert result.scope == "level:province" and len(result.rows) == 31
    assert result.superlative == "max" and result.winners
    top = result.winners[0]
    # the winner's figure is at least every other stated figure of its class
    assert all(top.quantity.value >= r.quantity.value for r in result.rows if r.rank is not None)
