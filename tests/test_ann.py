"""Approximate search (HNSW) where it pays: same neighbours and same answers as exact search.

`Settings.dense_index` = "auto" keeps an exact index below `ann_min_vectors` passages and builds
HNSW above. These tests force HNSW over the real vectors of the real index and compare it with
exact search on the real questions of the QA sets: recall@10 against exact, and the answers.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.encoders import StandInEncoder
from assistant.retriever.ann import dense_kind, describe_dense_index, make_dense_index
from assistant.retriever.dense import DenseSearcher
from assistant.retriever.query import Query
from assistant.storage import build_index, load_index, read_manifest

QA_SETS = sorted((PROJECT_ROOT / "eval").glob("qa*.jsonl"))
MIN_RECALL = 0.99


def _questions(files: list[Path]) -> list[str]:
    out = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line).get("question")
                if isinstance(q, str) and q.strip():
                    out.append(q)
    return out


def _recall_at_10(assistant: Any, questions: list[str]) -> tuple[float, int]:
    """Mean share of exact search's top 10 that HNSW (forced) also returns, over the questions."""
    vectors = np.asarray(assistant.index.vectors, dtype=np.float32)
    hnsw = make_dense_index(vectors, assistant.settings.with_(dense_index="hnsw"))
    assert describe_dense_index(hnsw).startswith("hnsw(M=32, efSearch=1024)")
    exact = assistant.index.faiss_index
    assert describe_dense_index(exact) == "flat"
    queries = np.asarray([assistant.dense.embed(q) for q in questions], dtype=np.float32)
    _, want = exact.search(queries, 10)
    _, got = hnsw.search(queries, 10)
    recalls = [len(set(w) & set(g)) / len(w) for w, g in zip(want.tolist(), got.tolist())]
    return float(np.mean(recalls)), len(questions)


def test_hnsw_finds_what_exact_search_finds_on_the_bundled_index(assistant) -> None:
    recall, n = _recall_at_10(assistant, _questions(QA_SETS))
    print(f"recall@10 of HNSW against exact search, bundled index ({len(assistant.index.chunks)} passages), "
          f"{n} questions: {recall:.4f}")
    assert n > 500
    assert recall >= MIN_RECALL


@pytest.mark.slow
def test_hnsw_finds_what_exact_search_finds_on_the_index_of_every_document(assistant_all) -> None:
    recall, n = _recall_at_10(assistant_all, _questions(QA_SETS))
    print(f"recall@10 of HNSW against exact search, index of every document ({len(assistant_all.index.chunks)} "
          f"passages), {n} questions: {recall:.4f}")
    assert recall >= MIN_RECALL


def test_the_assistant_answers_alike_on_hnsw(assistant) -> None:
    """The bundled QA set asked of the same index searched through HNSW: the same answers and citations."""
    from assistant.pipeline import Assistant

    settings = assistant.settings.with_(dense_index="hnsw")
    hnsw = make_dense_index(np.asarray(assistant.index.vectors, dtype=np.float32), settings)
    approx = Assistant(settings, index=dataclasses.replace(assistant.index, faiss_index=hnsw),
                       encoder=assistant.encoder)
    assert describe_dense_index(approx.dense.index).startswith("hnsw")
    questions = _questions([PROJECT_ROOT / "eval" / "qa.jsonl"])
    differ = []
    for q in questions:
        a, b = assistant.ask(q), approx.ask(q)
        if (a.answer, a.abstained, [c.chunk_id for c in a.citations]) != \
                (b.answer, b.abstained, [c.chunk_id for c in b.citations]):
            differ.append((q, a.answer, b.answer))
    assert len(differ) <= len(questions) // 100, differ


