"""`python -m eval run --qa FILE --out DIR [--index-dir DIR]`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.config import Settings

from .qa import QAFormatError, load_qa


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Evaluate the assistant on a QA set.")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="answer every question of a QA file and score the answers")
    run_p.add_argument("--qa", type=Path, default=Path(__file__).parent / "qa.jsonl")
    run_p.add_argument("--out", type=Path, default=Path("eval/out"))
    run_p.add_argument("--index-dir", type=Path, default=None)
    run_p.add_argument("--corpus", type=Path, default=None)
    run_p.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "run":
        try:
            items = load_qa(args.qa)
        except (QAFormatError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        from assistant.pipeline import Assistant

        from .runner import run

        settings = Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus)
        assistant = Assistant(settings, progress=True)
        metrics = run(assistant, items, args.out, retriever=args.retriever)
        summary = {k: v for k, v in metrics.items() if k != "by_type"}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
