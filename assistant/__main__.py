"""`python -m assistant "问题" [--json] [--report ID] [--index-dir DIR] [--history Q ...]`.

`python -m assistant --compare "各省2026年地区生产总值增长目标是多少？" [--level province] [--csv FILE] [--json]`
answers one question per report, as a table.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
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
        if answer.reason:
            print(answer.reason)
        if answer.explanation:
            print(f"依据: {answer.explanation}")
    for alt in answer.alternatives:
        print(f"其他报告: {alt.region or alt.title} {alt.answer}  《{alt.title}》")
    if getattr(answer, "track", None) is not None:
        from .track import summary

        print(f"目标与实际: {answer.track.region} {answer.track.indicator}  {summary(answer.track)}")
    for i, c in enumerate(answer.citations, start=1):
        print(f"[{i}] {c.title} · {c.section}")
        text = c.text
        if c.start >= 0:
            text = text[:c.start] + "【" + text[c.start:c.end] + "】" + text[c.end:]
        print("    " + text.replace("\n", " "))


def _run_compare(assistant, args) -> int:
    from .compare import compare, display_order, summary, table_rows, to_csv

    result = compare(assistant, args.compare, reports=args.reports, level=args.level)
    if not result.rows:
        print(result.message, file=sys.stderr)
        return 1
    rows = display_order(result)
    if args.csv:
        try:
            args.csv.write_text("\ufeff" + to_csv(result, rows), encoding="utf-8")  # BOM: spreadsheets read UTF-8
        except OSError as exc:
            print(f"error: cannot write {args.csv}: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"问题: {result.core_question}  ({summary(result)}, {result.latency_ms:.0f} ms)")
    for cells in table_rows(result, rows):
        print("\t".join(cells[:7]))
    if args.csv:
        print(f"CSV → {args.csv}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant",
                                     description="Ask a question about the government work reports.")
    parser.add_argument("question", nargs="?", help="the question, in Chinese or English")
    parser.add_argument("--compare", metavar="QUESTION", default=None,
                        help="compare: answer this question for every report in scope, as a table")
    parser.add_argument("--level", choices=["province", "city", "county"], default=None,
                        help="compare only reports of this level")
    parser.add_argument("--reports", nargs="*", default=None, help="compare only these reports (ids)")
    parser.add_argument("--csv", type=Path, default=None, help="with --compare: also write the table as CSV")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--report", default=None, help="only search this report (id)")
    parser.add_argument("--history", nargs="*", default=None, help="earlier questions of the conversation")
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="report folder (default: the one the index was built from, else corpus/)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], default=None)
    parser.add_argument("--explain", action="store_true", help="print the features behind the chosen span")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if (args.question is None) == (args.compare is None):
        parser.error("give a question, or --compare QUESTION")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus, model=args.model,
                                retriever=args.retriever)
    try:
        from .pipeline import Assistant

        assistant = Assistant(settings, progress=sys.stderr.isatty())
        if args.compare is not None:
            return _run_compare(assistant, args)
        answer = assistant.ask(args.question, history=args.history, report=args.report, explain=args.explain)
    except Exception as exc:
        logging.getLogger(__name__).debug("failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        else:
            _print_answer(answer)
        sys.stdout.flush()
    except BrokenPipeError:  # "… | head": the reader of our output has gone, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
