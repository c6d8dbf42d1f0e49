"""The one vector cache (assistant/storage/vectors.py): builds' vector files first, then the cache file.

The stand-in encoder keeps these quick: what is tested is where vectors come from, not what they mean.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.encoders import StandInEncoder
from assistant.storage import EMBEDDING_CACHE, VectorCache, build_index, load_index, read_manifest, vector_key
from assistant.storage.vectors import IN_BUILD, IN_FILE, MISSING
from test_store_robustness import XINGHE, YUEHU


class CountingStandIn(StandInEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def encode_passages(self, texts):  # type: ignore[no-untyped-def]
        self.passages += len(texts)
        return super().encode_passages(texts)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    return tmp_path / "corpus"


def test_vectors_survive_a_deleted_index_directory_in_the_cache_file(corpus: Path, tmp_path: Path) -> None:
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index",
                                embedding_cache_path=tmp_path / "shared" / EMBEDDING_CACHE)
    first = CountingStandIn()
    build_index(settings, encoder=first, progress=False, cache_file=True)
    before = load_index(settings.index_dir)
    assert first.passages == read_manifest(settings.index_dir)["embedded"] > 0
    shutil.rmtree(settings.index_dir)

    again = CountingStandIn()
    build_index(settings, encoder=again, progress=False, cache_file=True)
    after = load_index(settings.index_dir)
    assert again.passages == 0  # every vector came from the cache file
    assert read_manifest(settings.index_dir)["reused"] == 0  # none from a build: there was none
    np.testing.assert_array_equal(after.vectors, before.vectors)
    np.testing.assert_array_equal(after.sentence_vectors, before.sentence_vectors)


def _drop_builds(index_dir: Path) -> None:
    for build in index_dir.glob("build-*"):
        shutil.rmtree(build)
    (index_dir / "CURRENT").unlink()


def test_a_caller_encoder_uses_the_cache_file_only_when_asked(corpus: Path, tmp_path: Path) -> None:
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, encoder=CountingStandIn(), progress=False, cache_file=True)  # fills the file
    _drop_builds(settings.index_dir)
    encoder = CountingStandIn()
    build_index(settings, encoder=encoder, progress=False)  # a test's counting encoder sees every lost text
    assert encoder.passages == read_manifest(settings.index_dir)["embedded"] > 0
    _drop_builds(settings.index_dir)
    encoder = CountingStandIn()
    build_index(settings, encoder=encoder, progress=False, cache_file=True)
    assert encoder.passages == 0 and read_manifest(settings.index_dir)["embedded"] > 0  # found in the file


def test_lookup_takes_the_builds_first_then_the_file_and_says_where_each_came_from(corpus: Path,
                                                                                   tmp_path: Path) -> None:
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    encoder = CountingStandIn()
    build_index(settings, encoder=encoder, progress=False)
    index = load_index(settings.index_dir)
    text = index.reports["xinghe-2026"].text
    sentence = next(text[s:e] for (_, s, e) in index.sentence_rows)
    new = "今年力争新建标准化茶园1.2万亩。"
    cache = VectorCache(settings.index_dir, encoder, settings.index_dir / EMBEDDING_CACHE)
    cache.add([new], encoder.encode_passages([new]))
    found = cache.lookup({vector_key(t): t for t in (sentence, new, "从未见过的句子。")}, np.float16)
    cache.close()
    assert found.source.tolist() == [IN_BUILD, IN_FILE, MISSING] and found.missing() == [2]
    assert found.vectors.dtype == np.float16 and not found.vectors[2].any()
    expected = encoder.encode_passages([sentence, new])
    np.testing.assert_allclose(found.vectors[:2].astype(np.float32), expected, atol=1e-3)


def test_an_unreadable_cache_file_only_costs_time(corpus: Path, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    cache_file = tmp_path / "broken.sqlite3"
    cache_file.write_bytes(b"this is no SQLite database" * 100)
    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index", embedding_cache_path=cache_file)
    encoder = CountingStandIn()
    with caplog.at_level(logging.WARNING, logger="assistant"):
        build_index(settings, encoder=encoder, progress=False, cache_file=True)
    assert encoder.passages == read_manifest(settings.index_dir)["embedded"] > 0
    assert any(m.startswith("embedding cache unreadable") for m in caplog.messages)


def test_a_rebuild_the_live_build_covers_hashes_no_older_build(corpus: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.storage import vectors

    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    encoder = CountingStandIn()
    older = build_index(settings, encoder=encoder, progress=False)
    (corpus / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    live = build_index(settings, encoder=encoder, progress=False)  # two builds: 星河; 星河 + 月湖 (live)
    hashed: list[str] = []
    real = vectors.intact
    monkeypatch.setattr(vectors, "intact", lambda build, *names: hashed.append(build.name) or real(build, *names))
    # a renamed file is a new report to the index (its rows are not carried over): every text is looked up
    (corpus / "yuehu-2026.txt").rename(corpus / "yuehu-2026-renamed.txt")
    passages = encoder.passages
    build_index(settings, encoder=encoder, progress=False)
    assert read_manifest(settings.index_dir)["reused"] > 0
    assert encoder.passages == passages  # every vector was in the live build
    assert older.name not in hashed  # and the build before it was never read (the live build's files were
    assert set(hashed) <= {live.name}  # verified once, when its rows were read to be carried over)


def test_an_older_build_is_opened_only_when_it_may_hold_texts_the_newer_ones_lack(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report added back after its removal takes its vectors from the build before (nothing is embedded
    again); a new report is looked up in the live build only, when the build before holds no report file
    the live build lacks (at archive size, reading a build's vector files costs seconds)."""
    from assistant.storage import vectors

    settings = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    encoder = CountingStandIn()
    (corpus / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    build_index(settings, encoder=encoder, progress=False)  # 星河 + 月湖
    (corpus / "yuehu-2026.txt").unlink()
    without = build_index(settings, encoder=encoder, progress=False)  # 星河 (live); 星河 + 月湖 before it
    opened: list[str] = []
    real = vectors._load_rows
    monkeypatch.setattr(vectors, "_load_rows", lambda build, *rest: opened.append(build.name) or real(build, *rest))
    (corpus / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    passages = encoder.passages
    build_index(settings, encoder=encoder, progress=False)  # 月湖 added back
    assert encoder.passages == passages  # its vectors came from the build before the live one
    assert opened and without.name not in opened  # (the live build's files were read once, to carry its rows)
    opened.clear()
    (corpus / "yunling-2026.txt").write_text(XINGHE.replace("星河", "云岭"), encoding="utf-8")
    build_index(settings, encoder=encoder, progress=False)  # a new report: 星河 + 月湖 (live) hold all of `without`
    assert encoder.passages > passages
    assert opened == []
