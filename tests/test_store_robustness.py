"""The index survives what happens to it: incremental rebuilds, corruption, kill -9, two builds at once.

Small synthetic reports keep embedding cheap; the kill test embeds the bundled
Dongchuan report so that the build is still running when it is killed.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.encoders import load_encoder
from assistant.storage import (CURRENT, IndexError_, build_index, current_build, ensure_index, load_index,
                               read_manifest, staleness)

XINGHE = """2026年星河区政府工作报告
——2026年1月20日在星河区第二届人民代表大会第四次会议上
区长 李明
各位代表：
现在，我代表区人民政府，向大会报告工作，请予审议。
一、2025年工作回顾
过去一年，全区地区生产总值达到58.76亿元，同比增长6.1%。一般公共预算收入完成3.21亿元，增长4.5%。
星河港口货物吞吐量突破1200万吨，创历史新高。
二、2026年重点工作
今年全区地区生产总值预期增长6%左右，星河港口货物吞吐量力争达到1350万吨。
"""
YUEHU = """2026年月湖县政府工作报告
——2026年1月22日在月湖县第十八届人民代表大会第五次会议上
县长 王芳
各位代表：
现在，我代表县人民政府，向大会报告工作，请予审议。
一、2025年工作回顾
过去一年，全县茶叶产量达到2.35万吨，茶产业综合产值突破41亿元。
二、2026年重点工作
今年力争新建标准化茶园1.2万亩，建成茶叶交易中心1个。
"""
XINGHE_Q, XINGHE_A = "星河区2025年地区生产总值是多少？", "58.76亿元"
YUEHU_Q, YUEHU_A = "月湖县茶叶产量是多少？", "2.35万吨"


class CountingEncoder:
    """The real encoder, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        self._inner = load_encoder(Settings().model)
        self.name, self.dim = self._inner.name, self._inner.dim
        self.passages = 0

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        return self._inner.encode_queries(texts)

    def encode_passages(self, texts):  # type: ignore[no-untyped-def]
        self.passages += len(texts)
        return self._inner.encode_passages(texts)


def _settings(root: Path) -> Settings:
    return Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index")


def _ask(settings: Settings, question: str):  # type: ignore[no-untyped-def]
    from assistant.pipeline import Assistant

    return Assistant(settings, index=load_index(settings.index_dir)).ask(question)


def _sentences(settings: Settings, report_id: str) -> list[str]:
    """Texts of the sentence vectors of one report in the live build."""
    data = load_index(settings.index_dir)
    text = data.reports[report_id].text
    return [text[s:e] for (r, s, e) in data.sentence_rows if r == report_id]


