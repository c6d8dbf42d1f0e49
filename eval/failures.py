"""Which questions went wrong, and roughly why — so tuning starts from the biggest bucket.

The category is derived only from what the run recorded (gold, answer, its
sentence, the top-10 retrieval), so it is a triage hint, not a diagnosis:
"not retrieved" means no top-10 passage contains the gold string verbatim,
which is also what happens when the gold is phrased differently from the report.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

from .metrics import contains_gold, is_correct

CATEGORIES: dict[str, str] = {
    "error": "the question raised an exception",
    "answered_unanswerable": "answered a question that has no answer in the reports (should abstain)",
    "abstained_gold_retrieved": "abstained although a top-10 passage contains the gold",
    "abstained_not_retrieved": "abstained; no top-10 passage contains the gold",
    "too_long": "the answer contains the gold but is longer than the length rule allows",
    "wrong_span_right_sentence": "right sentence, wrong span extracted",
    "wrong_passage_gold_retrieved": "answered from another passage although a top-10 passage contains the gold",
    "wrong_not_retrieved": "answered wrong; no top-10 passage contains the gold",
}


def category(row: Mapping[str, Any]) -> str | None:
    """The failure category of a joined row, or None when the row is correct."""
    golds = row["answers"]
    if row.get("error"):
        return "error"
    if not golds:
        return None if row["abstained"] else "answered_unanswerable"
    retrieved = row.get("hit_rank") is not None
    if row["abstained"]:
        return "abstained_gold_retrieved" if retrieved else "abstained_not_retrieved"
    if is_correct(row["answer"], golds, row.get("type", "")):
        return None
    if contains_gold(row["answer"], golds):
        return "too_long"
    if contains_gold(row.get("sentence") or "", golds):
        return "wrong_span_right_sentence"
    return "wrong_passage_gold_retrieved" if retrieved else "wrong_not_retrieved"


def failures(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """(category, row) for every failed row, grouped by category in CATEGORIES order, then by id order."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out = [(c, r) for r in rows if (c := category(r)) is not None]
    return sorted(out, key=lambda cr: order[cr[0]])


def category_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = Counter(c for c, _ in failures(rows))
    return {c: counts[c] for c in CATEGORIES if counts[c]}

