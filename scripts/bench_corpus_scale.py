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

Archive sizes (a corpus grown to N reports):

    python scripts/bench_corpus_scale.py --archive 100,500,1500 [--json out.json] [--reuse]

The archive holds the 2 bundled reports, the real development reports (dev-reports/
provinces-2026, more-levels, counties) and, to make up N, reports generated from them by
`make_archive` (seeded, deterministic): each copy gets an invented region (a plausible
place name ending in 县/市/区, e.g. 青山县, never one of the gazetteer), a session year in
2015-2026 (every year of the text shifted by the same amount), and every other figure
multiplied by a per-report factor in 0.8-1.2 (integers stay integers, decimals keep their
places); a `.meta.json` sidecar fixes its title, region, level, parents and year. Indexes go
to var/bench-scale/archive-N/.

ARCHIVE FIGURES COME FROM A STAND-IN ENCODER ("stand-in:hash-384": vectors from a hash of the
text, L2-normalized, dim 384), because embedding 1,500 reports with the real model takes
hours here. Build seconds therefore exclude real embedding, and retrieval quality is not
measured; the numbers show how chunking, tokenizing, BM25, the dense index (flat, or HNSW
above Settings.ann_min_vectors passages), loading and answering scale with the corpus. Each
size is built in one child process and served in another, so the RSS reported is that of a
process that only loads the Assistant and answers (peak RSS of the build is shown apart).
Latency: Assistant.ask over a fixed question list (one thread, after a warm-up), and
assistant.compare.compare (the comparison behind the web app and eval/compare.py) over
COMPARE_QUESTIONS, each timed once after one warm-up comparison. Each question is timed the
first time it is asked: asking it again is several times faster (cached per-term counts).
Then one more generated report is added to the index and removed again, each a timed build
(the HNSW graph grows and masks instead of being rebuilt).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
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


