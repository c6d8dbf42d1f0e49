"""Run the assistant over a QA set and write predictions.jsonl and metrics.json."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from assistant.pipeline import Assistant

from .metrics import summarize
from .qa import QAItem

logger = logging.getLogger(__name__)


def prediction_row(item: QAItem, answer) -> dict:
    """One line of predictions.jsonl (the stable format other tools read)."""
    d = answer.to_dict()
    return {
        "id": item.id,
        "question": item.question,
        "answer": d["answer"] if not answer.abstained else "",
        "abstained": answer.abstained,
        "confidence": d["confidence"],
        "citations": [{k: c[k] for k in ("report", "title", "section", "text", "start", "end")} for c in d["citations"]],
        "latency_ms": d["latency_ms"],
        "sentence": d["sentence"],
        "reason": d["reason"],
        "resolved_question": d["resolved_question"],
    }


def run(assistant: Assistant, items: list[QAItem], out_dir: Path, progress: bool = True,
        retriever: str | None = None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    rows, joined = [], []
    iterator = tqdm(items, desc="questions", unit="q", disable=not progress) if tqdm else items
    pred_path = out_dir / "predictions.jsonl"
    with open(pred_path, "w", encoding="utf-8") as f:
        for item in iterator:
            try:
                answer = assistant.ask(item.question, history=list(item.history), retriever=retriever)
                row = prediction_row(item, answer)
            except Exception as exc:  # keep going: one failure must not lose the run
                logger.exception("question %s failed", item.id)
                row = {"id": item.id, "question": item.question, "answer": "", "abstained": True, "confidence": 0.0,
                       "citations": [], "latency_ms": 0.0, "error": f"{type(exc).__name__}: {exc}"}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            rows.append(row)
            joined.append({**row, "answers": list(item.answers), "type": item.type})
    metrics = summarize(joined)
    by_type = {}
    for t in sorted({r["type"] for r in joined}):
        by_type[t] = summarize([r for r in joined if r["type"] == t])
    metrics["by_type"] = by_type
    (out_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    return metrics
