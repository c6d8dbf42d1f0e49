#!/usr/bin/env python
"""How cost grows with the corpus: build time, index size and query latency, 2 vs 33 reports.

    python scripts/bench_corpus_scale.py                 # fresh builds of both corpora
    python scripts/bench_corpus_scale.py --reuse         # reuse var/bench-scale/* indexes when current
    python scripts/bench_corpus_scale.py --json out.json

"2" is the bundled corpus/; "33" adds the 31 provincial reports from
dev-reports/provinces-2026 (development material; the app indexes corpus/ only). Each corpus is copied to var/bench-scale/<n>/corpus and indexed
into var/bench-scale/<n>/index (gitignored). Build time is wall-clock for a build
from nothing (the encoder is loaded beforehand and timed separately); latency is
Assistant.ask over the answerable questions of eval/qa.jsonl plus a few province
questions, after one warm-up pass. The machine's load average is printed too:
on a shared 2-core box, other work inflates every number.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402

PROVINCES = ROOT / "dev-reports" / "provinces-2026"
PROVINCE_QUESTIONS = [
    "云南省“十四五”时期地区生产总值突破多少？", "广东省地区生产总值总量连续多少年居全国首位？", "宁夏全国文明村镇达到多少个？",
    "贵州省2025年城镇新增就业多少人？", "西藏2025年重点项目完成投资多少？", "西藏投入多少亿元办好民生项目？",
]


def _copy_corpus(dest: Path, sources: list[Path]) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for src in sources:
        shutil.copyfile(src, dest / src.name)
    return dest


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _questions(n_reports: int) -> list[str]:
    qa = ROOT / "eval" / "qa.jsonl"
    items = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [it["question"] for it in items if it.get("answers") and not it.get("history")]
    return questions + (PROVINCE_QUESTIONS if n_reports > 2 else [])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench(label: str, sources: list[Path], work: Path, reuse: bool) -> dict[str, object]:
    from assistant.encoders import load_encoder
    from assistant.pipeline import Assistant
    from assistant.store import build_index, current_build, read_manifest, staleness

    settings = Settings().with_(corpus_dir=work / label / "corpus", index_dir=work / label / "index")
    t = time.perf_counter()
    encoder = load_encoder(settings.model)
    encoder_s = time.perf_counter() - t
    if not (reuse and settings.corpus_dir.exists() and settings.index_dir.exists() and staleness(settings) is None):
        _copy_corpus(settings.corpus_dir, sources)
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        t = time.perf_counter()
        build_index(settings, encoder=encoder, progress=sys.stderr.isatty())
        build_s: float | None = time.perf_counter() - t
        reuse_used = False
    else:
        build_s = None
        reuse_used = True
        logging.info("%s: reusing the current index (build time from its manifest)", label)
    manifest = read_manifest(settings.index_dir) or {}
    build = current_build(settings.index_dir)
    assert build is not None

    t = time.perf_counter()
    assistant = Assistant(settings, encoder=encoder)
    load_s = time.perf_counter() - t
    questions = _questions(len(manifest.get("reports", [])))
    for q in questions[:20]:  # warm-up: jieba, caches, first FAISS search
        assistant.ask(q)
    latencies = []
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
    if build_s is None and manifest.get("build_seconds") is not None:
        build_s = float(manifest["build_seconds"])  # the reused index's own build time, from its manifest
    return {
        "corpus": label,
        "build_measured": not reuse_used,
        "reports": len(manifest.get("reports", [])),
        "chunks": manifest.get("n_chunks"),
        "build_s": None if build_s is None else round(build_s, 1),
        "chunks_per_s": None if not build_s else round((manifest.get("n_chunks") or 0) / build_s, 2),
        "index_mb": round(_dir_size(build) / 2**20, 2),
        "index_files_mb": {p.name: round(_dir_size(p) / 2**20 if p.is_dir() else p.stat().st_size / 2**20, 2)
                           for p in sorted(build.iterdir())},
        "encoder_load_s": round(encoder_s, 2),
        "index_load_s": round(load_s, 2),
        "queries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_pct(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "rss_mb": round(_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-scale")
    parser.add_argument("--provinces", type=Path, default=PROVINCES)
    parser.add_argument("--reuse", action="store_true", help="reuse an index that is current instead of rebuilding")
    parser.add_argument("--only", choices=["2", "33"], default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("faiss.loader", "bm25s", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not args.provinces.is_dir():
        print(f"error: provincial reports not found in {args.provinces}", file=sys.stderr)
        return 2
    bundled = sorted(p for p in (ROOT / "corpus").iterdir() if p.is_file())
    configs = {"2": bundled, "33": bundled + sorted(args.provinces.glob("*.txt"))}
    load_before = os.getloadavg()
    results = [bench(label, sources, args.work, args.reuse) for label, sources in configs.items()
               if args.only in (None, label)]
    load_after = os.getloadavg()

    cols = ["reports", "chunks", "build_s", "chunks_per_s", "index_mb", "index_load_s", "queries", "p50_ms", "p95_ms",
            "max_ms", "rss_mb"]
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores; >2 means contention)")
    print("".join(f"{c:>13}" for c in cols))
    for r in results:
        print("".join(f"{str(r[c]):>13}" for c in cols))
    for r in results:
        print(f"  {r['reports']} reports, files (MB): {r['index_files_mb']}")
    if args.json:
        args.json.write_text(json.dumps({"load_before": load_before, "load_after": load_after, "results": results},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
