"""Benchmark: index build time, `Assistant.ask` latency (p50/p95) and memory, on this machine.

    python scripts/bench.py [--corpus DIR] [--qa eval/qa.jsonl] [--repeat 3]
    python scripts/bench.py --compare-index DIR [--corpus DIR]   (compare mode over an existing index)
    python scripts/bench.py --sentence-vectors [--corpus DIR]    (their build time and index size)
    python scripts/bench.py [--corpus DIR] [--qa eval/qa.jsonl] [--repeat 3] [--threads N] [--neighbour]

`--neighbour` also measures ask() beside one CPU-bound process (a busy loop started here and stopped
after), as on a machine shared with other work. The encoder's OpenMP thread count is the one the app
uses (Settings.threads, env GWR_THREADS, default 1) unless --threads says otherwise.

Prints numbers; it asserts nothing (timings belong here, not in pass/fail tests).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import PROJECT_ROOT, Settings  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


COMPARE_QUESTIONS = (
    "各地2026年地区生产总值增长目标是多少？",
    "各地2026年城镇新增就业目标是多少？",
    "哪个地区2026年城镇调查失业率目标最低？",
    "各地2025年地区生产总值增长了多少？",
    "各地2026年粮食产量目标是多少？",
)


def bench_compare(index_dir: Path, corpus: Path, repeat: int) -> int:
    """Compare-mode latency: one question answered for every report of an already built index."""
    from assistant.compare import compare
    from assistant.pipeline import Assistant

    t = time.perf_counter()
    assistant = Assistant(Settings().with_(index_dir=index_dir, corpus_dir=corpus))
    load_s = time.perf_counter() - t
    compare(assistant, COMPARE_QUESTIONS[0])  # warm-up (jieba dictionary, caches)
    latencies: list[float] = []
    rows = 0
    for _ in range(repeat):
        for q in COMPARE_QUESTIONS:
            t = time.perf_counter()
            result = compare(assistant, q)
            latencies.append((time.perf_counter() - t) * 1000)
            rows = len(result.rows)
    print(f"corpus: {len(assistant.reports)} reports, {len(assistant.index.chunks)} chunks; assistant load {load_s:.2f} s")
    print(f"compare over {rows} reports, {len(latencies)} runs of {len(COMPARE_QUESTIONS)} questions: "
          f"p50 {pct(latencies, 0.5):.0f} ms, p95 {pct(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms "
          f"({pct(latencies, 0.5) / max(rows, 1):.1f} ms per report)")
    print(f"memory: RSS {rss_mb():.0f} MB now, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


def sentence_vector_cost(corpus: Path, estimate_chunks: int) -> None:
    """Build time and index size with and without sentence vectors (Settings.sentence_vectors), fresh builds."""
    from assistant.encoders import load_encoder
    from assistant.storage import build_index, read_manifest

    encoder = load_encoder(Settings().model)
    rows = {}
    for flag in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings().with_(corpus_dir=corpus, index_dir=Path(tmp) / "index", sentence_vectors=flag)
            t = time.perf_counter()
            build_index(settings, encoder=encoder, progress=False)
            seconds = time.perf_counter() - t
            manifest = read_manifest(settings.index_dir) or {}
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
            rows[flag] = (seconds, size, manifest.get("n_chunks", 0), manifest.get("n_sentences", 0))
    (t0, s0, n_chunks, _), (t1, s1, _, n_sent) = rows[False], rows[True]
    scale = estimate_chunks / max(1, n_chunks)
    print(f"sentence vectors: {n_sent} sentences for {n_chunks} chunks ({corpus.name}/)")
    print(f"  build without:       {t0:8.1f} s, index {s0 / 1e6:6.2f} MB")
    print(f"  build with:          {t1:8.1f} s, index {s1 / 1e6:6.2f} MB   "
          f"(+{t1 - t0:.1f} s, +{(s1 - s0) / 1e6:.2f} MB)")
    print(f"  estimate for {estimate_chunks} chunks (33 reports): +{(t1 - t0) * scale / 60:.1f} min build, "
          f"+{(s1 - s0) * scale / 1e6:.0f} MB on disk")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    parser.add_argument("--qa", type=Path, default=PROJECT_ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare-index", type=Path, default=None,
                        help="time compare mode over this already built index (of --corpus) instead")
    parser.add_argument("--sentence-vectors", action="store_true",
                        help="only measure what sentence vectors cost (two fresh builds, with and without)")
    parser.add_argument("--estimate-chunks", type=int, default=3500,
                        help="chunks of the 33-report index, to scale the sentence-vector estimate")
    parser.add_argument("--threads", type=int, default=None, help="encoder threads (default: Settings().threads)")
    parser.add_argument("--neighbour", action="store_true", help="also measure beside one CPU-bound process")
    args = parser.parse_args()
    if args.compare_index:
        return bench_compare(args.compare_index, args.corpus, args.repeat)
    if args.sentence_vectors:
        sentence_vector_cost(args.corpus, args.estimate_chunks)
        return 0

    from assistant.pipeline import Assistant
    from assistant.storage import build_index, load_index

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings().with_(corpus_dir=args.corpus, index_dir=Path(tmp) / "index", threads=args.threads)
        from assistant.encoders import load_encoder

        t = time.perf_counter()
        encoder = load_encoder(settings.model, settings.threads)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        build_index(settings, encoder=encoder, progress=False)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        build_index(settings, encoder=encoder, progress=False)
        rebuild_s = time.perf_counter() - t
        t = time.perf_counter()
        index = load_index(settings.index_dir)
        index_load_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        assistant = Assistant(settings, index=index, encoder=encoder)

        items = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
        for item in items[:10]:  # warm-up (jieba dictionary, caches)
            assistant.ask(item["question"], item.get("history"))
        def measure() -> list[float]:
            out: list[float] = []
            for _ in range(args.repeat):
                for item in items:
                    t = time.perf_counter()
                    assistant.ask(item["question"], item.get("history"))
                    out.append((time.perf_counter() - t) * 1000)
            return out

        latencies = measure()
        beside: list[float] = []
        if args.neighbour:
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.5)
                beside = measure()
            finally:
                busy.kill()
                busy.wait()
        stages = {}
        q = "东川区2025年地区生产总值是多少？"
        from assistant.reader import analyze

        info = analyze(q)
        for name, fn in (
            ("embed query", lambda: encoder.encode_queries([q])),
            ("bm25 search", lambda: assistant.bm25.search(q, 40)),
            ("hybrid search", lambda: assistant.retrieve(info, 8)),
            ("whole ask()", lambda: assistant.ask(q)),
        ):
            runs = []
            for _ in range(30):
                t = time.perf_counter()
                fn()
                runs.append((time.perf_counter() - t) * 1000)
            stages[name] = statistics.median(runs)

    print(f"corpus: {len(index.reports)} reports, {len(index.chunks)} chunks ({index.encoder_name})")
    print(f"encoder load:          {load_s:8.2f} s")
    print(f"index build (fresh):   {build_s:8.2f} s")
    print(f"index rebuild (no-op): {rebuild_s:8.2f} s   (incremental: nothing re-embedded)")
    print(f"index load:            {index_load_s:8.2f} s")
    print(f"index size on disk:    {size / 1e6:8.2f} MB")
    print(f"encoder threads: {settings.threads}")
    print(f"ask() latency over {len(latencies)} questions: p50 {pct(latencies, 0.5):.1f} ms, "
          f"p95 {pct(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")
    if beside:
        print(f"ask() beside one CPU-bound neighbour process ({len(beside)} questions): p50 {pct(beside, 0.5):.1f} ms, "
              f"p95 {pct(beside, 0.95):.1f} ms, max {max(beside):.1f} ms")
    for name, ms in stages.items():
        print(f"  {name:14s} median {ms:6.1f} ms")
    print(f"memory: RSS {rss_mb():.0f} MB now, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