def _ask_ms(assistant, questions: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds of Assistant.ask per question, after a warm-up on the first 20 (jieba, caches, FAISS)."""
    for q in questions[:20]:
        assistant.ask(q)
    latencies = []
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def _latency_row(latencies: list[float]) -> dict[str, float | int]:
    return {"queries": len(latencies), "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_pct(latencies, 95), 1), "max_ms": round(max(latencies), 1)}


def bench(label: str, sources: list[Path], work: Path, reuse: bool) -> dict[str, object]:
    from assistant.encoders import load_encoder
    from assistant.pipeline import Assistant
    from assistant.storage import build_index, current_build, read_manifest, staleness

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
    latencies = _ask_ms(assistant, _questions(len(manifest.get("reports", []))))
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
        **_latency_row(latencies),
        "rss_mb": round(_rss_mb(), 1),
    }


# ------------------------------------------------------------------ archive sizes (stand-in encoder)

ARCHIVE_SOURCES = ("provinces-2026", "more-levels", "counties")
ARCHIVE_SEED = 20260101
ARCHIVE_ENCODER = "stand-in:hash-384"  # StandInEncoder(384).name
COMPARE_QUESTIONS = ["各地地区生产总值分别是多少？", "各省地区生产总值分别是多少？", "各县一般公共预算收入分别是多少？"]
_FIRST = "青白云清东西南北安永长平新宁丰兴华德龙金石桃柳松梅泉红黄绿翠宝凤鹤星文乐福嘉泰瑞祥春秋晨"
_SECOND = "山水河川源林阳宁平江溪峰岭原州城台泽岗坪洲湾塘桥田坝沟冈亭庄川谷滨浦口湖堡关"


def HashEncoder():  # type: ignore[no-untyped-def]
    """The stand-in encoder (vectors from a hash of the text): for timing builds and queries, not retrieval."""
    from assistant.encoders import StandInEncoder

    return StandInEncoder(384)


def _place_stems(rng) -> list[str]:  # type: ignore[no-untyped-def]
    """Two-character place stems (青山, 白水, …) that name no real division, in a seeded order."""
    from assistant.places import gazetteer

    g = gazetteer()
    taken = set(g.by_short) | {n[:2] for n in g.by_name}
    stems = [a + b for a in _FIRST for b in _SECOND if a != b and a + b not in taken]
    rng.shuffle(stems)
    return stems


_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
_DATE_LIKE = re.compile(r"(?<!\d)((?:19|20)\d\d)([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_NOT_A_FIGURE_AFTER = re.compile(r"\s*(?:月|日|号|时|点|届|次会议|个五年|版)")
_YEAR_NEXT = re.compile(r"\s*(?:年|—|-|–|～|~|至|到)")
_YEAR_BEFORE = re.compile(r"(?:—|-|–|～|~|至|到)\s*$")


def rewrite_figures(text: str, factor: float, year_shift: int, base_year: int) -> str:
    """`text` with every figure multiplied by `factor` (formatting kept) and every year moved by `year_shift`.

    A year is a four-digit number in base_year-20 … base_year+10 followed by 年 or a range dash (or
    preceded by one); months, days, session numbers (届) and the like are left alone.
    """
    def date(m: re.Match[str]) -> str:
        return f"{int(m.group(1)) + year_shift}{m.group(2)}{m.group(3)}{m.group(2)}{m.group(4)}"

    def figure(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2)
        after = text[m.end():m.end() + 6]
        if frac is None and "," not in whole and len(whole) == 4 and base_year - 20 <= int(whole) <= base_year + 10 \
                and (_YEAR_NEXT.match(after) or _YEAR_BEFORE.search(text[max(0, m.start() - 2):m.start()])):
            return str(int(whole) + year_shift)
        if _NOT_A_FIGURE_AFTER.match(after) or (len(whole) > 1 and whole.startswith("0")):
            return m.group(0)
        value = float(whole.replace(",", "") + (frac or "")) * factor
        if frac is None:
            scaled = str(max(1, round(value))) if whole != "0" else "0"
            if "," in whole:
                scaled = f"{int(scaled):,}"
            return scaled
        return f"{value:.{len(frac) - 1}f}"

    text = _DATE_LIKE.sub(date, text)
    return _NUMBER.sub(figure, text)


def make_archive(dest: Path, n: int, seed: int = ARCHIVE_SEED) -> list[dict[str, object]]:
    """Fill `dest` with an N-report corpus: the bundled and real development reports, then generated ones.

    Returns the identities (file, region, year, level, base) of the generated reports, in order:
    the first ones exist at every N (they are the same for the same seed).
    """
    import random

    from assistant.ingest import discover, load_report

    rng = random.Random(seed)
    real = [f.path for f in discover(ROOT / "corpus", warn=False)]
    real += [f.path for sub in ARCHIVE_SOURCES for f in discover(ROOT / "dev-reports" / sub, warn=False)]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for i, src in enumerate(real[:n]):
        shutil.copyfile(src, dest / src.name)
        sidecar = src.with_name(src.name + ".meta.json")
        if sidecar.exists():
            shutil.copyfile(sidecar, dest / sidecar.name)
    bases = []
    for path in real:
        text = path.read_text(encoding="utf-8")
        meta = load_report(next(f for f in discover(path.parent, warn=False) if f.path == path)).meta
        if meta.level in ("province", "city", "county") and meta.year and meta.kind != "document":
            bases.append((path, text, meta))
    stems = _place_stems(rng)
    generated: list[dict[str, object]] = []
    for i in range(max(0, n - len(real))):
        path, text, meta = bases[i % len(bases)]
        stem = stems[i % len(stems)]
        if meta.level == "county":  # the base's own suffix, so "县长", "全区" in the text still fit
            suffix, level = (meta.region[-1] if meta.region[-1] in "县区市" else "县"), "county"
        else:
            suffix, level = "市", "city"
        region = stem + suffix
        year = rng.randint(2015, 2026)
        factor = rng.uniform(0.8, 1.2)
        body = text.replace(meta.region, region)
        for alias in sorted(meta.aliases, key=len, reverse=True):
            if len(alias) >= 2:
                body = body.replace(alias, stem)
        body = rewrite_figures(body, factor, year - meta.year, meta.year)
        parents = list(meta.parents) if meta.level != "province" else [meta.region]
        name = f"archive-{i:05d}-{year}-{stem}.txt"
        (dest / name).write_text(body, encoding="utf-8")
        side = {"title": f"{region}{year}年政府工作报告", "region": region, "year": year, "level": level,
                "parents": parents, "source": f"{region}人民政府"}
        if meta.date:
            side["date"] = f"{year}{meta.date[4:]}"
        (dest / (name + ".meta.json")).write_text(json.dumps(side, ensure_ascii=False), encoding="utf-8")
        generated.append({"file": name, "region": region, "year": year, "level": level, "factor": round(factor, 4),
                          "base": path.name})
    return generated


def _archive_questions(generated: list[dict[str, object]]) -> list[str]:
    """The fixed question list: eval/qa.jsonl, the province questions, and four on the first generated reports."""
    extra = ["{region}{prev}年地区生产总值是多少？", "{region}{prev}年一般公共预算收入是多少？",
             "{region}{year}年经济增长的预期目标是多少？", "{region}城镇新增就业多少人？"]
    asks = [q.format(region=g["region"], year=g["year"], prev=int(g["year"]) - 1)  # type: ignore[call-overload]
            for q, g in zip(extra, generated[:4])]
    return _questions(33) + asks


def _profile_questions(generated: list[dict[str, object]]) -> list[str]:
    """Questions for --profile that the timed pass never asks (so no per-question cache helps them)."""
    mine = ["{region}城镇居民人均可支配收入是多少？", "{region}{prev}年固定资产投资增长多少？",
            "{region}{prev}年粮食产量是多少？"]
    return ["河南省高标准农田建设多少万亩？", "湖北省进出口总额是多少？", "江苏省常住人口城镇化率是多少？"] + [
        q.format(region=g["region"], prev=int(g["year"]) - 1)  # type: ignore[call-overload]
        for q, g in zip(mine, generated[12:15])] + ["浙江省研发经费投入强度是多少？", "安徽省粮食产量是多少？"]


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def archive_build(n: int, work: Path, reuse: bool) -> dict[str, object]:
    """Child process: generate the N-report corpus and build its index with the stand-in encoder."""
    from assistant.ingest import discover
    from assistant.storage import build_index, read_manifest

    base = work / f"archive-{n}"
    settings = Settings().with_(corpus_dir=base / "corpus", index_dir=base / "index")
    info_path = base / "generated.json"
    manifest = read_manifest(settings.index_dir) if settings.index_dir.exists() else None
    # storage.staleness judges against the configured (real) encoder, so "current" is checked here:
    # built with the stand-in encoder from exactly the files now in the corpus
    if reuse and manifest and manifest.get("encoder") == ARCHIVE_ENCODER and info_path.exists() and \
            {f["rel_path"]: f.get("fingerprint") for f in manifest.get("files", []) + manifest.get("skipped", [])} \
            == {f.rel_path: f.fingerprint for f in discover(settings.corpus_dir, warn=False)}:
        return {"build_measured": False, "build_s": manifest.get("build_seconds"), "generate_s": None,
                "build_peak_rss_mb": None}
    t = time.perf_counter()
    generated = make_archive(settings.corpus_dir, n)
    generate_s = time.perf_counter() - t
    info_path.write_text(json.dumps(generated, ensure_ascii=False, indent=0), encoding="utf-8")
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    t = time.perf_counter()
    build_index(settings, encoder=HashEncoder(), progress=sys.stderr.isatty())
    build_s = time.perf_counter() - t
    return {"build_measured": True, "build_s": round(build_s, 1), "generate_s": round(generate_s, 1),
            "build_peak_rss_mb": round(_peak_rss_mb(), 1)}


def archive_add(n: int, work: Path) -> dict[str, object]:
    """Child process: add one new generated report to the N-report index, then remove it again (timed).

    The graph grows instead of being rebuilt (assistant/retriever/ann.py); the removal masks the
    report's graph entries. The stand-in encoder embeds nothing worth timing, so the seconds are the
    build's own cost over what the report's embedding takes.
    """
    from assistant.ingest import discover
    from assistant.storage import build_index, read_manifest

    base = work / f"archive-{n}"
    settings = Settings().with_(corpus_dir=base / "corpus", index_dir=base / "index")
    extra = work / "extra-report"
    n_real = len(discover(ROOT / "corpus", warn=False)) + sum(
        len(discover(ROOT / "dev-reports" / sub, warn=False)) for sub in ARCHIVE_SOURCES)
    made = make_archive(extra, n_real + 1, seed=ARCHIVE_SEED + 1)[0]
    added = [settings.corpus_dir / f"added-{name}" for name in (made["file"], f"{made['file']}.meta.json")]
    for name, dest in zip((made["file"], f"{made['file']}.meta.json"), added):
        shutil.copyfile(extra / name, dest)
    shutil.rmtree(extra)
    before = read_manifest(settings.index_dir) or {}
    try:
        t = time.perf_counter()
        build_index(settings, encoder=HashEncoder(), progress=False)
        add_s = time.perf_counter() - t
        grown = read_manifest(settings.index_dir) or {}
    finally:
        for path in added:
            path.unlink(missing_ok=True)
    t = time.perf_counter()
    build_index(settings, encoder=HashEncoder(), progress=False)
    remove_s = time.perf_counter() - t
    shrunk = read_manifest(settings.index_dir) or {}
    return {"add_s": round(add_s, 1), "added_passages": grown.get("n_chunks", 0) - before.get("n_chunks", 0),
            "remove_s": round(remove_s, 1), "masked_after_remove": shrunk.get("dense_masked")}


def archive_serve(n: int, work: Path, profile: int = 0) -> dict[str, object]:
    """Child process: load the Assistant on archive-N and time ask() and compare()."""
    from assistant.compare import compare
    from assistant.pipeline import Assistant
    from assistant.storage import current_build, load_index, read_manifest

    base = work / f"archive-{n}"
    settings = Settings().with_(corpus_dir=base / "corpus", index_dir=base / "index")
    manifest = read_manifest(settings.index_dir) or {}
    build = current_build(settings.index_dir)
    assert build is not None and manifest.get("encoder") == ARCHIVE_ENCODER, "no archive index: build it first"
    generated = json.loads((base / "generated.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    # the index is passed in: Assistant(settings) alone would call ensure_index, which judges the index
    # against the configured real encoder and would rebuild it with that model
    index = load_index(settings.index_dir)
    read_s = time.perf_counter() - t
    assistant = Assistant(settings, index=index, encoder=HashEncoder())
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mb()
    latencies = _ask_ms(assistant, _archive_questions(generated))
    rss_after_ask = _rss_mb()
    compare(assistant, COMPARE_QUESTIONS[1])  # warm-up (the 31 provinces)
    compare_ms, compare_rows = [], []
    for q in COMPARE_QUESTIONS:
        t = time.perf_counter()
        result = compare(assistant, q)
        compare_ms.append((time.perf_counter() - t) * 1000)
        compare_rows.append(len(result.rows))
    out: dict[str, object] = {
        "reports": len(manifest.get("reports", [])),
        "chunks": manifest.get("n_chunks"),
        "dense_index": manifest.get("dense_index"),
        "index_bytes": _dir_size(build),
        "index_mb": round(_dir_size(build) / 2**20, 1),
        "index_files_mb": {p.name: round(_dir_size(p) / 2**20 if p.is_dir() else p.stat().st_size / 2**20, 2)
                           for p in sorted(build.iterdir())},
        "index_load_s": round(load_s, 2),  # load_index + Assistant(): start-up until the first question
        "index_read_s": round(read_s, 2),  # load_index alone
        "rss_loaded_mb": round(rss_loaded, 1),
        "rss_after_ask_mb": round(rss_after_ask, 1),
        **_latency_row(latencies),
        "compare_questions": COMPARE_QUESTIONS,
        "compare_ms": [round(x, 1) for x in compare_ms],
        "compare_rows": compare_rows,
        "compare_p50_ms": round(statistics.median(compare_ms), 1),
        "rss_serving_mb": round(_rss_mb(), 1),
    }
    if profile:
        import cProfile
        import io
        import pstats

        # questions not asked before: a question asked again is much faster (per-term document
        # frequencies, found places and normalized passages are cached), which would hide the cost
        fresh = _profile_questions(generated)[:profile]
        prof = cProfile.Profile()
        prof.enable()
        for q in fresh:
            assistant.ask(q)
        prof.disable()
        out["profiled_questions"] = fresh
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        out["profile"] = buf.getvalue()
    return out


def _child(stage: str, n: int, work: Path, reuse: bool, profile: int) -> dict[str, object]:
    """Run one stage in a fresh interpreter (so each RSS figure is that stage's alone)."""
    import subprocess

    cmd = [sys.executable, str(Path(__file__).resolve()), "--_stage", stage, "--archive", str(n),
           "--work", str(work), "--profile", str(profile)] + (["--reuse"] if reuse else [])
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{stage} of archive-{n} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_archive(n: int, work: Path, reuse: bool, profile: int) -> dict[str, object]:
    built = _child("build", n, work, reuse, 0)
    logging.info("archive-%d built: %s", n, built)
    served = _child("serve", n, work, False, profile)
    changed = _child("add", n, work, False, 0)
    logging.info("archive-%d, one report added and removed: %s", n, changed)
    return {"corpus": f"archive-{n}", "encoder": ARCHIVE_ENCODER, **built, **served, **changed}


def print_archive_table(results: list[dict[str, object]]) -> None:
    print(f"\nArchive sizes: STAND-IN ENCODER {ARCHIVE_ENCODER} (hash vectors): build seconds exclude real "
          "embedding; retrieval quality is not measured.\n")
    print("| reports | passages | dense index | build s | build peak RSS MB | index bytes | serving RSS MB "
          "| ask p50 ms | ask p95 ms | compare p50 ms | compare ms each (rows) | add one report s (passages) "
          "| remove it s (masked) |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        each = " / ".join(f"{ms:.0f} ({rows})" for ms, rows in zip(r["compare_ms"], r["compare_rows"]))  # type: ignore
        print(f"| {r['reports']} | {r['chunks']} | {r['dense_index']} | {r['build_s']} | {r['build_peak_rss_mb']} "
              f"| {r['index_bytes']:,} | {r['rss_serving_mb']} | {r['p50_ms']} | {r['p95_ms']} "
              f"| {r['compare_p50_ms']} | {each} | {r['add_s']} ({r['added_passages']}) "
              f"| {r['remove_s']} ({r['masked_after_remove']}) |")
    print("\ncompare ms each: " + " / ".join(COMPARE_QUESTIONS) + " (rows = reports compared). "
          "index bytes: the live build folder (the embedding cache beside it excluded).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-scale")
    parser.add_argument("--provinces", type=Path, default=PROVINCES)
    parser.add_argument("--reuse", action="store_true", help="reuse an index that is current instead of rebuilding")
    parser.add_argument("--only", choices=["2", "33"], default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--archive", default=None,
                        help="comma-separated archive sizes (e.g. 100,500,1500): generated corpora, stand-in encoder")
    parser.add_argument("--profile", type=int, default=0,
                        help="with --archive: cProfile N never-asked questions at each size "
                             "(top functions printed)")
    parser.add_argument("--_stage", choices=["build", "serve", "add"], default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "bm25s", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args._stage:  # a child of --archive: one stage, its result as the last line of stdout
        n = int(args.archive)
        stages = {"build": lambda: archive_build(n, args.work, args.reuse),
                  "serve": lambda: archive_serve(n, args.work, args.profile), "add": lambda: archive_add(n, args.work)}
        result = stages[args._stage]()
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if args.archive:
        sizes = [int(x) for x in args.archive.split(",") if x.strip()]
        load_before = os.getloadavg()
        results = []
        for n in sizes:
            results.append(bench_archive(n, args.work, args.reuse, args.profile))
            logging.info("archive-%d: %s", n, {k: v for k, v in results[-1].items() if k != "profile"})
            if args.json:  # written after every size, so a long run leaves what it finished
                args.json.write_text(json.dumps({"load_before": load_before, "load_after": os.getloadavg(),
                                                 "encoder": ARCHIVE_ENCODER, "results": results},
                                                ensure_ascii=False, indent=1), encoding="utf-8")
        load_after = os.getloadavg()
        for r in results:
            if r.get("profile"):
                print(f"\n--- cProfile of {args.profile} ask() calls, {r['corpus']} ---\n{r['profile']}")
        print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores; >2 means contention)")
        print_archive_table(results)
        for r in results:
            print(f"  {r['reports']} reports, files (MB): {r['index_files_mb']}; compare ms {r['compare_ms']}")
        return 0
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
