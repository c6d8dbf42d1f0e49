"""Metrics on hand-made cases whose values are worked out by hand (CMRC 2018 conventions)."""
from __future__ import annotations

import pytest

from eval.failures import category
from eval.metrics import (char_f1, exact_match, first_hit_rank, hit_at, hit_curve, is_correct, mrr, percentile, prf,
                          segment, summarize)


# ------------------------------------------------------------------ CMRC segmentation / F1 / EM

def test_segment_cjk_single_chars_and_whole_numbers():
    assert segment("135.53亿元") == ["135.53", "亿", "元"]
    assert segment("增长4.4%") == ["增", "长", "4.4", "%"]
    assert segment("5G基站") == ["5g", "基", "站"]


def test_f1_identical_is_one():
    assert char_f1("135.53亿元", ["135.53亿元"]) == 1.0


def test_f1_full_width_forms_are_normalized():
    assert char_f1("１３５.５３亿元", ["135.53亿元"]) == 1.0


def test_f1_partial_overlap_known_values():
    # pred 增 长 4.4 % (4 tokens) vs gold 4.4 % (2): lcs 2 → P 1/2, R 1 → F1 2/3
    assert char_f1("增长4.4%", ["4.4%"]) == pytest.approx(2 / 3)
    # a number is one token: 135.5 ≠ 135.53, only 亿元 matches → P = R = 2/3
    assert char_f1("135.5亿元", ["135.53亿元"]) == pytest.approx(2 / 3)
    # pred 72.5亿元以上 (5 tokens: 72.5 亿 元 以 上) vs gold 72.5亿元 (3) → lcs 3: P 3/5, R 1 → 0.75
    assert char_f1("72.5亿元以上", ["72.5亿元"]) == pytest.approx(0.75)


def test_f1_uses_longest_contiguous_run_not_subsequence():
    # common characters 东 区 are not contiguous in the prediction: longest run is 1
    # pred 东川的区 (4), gold 东区 (2): run 1 → P 1/4, R 1/2 → F1 1/3
    assert char_f1("东川的区", ["东区"]) == pytest.approx(1 / 3)


def test_f1_best_over_golds_and_zero_without_overlap():
    assert char_f1("增长9.6%", ["9.6%", "增长9.6%"]) == 1.0
    assert char_f1("昆明", ["东川"]) == 0.0
    assert char_f1("", ["东川"]) == 0.0


def test_f1_is_punctuation_insensitive():
    assert char_f1("“放管服”改革。", ["放管服改革"]) == 1.0
    assert char_f1("科技、教育，人才", ["科技教育人才"]) == 1.0


def test_f1_without_gold_rewards_empty_answer():
    assert char_f1("", []) == 1.0
    assert char_f1("5%", []) == 0.0


def test_exact_match_punctuation_but_not_decimal_point():
    assert exact_match("“放管服”改革", ["放管服改革"]) == 1.0
    assert exact_match("GDP", ["gdp"]) == 1.0
    assert exact_match("4.4%", ["44%"]) == 0.0  # "." is not punctuation for numbers
    assert exact_match("增长4.4%", ["4.4%"]) == 0.0
    assert exact_match("增长4.4%", ["4.4%", "增长4.4%"]) == 1.0


# ------------------------------------------------------------------ accuracy length rule

def test_is_correct_gold_inside_short_answer():
    assert is_correct("增长4.4%", ["4.4%"])
    assert not is_correct("增长4.5%", ["4.4%"])


def test_is_correct_length_rule_boundary():
    gold = "七个方面"  # 4 chars: the cap is max(40, 12) = 40
    assert is_correct(gold + "x" * 36, [gold])  # 40 chars
    assert not is_correct(gold + "x" * 37, [gold])  # 41 chars
    long_gold = "甲" * 20  # cap is max(40, 60) = 60
    assert is_correct(long_gold + "乙" * 40, [long_gold])  # 60
    assert not is_correct(long_gold + "乙" * 41, [long_gold])  # 61


def test_is_correct_nfkc():
    assert is_correct("增长４.４％", ["4.4%"])


# ------------------------------------------------------------------ retrieval

def test_first_hit_rank_and_nfkc():
    passages = ["昆明市地区生产总值", "东川区地区生产总值１３５.５３亿元", "135.53亿元"]
    assert first_hit_rank(passages, ["135.53亿元"]) == 2
    assert first_hit_rank(passages, ["没有"]) is None


