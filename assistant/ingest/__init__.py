"""Loading reports from the corpus directory: files → (text, metadata).

Supported: .txt/.md (UTF-8 with or without BOM, GBK/GB18030, UTF-16), .docx,
text-based .pdf and .html/.htm pages. Every format goes through the same
web-boilerplate cleaning and metadata inference; a file that cannot be read is
skipped with one log line naming it and the reason, never failing the build.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from ..types import Report
from .metadata import SIDECAR_SUFFIX, apply_sidecar, infer_metadata
from .readers import READERS, UnreadableReport, extract_report, read_report_text

logger = logging.getLogger(__name__)

__all__ = ["CorpusFile", "INGEST_VERSION", "UnreadableReport", "discover", "load_report", "load_corpus",
           "file_fingerprint", "read_report_text"]

#: Bump when a change to reading, cleaning or metadata alters what a file turns into:
#: the index records it, so indexes built by older code are rebuilt instead of reused.
INGEST_VERSION = "ingest-v3"


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    rel_path: str
    fingerprint: str  # sha256 of the file bytes plus its sidecar


def file_fingerprint(path: Path) -> str:
    h = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.exists():
        h.update(b"\0sidecar\0")
        h.update(sidecar.read_bytes())
    return h.hexdigest()


def discover(corpus_dir: Path, warn: bool = True) -> list[CorpusFile]:
    """Report files under corpus_dir (sorted, hidden files and sidecars excluded).

    warn=False for staleness checks, so a file of an unsupported type is logged once per build,
    not once per check.
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus directory not found: {corpus_dir}")
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in Path(rel).parts):
            continue
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.lower() in ("readme.md", "reports.csv"):
            continue
        if path.suffix.lower() not in READERS:
            if warn:
                logger.warning("skipping %s: unsupported file type %s", rel, path.suffix or "(none)")
            continue
        try:
            files.append(CorpusFile(path=path, rel_path=rel, fingerprint=file_fingerprint(path)))
        except OSError as exc:
            logger.warning("skipping %s: cannot read the file: %s", rel, exc)
    return files


def load_report(file: CorpusFile) -> Report:
    """Read one report; raises UnreadableReport with the reason."""
    extracted = extract_report(file.path)
    meta = apply_sidecar(infer_metadata(extracted.text, file.rel_path, extracted.hints), file.path)
    return Report(meta=meta, text=extracted.text)


def load_corpus(corpus_dir: Path) -> list[Report]:
    """Every readable report in corpus_dir; unreadable ones are logged (one line each) and skipped."""
    reports = []
    for file in discover(corpus_dir):
        try:
            reports.append(load_report(file))
        except UnreadableReport as exc:
            logger.warning("skipping %s: %s", file.rel_path, exc)
    return reports