def _answered_from(answer, report_id: str, gold: str) -> bool:  # type: ignore[no-untyped-def]
    return (not answer.abstained and gold in answer.answer and answer.citations[0].report == report_id)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus with the 星河区 report and its index, built once; tests work on copies."""
    root = tmp_path_factory.mktemp("store")
    (root / "corpus").mkdir()
    (root / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    build_index(_settings(root), progress=False)
    return root


@pytest.fixture()
def work(built: Path, tmp_path: Path) -> Settings:
    shutil.copytree(built / "corpus", tmp_path / "corpus")
    shutil.copytree(built / "index", tmp_path / "index")
    settings = _settings(tmp_path)
    assert staleness(settings) is None
    return settings


# ------------------------------------------------------------------ incremental

def test_adding_and_removing_reports_is_incremental(work: Settings) -> None:
    n_xinghe = read_manifest(work.index_dir)["n_chunks"]
    (work.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    assert "added: yuehu-2026.txt" in (staleness(work) or "")

    encoder = CountingEncoder()
    build_index(work, encoder=encoder, progress=False)
    manifest = read_manifest(work.index_dir)
    n_yuehu = manifest["n_chunks"] - n_xinghe
    assert n_yuehu > 0
    # only the new report was embedded: its passages and its sentences
    assert manifest["embedded_chunks"] == n_yuehu
    new_sentences = set(_sentences(work, "yuehu-2026")) - set(_sentences(work, "xinghe-2026"))  # "各位代表：" is shared
    assert 0 < manifest["embedded_sentences"] == len(new_sentences)
    assert encoder.passages == manifest["embedded"] == n_yuehu + manifest["embedded_sentences"]
    assert manifest["reused"] == n_xinghe
    assert _answered_from(_ask(work, YUEHU_Q), "yuehu-2026", YUEHU_A)
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", XINGHE_A)

    (work.corpus_dir / "yuehu-2026.txt").unlink()
    encoder = CountingEncoder()
    build_index(work, encoder=encoder, progress=False)
    assert encoder.passages == 0
    data = load_index(work.index_dir)
    assert set(data.reports) == {"xinghe-2026"}
    answer = _ask(work, YUEHU_Q)
    assert YUEHU_A not in answer.answer and all(c.report != "yuehu-2026" for c in answer.citations)


def test_restart_picks_up_a_new_report(work: Settings) -> None:
    from assistant.pipeline import Assistant

    (work.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    assistant = Assistant(work)  # a restarted app: ensure_index sees the new file
    assert _answered_from(assistant.ask(YUEHU_Q), "yuehu-2026", YUEHU_A)
    assert read_manifest(work.index_dir)["reused"] > 0


def test_changed_report_is_re_embedded(work: Settings) -> None:
    path = work.corpus_dir / "xinghe-2026.txt"
    path.write_text(XINGHE.replace("58.76亿元", "59.01亿元"), encoding="utf-8")
    assert "changed: xinghe-2026.txt" in (staleness(work) or "")
    encoder = CountingEncoder()
    build_index(work, encoder=encoder, progress=False)
    manifest = read_manifest(work.index_dir)
    # only the changed sentence is embedded again (vectors are reused by text); passage vectors are
    # derived from sentences and headings, and no heading changed
    assert work.passage_vectors == "derived"
    assert manifest["embedded_chunks"] == 0
    assert manifest["embedded_sentences"] == 1
    assert encoder.passages == manifest["embedded"]
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", "59.01亿元")


def test_unreadable_files_are_logged_once_and_do_not_make_the_index_stale(
        work: Settings, caplog: pytest.LogCaptureFixture) -> None:
    (work.corpus_dir / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    (work.corpus_dir / "empty.txt").write_bytes(b"")
    (work.corpus_dir / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    with caplog.at_level(logging.WARNING, logger="assistant"):
        ensure_index(work, progress=False)  # a start with a changed corpus: checks twice, builds once
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for name in ("scan.pdf", "empty.txt", "legacy.doc"):
        assert len([m for m in messages if m.startswith(f"skipping {name}: ")]) == 1, messages
    manifest = read_manifest(work.index_dir)
    assert sorted(s["rel_path"] for s in manifest["skipped"]) == ["empty.txt", "scan.pdf"]
    assert staleness(work) is None  # a restart does not rebuild because of a file it cannot read
    before = current_build(work.index_dir)
    ensure_index(work, progress=False)
    assert current_build(work.index_dir) == before
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", XINGHE_A)


# ------------------------------------------------------------------ corruption

def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


CORRUPTIONS = {
    # passage vectors are derived from sentence and heading vectors: losing them loses nothing embedded
    "truncated vectors.npy": ("vectors.npy", _truncate, False),
    "truncated headings.npy": ("headings.npy", _truncate, True),
    "flipped bytes in dense.faiss": ("dense.faiss", _flip, False),
    "deleted chunks.jsonl": ("chunks.jsonl", lambda p: p.unlink(), False),  # vectors are found by text
    "flipped bytes in reports.json": ("reports.json", _flip, False),
    "truncated bm25 file": ("bm25", lambda p: _truncate(sorted(x for x in p.iterdir() if x.is_file())[0]), False),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_index_is_detected_and_rebuilt(work: Settings, case: str) -> None:
    name, damage, re_embeds = CORRUPTIONS[case]
    build = current_build(work.index_dir)
    assert build is not None
    damage(build / name)
    with pytest.raises(IndexError_, match="corrupt|missing"):
        load_index(work.index_dir)
    data = ensure_index(work, progress=False)  # detects, rebuilds, loads the new build
    assert data.path != build
    load_index(work.index_dir, verify=True)
    manifest = read_manifest(work.index_dir)
    # vectors are reused unless the damage hit them
    assert (manifest["embedded"] > 0) == re_embeds
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", XINGHE_A)


def test_broken_manifest_or_pointer_is_rebuilt(work: Settings) -> None:
    build = current_build(work.index_dir)
    assert build is not None
    (build / "manifest.json").write_text("{ not json", encoding="utf-8")
    assert (staleness(work) or "").startswith(f"manifest.json of {build.name} is unreadable (half-written or not JSON")
    ensure_index(work, progress=False)
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", XINGHE_A)

    (work.index_dir / CURRENT).write_text("build-that-does-not-exist", encoding="utf-8")
    assert staleness(work) == f"{CURRENT} names build-that-does-not-exist, which does not exist"
    ensure_index(work, progress=False)
    assert _answered_from(_ask(work, XINGHE_Q), "xinghe-2026", XINGHE_A)


def test_vectors_of_wrong_shape_are_not_loaded(work: Settings) -> None:
    """A file replaced by a well-formed but different one still fails its checksum."""
    build = current_build(work.index_dir)
    assert build is not None
    np.save(build / "vectors.npy", np.zeros((1, 384), dtype=np.float32))
    with pytest.raises(IndexError_):
        load_index(work.index_dir)


# ------------------------------------------------------------------ kill -9 and concurrency

def _build_script(settings: Settings, prelude: str = "") -> str:
    return textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        from assistant.config import Settings
        from assistant.storage import build, layout
        {prelude}
        s = Settings().with_(corpus_dir={str(settings.corpus_dir)!r}, index_dir={str(settings.index_dir)!r})
        build.build_index(s, progress=False, on_stage=lambda m: print("STAGE", m, flush=True))
        print("DONE", flush=True)
    """)


