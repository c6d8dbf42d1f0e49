"""The index on disk: building it, loading it, keeping it current and intact while it serves.

One module per concept:

- `layout`  the on-disk format: build folders, the CURRENT pointer, manifest and sidecar, checksums,
            `verify_build` / `index_damage` (what is wrong with a build, named)
- `corpus`  which reports form an index: the corpus folder it records (`resolve_corpus`), the build
            signature, `staleness` and `index_status`, reading the corpus into distinct reports,
            `add_reports`
- `vectors` THE vector cache (`VectorCache`): which texts already have a vector for an encoder, from
            the builds' own vector files and the cache file (`EMBEDDING_CACHE`)
- `build`   `build_index` (incremental, under `build_lock`, switched to atomically), `ensure_index`
- `load`    `IndexData`, `load_index`, `last_good_index`
- `watch`   `BuildWatch`: damage on disk to a build while it serves
- `keeper`  `IndexKeeper`: serves the last good build, rebuilds and repairs in the background, reports

Callers outside this package use the names exported here.
"""
from __future__ import annotations

from .build import Progress, build_index, build_lock, ensure_index
from .corpus import AddResult, IndexStatus, add_reports, build_signature, index_status, recorded_corpus, \
    resolve_corpus, staleness
from .keeper import IndexKeeper
from .layout import CURRENT, INDEX_FORMAT, SIDECAR, IndexError_, current_build, index_damage, read_manifest, \
    verify_build
from .load import IndexData, last_good_index, load_index
from .vectors import EMBEDDING_CACHE, VectorCache, vector_key
from .watch import BuildWatch, Damage

__all__ = [
    "CURRENT", "EMBEDDING_CACHE", "INDEX_FORMAT", "SIDECAR", "AddResult", "BuildWatch", "Damage", "IndexData",
    "IndexError_", "IndexKeeper", "IndexStatus", "Progress", "VectorCache", "add_reports", "build_index",
    "build_lock", "build_signature", "current_build", "ensure_index", "index_damage", "index_status",
    "last_good_index", "load_index", "read_manifest", "recorded_corpus", "resolve_corpus", "staleness",
    "vector_key", "verify_build",
]
