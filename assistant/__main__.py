"""`python -m assistant "问题" [--json] [--report ID] [--index-dir DIR] [--history Q ...]`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import Settings


def _print_answer(answer) -> None:
    if answer.abstained:
        print(answer.message or answer.reason)
    else:
        print(f"答案: {answer.answer}")
        print(f"原文: {answer.sentence}")
        print(f"置信度: {answer.confidence:.2f}")
    for i, c in enumerate(answer.citations, start=1):
        print(f"[{i}] {c.title} · {c.section}")
        text = c.text
        if c.start >= 0:
            text = text[:c.start] + "【" + text[c.start:c.end] + "】" + text[c.end:]
        print("    " + text.replace("\n", " "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant",
                                     description="Ask a question about the government work reports.")
    parser.add_argument("question", help="the question, in Chinese or English")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--report", default=None, help="only search this report (id)")
    parser.add_argument("--history", nargs="*", default=None, help="earlier questions of the conversation")
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="report folder (default: the one the index was built from, else corpus/)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus, model=args.model,
                                retriever=args.retriever)
    try:
        from .pipeline import Assistant

        assistant = Assistant(settings, progress=sys.stderr.isatty())
        answer = assistant.ask(args.question, history=args.history, report=args.report)
    except Exception as exc:
        logging.getLogger(__name__).debug("failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_answer(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
