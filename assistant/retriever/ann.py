"""Which FAISS index holds the passage vectors: exact while a scan is cheap, HNSW once it is not.

An exact inner-product scan reads every vector for every question: a few thousand passages
cost well under a millisecond, an archive of 1,500 reports (~165,000 passages) tens of
milliseconds a question on one core. HNSW (a graph over the vectors) answers in about a
millisecond at any archive size, at the price of a build-time graph (~2 min for 165,000
vectors on one core) and a recall a little under exact. `Settings.dense_index` chooses:
"flat", "hnsw", or "auto" (flat below `Settings.ann_min_vectors`, HNSW above).

Search restricted to some reports never goes through the graph: those reports' vectors are
scanned exactly (`DenseSearcher`), which is both exact and faster than filtering a graph.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..config import Settings

logger = logging.getLogger(__name__)

__all__ = ["DENSE_KINDS", "dense_kind", "make_dense_index", "tune_dense_index", "describe_dense_index"]

DENSE_KINDS = ("auto", "flat", "hnsw")


def dense_kind(n_vectors: int, settings: "Settings") -> str:
    """ "flat" or "hnsw" for an index of n_vectors under these settings."""
    kind = settings.dense_index
    if kind not in DENSE_KINDS:
        raise ValueError(f"dense_index must be one of {', '.join(DENSE_KINDS)}, not {kind!r}")
    if kind == "auto":
        return "hnsw" if n_vectors >= settings.ann_min_vectors else "flat"
    return kind


def make_dense_index(vectors: np.ndarray, settings: "Settings") -> Any:
    """A FAISS inner-product index over (normalized, float32) vectors, of the kind the settings choose."""
    import faiss

    dim = int(vectors.shape[1])
    if dense_kind(len(vectors), settings) == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        logger.info("building an HNSW graph over %d vectors (M=%d, efConstruction=%d)", len(vectors),
                    settings.hnsw_m, settings.hnsw_ef_construction)
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    tune_dense_index(index, settings)
    return index


def tune_dense_index(index: Any, settings: "Settings") -> None:
    """Search-time parameters (HNSW's efSearch), set on every load: they are settings, not part of the file."""
    hnsw = getattr(index, "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = max(settings.hnsw_ef_search, 1)


def describe_dense_index(index: Any) -> str:
    """ "flat" or "hnsw(M=32, efSearch=1024)": what /healthz, the manifest and benchmarks say is searched."""
    hnsw = getattr(index, "hnsw", None)
    if hnsw is None:
        return "flat"
    m = int(hnsw.nb_neighbors(1))  # level-1 links = M (level 0 has 2M)
    return f"hnsw(M={m}, efSearch={int(hnsw.efSearch)})"