def test_search_within_reports_is_exact_whatever_the_index(assistant) -> None:
    """Restricted to one report, the dense searcher scans that report's vectors: the same hits as asking an
    exact index for every passage and keeping that report's, with a graph index or without vectors."""
    index = assistant.index
    hnsw = make_dense_index(np.asarray(index.vectors, dtype=np.float32), assistant.settings.with_(dense_index="hnsw"))
    on_graph = DenseSearcher(index.chunks, hnsw, assistant.encoder, index.vectors)
    no_vectors = DenseSearcher(index.chunks, index.faiss_index, assistant.encoder)  # filters exact results
    for report in assistant.reports:
        for q in ("地区生产总值是多少？", "如何稳就业？", "2026年主要预期目标"):
            want = [(h.chunk.id, round(h.score, 4)) for h in no_vectors.search(q, 10, reports=[report])]
            got = [(h.chunk.id, round(h.score, 4)) for h in on_graph.search(q, 10, reports=[report])]
            assert got == want and len(got) == 10
            assert all(h.chunk.report_id == report for h in on_graph.search(q, 10, reports=[report]))
    assert on_graph.search("地区生产总值", 5, reports=["no-such-report"]) == []


@pytest.mark.parametrize("threshold, kind", [(50_000, "flat"), (10, "hnsw")])
def test_build_chooses_the_index_by_size(tmp_path: Path, threshold: int, kind: str) -> None:
    settings = Settings().with_(corpus_dir=PROJECT_ROOT / "corpus", index_dir=tmp_path / "index",
                                sentence_vectors=False).with_(ann_min_vectors=threshold)
    build_index(settings, encoder=StandInEncoder(32), progress=False)
    manifest = read_manifest(settings.index_dir)
    assert manifest["dense_index"] == kind == dense_kind(manifest["n_chunks"], settings)
    loaded = load_index(settings.index_dir)
    assert describe_dense_index(loaded.faiss_index).split("(")[0] == kind
    assert loaded.faiss_index.ntotal == manifest["n_chunks"]


def test_unknown_index_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="dense_index must be one of auto, flat, hnsw"):
        dense_kind(10, Settings().with_(dense_index="ivf"))


def test_a_graph_grows_with_the_archive_instead_of_being_rebuilt(tmp_path: Path, caplog) -> None:
    """Adding a report adds its passages to the previous build's graph; removing one masks its entries.
    Every passage of every build is still found by its own vector, and none that left is ever returned."""
    import logging
    import shutil

    from conftest import PROVINCES, dev_reports

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in (PROJECT_ROOT / "corpus").glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index", sentence_vectors=False,
                                ann_min_vectors=10)
    encoder = StandInEncoder(32)

    def build_and_check() -> Any:
        build_index(settings, encoder=encoder, progress=False)
        loaded = load_index(settings.index_dir)
        searcher = DenseSearcher(loaded.chunks, loaded.faiss_index, encoder)
        vectors = np.asarray(loaded.vectors, dtype=np.float32)
        for row, chunk in enumerate(loaded.chunks):
            top = searcher.search(Query(text="", vector=vectors[row]), 3)
            assert top[0].chunk.id == chunk.id or top[0].score >= 0.9999  # a duplicate text scores the same
            assert all(h.chunk.report_id in loaded.reports for h in top)
        return loaded

    first = build_and_check()
    # a report whose name sorts first: every earlier passage moves to a new row
    added = dev_reports(PROVINCES) / "2026-ningxia-government-work-report.txt"
    shutil.copy(added, corpus / ("0-" + added.name))
    with caplog.at_level(logging.INFO, logger="assistant.retriever.ann"):
        grown = build_and_check()
    assert "adding" in caplog.text and "building an HNSW graph" not in caplog.text
    assert len(grown.chunks) > len(first.chunks) and grown.manifest["dense_masked"] == 0
    # the small news summary leaves: its entries are masked, not rebuilt around
    caplog.clear()
    (corpus / "kunming-2025-government-work-report-summary.txt").unlink()
    with caplog.at_level(logging.INFO, logger="assistant.retriever.ann"):
        shrunk = build_and_check()
    assert "building an HNSW graph" not in caplog.text
    assert shrunk.manifest["dense_masked"] > 0
    assert shrunk.faiss_index.ntotal == len(shrunk.chunks) + shrunk.manifest["dense_masked"]
    assert "masked" in describe_dense_index(shrunk.faiss_index)
    assert not any(c.report_id.startswith("kunming") for c in shrunk.chunks)

