"""Command line of the evaluation.

    python -m eval run --qa FILE --out DIR [--compare] [--model DIR ...] [--index-dir DIR]
    python -m eval report DIR [--qa FILE]          (re-score / re-render a run from its files)
    python -m eval from-feedback [--feedback PATH] [--out FILE] [--qa FILE ...]
    python -m eval fit-ranker [--qa FILE] [--index-dir DIR]   (descriptive-answer ranker, dev split)
    python -m eval compare [--qa FILE] [--out DIR] [--index-dir DIR] [--corpus DIR]   (comparison tables)

Exit codes: 0 done; 1 the product system could not run; 2 malformed QA file or
bad arguments; 130 interrupted (what was done is still scored and reported).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, Settings

from .qa import QAFormatError, load_qa

DEFAULT_QA = Path(__file__).parent / "qa.jsonl"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "") if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def cmd_run(args: argparse.Namespace) -> int:
    try:
        items = load_qa(args.qa)
    except (QAFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .report import comparison_rows, md_table, write_metrics, write_report
    from .runner import SystemResult, run_system
    from .systems import AssistantPool, build_systems, in_order

    from assistant.storage import IndexError_, resolve_corpus

    try:  # an index given alone is evaluated on the reports it was built from (baselines too)
        base = resolve_corpus(Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus))
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    specs = build_systems(base, args.compare, args.model, args.baseline_root, args.retriever)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"qa_file": str(args.qa), "questions": len(items), "commit": _git_commit(),
                            "started": time.strftime("%Y-%m-%d %H:%M:%S"), "corpus": str(base.corpus_dir),
                            "systems": ", ".join(s.name for s in specs),
                            "cpu": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start, "
                                   f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"}
    pool = AssistantPool(progress=not args.quiet)
    results: list[SystemResult] = []
    interrupted = False
    t0 = time.perf_counter()
    try:
        for spec, still_needed in in_order(specs):
            pool.release_except(still_needed)
            sys_dir = out if spec.product else out / "baselines" / spec.name
            try:
                assistant = pool.get(spec.settings)
            except KeyboardInterrupt:
                interrupted = True
                break
            except Exception as exc:  # e.g. an encoder that cannot load: report it, go on with the others
                logging.getLogger("eval").exception("system %s could not start", spec.name)
                results.append(SystemResult(spec=spec, out_dir=sys_dir, error=f"{type(exc).__name__}: {exc}"))
                print(f"warning: system {spec.name} failed: {exc}", file=sys.stderr)
                continue
            result = run_system(assistant, spec, items, sys_dir, progress=not args.quiet)
            result.setup_seconds = pool.setup_seconds.get(spec.settings, 0.0)
            results.append(result)
            write_metrics(results, out, meta)  # after every system: a later crash keeps these
            if result.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        meta["seconds"] = round(time.perf_counter() - t0, 1)
        if interrupted:
            meta["interrupted"] = "yes: partial results"
        write_metrics(results, out, meta)
        md, html_path = write_report(results, out, meta)

    header, rows = comparison_rows(results)
    print(md_table(header, rows))
    product = next((r for r in results if r.spec.product), None)
    if product is not None and (product.by_split or product.by_level):
        print("\n" + split_table(product))
    print(f"\nwrote {out / 'predictions.jsonl'}, {out / 'metrics.json'}, {md}, {html_path}")
    if interrupted:
        return 130
    return 0 if product is not None and not product.error else 1


def split_table(result) -> str:
    """Accuracy, citation, refusal and abstention by split and by split/level (the product only)."""
    lines = ["| group | n | answerable | correct | first citation holds it | refused | unanswerable abstained "
             "| ECE | wrong above 0.9 |",
             "|---|---|---|---|---|---|---|---|---|"]

    def pct(x):
        return "–" if x is None else f"{100 * x:.1f}%"

    groups = list(result.by_split.items()) + list(result.by_level.items())
    for name, m in groups:
        refused = m["wrongly_abstained"] / m["answerable"] if m["answerable"] else None
        lines.append(f"| {name} | {m['n']} | {m['answerable']} | {pct(m['accuracy'])} | "
                     f"{pct(m['citation_precision'])} | {pct(refused)} | {pct(m['abstention_recall'])} | "
                     f"{'–' if m.get('ece') is None else format(m['ece'], '.3f')} | {m.get('wrong_above_0.9', '–')} |")
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    """Re-score and re-render a run directory from its files (after a crash, or to refresh the report)."""
    from .reload import load_run
    from .report import comparison_rows, md_table, write_metrics, write_report

    if not (args.dir / "predictions.jsonl").exists() and not (args.dir / "metrics.json").exists():
        print(f"error: {args.dir} holds no evaluation run", file=sys.stderr)
        return 2
    try:
        results, meta = load_run(args.dir, args.qa)
    except (QAFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta["re-rendered"] = time.strftime("%Y-%m-%d %H:%M:%S")
    write_metrics(results, args.dir, meta)
    md, html_path = write_report(results, args.dir, meta)
    header, rows = comparison_rows(results)
    print(md_table(header, rows))
    product = next((r for r in results if r.spec.product), None)
    if product is not None and (product.by_split or product.by_level):
        print("\n" + split_table(product))
    print(f"\nwrote {args.dir / 'metrics.json'}, {md}, {html_path}")
    return 0


def cmd_from_feedback(args: argparse.Namespace) -> int:
    from assistant.feedback import FeedbackStore

    from .drafts import drafts_from_feedback, known_question_keys, write_drafts

    path = args.feedback or Settings().feedback_path
    if not Path(path).exists():
        print(f"error: no feedback store at {path}", file=sys.stderr)
        return 2
    known = known_question_keys(args.qa if args.qa is not None else [DEFAULT_QA])
    entries = drafts_from_feedback(FeedbackStore(path), known)
    write_drafts(entries, args.out)
    print(f"{len(entries)} draft question(s) from 👎 votes → {args.out}\n"
          f"Fill in 'answers' (empty list if the reports really have no answer), check 'type' and 'report', "
          f"remove \"draft\": true, then move the lines into a QA file.")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from assistant.knowledge import DATA_DIR

    from .calibrate import calibrate

    out = args.out or DATA_DIR / "calibration.json"
    qas = args.qa or [Path("eval/qa_general.jsonl")]
    if len(qas) not in (1, len(args.run)):
        print("error: give one --qa for all runs or one per run", file=sys.stderr)
        return 2
    pairs = [(run / "predictions.jsonl", qas[i] if len(qas) > 1 else qas[0]) for i, run in enumerate(args.run)]
    try:
        doc = calibrate(pairs, out, args.split)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(doc, ensure_ascii=False, indent=1))
    print(f"wrote {out}")
    return 0


def _read_items(loader: Any, path: Path) -> Any:
    """`loader(path)`, or None (the reason printed) when the QA file is unreadable or malformed."""
    try:
        return loader(path)
    except (QAFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _start_assistant(args: argparse.Namespace) -> Any:
    """The assistant over `--index-dir` / `--corpus`, or None (the reason printed) when it cannot start."""
    from assistant.pipeline import Assistant

    settings = Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus)
    try:
        return Assistant(settings, progress=not args.quiet)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the command cannot start
        print(f"error: the assistant could not start: {exc}", file=sys.stderr)
        return None


def cmd_fit_ranker(args: argparse.Namespace) -> int:
    """Fit the descriptive-answer ranker on the dev split (see eval/fit_ranker.py)."""
    from assistant.reader.ranker import RANKER_PATH

    from .fit_ranker import fit_and_write

    items = _read_items(load_qa, args.qa)
    if items is None:
        return 2
    assistant = _start_assistant(args)
    if assistant is None:
        return 1
    out = args.out or RANKER_PATH
    try:
        doc = fit_and_write(assistant, items, args.qa.as_posix(), out, args.split, progress=not args.quiet)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(doc, ensure_ascii=False, indent=1))
    print(f"wrote {out}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Score comparison tables cell by cell (see eval/compare.py)."""
    from .compare import format_summary, load_compare_qa, run_compare_eval

    items = _read_items(load_compare_qa, args.qa)
    if items is None:
        return 2
    assistant = _start_assistant(args)
    if assistant is None:
        return 1
    scored, summary = run_compare_eval(assistant, items)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare_metrics.json").write_text(
        json.dumps({"qa_file": str(args.qa), "commit": _git_commit(), **summary}, ensure_ascii=False, indent=2),
        encoding="utf-8")
    with open(args.out / "compare_cells.jsonl", "w", encoding="utf-8") as f:
        for s in scored:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    print(format_summary(scored, summary))
    print(f"\nwrote {args.out / 'compare_metrics.json'}, {args.out / 'compare_cells.jsonl'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Evaluate the assistant on a QA set.")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="answer every question of a QA file, score, and write a report")
    run_p.add_argument("--qa", type=Path, default=DEFAULT_QA, help="QA file (JSONL)")
    run_p.add_argument("--out", type=Path, default=Path("eval/out/latest"), help="output directory")
    run_p.add_argument("--compare", action="store_true",
                       help="also run BM25-only, dense-only and hybrid on fixed 500-char chunks")
    run_p.add_argument("--model", action="append", default=None, metavar="DIR",
                       help="an extra sentence-transformers encoder to compare (hybrid); repeatable")
    run_p.add_argument("--index-dir", type=Path, default=None, help="the product index (default: index/built)")
    run_p.add_argument("--baseline-root", type=Path, default=None,
                       help="where baseline indexes go, as eval-<name>/ (default: the product index dir)")
    run_p.add_argument("--corpus", type=Path, default=None,
                       help="report folder (default: the one the index was built from, else corpus/)")
    run_p.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], default=None,
                       help="retriever of the product system (default: the configured one)")
    run_p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    run_p.add_argument("-v", "--verbose", action="store_true")
    run_p.set_defaults(func=cmd_run)
    cal_p = sub.add_parser("calibrate", help="fit the answer policy's confidence on a run (dev split only)")
    cal_p.add_argument("run", type=Path, nargs="+",
                       help="--out directories of runs made with GWR_MIN_CONFIDENCE=0 (their examples are pooled)")
    cal_p.add_argument("--qa", type=Path, action="append", default=None,
                       help="the QA file of the runs, or one per run (default eval/qa_general.jsonl)")
    cal_p.add_argument("--split", default="dev")
    cal_p.add_argument("--out", type=Path, default=None, help="default: assistant/data/calibration.json")
    cal_p.add_argument("-v", "--verbose", action="store_true")
    cal_p.set_defaults(func=cmd_calibrate)
    fit_p = sub.add_parser("fit-ranker", help="fit the descriptive-answer ranker on the dev split")
    fit_p.add_argument("--qa", type=Path, default=Path("eval/qa_descriptive.jsonl"), help="QA file (JSONL)")
    fit_p.add_argument("--index-dir", type=Path, default=None, help="an index holding the QA set's reports")
    fit_p.add_argument("--corpus", type=Path, default=None, help="report folder (default: the index's)")
    fit_p.add_argument("--split", default="dev")
    fit_p.add_argument("--out", type=Path, default=None, help="default: assistant/data/descriptive_ranker.json")
    fit_p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fit_p.add_argument("-v", "--verbose", action="store_true")
    fit_p.set_defaults(func=cmd_fit_ranker)
    rep_p = sub.add_parser("report", help="rebuild metrics.json and the report from a run directory's files")
    rep_p.add_argument("dir", type=Path, help="the --out directory of a run (finished, interrupted or killed)")
    rep_p.add_argument("--qa", type=Path, default=None, help="QA file (default: the one the run used)")
    rep_p.add_argument("-v", "--verbose", action="store_true")
    rep_p.set_defaults(func=cmd_report)
    fb_p = sub.add_parser("from-feedback", help="turn 👎-voted answers into draft QA entries")
    fb_p.add_argument("--feedback", type=Path, default=None, help="feedback SQLite file (default: settings)")
    fb_p.add_argument("--out", type=Path, default=Path("eval/out/feedback-drafts.jsonl"))
    fb_p.add_argument("--qa", type=Path, action="append", default=None,
                      help="skip questions already in this QA file (repeatable; default eval/qa.jsonl)")
    fb_p.add_argument("-v", "--verbose", action="store_true")
    fb_p.set_defaults(func=cmd_from_feedback)
    cmp_p = sub.add_parser("compare", help="score comparison tables (one question, a gold cell per report)")
    cmp_p.add_argument("--qa", type=Path, default=Path(__file__).parent / "qa_compare.jsonl")
    cmp_p.add_argument("--out", type=Path, default=Path("eval/out/compare"), help="output directory")
    cmp_p.add_argument("--index-dir", type=Path, default=None, help="the product index (default: index/built)")
    cmp_p.add_argument("--corpus", type=Path, default=None)
    cmp_p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    cmp_p.add_argument("-v", "--verbose", action="store_true")
    cmp_p.set_defaults(func=cmd_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
