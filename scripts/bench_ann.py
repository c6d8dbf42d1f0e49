#!/usr/bin/env python
"""Exact against HNSW search at archive sizes: recall@10, latency, build time and memory.

    python scripts/bench_ann.py                          # the index of every document if built, else index/built
    python scripts/bench_ann.py --index-dir DIR --sizes 50000,165000,500000 --json out.json

The queries are the real questions of every QA set (eval/qa*.jsonl), embedded with the index's
encoder. The passages are the real index's vectors, grown to each size by copies with a little
noise (renormalized): an archive of many years of the same regions holds many near-duplicate
passages, which is the hard case for a graph index. 165,000 passages is ~1,500 reports. One
thread (OMP_NUM_THREADS=1 unless set), as one request is served. Prints a table; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from assistant.config import Settings  # noqa: E402


def _questions() -> list[str]:
    out = []
    for f in sorted((ROOT / "eval").glob("qa*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            q = json.loads(line).get("question") if line.strip() else None
            if isinstance(q, str) and q.strip():
                out.append(q)
    return out


def _grow(vectors: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    """n vectors: the real ones, then noisy copies of them (unit length)."""
    rng = np.random.default_rng(seed)
    reps = [vectors]
    while sum(len(r) for r in reps) < n:
        copy = vectors + noise * rng.standard_normal(vectors.shape).astype(np.float32) / np.sqrt(vectors.shape[1])
        reps.append(copy / np.linalg.norm(copy, axis=1, keepdims=True))
    return np.ascontiguousarray(np.concatenate(reps)[:n], dtype=np.float32)


def _latency(index, queries: np.ndarray, k: int = 40) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], k)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ROOT / "var" / "all-reports" / "index"
    p.add_argument("--index-dir", type=Path, default=default if (default / "CURRENT").exists() else None)
    p.add_argument("--sizes", default="50000,165000")
    p.add_argument("--noise", type=float, default=0.3, help="noise of the copies (0.3: cosine ~0.96 to the original)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()

    import faiss

    from assistant.encoders import load_encoder
    from assistant.retriever.ann import describe_dense_index, make_dense_index
    from assistant.storage import load_index

    faiss.omp_set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    settings = Settings().with_(index_dir=args.index_dir)
    index = load_index(settings.index_dir)
    encoder = load_encoder(settings.model)
    questions = _questions()
    queries = np.asarray(encoder.encode_queries(questions), dtype=np.float32)
    real = np.asarray(index.vectors, dtype=np.float32)
    print(f"index {index.path.name}: {len(real)} real passages, dim {real.shape[1]}; {len(queries)} questions; "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    rows = []
    for n in [len(real)] + [int(s) for s in args.sizes.split(",") if s]:
        vectors = real if n == len(real) else _grow(real, n, args.noise)
        flat = make_dense_index(vectors, settings.with_(dense_index="flat"))
        t = time.perf_counter()
        hnsw = make_dense_index(vectors, settings.with_(dense_index="hnsw"))
        build_s = time.perf_counter() - t
        _, want = flat.search(queries, 10)
        _, got = hnsw.search(queries, 10)
        recall = float(np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want.tolist(), got.tolist())]))
        f50, f95 = _latency(flat, queries)
        h50, h95 = _latency(hnsw, queries)
        row = {"passages": n, "flat_p50_ms": round(f50, 2), "flat_p95_ms": round(f95, 2),
               "hnsw_p50_ms": round(h50, 2), "hnsw_p95_ms": round(h95, 2), "hnsw_build_s": round(build_s, 1),
               "recall_at_10": round(recall, 4), "flat_mb": round(len(faiss.serialize_index(flat)) / 1e6, 1),
               "hnsw_mb": round(len(faiss.serialize_index(hnsw)) / 1e6, 1), "hnsw": describe_dense_index(hnsw)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| passages | exact p50/p95 ms | HNSW p50/p95 ms | HNSW recall@10 | HNSW build s | index MB exact/HNSW |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['passages']:,} | {r['flat_p50_ms']}/{r['flat_p95_ms']} | {r['hnsw_p50_ms']}/{r['hnsw_p95_ms']} | "
              f"{r['recall_at_10']:.4f} | {r['hnsw_build_s']} | {r['flat_mb']}/{r['hnsw_mb']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
