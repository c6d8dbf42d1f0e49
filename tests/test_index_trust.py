"""Untrusted corpus files, verified repairs, an index that remembers its corpus, `index add`, sentence vectors.

One corpus with every kind of trouble is built once (the bundled Kunming report, its GBK
copy, two names that give one id, links into and out of the corpus, an oversized file);
the other tests work on the small synthetic reports of test_store_robustness.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.storage import build_index, current_build, load_index, read_manifest, staleness
from assistant.text import sentence_spans
from test_store_robustness import (XINGHE, XINGHE_A, XINGHE_Q, YUEHU, YUEHU_A, YUEHU_Q, CountingEncoder,
                                   _answered_from, _ask, _flip, _truncate)

KUNMING = PROJECT_ROOT / "corpus" / "kunming-2025-government-work-report-summary.txt"
KUNMING_ID = "kunming-2025-government-work-report-summary"
SECRET = "内部资料：本段为机密数字7788521，不得外传。"


# ------------------------------------------------------------------ untrusted files (item A)

@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("untrusted")
    corpus, outside = root / "corpus", root / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(XINGHE.replace("各位代表：", "各位代表：\n" + SECRET), encoding="utf-8")
    shutil.copy(KUNMING, corpus / KUNMING.name)
    text = KUNMING.read_text(encoding="utf-8")
    (corpus / "kunming-copy.txt").write_bytes(text.encode("gbk"))  # same report, another name and encoding
    # two names that give one id ("report 2026" and "report-2026" → "report-2026")
    (corpus / "report 2026.txt").write_text(XINGHE, encoding="utf-8")
    (corpus / "report-2026.txt").write_text(YUEHU, encoding="utf-8")
    os.symlink(corpus / "report 2026.txt", corpus / "link-inside.txt")  # a link inside the corpus to a file inside it
    os.symlink(outside / "secret.txt", corpus / "secret-link.txt")  # a link out of the corpus
    os.symlink(outside, corpus / "outside-folder")  # a folder link out of the corpus
    big = (YUEHU + "\n") * (10_000_000 // len(YUEHU.encode("utf-8")) + 10)
    (corpus / "huge.txt").write_text(big, encoding="utf-8")  # over Settings.max_file_bytes
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    encoder = CountingEncoder()
    handler = _Collect()
    logging.getLogger("assistant").addHandler(handler)
    try:
        build_index(settings, encoder=encoder, progress=False)
    finally:
        logging.getLogger("assistant").removeHandler(handler)
    return settings, encoder, handler.messages


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_links_out_of_the_corpus_are_refused(untrusted) -> None:
    settings, _, messages = untrusted
    data = load_index(settings.index_dir)
    assert all(SECRET not in r.text and "7788521" not in r.text for r in data.reports.values())
    assert all("7788521" not in c.text for c in data.chunks)
    paths = {r.meta.path for r in data.reports.values()}
    assert not any(p.startswith(("secret-link", "outside-folder")) for p in paths)
    assert "skipping secret-link.txt: it is a link to a place outside the corpus folder" in messages
    assert "skipping outside-folder: it is a link to a place outside the corpus folder" in messages
    assert staleness(settings) is None  # a refused link does not make every start rebuild


def test_duplicate_reports_are_indexed_once_and_logged(untrusted) -> None:
    settings, encoder, messages = untrusted
    manifest = read_manifest(settings.index_dir)
    skipped = {s["rel_path"]: s["reason"] for s in manifest["skipped"]}
    assert skipped["kunming-copy.txt"] == f"the same report text as {KUNMING.name} (duplicate)"
    # the link inside the corpus: its target is kept, the link dropped
    assert skipped["link-inside.txt"] == "the same report text as report 2026.txt (duplicate)"
    assert f"skipping kunming-copy.txt: the same report text as {KUNMING.name} (duplicate)" in messages
    data = load_index(settings.index_dir)
    assert [r.meta.path for r in data.reports.values()].count(KUNMING.name) == 1
    assert not any(r.meta.path == "kunming-copy.txt" for r in data.reports.values())
    assert any(c.report_id == KUNMING_ID for c in data.chunks)
    assert encoder.passages == manifest["embedded"]  # the copy was never embedded
    assert manifest["embedded_chunks"] == _headings(data)  # passage vectors are derived from these
    # one citation of a Kunming passage, not two
    from assistant.pipeline import Assistant

    answer = Assistant(settings, index=data).ask("昆明市2025年地区生产总值增长目标是多少？")
    assert len({(c.title, c.text) for c in answer.citations}) == len(answer.citations)


def test_two_names_with_one_id_get_distinct_ids(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "corpus").mkdir()
    # "report 2026" and "report-2026" both give the id "report-2026"
    (tmp_path / "corpus" / "report 2026.txt").write_text(XINGHE, encoding="utf-8")
    (tmp_path / "corpus" / "report-2026.txt").write_text(YUEHU, encoding="utf-8")
    settings = Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with caplog.at_level(logging.WARNING, logger="assistant"):
        build_index(settings, progress=False)
    data = load_index(settings.index_dir)
    by_path = {r.meta.path: r.meta.id for r in data.reports.values()}
    assert by_path["report 2026.txt"] == "report-2026"
    other = by_path["report-2026.txt"]
    assert other != "report-2026" and other.startswith("report-2026-")
    assert f"report-2026.txt: report id report-2026 is taken by another file; this report gets the id {other}" \
        in caplog.messages
    assert _answered_from(_ask(settings, XINGHE_Q), "report-2026", XINGHE_A)
    assert _answered_from(_ask(settings, YUEHU_Q), other, YUEHU_A)
    assert len({c.id for c in data.chunks}) == len(data.chunks)
    # the ids are stable: a rebuild (here after a third file with the same id arrives) keeps them
    (tmp_path / "corpus" / "report.2026.txt").write_text(XINGHE.replace("星河", "云溪"), encoding="utf-8")
    build_index(settings, progress=False)
    again = {r.meta.path: r.meta.id for r in load_index(settings.index_dir).reports.values()}
    assert again["report 2026.txt"] == "report-2026" and again["report-2026.txt"] == other
    assert len(set(again.values())) == 3


def test_an_oversized_file_is_skipped_with_a_clear_line(untrusted) -> None:
    settings, _, messages = untrusted
    reason = {s["rel_path"]: s["reason"] for s in read_manifest(settings.index_dir)["skipped"]}["huge.txt"]
    assert "over the limit of 10.0 MB (Settings.max_file_bytes)" in reason
    assert f"skipping huge.txt: {reason}" in messages


def test_a_docx_of_the_same_text_is_a_duplicate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from docx import Document

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    doc = Document()
    for line in XINGHE.splitlines():
        doc.add_paragraph(line)
    doc.save(str(tmp_path / "corpus" / "xinghe-copy.docx"))
    settings = Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with caplog.at_level(logging.WARNING, logger="assistant"):
        build_index(settings, progress=False)
    assert list(load_index(settings.index_dir).reports) == ["xinghe-2026"]
    assert "skipping xinghe-copy.docx: the same report text as xinghe-2026.txt (duplicate)" in caplog.messages


def test_a_report_with_too_many_passages_is_cut_with_a_clear_line(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    settings = Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                                max_passages_per_report=2, sentence_vectors=False)
    with caplog.at_level(logging.WARNING, logger="assistant"):
        build_index(settings, progress=False)
    assert read_manifest(settings.index_dir)["n_chunks"] == 2
    line = [r.getMessage() for r in caplog.records if "max_passages_per_report" in r.getMessage()]
    assert len(line) == 1 and line[0].startswith("xinghe-2026.txt: ") and "only the first 2 are indexed" in line[0]
    assert load_index(settings.index_dir).sentence_vectors is None  # the flag switches sentence vectors off


# ------------------------------------------------------------------ verified status, repair (item B)

@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """星河 indexed, then 月湖 added: the live build and an intact earlier one."""
    root = tmp_path_factory.mktemp("repair")
    (root / "corpus").mkdir()
    (root / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    settings = Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, progress=False)
    (root / "corpus" / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    build_index(settings, progress=False)
    return root


@pytest.fixture()
def damaged(two_builds: Path, tmp_path: Path) -> Settings:
    shutil.copytree(two_builds, tmp_path, dirs_exist_ok=True)
    return Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def _keep_only_live_build(settings: Settings) -> None:
    live = current_build(settings.index_dir)
    for p in settings.index_dir.iterdir():
        if p.is_dir() and p.name.startswith("build-") and p != live:
            shutil.rmtree(p)


def _cli(capsys: pytest.CaptureFixture[str], module: str, *args: str) -> tuple[int, str]:
    import importlib

    main = importlib.import_module(f"{module}.__main__").main
    code = main(list(args))
    return code, capsys.readouterr().out


def _headings(data, report: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """Distinct headings ("title | section") embedded for the passages (of one report)."""
    return len({(data.reports[c.report_id].meta.title, c.section) for c in data.chunks
                if report is None or c.report_id == report})


REPAIRS = {  # file, damage, what must be embedded again ("headings" / "sentences" of the report(s) named)
    "truncated dense.faiss": ("dense.faiss", _truncate, None),
    "flipped bytes in chunks.jsonl": ("chunks.jsonl", _flip, None),
    "flipped bytes in vectors.npy": ("vectors.npy", _flip, None),  # derived again from sentences and headings
    "flipped bytes in headings.npy": ("headings.npy", _flip, "headings"),
    "flipped bytes in sentences.npy": ("sentences.npy", _flip, "sentences"),
    "truncated sentences.json": ("sentences.json", _truncate, "sentences"),
}


@pytest.mark.parametrize("case", sorted(REPAIRS))
def test_status_detects_damage_and_build_re_embeds_only_what_is_lost(
        damaged: Settings, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    name, damage, lost = REPAIRS[case]
    _keep_only_live_build(damaged)  # no earlier build to borrow from: every lost vector is re-embedded
    build = current_build(damaged.index_dir)
    assert build is not None
    data = load_index(damaged.index_dir)
    n_headings, n_sentences = _headings(data), len({data.reports[r].text[s:e] for r, s, e in data.sentence_rows})
    damage(build / name)

    code, out = _cli(capsys, "index", "status", "--index-dir", str(damaged.index_dir))
    status = json.loads(out)
    assert code == 3 and status["current"] is False and name in status["reason"]

    encoder = CountingEncoder()
    reason = staleness(damaged, verify=True)
    assert reason is not None and name in reason
    build_index(damaged, encoder=encoder, progress=False)
    manifest = read_manifest(damaged.index_dir)
    expected = {None: 0, "headings": n_headings, "sentences": n_sentences}[lost]
    assert encoder.passages == manifest["embedded"] == expected
    assert staleness(damaged, verify=True) is None
    code, out = _cli(capsys, "index", "status", "--index-dir", str(damaged.index_dir))
    assert code == 0 and json.loads(out)["current"] is True
    assert _answered_from(_ask(damaged, YUEHU_Q), "yuehu-2026", YUEHU_A)


def test_repair_borrows_vectors_from_an_intact_earlier_build(damaged: Settings,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    build = current_build(damaged.index_dir)
    assert build is not None
    data = load_index(damaged.index_dir)
    n_yuehu = _headings(data, "yuehu-2026")
    _flip(build / "headings.npy")
    encoder = CountingEncoder()
    import assistant.encoders as encoders

    # `python -m index build` itself, with the counting encoder in the encoder cache
    saved = dict(encoders._CACHE)
    encoders._CACHE[damaged.model] = encoder  # type: ignore[assignment]
    try:
        code, out = _cli(capsys, "index", "build", "--index-dir", str(damaged.index_dir))
    finally:
        encoders._CACHE.clear()
        encoders._CACHE.update(saved)
    assert code == 0 and "headings.npy is corrupt" in out
    manifest = read_manifest(damaged.index_dir)
    # 星河's heading vectors come from the earlier build; only 月湖's (added since) need embedding, and
    # the embedding cache beside the index may already hold those too
    assert manifest["embedded"] == manifest["embedded_chunks"] == n_yuehu
    assert encoder.passages in (0, n_yuehu)
    assert manifest["embedded_sentences"] == 0
    assert _answered_from(_ask(damaged, XINGHE_Q), "xinghe-2026", XINGHE_A)


# ------------------------------------------------------------------ sentence vectors (item D)

def test_sentence_vectors_cover_every_sentence_of_every_chunk(two_builds: Path) -> None:
    data = load_index(two_builds / "index")
    assert data.sentence_vectors is not None and data.sentence_vectors.dtype == np.float16
    expected = {(c.report_id, s, e) for c in data.chunks
                for s, e in sentence_spans(data.reports[c.report_id].text, c.start, c.end)}
    assert set(data.sentence_rows) == expected  # each once, though chunks overlap by a sentence
    report = data.reports["xinghe-2026"]
    start = report.text.index("过去一年")
    spans = [sp for sp in sentence_spans(report.text, start, start + 80)][:2] + [(0, 1)]
    vecs = data.sentence_vectors_for("xinghe-2026", spans)
    assert vecs.shape == (3, data.vectors.shape[1]) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-2) and not vecs[2].any()
    # the stored vector is the encoder's vector of the sentence text
    encoder = CountingEncoder()
    fresh = encoder.encode_passages([report.text[spans[0][0]:spans[0][1]]])[0]
    assert float(fresh @ vecs[0]) > 0.999
    assert data.sentence_row("xinghe-2026", *spans[0]) is not None


# ------------------------------------------------------------------ the index remembers its corpus (item C)

@pytest.fixture()
def elsewhere(built_elsewhere: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(built_elsewhere, tmp_path, dirs_exist_ok=True)
    return tmp_path / "reports-c", tmp_path / "index-x"


@pytest.fixture(scope="module")
def built_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("elsewhere")
    (root / "reports-c").mkdir()
    (root / "reports-c" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    from index.__main__ import main

    assert main(["build", "--corpus", str(root / "reports-c"), "--index-dir", str(root / "index-x")]) == 0
    return root


def test_commands_given_only_the_index_use_its_corpus(elsewhere: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus, index = elsewhere
    capsys.readouterr()
    build = current_build(index)
    code, out = _cli(capsys, "index", "status", "--index-dir", str(index))
    status = json.loads(out)
    assert code == 0 and status["current"] is True and status["corpus"] == str(corpus.resolve())
    assert [r["id"] for r in status["reports"]] == ["xinghe-2026"]

    code, out = _cli(capsys, "assistant", XINGHE_Q, "--index-dir", str(index), "--json")
    answer = json.loads(out)
    assert code == 0 and XINGHE_A in answer["answer"] and answer["citations"][0]["report"] == "xinghe-2026"

    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "xh-1", "question": XINGHE_Q, "answers": [XINGHE_A], "report": "xinghe-2026",
                              "type": "number"}, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _ = _cli(capsys, "eval", "run", "--qa", str(qa), "--out", str(tmp_path / "out"), "--index-dir",
                   str(index), "-q")
    assert code == 0
    prediction = json.loads((tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert XINGHE_A in prediction["answer"]
    assert current_build(index) == build  # nothing was rebuilt, least of all from corpus/
    assert read_manifest(index)["reports"] == ["xinghe-2026"]

    # a report added to C is picked up by a command that names only the index
    (corpus / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    code, out = _cli(capsys, "assistant", YUEHU_Q, "--index-dir", str(index), "--json")
    assert code == 0 and YUEHU_A in json.loads(out)["answer"]
    assert set(read_manifest(index)["reports"]) == {"xinghe-2026", "yuehu-2026"}


def test_a_missing_recorded_corpus_is_an_error_not_a_rebuild_from_corpus(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = tmp_path / "reports-d", tmp_path / "index-y"
    corpus.mkdir()
    (corpus / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    build_index(Settings().with_(corpus_dir=corpus, index_dir=index), progress=False)
    build = current_build(index)
    shutil.rmtree(corpus)
    code = __import__("assistant.__main__", fromlist=["main"]).main([XINGHE_Q, "--index-dir", str(index)])
    err = capsys.readouterr().err
    assert code == 1 and "no longer exists" in err and "--corpus" in err
    assert current_build(index) == build


def test_index_add_copies_into_the_index_corpus_and_updates_incrementally(
        elsewhere: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus, index = elsewhere
    n_before = read_manifest(index)["n_chunks"]
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    (incoming / "yuehu-2026.txt.meta.json").write_text('{"source": "月湖县人民政府网"}', encoding="utf-8")
    code, out = _cli(capsys, "index", "add", str(incoming / "yuehu-2026.txt"), "--index-dir", str(index))
    assert code == 0 and "added to" in out
    assert (corpus / "yuehu-2026.txt").read_text(encoding="utf-8") == YUEHU
    assert (corpus / "yuehu-2026.txt.meta.json").exists()
    manifest = read_manifest(index)
    assert manifest["reused"] == n_before and manifest["embedded_chunks"] == manifest["n_chunks"] - n_before
    data = load_index(index)
    assert data.reports["yuehu-2026"].meta.source == "月湖县人民政府网"
    assert _answered_from(_ask(Settings().with_(index_dir=index), YUEHU_Q), "yuehu-2026", YUEHU_A)

    # refused, each with its reason; nothing is copied
    (incoming / "xinghe-gbk.txt").write_bytes(XINGHE.encode("gbk"))  # same text as a report already there
    (incoming / "junk.txt").write_bytes(bytes(range(256)) * 40)
    build = current_build(index)
    code = __import__("index.__main__", fromlist=["main"]).main(
        ["add", str(incoming / "xinghe-gbk.txt"), str(incoming / "junk.txt"), str(incoming / "yuehu-2026.txt"),
         str(incoming / "missing.txt"), "--index-dir", str(index)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"refused {incoming / 'xinghe-gbk.txt'}: the same report text as xinghe-2026.txt (duplicate)" in err
    assert "refused " + str(incoming / "junk.txt") + ": " in err
    assert "the corpus already has a file named yuehu-2026.txt" in err
    assert str(incoming / "missing.txt") + ": no such file" in err
    assert sorted(p.name for p in corpus.iterdir()) == ["xinghe-2026.txt", "yuehu-2026.txt",
                                                       "yuehu-2026.txt.meta.json"]
    assert current_build(index) == build
