"""Run one system over a QA set: answers, retrieval ranks, written as they come.

Every question is answered with `Assistant.ask` (exactly what users get) and,
separately, its top-10 retrieval is recorded (`Assistant.retrieve(..., k=10)`
through the pipeline's own front half, `Assistant.prepare`) for Hit@k/MRR and for the failure
list. Each prediction line is flushed before the next question starts, and a
failing question is recorded as an error row, so neither a bug nor Ctrl-C
loses what was already computed.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Sequence

from assistant.text import normalize

from .metrics import contains_gold, first_hit_rank, summarize, summarize_by, summarize_by_type
from .qa import QAItem
from .systems import SystemSpec

logger = logging.getLogger(__name__)

RETRIEVE_K = 10
CITATION_KEYS = ("report", "title", "section", "text", "start", "end")


def prediction_row(item: QAItem, answer: Any) -> dict[str, Any]:
    """One line of predictions.jsonl — the stable format other tools read; add keys, never rename."""
    d = answer.to_dict()
    return {
        "id": item.id,
        "question": item.question,
        "answer": d["answer"] if not answer.abstained else "",
        "abstained": answer.abstained,
        "confidence": d["confidence"],
        "citations": [{k: c[k] for k in CITATION_KEYS} for c in d["citations"]],
        "latency_ms": d["latency_ms"],
        "sentence": d["sentence"],
        "reason": d["reason"],
        "resolved_question": d["resolved_question"],
        "features": {k: round(float(v), 5) for k, v in getattr(answer, "features", ())},
        "rule_reason": d["reason"],
        "qtype": d.get("qtype", ""),
    }


def error_row(item: QAItem, exc: BaseException) -> dict[str, Any]:
    return {"id": item.id, "question": item.question, "answer": "", "abstained": True, "confidence": 0.0,
            "citations": [], "latency_ms": 0.0, "sentence": "", "reason": "", "resolved_question": "",
            "error": f"{type(exc).__name__}: {exc}"}


def snippet(text: str, golds: Sequence[str], width: int = 48) -> str:
    """A short piece of a passage: around the gold answer when it is there, else its beginning."""
    flat = " ".join(text.split())
    norm = normalize(flat)  # length-preserving, so positions map back to `flat`
    for g in golds:
        pos = norm.find(normalize(g))
        if pos >= 0:
            s, e = max(0, pos - width), min(len(flat), pos + len(g) + width)
            return ("…" if s else "") + flat[s:e] + ("…" if e < len(flat) else "")
    return flat[:2 * width] + ("…" if len(flat) > 2 * width else "")


def retrieved(assistant: Any, item: QAItem, retriever: str, k: int = RETRIEVE_K) -> list[dict[str, Any]]:
    """Top-k passages exactly as the pipeline retrieves them (`Assistant.prepare`: follow-ups, scope, query)."""
    hits = list(assistant.prepare(item.question, list(item.history), retriever=retriever, k=k).hits)[:k]
    return [{"rank": i, "chunk_id": h.chunk.id, "report": h.chunk.report_id,
             "section": h.chunk.section, "score": round(float(h.score), 5),
             "contains_gold": contains_gold(h.chunk.text, item.answers, item.type),
             "snippet": snippet(h.chunk.text, item.answers), "text": h.chunk.text}
            for i, h in enumerate(hits, start=1)]


@dataclass
class SystemResult:
    """What one system produced; `rows` join each prediction with its gold and retrieval."""

    spec: SystemSpec
    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # the system could not run at all (e.g. its index failed to build)
    complete: bool = False  # False: interrupted or failed midway
    interrupted: bool = False  # stopped by Ctrl-C: the caller reports what there is and stops
    setup_seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)  # index facts: chunks, encoder, chunking

    @property
    def metrics(self) -> dict[str, Any]:
        return summarize(self.rows) if self.rows else {}

    @property
    def by_type(self) -> dict[str, dict[str, Any]]:
        return summarize_by_type(self.rows) if self.rows else {}

    @property
    def by_split(self) -> dict[str, dict[str, Any]]:
        return summarize_by(self.rows, "split") if self.rows else {}

    @property
    def by_level(self) -> dict[str, dict[str, Any]]:
        """Per split and level ("test/county"), so levels are never mixed across splits."""
        if not self.rows:
            return {}
        keyed = [{**r, "_sl": f"{r.get('split') or 'all'}/{r['level']}"} for r in self.rows if r.get("level")]
        return summarize_by(keyed, "_sl")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.spec.name, "description": self.spec.description, "product": self.spec.product,
                "retriever": self.spec.retriever, "chunking": self.spec.chunking,
                "chunking_mode": self.spec.settings.chunking, "model": self.spec.settings.model,
                "index_dir": str(self.spec.settings.index_dir), "out_dir": str(self.out_dir),
                "complete": self.complete, "error": self.error, "setup_seconds": round(self.setup_seconds, 2),
                **self.info, "overall": self.metrics, "by_type": self.by_type, "by_split": self.by_split,
                "by_level": self.by_level}


def _progress(items: Sequence[QAItem], desc: str, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency; degrade to no bar
        return items
    return tqdm(items, desc=desc, unit="q", disable=not enabled, dynamic_ncols=True)


def run_system(assistant: Any, spec: SystemSpec, items: Sequence[QAItem], out_dir: Path,
               progress: bool = True, warmup: bool = True) -> SystemResult:
    """Answer every item with one system; writes predictions.jsonl and retrieval.jsonl line by line.

    On KeyboardInterrupt the rows so far are kept and returned with `interrupted` set,
    so the caller can still write metrics and the report for the questions done.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    result = SystemResult(spec=spec, out_dir=out_dir)
    index = getattr(assistant, "index", None)
    if index is not None:
        result.info = {"chunks": len(index.chunks), "encoder": index.encoder_name}
    if warmup:  # lazy loading (tokenizer dictionaries, caches) would otherwise land on question 1's latency
        try:
            assistant.ask("2025年地区生产总值是多少？", retriever=spec.retriever)
        except Exception:
            logger.debug("warm-up question failed", exc_info=True)
    with open(out_dir / "predictions.jsonl", "w", encoding="utf-8") as pred_f, \
            open(out_dir / "retrieval.jsonl", "w", encoding="utf-8") as ret_f:
        try:
            _answer_all(assistant, spec, items, progress, pred_f, ret_f, result.rows)
        except KeyboardInterrupt:
            logger.warning("[%s] interrupted after %d of %d questions", spec.name, len(result.rows), len(items))
            result.interrupted = True
    result.complete = len(result.rows) == len(items)
    return result


