"""The web service never waits for a build: it answers from the last good index and swaps when a build ends.

A build is held at its start by taking the index directory's build lock in the test
(flock: the service's build thread waits for it exactly as for a build in another
process), so "during the build" is a certainty, not a race.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.storage import build_index, build_lock, current_build, read_manifest
from test_store_robustness import XINGHE, XINGHE_A, XINGHE_Q, YUEHU, YUEHU_A, YUEHU_Q, _answered_from, _flip
from webapp.api import build_router
from webapp.service import QAService


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("svc")
    (root / "corpus").mkdir()
    (root / "corpus" / "xinghe-2026.txt").write_text(XINGHE, encoding="utf-8")
    build_index(Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index"), progress=False)
    return root


@pytest.fixture()
def settings(built: Path, tmp_path: Path) -> Settings:
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    return Settings().with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                            feedback_path=tmp_path / "fb.sqlite3")


def _healthz(service: QAService):  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.include_router(build_router(service))
    with TestClient(app) as client:
        return client.get("/healthz")


def _wait_until_building(service: QAService) -> None:
    deadline = time.monotonic() + 10
    while not service.status()["build"]["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_old_index_answers_while_the_new_one_builds_then_it_swaps(settings: Settings) -> None:
    service = QAService.create(settings, workers=1)
    try:
        assert service.status()["state"] == "ready" and not service.status()["build"]["running"]
        assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
        old_build = current_build(settings.index_dir)
        (settings.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
        with build_lock(settings.index_dir):  # the background build waits here
            assert service.rebuild("a report was added") is True
            assert service.rebuild("again") is False  # one at a time; this one follows
            _wait_until_building(service)
            status = service.status()
            assert status["state"] == "updating" and status["index"] == old_build.name
            assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
            during = service.ask_sync(YUEHU_Q)
            assert not _answered_from(during, "yuehu-2026", YUEHU_A)
            assert set(service.reports) == {"xinghe-2026"}
            health = _healthz(service)
            assert health.status_code == 200 and health.json()["index_state"]["state"] == "updating"
        assert service.wait_for_build(timeout=600)
        status = service.status()
        assert status["state"] == "ready" and status["last_build"]["error"] is None
        assert status["index"] == current_build(settings.index_dir).name != old_build.name
        assert set(service.reports) == {"xinghe-2026", "yuehu-2026"}
        assert _answered_from(service.ask_sync(YUEHU_Q), "yuehu-2026", YUEHU_A)
        assert read_manifest(settings.index_dir)["reused"] > 0  # an incremental build
    finally:
        service.close()


def test_without_any_index_the_service_listens_and_says_how_far_the_build_is(settings: Settings) -> None:
    shutil.rmtree(settings.index_dir)
    with build_lock(settings.index_dir):
        service = QAService.create(settings, workers=1)
        try:
            _wait_until_building(service)
            answer = service.ask_sync(XINGHE_Q)
            assert answer.abstained and answer.message.startswith("索引正在建立（已完成 0%）")
            assert service.reports == {} and service.report_list() == []
            health = _healthz(service)
            assert health.status_code == 503 and health.json()["status"] == "starting"
            assert health.json()["index_state"]["state"] == "building"
        except BaseException:
            service.close()
            raise
    try:
        assert service.wait_for_build(timeout=600)
        assert service.status()["state"] == "ready" and service.status()["last_build"]["error"] is None
        assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
        health = _healthz(service)
        assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["chunks"] > 0
    finally:
        service.close()


@pytest.mark.parametrize("damaged", ["headings.npy", "vectors.npy"])
def test_a_damaged_live_build_is_served_from_the_one_before_and_repaired(settings: Settings, damaged: str) -> None:
    assert settings.passage_vectors == "derived"
    (settings.corpus_dir / "yuehu-2026.txt").write_text(YUEHU, encoding="utf-8")
    build_index(settings, progress=False)  # now two builds: 星河 only, and 星河 + 月湖 (live)
    live = current_build(settings.index_dir)
    _flip(live / damaged)
    with build_lock(settings.index_dir):
        service = QAService.create(settings, workers=1)
        try:
            status = service.status()
            assert status["index"] is not None and status["index"] != live.name  # the earlier, intact build
            assert status["state"] == "updating"
            assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
        except BaseException:
            service.close()
            raise
    try:
        assert service.wait_for_build(timeout=600)
        assert service.status()["last_build"]["error"] is None
        assert _answered_from(service.ask_sync(YUEHU_Q), "yuehu-2026", YUEHU_A)
        manifest = read_manifest(settings.index_dir)
        # 星河's vectors come from the earlier build, 月湖's sentences from the damaged one's intact file
        assert manifest["embedded_sentences"] == 0
        if damaged == "headings.npy":  # 月湖's headings are embedded again, and nothing else
            assert 0 < manifest["embedded"] == manifest["embedded_chunks"] <= manifest["n_chunks"] - manifest["reused"]
        else:  # passage vectors are derived from sentence and heading vectors: losing them costs no embedding
            assert manifest["embedded"] == 0 and manifest["reused"] == manifest["n_chunks"]
    finally:
        service.close()


def test_an_index_of_the_previous_format_answers_until_the_new_one_is_built(settings: Settings) -> None:
    import json

    live = current_build(settings.index_dir)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    for name in ("vector_keys.json", "sentences.npy", "sentences.json"):  # what format 1 did not have
        (live / name).unlink()
        manifest["checksums"].pop(name)
    manifest["signature"]["format"] = 1
    (live / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with build_lock(settings.index_dir):
        service = QAService.create(settings, workers=1)
        try:
            status = service.status()
            assert status["index"] == live.name and status["state"] == "updating"
            assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
        except BaseException:
            service.close()
            raise
    try:
        assert service.wait_for_build(timeout=600)
        assert service.status()["index"] != live.name
        assert service.assistant.index.sentence_vectors is not None
        assert _answered_from(service.ask_sync(XINGHE_Q), "xinghe-2026", XINGHE_A)
    finally:
        service.close()
