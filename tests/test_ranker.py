"""The descriptive-answer ranker: fit on the dev split, shipped as data, read back whole or not at all."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.reader.ranker import FEATURES, RANKER_PATH, SpanRanker, fit_ranker, load_ranker, span_features


def test_the_shipped_ranker_has_a_weight_for_every_feature_and_says_how_it_was_fit() -> None:
    doc = json.loads(RANKER_PATH.read_text(encoding="utf-8"))
    assert list(doc["weights"]) == list(FEATURES)
    assert "split=dev" in doc["fit_on"] and doc["command"].startswith("python -m eval fit-ranker")
    assert doc["rouge_l_fitted"] >= doc["rouge_l_summing"]  # on the questions it was fit on, by construction
    assert load_ranker() != SpanRanker.summing()


def test_a_missing_or_damaged_file_falls_back_to_summing_the_evidence(tmp_path: Path, caplog) -> None:
    assert load_ranker(tmp_path / "absent.json") == SpanRanker.summing()
    broken = tmp_path / "broken.json"
    broken.write_text('{"weights": {"sentence_coverage": 1.0', encoding="utf-8")
    assert load_ranker(broken) == SpanRanker.summing()
    other = tmp_path / "other.json"  # written for other features: not read half
    other.write_text(json.dumps({"weights": {"bm25": 2.0}}), encoding="utf-8")
    assert load_ranker(other) == SpanRanker.summing()
    assert "unreadable" in caplog.text


def test_summing_is_the_hand_set_score() -> None:
    feats = {"sentence_coverage": 0.45, "semantic": 0.2, "span": 0.3, "attached": 1.0}
    assert SpanRanker.summing().score(feats, 120, "descriptive") == pytest.approx(sum(feats.values()))
    row = span_features(feats, 120, "descriptive")
    assert row[FEATURES.index("length")] == pytest.approx(math.log1p(120) / 6)


def test_the_fit_learns_which_evidence_picks_the_closer_span() -> None:
    """Spans whose ROUGE-L follows their length, not their summed evidence: the fit weighs length up."""
    groups = []
    for q in range(30):
        rows, values = [], []
        for i in range(4):
            feats = {"sentence_coverage": 0.1 * ((i + q) % 4), "attached": 1.0}
            length = 40 * (i + 1)
            rows.append(span_features(feats, length, "descriptive"))
            values.append(0.2 * (i + 1))
        groups.append((rows, values))
    fitted = fit_ranker(groups, l2=0.2, iterations=800)  # (little pull towards the plain sum)
    weights = dict(zip(FEATURES, fitted.weights))
    assert weights["length"] > 1.0 and weights["sentence_coverage"] < 0.5
    assert weights["semantic"] == pytest.approx(1.0)  # evidence that never varies keeps its weight
    chosen = [max(range(4), key=lambda i: fitted.score({"sentence_coverage": 0.1 * ((i + q) % 4), "attached": 1.0},
                                                       40 * (i + 1), "descriptive")) for q in range(30)]
    assert sum(c == 3 for c in chosen) >= 25


def test_fit_ranker_command_fits_on_dev_questions_only(tmp_path: Path, settings, assistant) -> None:
    """`python -m eval fit-ranker` on a few dev questions of the bundled report, written to a file of its own;
    a QA file whose descriptive questions are all test lines fits nothing and says so."""
    from eval.__main__ import main

    assert assistant.index is not None  # the session fixture has built settings.index_dir
    rows = [json.loads(x) for x in (PROJECT_ROOT / "eval" / "qa_descriptive.jsonl").read_text(encoding="utf-8")
            .splitlines() if x.strip()]
    pick = [r for r in rows if r["id"] in ("ds-dev-001", "ds-dev-003", "ds-dev-004")]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in pick) + "\n", encoding="utf-8")
    out = tmp_path / "ranker.json"
    assert main(["fit-ranker", "--qa", str(qa), "--index-dir", str(settings.index_dir), "--corpus",
                 str(settings.corpus_dir), "--out", str(out), "-q"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["questions"] == 3 and list(doc["weights"]) == list(FEATURES)
    assert load_ranker(out) != SpanRanker.summing()
    tests_only = tmp_path / "test-only.jsonl"
    tests_only.write_text("\n".join(json.dumps({**r, "split": "test"}, ensure_ascii=False) for r in pick) + "\n",
                          encoding="utf-8")
    assert main(["fit-ranker", "--qa", str(tests_only), "--index-dir", str(settings.index_dir), "--corpus",
                 str(settings.corpus_dir), "--out", str(tmp_path / "none.json"), "-q"]) == 2
    assert not (tmp_path / "none.json").exists()