def evaluate_item(assistant: Any, spec: SystemSpec, item: QAItem) -> tuple[dict[str, Any], dict[str, Any]]:
    """(prediction row, joined row) for one question; never raises for an ordinary exception."""
    try:
        answer = assistant.ask(item.question, history=list(item.history), retriever=spec.retriever)
        row = prediction_row(item, answer)
    except Exception as exc:  # one broken question must not lose the run
        logger.exception("[%s] question %s failed", spec.name, item.id)
        row = error_row(item, exc)
    joined: dict[str, Any] = {**row, "answers": list(item.answers), "type": item.type, "gold_report": item.report,
                              "history": list(item.history), "split": item.split, "level": item.level}
    try:
        top = retrieved(assistant, item, spec.retriever)
    except Exception as exc:
        logger.exception("[%s] retrieval for %s failed", spec.name, item.id)
        top = []
        joined["retrieval_error"] = f"{type(exc).__name__}: {exc}"
    joined["retrieved"] = top
    if item.answers:
        joined["hit_rank"] = first_hit_rank([t["text"] for t in top], item.answers, item.type)
    return row, joined


def _answer_all(assistant: Any, spec: SystemSpec, items: Sequence[QAItem], progress: bool, pred_f: IO[str],
                ret_f: IO[str], rows: list[dict[str, Any]]) -> None:
    for item in _progress(items, spec.name, progress):
        row, joined = evaluate_item(assistant, spec, item)
        pred_f.write(json.dumps(row, ensure_ascii=False) + "\n")
        pred_f.flush()
        ret_f.write(json.dumps({"id": item.id, "hit_rank": joined.get("hit_rank"),
                                "retrieved": [{k: v for k, v in t.items() if k != "text"}
                                              for t in joined["retrieved"]]}, ensure_ascii=False) + "\n")
        ret_f.flush()
        rows.append(joined)


def run(assistant: Any, items: list[QAItem], out_dir: Path, progress: bool = True,
        retriever: str | None = None) -> dict[str, Any]:
    """Single-system run (the pre-comparison API): predictions.jsonl, retrieval.jsonl, metrics.json."""
    name = retriever or assistant.settings.retriever
    spec = SystemSpec(name, "product", assistant.settings, name, product=True)
    t0 = time.perf_counter()
    result = run_system(assistant, spec, items, out_dir, progress)
    metrics = {**result.metrics, "by_type": result.by_type, "seconds": round(time.perf_counter() - t0, 2)}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    return metrics
