"""Rebuild run results from the files a run wrote (`python -m eval report DIR`).

predictions.jsonl and retrieval.jsonl are written line by line, so even a run
that was killed outright (OOM, SIGKILL, a power cut) leaves everything answered
so far on disk; this turns those files back into SystemResults so metrics and
the report can be (re)written without asking a single question again.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from assistant.config import Settings

from .qa import QAItem, load_qa
from .runner import SystemResult
from .systems import PRODUCT, SystemSpec

logger = logging.getLogger(__name__)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Complete JSON lines of a file; a torn last line (killed mid-write) is dropped."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("%s, line %d: incomplete, ignored", path, n)
    return rows


def join(items: list[QAItem], predictions: list[dict], retrieval: list[dict]) -> list[dict[str, Any]]:
    """Prediction rows joined with gold (by id) and retrieval, in prediction order."""
    by_id = {i.id: i for i in items}
    ret = {r["id"]: r for r in retrieval}
    rows: list[dict[str, Any]] = []
    for pred in predictions:
        item = by_id.get(str(pred.get("id")))
        if item is None:
            logger.warning("prediction %s is not in the QA file, ignored", pred.get("id"))
            continue
        joined = {**pred, "answers": list(item.answers), "type": item.type, "gold_report": item.report,
                  "history": list(item.history), "retrieved": ret.get(item.id, {}).get("retrieved", [])}
        if item.answers:
            joined["hit_rank"] = ret.get(item.id, {}).get("hit_rank")
        rows.append(joined)
    return rows


def load_run(out_dir: Path, qa_path: Path | None = None) -> tuple[list[SystemResult], dict[str, Any]]:
    """The systems of a finished, interrupted or killed run in `out_dir`, and its meta data."""
    doc: dict[str, Any] = {}
    metrics_path = out_dir / "metrics.json"
    if metrics_path.exists():
        doc = json.loads(metrics_path.read_text(encoding="utf-8"))
    meta: dict[str, Any] = dict(doc.get("meta") or {})
    qa = Path(qa_path or meta.get("qa_file") or Path(__file__).parent / "qa.jsonl")
    items = load_qa(qa)
    systems = doc.get("systems") or {PRODUCT: {"name": PRODUCT, "product": True, "retriever": "hybrid"}}
    # systems that never wrote metrics.json (killed during them) still have their directory
    base = out_dir / "baselines"
    for d in sorted(base.iterdir()) if base.is_dir() else []:
        if d.is_dir() and d.name not in systems and (d / "predictions.jsonl").exists():
            systems[d.name] = {"name": d.name, "product": False, "retriever": "hybrid", "out_dir": str(d)}
    results = []
    for name, info in systems.items():
        sys_dir = out_dir if info.get("product") else Path(info.get("out_dir") or base / name)
        settings = Settings().with_(index_dir=info.get("index_dir"), model=info.get("model"),
                                    chunking=info.get("chunking_mode") or (
                                        "fixed" if str(info.get("chunking", "")).startswith("fixed") else None))
        spec = SystemSpec(name, info.get("description", ""), settings, info.get("retriever", "hybrid"),
                          bool(info.get("product")))
        rows = join(items, _read_jsonl(sys_dir / "predictions.jsonl"), _read_jsonl(sys_dir / "retrieval.jsonl"))
        result = SystemResult(spec=spec, out_dir=sys_dir, rows=rows, error=info.get("error"),
                              complete=len(rows) == len(items), setup_seconds=info.get("setup_seconds", 0.0),
                              info={k: info[k] for k in ("chunks", "encoder") if k in info})
        results.append(result)
    meta.setdefault("qa_file", str(qa))
    return results, meta
