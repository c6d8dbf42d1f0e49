"""Fit the descriptive-answer ranker (`assistant/reader/ranker.py`) on the dev split of a QA set.

For each descriptive question of the split, the assistant proposes its spans (`Assistant.candidates`);
each span's named evidence is one row, its character ROUGE-L (β 1.2) against the gold answers its
value. The weights maximise the expected ROUGE-L of the span chosen. Test lines never count.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
from pathlib import Path
from typing import Any, Sequence

from assistant.reader.descriptive import description_cue
from assistant.reader.ranker import RANKER_PATH, SpanRanker, fit_ranker, span_features

from .metrics import rouge_l
from .qa import QAItem

logger = logging.getLogger(__name__)


def ranking_groups(assistant: Any, items: Sequence[QAItem], split: str = "dev", progress: bool = True
                   ) -> list[tuple[list[list[float]], list[float]]]:
    """Per how / which-measures question of `split`: its spans' feature rows and their ROUGE-L against the gold."""
    from tqdm import tqdm

    chosen = [it for it in items if it.type == "descriptive" and it.split == split and it.answers and not it.history
              and description_cue(it.question) == "how"]  # (the questions the reader ranks so)
    groups = []
    for item in tqdm(chosen, desc="descriptive spans", unit="question", disable=not progress):
        rows, values = [], []
        for cand in assistant.candidates(item.question):
            text = assistant.reports[cand.chunk.report_id].text[cand.start:cand.end]
            rows.append(span_features(dict(cand.features), cand.end - cand.start, cand.kind))
            values.append(rouge_l(text, item.answers, 1.2))
        if rows:
            groups.append((rows, values))
    return groups


def chosen_rouge(ranker: SpanRanker, groups: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]) -> float:
    """Mean ROUGE-L of the span each question's ranker score puts first."""
    if not groups:
        return 0.0
    total = 0.0
    for rows, values in groups:
        scores = [ranker.score_row(row) for row in rows]
        total += values[max(range(len(scores)), key=scores.__getitem__)]
    return total / len(groups)


def fit_and_write(assistant: Any, items: Sequence[QAItem], qa_name: str, out: Path = RANKER_PATH,
                  split: str = "dev", progress: bool = True) -> dict[str, Any]:
    groups = ranking_groups(assistant, items, split, progress)
    if not groups:
        raise ValueError(f"no descriptive question of split {split!r} with spans to rank")
    ranker = fit_ranker(groups)
    doc = ranker.to_json(
        fit_on=f"{qa_name} split={split}", questions=len(groups),
        rouge_l_summing=round(chosen_rouge(SpanRanker.summing(), groups), 4),
        rouge_l_fitted=round(chosen_rouge(ranker, groups), 4),
        command=f"python -m eval fit-ranker --qa {qa_name} --index-dir <index of every development document>",
        fitted=_dt.date.today().isoformat())
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc


__all__ = ["chosen_rouge", "fit_and_write", "ranking_groups"]
