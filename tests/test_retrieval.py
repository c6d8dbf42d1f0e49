"""Searchers share one shape; hybrid fuses them; filters and fusion behave."""
from __future__ import annotations

import pytest

from assistant.reader import analyze
from assistant.retriever import reciprocal_rank_fusion
from assistant.types import Chunk, Hit

DONGCHUAN = "dongchuan-2026-government-work-report"
KUNMING = "kunming-2025-government-work-report-summary"


def _hit(cid: str, rank: int, source: str = "x") -> Hit:
    chunk = Chunk(id=cid, report_id="r", section_path=("s",), text=cid, start=0, end=len(cid))
    return Hit(chunk, 1.0 / rank, rank, source)


def test_rrf_rewards_agreement():
    lexical = [_hit("a", 1), _hit("b", 2), _hit("c", 3)]
    dense = [_hit("c", 1), _hit("b", 2), _hit("d", 3)]
    fused = reciprocal_rank_fusion([lexical, dense], k=4, rrf_k=60)
    ids = [h.chunk.id for h in fused]
    # b and c appear in both lists and beat a and d, which appear once
    assert set(ids[:2]) == {"b", "c"}
    assert set(ids) == {"a", "b", "c", "d"}
    assert [h.rank for h in fused] == [1, 2, 3, 4]
    assert all(h.source == "hybrid" for h in fused)
    # c: ranks 3 and 1 → 1/63 + 1/61 edges out b: ranks 2 and 2 → 2/62
    assert ids[0] == "c" and fused[0].score == pytest.approx(1 / 63 + 1 / 61)
    assert fused[1].score == pytest.approx(2 / 62)


def test_rrf_weights_and_k_limit():
    lexical = [_hit("a", 1)]
    dense = [_hit("b", 1)]
    fused = reciprocal_rank_fusion([lexical, dense], k=1, weights=[1.0, 2.0])
    assert [h.chunk.id for h in fused] == ["b"]


@pytest.mark.parametrize("name", ["bm25", "dense", "hybrid"])
def test_searchers_are_interchangeable(assistant, name):
    searcher = assistant.searcher(name)
    hits = searcher.search("东川区2025年地区生产总值", 5)
    assert 1 <= len(hits) <= 5
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert any("135.53亿元" in h.chunk.text for h in hits)


@pytest.mark.parametrize("name", ["bm25", "dense", "hybrid"])
def test_report_filter(assistant, name):
    hits = assistant.searcher(name).search("地区生产总值增长目标", 5, reports=[KUNMING])
    assert hits and all(h.chunk.report_id == KUNMING for h in hits)


def test_hybrid_finds_english_questions(assistant):
    info = analyze("What was Dongchuan's GDP in 2025?")
    hits = assistant.retrieve(info, 5)
    assert any("135.53亿元" in h.chunk.text for h in hits)


def test_full_width_and_half_width_questions_retrieve_the_same(assistant):
    a = [h.chunk.id for h in assistant.searcher("bm25").search("（一）攻坚重点产业：铜磷", 5)]
    b = [h.chunk.id for h in assistant.searcher("bm25").search("(一)攻坚重点产业:铜磷", 5)]
    assert a == b and a
