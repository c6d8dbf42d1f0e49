"""A build on Ray (`python -m index build --engine ray`) gives the index a local build gives.

Runs a real local Ray (no --address) with the real encoder over the bundled corpus, and compares
with the session's local build: the same chunks, the same passage and sentence vectors within
float tolerance, the same answers on eval/qa.jsonl. Ray is a development requirement, so this
test runs in CI; it is not needed to serve.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import ray  # noqa: F401  (requirements-dev.txt installs it: a missing Ray fails here, loudly)

from assistant.config import PROJECT_ROOT
from assistant.storage import load_index, read_manifest


def test_ray_build_gives_the_local_build(assistant, settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from index.__main__ import main as index_cli

    index_dir = tmp_path / "index"
    code = index_cli(["build", "--engine", "ray", "--corpus", str(settings.corpus_dir), "--index-dir", str(index_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    manifest = read_manifest(index_dir)
    embedded = int(out.split("embedded on Ray: ")[1].split()[0])
    assert embedded == manifest["embedded"] > 0  # every vector came from Ray: nothing was cached

    local, on_ray = assistant.index, load_index(index_dir)
    assert manifest["encoder"] == local.manifest["encoder"]
    assert [(c.id, c.report_id, c.text, c.start, c.end) for c in on_ray.chunks] == \
        [(c.id, c.report_id, c.text, c.start, c.end) for c in local.chunks]
    np.testing.assert_allclose(on_ray.vectors, local.vectors, atol=1e-5)
    assert on_ray.sentence_rows == local.sentence_rows
    np.testing.assert_allclose(on_ray.sentence_vectors.astype(np.float32),
                               local.sentence_vectors.astype(np.float32), atol=2e-3)

    from assistant.pipeline import Assistant

    ray_assistant = Assistant(settings.with_(index_dir=index_dir), index=on_ray, encoder=assistant.encoder)
    qa = [json.loads(line) for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
          if line.strip()]
    differ = []
    for item in qa:
        history = item.get("history") or None
        a, b = assistant.ask(item["question"], history=history), ray_assistant.ask(item["question"], history=history)
        if (a.answer, a.abstained, [c.chunk_id for c in a.citations]) != \
                (b.answer, b.abstained, [c.chunk_id for c in b.citations]):
            differ.append((item["question"], a.answer, b.answer))
    assert not differ, differ


def test_ray_engine_without_ray_says_how_to_install(monkeypatch, tmp_path: Path, capsys) -> None:
    import importlib.util

    from index.__main__ import main as index_cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    code = index_cli(["build", "--engine", "ray", "--corpus", str(PROJECT_ROOT / "corpus"),
                      "--index-dir", str(tmp_path / "index"), "--force"])
    assert code == 1
    assert "pip install -r requirements-ray.txt" in capsys.readouterr().err


def test_passage_tokens_do_not_depend_on_words_added_before(reports) -> None:
    """A server rebuilding while it serves has added its corpus's terms to jieba (for questions); the
    passages of a build are cut without them, as in a fresh process, so every build of one corpus matches."""
    from assistant.pipeline import _corpus_words
    from assistant.text import add_words, tokenize, tokenize_passage

    text = next(iter(reports.values())).text[:3000]
    before = tokenize_passage(text)
    terms = _corpus_words(reports.values())
    assert terms
    add_words(terms)
    assert tokenize_passage(text) == before
    assert tokenize(text) != before  # questions do get the corpus's terms (so this test can fail)
