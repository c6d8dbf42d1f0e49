"""Shared fixtures: the real corpus, a real index built once per test session, the real model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
SHARED = PROJECT_ROOT.parent / "shared"
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


ALL_REPORT_FOLDERS = (CORPUS, SHARED / "corpus-extra" / "provinces-2026", SHARED / "corpus-extra" / "more-levels")


def combined_corpus(dest: Path, folders=ALL_REPORT_FOLDERS) -> Path:
    """The reports of several folders copied into one corpus folder (copied only when changed).

    Copies, not symlinks: the corpus loader refuses files that live outside the corpus folder.
    """
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for folder in folders:
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
    """One index of every report we have (bundled, 31 provinces, 7 other levels), kept in var/ (gitignored).

    Embeds ~4,800 passages on first use (10–20 minutes on 2 cores); reruns reuse it when current.
    """
    from assistant.pipeline import Assistant

    root = PROJECT_ROOT / "var" / "all-reports"
    settings = Settings().with_(corpus_dir=combined_corpus(root / "corpus"), index_dir=root / "index")
    cache = os.environ.get("GWR_TEST_EMBEDDING_CACHE")  # CI keeps the vectors outside the clone: reruns are quick
    if cache:
        settings = settings.with_(embedding_cache_path=Path(cache).expanduser())
    return Assistant(settings, progress=False)


def require(condition: bool, reason: str) -> None:
    """Skip locally when an optional tool is missing, but fail loudly in CI (a skipped test counts as missing)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
