"""Damage to the index named (status), noticed while a build serves (BuildWatch), repaired from intact vectors.

One small index (the synthetic 星河 and 月湖 reports, a single build: nothing earlier to borrow
from) is built once; every test damages its own copy.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from assistant.config import Settings
from assistant.storage import (CURRENT, SIDECAR, BuildWatch, IndexData, IndexError_, build_index, current_build,
                               index_damage, last_good_index, load_index, read_manifest, staleness)
from assistant.storage import build as storage_build, watch as storage_watch
from test_store_robustness import (XINGHE, XINGHE_A, XINGHE_Q, YUEHU, YUEHU_A, YUEHU_Q, CountingEncoder,
                                   _answered_from, _flip, _truncate)

QUESTIONS = (XINGHE_Q, YUEHU_Q)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple]]:
    """The index and the answers it gives before any damage."""
    root = tmp_path_factory.mktemp("damage")
    (root / "corpus").mkdir()
    (root / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    (root / "corpus" / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    settings = Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index")
    cache = os.environ.get("GWR_TEST_EMBEDDING_CACHE")  # vectors kept outside the clone: reruns are quick
    build_index(settings.with_(embedding_cache_path=Path(cache).expanduser() if cache else None), progress=False)
    return root, _answers(settings)


@pytest.fixture()
def work(built: tuple[Path, dict[str, tuple]], tmp_path: Path) -> Settings:
    shutil.copytree(built[0], tmp_path, dirs_exist_ok=True)
    settings = Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    assert staleness(settings, verify=True) is None
    return settings


def _answers(settings: Settings) -> dict[str, tuple]:
    from assistant.pipeline import Assistant

    assistant = Assistant(settings, index=load_index(settings.index_dir))
    out = {}
    for q in QUESTIONS:
        a = assistant.ask(q)
        out[q] = (a.answer, [(c.report, c.text) for c in a.citations])
    return out


def _live(settings: Settings) -> Path:
    build = current_build(settings.index_dir)
    assert build is not None
    return build


def _status(capsys: pytest.CaptureFixture[str], settings: Settings) -> tuple[int, dict, str]:
    from index.__main__ import main

    code = main(["status", "--index-dir", str(settings.index_dir)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def _half(path: Path) -> None:
    _truncate(path)


# ------------------------------------------------------------------ status names the damage

Damager = Callable[[Path, Path], None]  # (index dir, live build)

DAMAGE: dict[str, tuple[Damager, str]] = {  # case -> (damage, what status says, {build} = the live build's name)
    "garbage bytes in CURRENT": (lambda d, b: (d / CURRENT).write_bytes(b"\x00\xff\xfe\x89PNG"),
                                 f"{CURRENT} is garbage: it holds "),
    "text that is no build name in CURRENT": (lambda d, b: (d / CURRENT).write_text("hello world\n"),
                                              f"{CURRENT} is garbage: it holds 'hello world', not the name of a build"),
    "a path in CURRENT": (lambda d, b: (d / CURRENT).write_text(f"../{d.name}/{b.name}"),
                          f"{CURRENT} is garbage: it holds "),
    "empty CURRENT": (lambda d, b: (d / CURRENT).write_bytes(b""), f"{CURRENT} is empty"),
    "dangling CURRENT": (lambda d, b: (d / CURRENT).write_text("build-20990101-000000-1-abcdef"),
                         f"{CURRENT} names build-20990101-000000-1-abcdef, which does not exist"),
    "CURRENT removed": (lambda d, b: (d / CURRENT).unlink(), f"{CURRENT} is missing although "),
    "half-written manifest": (lambda d, b: _half(b / "manifest.json"),
                              "manifest.json of {build} is unreadable (half-written or not JSON: "),
    "manifest removed": (lambda d, b: (b / "manifest.json").unlink(), "manifest.json of {build} is missing"),
    "vectors.npy removed": (lambda d, b: (b / "vectors.npy").unlink(),
                            "index file vectors.npy is missing from {build}"),
    "flipped bytes in dense.faiss": (lambda d, b: _flip(b / "dense.faiss"),
                                     "index file dense.faiss is corrupt (checksum mismatch) in {build}"),
    "truncated sentences.json": (lambda d, b: _truncate(b / "sentences.json"),
                                 "index file sentences.json is corrupt (checksum mismatch) in {build}"),
    "flipped bytes in the checksum sidecar": (lambda d, b: _flip(b / SIDECAR),
                                              f"index file {SIDECAR} is corrupt (checksum mismatch) in {{build}}"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_status_names_the_damage_and_exits_non_zero(work: Settings, case: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    damage, said = DAMAGE[case]
    build = _live(work)
    damage(work.index_dir, build)
    said = said.format(build=build.name)

    code, status, err = _status(capsys, work)
    assert code == 3 and status["current"] is False
    assert status["damage"].startswith(said) and status["reason"] == status["damage"]
    assert f"index damaged: {status['damage']}" in err
    # the library says the same: for status, for a start (staleness) and for a load
    assert index_damage(work.index_dir) == status["damage"]
    assert staleness(work, verify=True) == status["damage"]
    with pytest.raises(IndexError_) as raised:
        load_index(work.index_dir)
    assert str(raised.value) == status["damage"]


def test_status_of_an_intact_index_and_of_no_index(work: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, status, err = _status(capsys, work)
    assert code == 0 and status["current"] is True and status["damage"] is None and not err
    assert index_damage(work.index_dir) is None

    shutil.rmtree(work.index_dir)
    code, status, err = _status(capsys, work)
    assert code == 3 and status["reason"] == "no index yet" and status["damage"] is None  # not built: no damage
    assert index_damage(work.index_dir) is None


def test_current_is_never_followed_out_of_the_index_folder(work: Settings, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(_live(work), elsewhere / "build-x")
    (work.index_dir / CURRENT).write_text("../elsewhere/build-x", encoding="utf-8")
    assert current_build(work.index_dir) is None
    assert (index_damage(work.index_dir) or "").startswith(f"{CURRENT} is garbage")


# ------------------------------------------------------------------ noticed while serving

@pytest.fixture()
def served(work: Settings) -> tuple[Settings, IndexData, BuildWatch]:
    data = load_index(work.index_dir)
    return work, data, BuildWatch(data)


class _CountHashes:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real = storage_watch.file_sha256

        def counting(path: Path) -> str:
            self.calls.append(path.name)
            return real(path)

        monkeypatch.setattr(storage_watch, "file_sha256", counting)


def test_nothing_changed_costs_no_checksum(served, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, watch = served
    hashes = _CountHashes(monkeypatch)
    for _ in range(20):
        assert watch.check() is None
    assert hashes.calls == []


def test_flipped_vectors_are_noticed_in_one_call(served) -> None:
    _, data, watch = served
    assert watch.check() is None
    _flip(data.path / "vectors.npy")
    damage = watch.check()
    assert damage is not None
    assert damage.reason == f"vectors.npy of {data.path.name} no longer matches its checksum"
    assert damage.files == ("vectors.npy",) and damage.build == data.path.name
    assert damage.reusable is False  # the vectors themselves are lost: a repair re-embeds
    assert watch.check() == damage  # still damaged, and said the same way


def test_a_touched_file_whose_content_holds_is_no_damage(served, monkeypatch: pytest.MonkeyPatch) -> None:
    _, data, watch = served
    path = data.path / "vectors.npy"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns + 5_000_000_000, st.st_mtime_ns + 5_000_000_000))
    same = path.read_bytes()
    (data.path / "manifest.json").touch()
    copy = data.path / ".copy"
    copy.write_bytes((data.path / "dense.faiss").read_bytes())
    os.replace(copy, data.path / "dense.faiss")  # same bytes, another inode
    hashes = _CountHashes(monkeypatch)
    assert watch.check() is None
    assert sorted(hashes.calls) == ["dense.faiss", "vectors.npy"]  # checked once, since their stat changed
    assert watch.check() is None and len(hashes.calls) == 2  # then trusted with the new stat
    assert path.read_bytes() == same


@pytest.mark.parametrize("case", ["truncated chunks.jsonl", "removed dense.faiss", "half-written manifest",
                                  "changed manifest", "garbage CURRENT", "build folder removed",
                                  "flipped sentences.npy"])
def test_each_kind_of_damage_is_noticed_and_said(served, case: str) -> None:
    settings, data, watch = served
    b, name = data.path, data.path.name
    expected: dict[str, tuple[str, tuple[str, ...], bool]] = {
        "truncated chunks.jsonl": (f"chunks.jsonl of {name} was truncated (", ("chunks.jsonl",), True),
        "removed dense.faiss": (f"dense.faiss of {name} was removed", ("dense.faiss",), True),
        "half-written manifest": (f"manifest.json of {name} is unreadable (half-written", ("manifest.json",), True),
        "changed manifest": (f"manifest.json of {name} was changed", ("manifest.json",), True),
        "garbage CURRENT": (f"{CURRENT} is garbage: it holds ", (CURRENT,), True),
        "build folder removed": (f"build {name} was removed", (".", CURRENT), False),
        "flipped sentences.npy": (f"sentences.npy of {name} no longer matches its checksum", ("sentences.npy",),
                                  False),
    }
    if case == "truncated chunks.jsonl":
        _truncate(b / "chunks.jsonl")
    elif case == "removed dense.faiss":
        (b / "dense.faiss").unlink()
    elif case == "half-written manifest":
        _half(b / "manifest.json")
    elif case == "changed manifest":
        manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
        manifest["checksums"]["vectors.npy"] = "0" * 64
        (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    elif case == "garbage CURRENT":
        (settings.index_dir / CURRENT).write_bytes(os.urandom(64))
    elif case == "build folder removed":
        shutil.rmtree(b)
    else:
        _flip(b / "sentences.npy")
    damage = watch.check()
    reason, files, reusable = expected[case]
    assert damage is not None and damage.reason.startswith(reason), damage
    assert damage.files == files and damage.reusable is reusable


def test_a_newer_build_going_live_is_no_damage_and_a_restored_file_heals(served) -> None:
    settings, data, watch = served
    vectors = data.path / "vectors.npy"
    good = vectors.read_bytes()
    _flip(vectors)
    assert watch.check() is not None
    vectors.write_bytes(good)  # put back
    assert watch.check() is None
    (settings.corpus_dir / "xinghe-2026.txt").write_text(XINGHE.replace("58.76亿元", "59.01亿元"), encoding="utf-8")
    build_index(settings, progress=False)
    assert current_build(settings.index_dir) != data.path
    assert watch.check() is None  # CURRENT names another existing build: a newer index, not damage


def test_checks_from_several_threads_agree(served) -> None:
    _, data, watch = served
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def poll() -> None:
        try:
            start.wait()
            for _ in range(50):
                results.append(watch.check())
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    _flip(data.path / "vectors.npy")
    threads = [threading.Thread(target=poll) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 200
    assert all(r is not None and r.files == ("vectors.npy",) for r in results)


def test_a_build_served_from_its_sidecar_says_its_manifest_is_damaged(work: Settings) -> None:
    build = _live(work)
    _half(build / "manifest.json")
    data = last_good_index(work.index_dir)  # the only build: served as its checksum sidecar describes it
    assert data is not None and data.path == build
    assert (data.damage or "").startswith(f"manifest.json of {build.name} is unreadable")
    from assistant.pipeline import Assistant

    assert _answered_from(Assistant(work, index=data).ask(XINGHE_Q), "xinghe-2026", XINGHE_A)
    damage = BuildWatch(data).check()
    assert damage is not None and damage.files == ("manifest.json",) and damage.reusable
    _flip(build / "vectors.npy")  # and a sidecar whose checksums fail does not serve
    assert last_good_index(work.index_dir) is None


# ------------------------------------------------------------------ repaired from intact vectors

def _strip_sidecar(build: Path) -> None:
    """Make the build look like one written before the sidecar existed."""
    (build / SIDECAR).unlink()
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["checksums"].pop(SIDECAR)
    (build / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


REPAIRS: dict[str, Damager] = {
    "half-written manifest": lambda d, b: _half(b / "manifest.json"),
    "manifest removed": lambda d, b: (b / "manifest.json").unlink(),
    "garbage CURRENT": lambda d, b: (d / CURRENT).write_bytes(b"\x00\xff garbage"),
    "dangling CURRENT": lambda d, b: (d / CURRENT).write_text("build-20990101-000000-1-abcdef"),
    "flipped bytes in chunks.jsonl": lambda d, b: _flip(b / "chunks.jsonl"),
    "half-written manifest and flipped chunks.jsonl": lambda d, b: (_half(b / "manifest.json"),
                                                                   _flip(b / "chunks.jsonl")),
    "half-written manifest and garbage CURRENT": lambda d, b: (_half(b / "manifest.json"),
                                                              (d / CURRENT).write_text("???")),
}


@pytest.mark.parametrize("case", sorted(REPAIRS))
def test_repair_with_intact_vectors_embeds_nothing_and_answers_the_same(
        work: Settings, built: tuple[Path, dict[str, tuple]], case: str) -> None:
    build = _live(work)
    n_chunks = len(load_index(work.index_dir).chunks)
    REPAIRS[case](work.index_dir, build)
    assert index_damage(work.index_dir) is not None

    encoder = CountingEncoder()
    # only the index folder named: the report folder comes from what survived of the record
    repaired = build_index(Settings().with_(index_dir=work.index_dir), encoder=encoder, progress=False)
    manifest = read_manifest(work.index_dir)
    assert encoder.passages == 0 and manifest["embedded"] == 0
    assert manifest["reused"] == n_chunks
    assert current_build(work.index_dir) == repaired and index_damage(work.index_dir) is None
    assert staleness(work, verify=True) is None
    assert _answers(work) == built[1]


def test_repair_reuses_the_chunks_of_a_build_whose_manifest_is_damaged(work: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    build = _live(work)
    _half(build / "manifest.json")
    chunked: list[str] = []
    real = storage_build.chunk_report
    monkeypatch.setattr(storage_build, "chunk_report", lambda report, *a: chunked.append(report.meta.id) or real(report, *a))
    build_index(work, encoder=CountingEncoder(), progress=False)
    assert chunked == []  # chunks and tokens came from the damaged build's intact chunks.jsonl
    assert (build / "chunks.jsonl").read_bytes() == (_live(work) / "chunks.jsonl").read_bytes()


def test_repair_of_a_build_without_sidecar_proves_its_vectors_with_one_text(work: Settings, built) -> None:
    build = _live(work)
    _strip_sidecar(build)
    _half(build / "manifest.json")  # checksums, encoder and corpus record all lost
    encoder = CountingEncoder()
    build_index(work, encoder=encoder, progress=False)
    manifest = read_manifest(work.index_dir)
    # one text per vector file embedded to prove its vectors are this encoder's (the sentences' and the
    # headings'; the derived passage vectors are made again from them); every other vector reused
    assert encoder.passages == manifest["embedded"] == manifest["embedded_checks"] == 2
    assert manifest["embedded_chunks"] == manifest["embedded_sentences"] == 0
    assert _answers(work) == built[1]


def test_vectors_without_any_record_that_do_not_prove_themselves_are_re_embedded(work: Settings, built) -> None:
    build = _live(work)
    n_headings = len(json.loads((build / "heading_keys.json").read_text(encoding="utf-8")))
    _strip_sidecar(build)
    for name in ("vectors.npy", "sentences.npy", "headings.npy"):  # unit rows, valid keys, each row another text's
        np.save(build / name, np.roll(np.load(build / name), 1, axis=0))
    _half(build / "manifest.json")
    encoder = CountingEncoder()
    build_index(work, encoder=encoder, progress=False)
    manifest = read_manifest(work.index_dir)
    # each vector file fails its own proof (one file proving itself vouches for no other)
    assert manifest["embedded_checks"] == 2 and manifest["embedded_chunks"] == n_headings
    assert manifest["embedded_sentences"] > 0 and encoder.passages == manifest["embedded"]
    assert _answers(work) == built[1]


def test_the_sidecar_records_what_a_repair_needs(work: Settings) -> None:
    build = _live(work)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    sidecar = json.loads((build / SIDECAR).read_text(encoding="utf-8"))
    for key in ("signature", "encoder", "dim", "corpus", "files"):
        assert sidecar[key] == manifest[key]
    assert sidecar["checksums"] == {k: v for k, v in manifest["checksums"].items() if k != SIDECAR}
    assert SIDECAR in manifest["checksums"]  # the manifest checks the sidecar in turn


# ------------------------------------------------------------------ the server notices and repairs

def test_the_service_reports_live_damage_within_seconds_and_repairs_it_while_answering(work: Settings) -> None:
    """Flipped passages under a running service: /healthz problems name them within 5 s, a repair starts by
    itself (embedding nothing), the old index answers throughout, and the problem clears once repaired."""
    import time

    from webapp.service import QAService

    service = QAService.create(work.with_(embedding_cache=False))
    try:
        assert service.wait_for_build(timeout=60)
        assert service.problems() == []
        before = service.ask_sync(XINGHE_Q).answer
        damaged = _live(work)
        _flip(damaged / "chunks.jsonl")
        t0 = time.monotonic()
        while not any("chunks.jsonl" in p for p in service.problems()) and time.monotonic() - t0 < 10:
            assert service.ask_sync(XINGHE_Q).answer == before  # answering from memory meanwhile
            time.sleep(0.1)
        noticed = time.monotonic() - t0
        assert noticed < 5, f"damage noticed only after {noticed:.1f} s"
        assert service.wait_for_build(timeout=120)
        assert service.status()["last_build"]["error"] is None
        repaired = current_build(work.index_dir)
        assert repaired is not None and repaired != damaged
        assert read_manifest(work.index_dir)["embedded"] == 0  # the vectors were intact: nothing embedded
        t0 = time.monotonic()
        while service.problems() and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        assert service.problems() == []
        assert service.assistant.index.path == repaired
        assert service.ask_sync(XINGHE_Q).answer == before
    finally:
        service.close()


def test_a_skipped_file_makes_the_service_degraded_and_is_listed_on_the_page(work: Settings) -> None:
    """An unreadable report dropped into the corpus: the rebuild leaves it out and says why in /healthz and in
    the page's report list; a duplicate copy is no problem; questions are answered throughout."""
    from fastapi.testclient import TestClient

    from webapp.config import ServerConfig
    from webapp.server import create_app
    from webapp.service import QAService

    (work.corpus_dir / "broken.docx").write_bytes(b"PK\x03\x04 this is no Word document")
    (work.corpus_dir / "xinghe-copy.txt").write_text(XINGHE, encoding="utf-8")
    service = QAService.create(work.with_(embedding_cache=False))
    try:
        answer = service.ask_sync(XINGHE_Q)  # from the index already built, while the rebuild runs
        assert not answer.abstained and XINGHE_A in answer.answer
        assert service.wait_for_build(timeout=120)
        problems = service.problems()
        assert len(problems) == 1 and problems[0].startswith("file skipped: broken.docx: "), problems
        with TestClient(create_app(ServerConfig(settings=work), service)) as client:
            health = client.get("/healthz").json()
            assert health["status"] == "degraded" and health["problems"] == problems
            page = client.get("/").text
            assert "有 1 个文件未能收录" in page and "broken.docx" in page and "xinghe-copy.txt" not in page
    finally:
        service.close()
