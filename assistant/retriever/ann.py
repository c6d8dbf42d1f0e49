"""Which FAISS index holds the passage vectors: exact while a scan is cheap, HNSW once it is not.

An exact inner-product scan reads every vector for every question: a few thousand passages
cost well under a millisecond, an archive of 1,500 reports (~165,000 passages) tens of
milliseconds a question on one core. HNSW (a graph over the vectors) answers in about a
millisecond at any archive size, at the price of a build-time graph (~5 min for 165,000
vectors on one core) and a recall a little under exact. `Settings.dense_index` chooses:
"flat", "hnsw", or "auto" (flat below `Settings.ann_min_vectors`, HNSW above).

Search restricted to some reports never goes through the graph: those reports' vectors are
scanned exactly (`DenseSearcher`), which is both exact and faster than filtering a graph.

The graph grows with the archive instead of being rebuilt: its entries carry the passage row they
hold (a FAISS `IndexIDMap` over the HNSW index), so a build that adds reports takes the previous
build's graph, renumbers the rows it keeps, adds only the new passages (`grow_dense_index`), and
masks the passages of removed or changed reports (id -1, skipped at search time by an id range).
Past `MAX_DEAD` masked entries the graph is built afresh.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from ..config import Settings

logger = logging.getLogger(__name__)

__all__ = ["DENSE_KINDS", "MAX_DEAD", "dense_kind", "make_dense_index", "grow_dense_index", "tune_dense_index",
           "describe_dense_index", "dead_entries", "live_entries", "search_params"]

DENSE_KINDS = ("auto", "flat", "hnsw")
MAX_DEAD = 0.2  # a grown graph whose masked entries would pass this share is built afresh


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
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if dense_kind(len(vectors), settings) == "hnsw":
        graph = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = settings.hnsw_ef_construction
        logger.info("building an HNSW graph over %d vectors (M=%d, efConstruction=%d)", len(vectors),
                    settings.hnsw_m, settings.hnsw_ef_construction)
        index = faiss.IndexIDMap(graph)
        index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
    else:
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
    tune_dense_index(index, settings)
    return index


def grow_dense_index(previous: Any, previous_rows: Sequence[str], vectors: np.ndarray, rows: Sequence[str],
                     settings: "Settings") -> Any | None:
    """The previous build's graph holding this build's rows, or None when it must be built afresh.

    `previous_rows` and `rows` name each row of the previous and of this build's vectors (a passage's
    report and vector key: the same name, the same vector). Rows both builds hold keep their graph
    entries under their new row number; rows only this build holds are added; entries of rows it no
    longer holds are masked (id -1). None when this build is no graph, the previous index is no
    graph of the same shape, or masked entries would pass MAX_DEAD.
    """
    import faiss

    graph = _graph(previous)
    if (dense_kind(len(vectors), settings) != "hnsw" or graph is None or not hasattr(previous, "id_map")
            or graph.d != vectors.shape[1] or int(graph.hnsw.nb_neighbors(1)) != settings.hnsw_m):
        return None
    entries = faiss.vector_to_array(previous.id_map)  # graph entry -> previous row (-1: masked)
    if len(previous_rows) != int((entries >= 0).sum()):
        return None
    where = {name: i for i, name in enumerate(rows)}
    now = np.array([where.get(name, -1) for name in previous_rows] + [-1], dtype=np.int64)  # [-1]: masked stay so
    renumbered = now[entries]
    kept = renumbered[renumbered >= 0]
    new = np.setdiff1d(np.arange(len(rows), dtype=np.int64), kept, assume_unique=True)
    dead = int((renumbered < 0).sum())
    if dead > MAX_DEAD * (len(entries) + len(new)):
        logger.info("building the HNSW graph afresh: %d of %d entries would be masked", dead, len(entries) + len(new))
        return None
    faiss.copy_array_to_vector(renumbered, previous.id_map)
    if len(new):
        graph.hnsw.efConstruction = settings.hnsw_ef_construction
        logger.info("adding %d vectors to the HNSW graph of %d (%d masked)", len(new), len(kept), dead)
        previous.add_with_ids(np.ascontiguousarray(vectors[new], dtype=np.float32), new)
    tune_dense_index(previous, settings)
    return previous


def _graph(index: Any) -> Any | None:
    """The HNSW index itself (inside its id map), or None for a flat index."""
    import faiss

    inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    return inner if getattr(inner, "hnsw", None) is not None else None


def dead_entries(index: Any) -> int:
    """Entries of a grown graph that hold no row any more (masked, skipped by every search)."""
    import faiss

    return int((faiss.vector_to_array(index.id_map) < 0).sum()) if hasattr(index, "id_map") else 0


def live_entries(index: Any) -> int:
    """The rows the index holds: its entries less the masked ones."""
    return int(index.ntotal) - dead_entries(index)


def search_params(index: Any, n_rows: int) -> Any | None:
    """Search parameters that skip masked entries (ids outside 0..n_rows), or None when there are none."""
    import faiss

    graph = _graph(index)
    if graph is None or not dead_entries(index):
        return None
    params = faiss.SearchParametersHNSW()
    params.efSearch = int(graph.hnsw.efSearch)
    params.selector = faiss.IDSelectorRange(0, n_rows)  # held here: FAISS keeps no reference to it
    params.sel = params.selector
    return params


def tune_dense_index(index: Any, settings: "Settings") -> None:
    """Search-time parameters (HNSW's efSearch), set on every load: they are settings, not part of the file."""
    graph = _graph(index)
    if graph is not None:
        graph.hnsw.efSearch = max(settings.hnsw_ef_search, 1)


def describe_dense_index(index: Any) -> str:
    """ "flat" or "hnsw(M=32, efSearch=1024)": what /healthz, the manifest and benchmarks say is searched."""
    graph = _graph(index)
    if graph is None:
        return "flat"
    m = int(graph.hnsw.nb_neighbors(1))  # level-1 links = M (level 0 has 2M)
    dead = dead_entries(index)
    return f"hnsw(M={m}, efSearch={int(graph.hnsw.efSearch)})" + (f", {dead} masked" if dead else "")