def test_hit_at_k_and_mrr_hand_made():
    ranks = [1, 3, None, 2, 10]
    assert hit_at(ranks, 1) == pytest.approx(1 / 5)
    assert hit_at(ranks, 3) == pytest.approx(3 / 5)
    assert hit_at(ranks, 5) == pytest.approx(3 / 5)
    assert hit_at(ranks, 10) == pytest.approx(4 / 5)
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2 + 1 / 10) / 5)
    assert hit_at([], 1) is None and mrr([]) is None


def _row(answers, answer="", abstained=False, hit_rank=None, citation="", latency=10.0, qtype="number",
         sentence=""):
    row = {"answers": answers, "answer": answer, "abstained": abstained, "latency_ms": latency, "type": qtype,
           "citations": [{"text": citation}] if citation else [], "sentence": sentence}
    if answers:
        row["hit_rank"] = hit_rank
    return row


def test_hit_curve_from_rows():
    rows = [_row(["a"], hit_rank=1), _row(["b"], hit_rank=3), _row([], abstained=True)]
    curve = hit_curve(rows)
    assert curve[0] == 0.5 and curve[1] == 0.5 and curve[2] == 1.0 and len(curve) == 10


# ------------------------------------------------------------------ abstention and summary

def test_prf_hand_made():
    assert prf(2, 4, 5) == (0.5, 0.4, pytest.approx(2 * 0.5 * 0.4 / 0.9))
    assert prf(0, 0, 3) == (None, 0.0, None)
    assert prf(0, 2, 3) == (0.0, 0.0, 0.0)


def test_summarize_abstention_citation_and_accuracy():
    rows = [
        _row(["4.4%"], "增长4.4%", hit_rank=1, citation="比上年增长4.4%。"),  # correct, cited
        _row(["9.6%"], "9.5%", hit_rank=2, citation="增长9.5%"),  # wrong, citation lacks gold
        _row(["7.67亿元"], abstained=True, hit_rank=None),  # wrongly abstained
        _row([], abstained=True),  # right abstention
        _row([], "5%"),  # answered an unanswerable
        _row([], abstained=True),  # right abstention
    ]
    m = summarize(rows)
    assert m["n"] == 6 and m["answerable"] == 3 and m["unanswerable"] == 3
    assert m["accuracy"] == pytest.approx(1 / 3)
    assert m["item_accuracy"] == pytest.approx(3 / 6)
    assert m["citation_precision"] == pytest.approx(1 / 2)  # over the 2 answered answerable
    # abstained 3 times, 2 of them on the 3 unanswerable: P 2/3, R 2/3
    assert m["abstention_precision"] == pytest.approx(2 / 3)
    assert m["abstention_recall"] == pytest.approx(2 / 3)
    assert m["abstention_f1"] == pytest.approx(2 / 3)
    assert m["wrongly_abstained"] == 1 and m["answered_unanswerable"] == 1
    assert m["hit@1"] == pytest.approx(1 / 3) and m["hit@3"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 0.5) / 3)
    assert m["exact_match"] == pytest.approx(0.0)  # "增长4.4%" ≠ "4.4%"


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 0.5) == 25
    assert percentile([5], 0.95) == 5
    assert percentile([], 0.5) is None


def test_failure_categories():
    assert category(_row(["4.4%"], "增长4.4%", hit_rank=1)) is None
    assert category(_row([], "5%")) == "answered_unanswerable"
    assert category(_row(["4.4%"], abstained=True, hit_rank=2)) == "abstained_gold_retrieved"
    assert category(_row(["4.4%"], abstained=True)) == "abstained_not_retrieved"
    assert category(_row(["4.4%"], "x" * 50 + "4.4%", hit_rank=1)) == "too_long"
    assert category(_row(["4.4%"], "9.6%", hit_rank=1, sentence="增长4.4%,消费增长9.6%")) \
        == "wrong_span_right_sentence"
    assert category(_row(["4.4%"], "9.6%", hit_rank=1, sentence="消费增长9.6%")) == "wrong_passage_gold_retrieved"
    assert category(_row(["4.4%"], "9.6%")) == "wrong_not_retrieved"
