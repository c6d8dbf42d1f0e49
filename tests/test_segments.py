"""A build carries over the rows of every unchanged report (storage/segments.py) and makes BM25 from term counts
(retriever/bm25_counts.py): an index grown report by report holds exactly what one built at once holds."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.encoders import StandInEncoder
from assistant.retriever.bm25_counts import concat_counts, count_terms
from assistant.storage import build_index, current_build, load_index, read_manifest
from assistant.text import tokenize
from conftest import dev_reports

COUNTIES = sorted(dev_reports(PROJECT_ROOT / "dev-reports" / "counties").glob("*.txt"))[:2]


def _questions() -> list[str]:
    lines = (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_bm25_from_term_counts_scores_as_bm25s_does(assistant) -> None:  # type: ignore[no-untyped-def]
    import bm25s

    from assistant.retriever.bm25_counts import bm25_index

    tokens = assistant.index.tokens
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([t or ["<empty>"] for t in tokens], show_progress=False)
    half = len(tokens) // 2
    counts = concat_counts([count_terms(tokens[:half]), count_terms(tokens[half:])])  # rows of two builds
    assert counts.n_rows == len(tokens) and counts.terms and len(set(counts.terms)) == len(counts.terms)
    ours = bm25_index(counts)
    assert set(ours.vocab_dict) == set(reference.vocab_dict)
    asked = 0
    for question in _questions():
        query = [t for t in tokenize(question) if t in reference.vocab_dict]
        if query:
            asked += 1
            np.testing.assert_allclose(ours.get_scores(query), reference.get_scores(query), rtol=1e-6, atol=1e-7)
    assert asked > 20


def _corpus(dest: Path, files: list[Path]) -> Settings:
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*"):
        old.unlink()
    for f in files:
        shutil.copy(f, dest / f.name)
    return Settings().with_(corpus_dir=dest, index_dir=dest.parent / "index", ann_min_vectors=10)


def _same_index(a: Path, b: Path) -> None:
    """Two builds hold the same rows: passages, keys, sentences, vectors, headings, BM25 scores."""
    for name in ("reports.json", "chunks.jsonl", "vector_keys.json", "sentences.json", "segments.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("vectors.npy", "sentences.npy"):
        np.testing.assert_array_equal(np.load(a / name), np.load(b / name), err_msg=name)

    def headings(build: Path) -> dict[str, bytes]:
        keys = json.loads((build / "heading_keys.json").read_text(encoding="utf-8"))
        return dict(zip(keys, (row.tobytes() for row in np.load(build / "headings.npy"))))

    assert headings(a) == headings(b)  # the same headings, perhaps in another order (so are the BM25 terms)
    x, y = load_index(a.parent), load_index(b.parent)
    for question in _questions()[:40]:
        query = [t for t in tokenize(question) if t in x.bm25.vocab_dict]
        np.testing.assert_array_equal(x.bm25.get_scores(query), y.bm25.get_scores(query))


def test_an_index_grown_report_by_report_holds_what_one_built_at_once_holds(tmp_path: Path, caplog) -> None:
    bundled = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    encoder = StandInEncoder(32)
    grown = _corpus(tmp_path / "grown" / "corpus", bundled)
    build_index(grown, encoder=encoder, progress=False)
    first = read_manifest(grown.index_dir)["n_chunks"]

    # a report added, one changed: the unchanged one is carried over, nothing of it embedded or looked up
    shutil.copy(COUNTIES[0], grown.corpus_dir / COUNTIES[0].name)
    changed = grown.corpus_dir / bundled[0].name
    changed.write_text(bundled[0].read_text(encoding="utf-8").replace("。", "。 ", 1), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="assistant.storage.build"):
        build_index(grown, encoder=encoder, progress=False)
    assert "(1 carried over)" in caplog.text
    # the change undone, another report added, the first one removed
    shutil.copy(bundled[0], changed)
    shutil.copy(COUNTIES[1], grown.corpus_dir / COUNTIES[1].name)
    (grown.corpus_dir / COUNTIES[0].name).unlink()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="assistant.storage.build"):
        build_index(grown, encoder=encoder, progress=False)
    assert "(1 carried over)" in caplog.text  # the report changed and changed back is new to the last build
    manifest = read_manifest(grown.index_dir)
    assert manifest["reused"] >= first  # the bundled reports' vectors all came from builds of the index

    at_once = _corpus(tmp_path / "at-once" / "corpus", bundled + [COUNTIES[1]])
    build_index(at_once, encoder=StandInEncoder(32), progress=False)
    _same_index(current_build(grown.index_dir), current_build(at_once.index_dir))  # type: ignore[arg-type]


@pytest.mark.parametrize("damaged", ["segments.json", "sentences.npy", "term_counts.npz"])
def test_rows_of_a_damaged_build_are_not_carried_over(tmp_path: Path, caplog, damaged: str) -> None:
    files = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    settings = _corpus(tmp_path / "one" / "corpus", files)
    build_index(settings, encoder=StandInEncoder(32), progress=False)
    target = current_build(settings.index_dir) / damaged  # type: ignore[operator]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    shutil.copy(COUNTIES[0], settings.corpus_dir / COUNTIES[0].name)
    with caplog.at_level(logging.INFO, logger="assistant.storage"):
        build_index(settings, encoder=StandInEncoder(32), progress=False)
    assert "not carrying over the reports of" in caplog.text and "(0 carried over)" in caplog.text

    fresh = _corpus(tmp_path / "two" / "corpus", files + [COUNTIES[0]])
    build_index(fresh, encoder=StandInEncoder(32), progress=False)
    _same_index(current_build(settings.index_dir), current_build(fresh.index_dir))  # type: ignore[arg-type]


def _same_content(a: Path, b: Path) -> None:
    """Two indexes hold the same reports, passages, vectors, sentences and BM25 scores, whatever their rows' order."""
    x, y = load_index(a), load_index(b)
    assert x.reports == y.reports

    def rows(data) -> dict:  # type: ignore[no-untyped-def]
        return {(c.report_id, c.start, c.end): (c, tuple(t), data.vectors[i].tobytes())
                for i, (c, t) in enumerate(zip(data.chunks, data.tokens))}

    assert rows(x) == rows(y) and len(x.chunks) == len(y.chunks)
    assert set(x.sentence_rows) == set(y.sentence_rows)
    for key, i in x.sentence_rows.items():
        assert x.sentence_vectors[i].tobytes() == y.sentence_vectors[y.sentence_rows[key]].tobytes()  # type: ignore[index]
    where = {(c.report_id, c.start, c.end): i for i, c in enumerate(y.chunks)}
    order = [where[(c.report_id, c.start, c.end)] for c in x.chunks]
    for question in _questions()[:40]:
        query = [t for t in tokenize(question) if t in x.bm25.vocab_dict]
        np.testing.assert_allclose(x.bm25.get_scores(query), y.bm25.get_scores(query)[order], rtol=1e-6)


