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


def require(condition: bool, reason: str) -> None:
    """Skip locally when an optional tool is missing, but fail loudly in CI (a skipped test counts as missing)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