def _start(script: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=str(PROJECT_ROOT))


def _previous_index_still_serves(settings: Settings, build: Path) -> None:
    data = load_index(settings.index_dir, verify=True)
    assert data.path == build
    from assistant.pipeline import Assistant

    answer = Assistant(settings, index=data).ask(XINGHE_Q)
    assert _answered_from(answer, "xinghe-2026", XINGHE_A)


def test_build_killed_while_embedding_leaves_previous_index(work: Settings) -> None:
    before = current_build(work.index_dir)
    assert before is not None
    shutil.copy(PROJECT_ROOT / "corpus" / "dongchuan-2026-government-work-report.txt", work.corpus_dir)
    proc = _start(_build_script(work))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the build reaches the embedding stage
        assert line.startswith("STAGE embedding"), (line, proc.stderr.read() if proc.stderr else "")
        time.sleep(1.0)
        assert proc.poll() is None, "the build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert current_build(work.index_dir) == before
    _previous_index_still_serves(work, before)
    # the next build completes and clears what the killed one left (without the big report: cheap)
    (work.corpus_dir / "dongchuan-2026-government-work-report.txt").unlink()
    (work.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    build_index(work, progress=False)
    assert not [p for p in work.index_dir.iterdir() if p.name.startswith((".tmp-build-", f".{CURRENT}."))]
    assert _answered_from(_ask(work, YUEHU_Q), "yuehu-2026", YUEHU_A)


@pytest.mark.parametrize("moment", ["while writing vectors.npy", "before switching CURRENT"])
def test_build_killed_while_writing_leaves_previous_index(work: Settings, moment: str) -> None:
    before = current_build(work.index_dir)
    assert before is not None
    (work.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    if moment == "while writing vectors.npy":
        prelude = textwrap.dedent("""
            import os, signal, numpy
            def half_save(path, arr, *a, **k):
                with open(path, "wb") as f:
                    f.write(b"\\x93NUMPY" + b"\\0" * 100)
                    f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            build.np.save = half_save
        """)
    else:
        prelude = textwrap.dedent("""
            import os, signal
            real_replace = os.replace
            def replace(src, dst):
                if str(dst).endswith("CURRENT"):
                    os.kill(os.getpid(), signal.SIGKILL)
                return real_replace(src, dst)
            layout.os.replace = replace
        """)
    proc = _start(_build_script(work, prelude.replace("\n", "\n        ")))
    proc.wait(timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert current_build(work.index_dir) == before
    _previous_index_still_serves(work, before)
    ensure_index(work, progress=False)
    assert _answered_from(_ask(work, YUEHU_Q), "yuehu-2026", YUEHU_A)


def test_two_builds_at_once_do_not_corrupt_the_index(work: Settings) -> None:
    before = current_build(work.index_dir)
    assert before is not None
    (work.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    errors: list[str] = []
    stop = threading.Event()

    def read_while_building() -> None:
        # a server answering while the index is rebuilt under it: every load must succeed
        while not stop.is_set():
            try:
                load_index(work.index_dir, verify=True)
            except Exception as exc:  # pragma: no cover - the failure being tested for
                errors.append(repr(exc))
            time.sleep(0.05)

    reader = threading.Thread(target=read_while_building)
    reader.start()
    procs = [_start(_build_script(work)) for _ in range(2)]
    try:
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        stop.set()
        reader.join()
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        assert "DONE" in out
    assert not errors, errors[:3]
    data = load_index(work.index_dir, verify=True)
    assert set(data.reports) == {"xinghe-2026", "yuehu-2026"}
    manifest = read_manifest(work.index_dir)
    assert manifest["embedded"] == 0  # the second build waited for the first and reused its work
    builds = [p for p in work.index_dir.iterdir() if p.name.startswith("build-")]
    assert 1 <= len(builds) <= 2 and all((b / "manifest.json").exists() for b in builds)
    assert _answered_from(_ask(work, YUEHU_Q), "yuehu-2026", YUEHU_A)
    json.loads((data.path / "manifest.json").read_text(encoding="utf-8"))
    assert os.path.exists(work.index_dir / CURRENT)
