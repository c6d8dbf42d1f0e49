"""Shared fixtures: the real corpus, a real index built once per test session, the real model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
DEV_REPORTS = PROJECT_ROOT / "dev-reports"  # development reports of every level (dev-reports/README.md)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings().with_(corpus_dir=CORPUS, index_dir=index_dir)


@pytest.fixture(scope="session")
def assistant(settings: Settings):
    from assistant.pipeline import Assistant

    return Assistant(settings)


@pytest.fixture(scope="session")
def reports():
    from assistant.ingest import load_corpus

    return {r.meta.id: r for r in load_corpus(CORPUS)}


PROVINCES = DEV_REPORTS / "provinces-2026"
MORE_LEVELS = DEV_REPORTS / "more-levels"
COUNTIES = DEV_REPORTS / "counties"
NOTICES = DEV_REPORTS / "notices"  # policy documents that are no work reports (notices, news items)
HELD_OUT = DEV_REPORTS / "held-out"  # reports of the test split's national, city and county questions (never read)
ALL_REPORT_FOLDERS = (CORPUS, PROVINCES, MORE_LEVELS, COUNTIES, NOTICES, HELD_OUT)


def combined_corpus(dest: Path, folders=ALL_REPORT_FOLDERS) -> Path:
    """The reports of several folders copied into one corpus folder (copied only when changed).

    Copies, not symlinks: the corpus loader refuses files that live outside the corpus folder.
    """
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for folder in folders:
        if folder != CORPUS:
            dev_reports(folder)
        require(folder.is_dir(), f"report folder missing: {folder}")
        for p in folder.iterdir():
            if p.is_file() and p.name != "reports.csv" and not p.name.startswith("."):
                wanted[p.name] = p
    for name, src in wanted.items():
        target = dest / name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)
    for extra in dest.iterdir():
        if extra.is_file() and extra.name not in wanted:
            extra.unlink()
    return dest


@pytest.fixture(scope="session")
def assistant_all():
    """One index of every development document: the bundled reports, the 31 provinces, the 10 reports of other
    levels, the 12 county reports, the 10 policy notices and the 10 held-out reports of the test split, kept in
    var/ (gitignored).

    Embeds ~32,000 passage headings and sentences on first use (15–25 minutes on 2 cores); reruns reuse it.
    """
    from assistant.pipeline import Assistant

    root = PROJECT_ROOT / "var" / "all-reports"
    settings = Settings().with_(corpus_dir=combined_corpus(root / "corpus"), index_dir=root / "index")
    cache = os.environ.get("GWR_TEST_EMBEDDING_CACHE")  # CI keeps the vectors outside the clone: reruns are quick
    if cache:
        settings = settings.with_(embedding_cache_path=Path(cache).expanduser())
    return Assistant(settings, progress=False)


def dev_reports(folder: Path) -> Path:
    """A folder of development reports, checked whole against `dev-reports/SHA256SUMS`.

    The reports are part of the repository, so a missing or altered file is a broken checkout:
    the test fails (locally and in CI) and names the file, never skips.
    """
    import hashlib

    sums = DEV_REPORTS / "SHA256SUMS"
    if not sums.is_file():
        pytest.fail(f"development report checksums missing: {sums.relative_to(PROJECT_ROOT)}")
    problems = []
    listed = 0
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = (DEV_REPORTS / name).resolve()
        if path.parent != folder.resolve():
            continue
        listed += 1
        rel = path.relative_to(PROJECT_ROOT)
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"damaged (checksum differs): {rel}")
    if not listed:
        problems.append(f"no development reports listed for {folder}")
    if problems:
        pytest.fail("development reports: " + "; ".join(problems) + " (restore them with git checkout -- dev-reports)")
    return folder


def require(condition: bool, reason: str) -> None:
    """Skip locally when an optional tool is missing, but fail loudly in CI (a skipped test counts as missing)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
