"""Quality floors: the reader may not regress with CI green.

Each QA set is answered exactly as `python -m eval run` does (same runner, same
metrics) and its accuracy must stay at or above the level reached when the floor
was set. The general set is asked over one index of every report we have; its
`test` split covers reports no rule was tuned on.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

from eval.metrics import summarize
from eval.qa import load_qa
from eval.runner import evaluate_item
from eval.systems import SystemSpec

QA = PROJECT_ROOT / "eval" / "qa.jsonl"
QA_GENERAL = PROJECT_ROOT / "eval" / "qa_general.jsonl"
QA_DESCRIPTIVE = PROJECT_ROOT / "eval" / "qa_descriptive.jsonl"

# floors: a little under what the reader reaches — raise them when the reader improves. Measured on the index
# of every document (docs/eval.md): bundled 94.7%; dev 89.7% correct (1,139 answerable questions; the 390 gn-c-,
# gn-d- and gn-e- ones, written last by helpers that had not read the code, are the hardest), 96.2% of
# unanswerable questions abstained; test 83.1% and 94.4% (by level: national 77.8%, province 82.7%, city 85.6%,
# county 84.2%).
FLOOR_BUNDLED = 0.92
FLOORS_GENERAL = {"dev": {"accuracy": 0.885, "abstention_recall": 0.93},
                  "test": {"accuracy": 0.81, "abstention_recall": 0.85}}
# the test split by level (the reports of each level nobody tuned on): accuracy
FLOORS_GENERAL_TEST_LEVEL = {"national": 0.75, "province": 0.81, "city": 0.84, "county": 0.83}


def _rows(assistant, path: Path, split: str | None = None) -> list[dict]:
    name = assistant.settings.retriever
    spec = SystemSpec(name, "product", assistant.settings, name, product=True)
    items = [i for i in load_qa(path) if split is None or i.split == split]
    assert items, f"no questions in {path} (split {split})"
    return [evaluate_item(assistant, spec, item)[1] for item in items]


def test_bundled_reports_accuracy_floor(assistant) -> None:
    m = summarize(_rows(assistant, QA))
    assert m["errors"] == 0
    assert m["accuracy"] >= FLOOR_BUNDLED, m


@pytest.mark.slow
@pytest.mark.parametrize("split", ["dev", "test"])
def test_general_reports_floors(assistant_all, split: str) -> None:
    rows = _rows(assistant_all, QA_GENERAL, split)
    m = summarize(rows)
    assert m["errors"] == 0
    for key, floor in FLOORS_GENERAL[split].items():
        assert m[key] >= floor, (split, key, m[key], m)
    if split == "test":
        for level, floor in FLOORS_GENERAL_TEST_LEVEL.items():
            at_level = [r for r in rows if r["level"] == level]
            assert at_level, f"no test questions at level {level}"
            accuracy = summarize(at_level)["accuracy"]
            assert accuracy >= floor, (level, accuracy)


# descriptive answers (how / which measures / what policy), character ROUGE-L with β = 1.2; measured: see docs/eval.md
FLOORS_DESCRIPTIVE = {"dev": 0.72, "test": 0.69}  # measured 0.737 (339 questions; the ds-e notices are the hardest) / 0.709


@pytest.mark.slow
@pytest.mark.parametrize("split", ["dev", "test"])
def test_descriptive_answers_floor(assistant_all, split: str) -> None:
    m = summarize(_rows(assistant_all, QA_DESCRIPTIVE, split))
    assert m["errors"] == 0
    assert m["rouge_l_b1.2"] >= FLOORS_DESCRIPTIVE[split], (split, m["rouge_l_b1.2"], m)