def _packs(index_dir: Path) -> dict[str, list[str]]:
    return {p["name"]: p["reports"] for p in read_manifest(index_dir)["packs"]}


def test_sealed_packs_are_hard_linked_by_the_next_build_and_hold_what_a_build_at_once_holds(tmp_path: Path) -> None:
    bundled = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    encoder = StandInEncoder(32)
    small = {"pack_bytes": 100_000}  # every report of these fills a pack of its own
    grown = _corpus(tmp_path / "grown" / "corpus", bundled).with_(**small)
    build_index(grown, encoder=encoder, progress=False)
    first, packs = current_build(grown.index_dir), _packs(grown.index_dir)
    assert sorted(len(ids) for ids in packs.values()) == [1, 1]

    shutil.copy(COUNTIES[0], grown.corpus_dir / COUNTIES[0].name)  # a report added: both packs linked, not written
    build_index(grown, encoder=encoder, progress=False)
    second = current_build(grown.index_dir)
    assert first is not None and second is not None and second != first
    now = _packs(grown.index_dir)
    assert set(packs) < set(now) and len(now) == 3
    for name in packs:
        for old in (first / "packs" / name).iterdir():
            assert (second / "packs" / name / old.name).stat().st_ino == old.stat().st_ino, old.name

    changed = grown.corpus_dir / bundled[0].name  # a report changed: its pack goes, the others stay linked
    changed.write_text(bundled[0].read_text(encoding="utf-8").replace("。", "。 ", 1), encoding="utf-8")
    build_index(grown, encoder=encoder, progress=False)
    after = _packs(grown.index_dir)
    assert len([n for n in after if n in now]) == 2 and len(after) == 3
    shutil.copy(bundled[0], changed)  # changed back, and the county report removed
    (grown.corpus_dir / COUNTIES[0].name).unlink()
    build_index(grown, encoder=encoder, progress=False)
    assert len(_packs(grown.index_dir)) == 2

    at_once = _corpus(tmp_path / "at-once" / "corpus", bundled).with_(**small)
    build_index(at_once, encoder=StandInEncoder(32), progress=False)
    _same_content(grown.index_dir, at_once.index_dir)
    unpacked = _corpus(tmp_path / "unpacked" / "corpus", bundled).with_(pack_bytes=0)
    build_index(unpacked, encoder=StandInEncoder(32), progress=False)
    assert "packs" not in {p.name for p in current_build(unpacked.index_dir).iterdir()}  # type: ignore[union-attr]
    _same_content(grown.index_dir, unpacked.index_dir)


def test_a_damaged_sealed_pack_is_neither_loaded_nor_linked(tmp_path: Path, caplog) -> None:
    from assistant.storage import IndexError_

    bundled = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    settings = _corpus(tmp_path / "one" / "corpus", bundled).with_(pack_bytes=100_000)
    build_index(settings, encoder=StandInEncoder(32), progress=False)
    build = current_build(settings.index_dir)
    target = build / "packs" / sorted(_packs(settings.index_dir))[0] / "sentences.npy"  # type: ignore[operator]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match="sentences.npy"):
        load_index(settings.index_dir)
    shutil.copy(COUNTIES[0], settings.corpus_dir / COUNTIES[0].name)
    with caplog.at_level(logging.INFO, logger="assistant.storage"):
        build_index(settings, encoder=StandInEncoder(32), progress=False)
    assert "not carrying over the reports of" in caplog.text and "(0 carried over)" in caplog.text
    assert all(damaged.name != name for name in _packs(settings.index_dir) for damaged in [target.parent])

    fresh = _corpus(tmp_path / "two" / "corpus", bundled + [COUNTIES[0]]).with_(pack_bytes=100_000)
    build_index(fresh, encoder=StandInEncoder(32), progress=False)
    _same_content(settings.index_dir, fresh.index_dir)
