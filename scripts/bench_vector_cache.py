"""Time the vector cache at archive size: one lookup of every key of a build (assistant/storage/vectors.py).

    python scripts/bench_vector_cache.py [--keys 200000] [--dim 384]

Writes, in a temporary folder, an index directory whose live build holds N passage vectors (its
vectors.npy and vector_keys.json with their checksums, as a build writes them) and a cache file
holding the same N, then times `VectorCache.lookup` of all N keys three ways: found in the live build
(hashing its vector files included), found only in the cache file (the builds deleted), and again
in a cache that has already opened the build. Vectors are random unit rows: what is timed does not
depend on their meaning.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.encoders import StandInEncoder  # noqa: E402
from assistant.storage import CURRENT, EMBEDDING_CACHE, VectorCache, vector_key  # noqa: E402
from assistant.storage.layout import file_sha256, write_json  # noqa: E402


def _index_dir(root: Path, encoder: StandInEncoder, texts: list[str], keys: list[str]) -> Path:
    """An index directory whose live build holds a vector for every text, and a cache file holding them too."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(texts), encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index_dir = root / "index"
    build = index_dir / "build-bench"
    build.mkdir(parents=True)
    np.save(build / "vectors.npy", vectors)
    (build / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    checksums = {name: file_sha256(build / name) for name in ("vectors.npy", "vector_keys.json")}
    write_json(build / "manifest.json", {"encoder": encoder.name, "dim": encoder.dim, "checksums": checksums})
    (index_dir / CURRENT).write_text(build.name, encoding="utf-8")
    cache = VectorCache(index_dir / "elsewhere", encoder, index_dir / EMBEDDING_CACHE)
    for i in range(0, len(texts), 10_000):
        cache.add(texts[i:i + 10_000], vectors[i:i + 10_000])
    cache.close()
    return index_dir


def _time_lookup(cache: VectorCache, wanted: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    found = cache.lookup(wanted)
    return time.perf_counter() - t0, len(wanted) - len(found.missing())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    encoder = StandInEncoder(args.dim)
    texts = [f"{i} 一、2025年工作回顾 | 过去一年，全区地区生产总值达到{i / 100:.2f}亿元，同比增长6.1%。" * 2
             for i in range(args.keys)]
    keys = [vector_key(t) for t in texts]
    wanted = dict(zip(keys, texts))
    root = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    try:
        index_dir = _index_dir(root, encoder, texts, keys)
        cache = VectorCache(index_dir, encoder, index_dir / EMBEDDING_CACHE)
        seconds, hits = _time_lookup(cache, wanted)
        print(f"{args.keys} keys, all in the live build (its files hashed and opened): {seconds:.2f} s ({hits} found)")
        seconds, hits = _time_lookup(cache, wanted)
        print(f"{args.keys} keys, all in the live build (already opened): {seconds:.2f} s ({hits} found)")
        cache.close()
        shutil.rmtree(index_dir / "build-bench")
        (index_dir / CURRENT).unlink()
        cache = VectorCache(index_dir, encoder, index_dir / EMBEDDING_CACHE)
        seconds, hits = _time_lookup(cache, wanted)
        print(f"{args.keys} keys, only in the cache file (the builds deleted): {seconds:.2f} s ({hits} found)")
        cache.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
