"""Scoring comparison tables: one question, a gold cell per report.

A compare QA file has one JSON object a line:

    {"id": "cmp-001", "question": "各省2026年地区生产总值增长目标是多少？", "level": "province",
     "cells": {"<report id>": ["gold span", "variant"], "<report id>": null, ...}}

`null` means the report does not state it: the system should answer "未提及" there.
Each cell is scored on its own: a stated cell is right when the answer contains a gold
(`metrics.is_correct`, with a figure's digits not running on: "5%" is not inside "5.5%");
a null cell is right when the row abstains. Also reported: precision and recall of
"未提及", and how often a stated cell's citation contains its span.
"""
from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .metrics import is_correct, nfkc
from .qa import QAFormatError


@dataclass(frozen=True)
class CompareItem:
    id: str
    question: str
    level: str | None
    cells: dict[str, tuple[str, ...] | None]


def load_compare_qa(path: Path) -> list[CompareItem]:
    items: list[CompareItem] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise QAFormatError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("question"), str) or not isinstance(
                    obj.get("cells"), dict) or not obj.get("id"):
                raise QAFormatError(f"{path}:{n}: needs id, question and cells {{report: [gold, …] | null}}")
            if obj["id"] in seen:
                raise QAFormatError(f"{path}:{n}: duplicate id {obj['id']}")
            seen.add(obj["id"])
            cells: dict[str, tuple[str, ...] | None] = {}
            for rid, gold in obj["cells"].items():
                if gold is not None and (not isinstance(gold, list) or not gold
                                         or not all(isinstance(g, str) and g for g in gold)):
                    raise QAFormatError(f"{path}:{n}: cell {rid} must be a non-empty list of strings or null")
                cells[rid] = None if gold is None else tuple(gold)
            items.append(CompareItem(obj["id"], obj["question"], obj.get("level"), cells))
    return items


def figure_correct(answer: str, golds: Sequence[str]) -> bool:
    """`is_correct`, and a gold figure must not be the tail or head of a longer number in the answer."""
    if not is_correct(answer, golds):
        return False
    a = nfkc(answer)
    for gold in golds:
        g = nfkc(gold).strip()
        for m in re.finditer(re.escape(g), a):
            before = a[m.start() - 1] if m.start() else ""
            after = a[m.end()] if m.end() < len(a) else ""
            if not (g[0].isdigit() and (before.isdigit() or before == ".")) and not (
                    g[-1].isdigit() and (after.isdigit() or after == ".")):
                return True
    return False


def citation_contains(row: dict[str, Any]) -> bool:
    c = row.get("citation")
    if not c or c["start"] < 0:
        return False
    return c["text"][c["start"]:c["end"]] == row["answer"] and row["answer"] in c["text"]


def score_item(item: CompareItem, result: dict[str, Any]) -> dict[str, Any]:
    """Per-cell outcomes of one comparison (`result` is `Comparison.to_dict()`)."""
    rows = {r["report"]: r for r in result["rows"]}
    cells = []
    for rid, gold in item.cells.items():
        row = rows.get(rid)
        stated = bool(row and row["stated"])
        answer = row["answer"] if stated else ""
        if gold is None:
            ok = row is not None and not stated
        else:
            ok = stated and figure_correct(answer, gold)
        cells.append({"report": rid, "gold": list(gold) if gold else None, "answer": answer, "stated": stated,
                      "in_scope": row is not None, "correct": ok,
                      "cited": citation_contains(row) if stated and row else None,
                      "confidence": row["confidence"] if row else None})
    return {"id": item.id, "question": item.question, "core_question": result.get("core_question", ""),
            "latency_ms": result.get("latency_ms", 0.0), "cells": cells,
            "extra_rows": sorted(set(rows) - set(item.cells))}


def summarize(scored: Sequence[dict[str, Any]]) -> dict[str, Any]:
    cells = [c for s in scored for c in s["cells"]]
    n = len(cells)
    abstained = [c for c in cells if not c["stated"]]
    null_gold = [c for c in cells if c["gold"] is None]
    true_abst = [c for c in abstained if c["gold"] is None]
    stated = [c for c in cells if c["stated"]]
    stated_gold = [c for c in cells if c["gold"] is not None]
    lat = [s["latency_ms"] for s in scored]
    return {
        "questions": len(scored), "cells": n,
        "cell_accuracy": sum(c["correct"] for c in cells) / n if n else 0.0,
        "stated_cell_accuracy": sum(c["correct"] for c in stated_gold) / len(stated_gold) if stated_gold else 0.0,
        "not_stated_precision": len(true_abst) / len(abstained) if abstained else 1.0,
        "not_stated_recall": len(true_abst) / len(null_gold) if null_gold else 1.0,
        "citation_contains_span": sum(bool(c["cited"]) for c in stated) / len(stated) if stated else 1.0,
        "cells_out_of_scope": sum(not c["in_scope"] for c in cells),
        "latency_ms_p50": statistics.median(lat) if lat else 0.0,
        "latency_ms_max": max(lat) if lat else 0.0,
    }


def run_compare_eval(assistant: Any, items: Sequence[CompareItem]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask every comparison question with the scope the question and its level give; score the cells."""
    from assistant.compare import compare

    scored = []
    for item in items:
        result = compare(assistant, item.question, level=item.level or None).to_dict()
        scored.append(score_item(item, result))
    return scored, summarize(scored)


def format_summary(scored: Sequence[dict[str, Any]], summary: dict[str, Any]) -> str:
    lines = ["| id | question | cells | correct | 未提及 right/said | p50 ms |", "|---|---|---|---|---|---|"]
    for s in scored:
        cells = s["cells"]
        said = [c for c in cells if not c["stated"]]
        lines.append(f"| {s['id']} | {s['question']} | {len(cells)} | {sum(c['correct'] for c in cells)} | "
                     f"{sum(c['gold'] is None for c in said)}/{len(said)} | {s['latency_ms']:.0f} |")
    lines.append("")
    lines.append(f"cell accuracy {summary['cell_accuracy']:.1%} over {summary['cells']} cells "
                 f"(stated cells {summary['stated_cell_accuracy']:.1%}); "
                 f"未提及 precision {summary['not_stated_precision']:.1%}, recall {summary['not_stated_recall']:.1%}; "
                 f"citation contains span {summary['citation_contains_span']:.1%}; "
                 f"latency p50 {summary['latency_ms_p50']:.0f} ms (max {summary['latency_ms_max']:.0f} ms)")
    if summary["cells_out_of_scope"]:
        lines.append(f"{summary['cells_out_of_scope']} gold cells had no row (report not in the comparison's scope)")
    return "\n".join(lines)


__all__ = ["CompareItem", "figure_correct", "format_summary", "load_compare_qa", "run_compare_eval", "score_item",
           "summarize"]
