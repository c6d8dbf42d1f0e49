"""Loading reports from the corpus directory: files → (text, metadata).

Supported: .txt/.md (UTF-8 with or without BOM, GBK/GB18030, UTF-16), .docx,
text-based .pdf and .html/.htm pages. Every format goes through the same
web-boilerplate cleaning and metadata inference; a file that cannot be read is
skipped with one log line naming it and the reason, never failing the build.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..text import normalize
from ..types import Report
from .metadata import SIDECAR_SUFFIX, apply_sidecar, infer_metadata
from .limits import ReadLimits
from .readers import READERS, UnreadableReport, extract_report, read_report_text

logger = logging.getLogger(__name__)

__all__ = ["CorpusFile", "INGEST_VERSION", "ReadLimits", "UnreadableReport", "discover", "load_report", "load_corpus",
           "file_fingerprint", "read_report_text", "text_key", "outside_corpus"]

#: Bump when a change to reading, cleaning or metadata alters what a file turns into:
#: the index records it, so indexes built by older code are rebuilt instead of reused.
INGEST_VERSION = "ingest-v4"  # v4: documents that are no work reports get their own identity (kind "document")


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    rel_path: str
    fingerprint: str  # sha256 of the file bytes plus its sidecar


def file_fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.exists():
        h.update(b"\0sidecar\0")
        h.update(sidecar.read_bytes())
    return h.hexdigest()


_SPACE = re.compile(r"\s+")


def text_key(text: str) -> str:
    """The identity of a report's text, whatever its file name, encoding or format.

    NFKC (full-width → half-width) and no whitespace at all: the same report saved as
    UTF-8 and as GBK, or as .txt and as .docx (other line breaks), gets the same key.
    """
    return hashlib.sha256(_SPACE.sub("", normalize(text)).encode("utf-8")).hexdigest()


def outside_corpus(path: Path, root: Path) -> bool:
    """Whether a path (after following every symlink) lies outside the corpus folder `root` (resolved)."""
    try:
        return not path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return True


def discover(corpus_dir: Path, warn: bool = True) -> list[CorpusFile]:
    """Report files under corpus_dir (sorted, hidden files and sidecars excluded).

    warn=False for staleness checks, so a file of an unsupported type is logged once per build,
    not once per check.
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus directory not found: {corpus_dir}")
    root = corpus_dir.resolve()
    files = []
    # rglob does not descend into symlinked folders; a symlinked file is followed only when it
    # stays inside the corpus (then it is an ordinary duplicate, dropped by the build's content check)
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.lower() in ("readme.md", "reports.csv"):
            continue
        if outside_corpus(path, root):  # a link, or a file reached through a linked folder
            if warn:
                logger.warning("skipping %s: it is a link to a place outside the corpus folder", rel)
            continue
        if not path.is_file():
            continue
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if sidecar.is_symlink() and outside_corpus(sidecar, root):
            if warn:
                logger.warning("skipping %s: its metadata sidecar links to a file outside the corpus folder", rel)
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


def load_report(file: CorpusFile, limits: ReadLimits | None = None) -> Report:
    """Read one report (within `limits`, default ReadLimits()); raises UnreadableReport with the reason."""
    extracted = extract_report(file.path, limits)
    meta = apply_sidecar(infer_metadata(extracted.text, file.rel_path, extracted.hints), file.path)
    return Report(meta=meta, text=extracted.text)


def load_corpus(corpus_dir: Path, limits: ReadLimits | None = None) -> list[Report]:
    """Every readable report in corpus_dir; unreadable ones are logged (one line each) and skipped."""
    reports = []
    for file in discover(corpus_dir):
        try:
            reports.append(load_report(file, limits))
        except UnreadableReport as exc:
            logger.warning("skipping %s: %s", file.rel_path, exc)
    return reports
