"""The systems an evaluation run compares, and the assistants that run them.

Everything is the same pipeline (`Assistant.ask`) with one thing changed, so a
difference in the table is caused by that one thing: the retriever (hybrid /
BM25 / dense over the same index), the chunking (section vs fixed 500-char
chunks, in its own index) or the encoder (a sentence-transformers model, in its
own index). Baseline indexes live in `<baseline_root>/eval-<name>` (gitignored
`index/built/` by default) and are rebuilt only when stale.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from assistant.config import Settings

logger = logging.getLogger(__name__)

PRODUCT = "hybrid"
_GENERIC_DIR_NAMES = {"model", "models", "snapshot", "snapshots", "main", "onnx", "pytorch"}


@dataclass(frozen=True)
class SystemSpec:
    name: str  # table row / baselines/<name>/ directory
    description: str
    settings: Settings
    retriever: str  # "hybrid" | "bm25" | "dense"
    product: bool = False

    @property
    def chunking(self) -> str:
        return self.settings.chunking if self.settings.chunking != "fixed" else \
            f"fixed {self.settings.fixed_chunk_chars}"


def model_slug(model: str) -> str:
    """A short, path-safe name for a model directory (skipping generic names like ".../xyz/model")."""
    path = Path(model.rstrip("/"))
    name = path.name
    if name.lower() in _GENERIC_DIR_NAMES and path.parent.name:
        name = path.parent.name
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return slug or "model"


def build_systems(base: Settings, compare: bool, models: list[str] | None = None,
                  baseline_root: Path | None = None, retriever: str | None = None) -> list[SystemSpec]:
    """The product system first, then (with `compare`) the baselines, then one system per extra encoder."""
    root = Path(baseline_root) if baseline_root else base.index_dir
    product_retriever = retriever or base.retriever
    specs = [SystemSpec(PRODUCT if product_retriever == "hybrid" else product_retriever,
                        f"product: {product_retriever} retrieval, section chunks, {base.model}",
                        base, product_retriever, product=True)]
    if compare:
        for name in ("bm25", "dense", "hybrid"):
            if name != product_retriever:
                specs.append(SystemSpec(name, f"{name} retrieval only, same index as the product", base, name))
        fixed = base.with_(chunking="fixed", index_dir=root / "eval-hybrid-fixed500")
        specs.append(SystemSpec("hybrid-fixed500", f"hybrid on fixed {fixed.fixed_chunk_chars}-char chunks",
                                fixed, "hybrid"))
    for model in models or []:
        name = f"hybrid-{model_slug(model)}"
        if any(s.name == name for s in specs):
            name = f"{name}-{len(specs)}"
        specs.append(SystemSpec(name, f"hybrid with encoder {model}",
                                base.with_(model=model, index_dir=root / f"eval-{name}"), "hybrid"))
    return specs


@dataclass
class AssistantPool:
    """One Assistant per distinct Settings, built lazily (index built or reused) and released when done.

    BM25/dense/hybrid share an index, so they share an assistant: one build, one model load.
    """

    progress: bool = True
    _cache: dict[Settings, Any] = field(default_factory=dict)
    setup_seconds: dict[Settings, float] = field(default_factory=dict)

    def get(self, settings: Settings):
        if settings not in self._cache:
            from assistant.pipeline import Assistant

            t0 = time.perf_counter()
            self._cache[settings] = Assistant(settings, progress=self.progress)
            self.setup_seconds[settings] = time.perf_counter() - t0
            logger.info("assistant for %s ready in %.1fs", settings.index_dir, self.setup_seconds[settings])
        return self._cache[settings]

    def release_except(self, keep: set[Settings]) -> None:
        for s in [s for s in self._cache if s not in keep]:
            del self._cache[s]


def in_order(specs: list[SystemSpec]) -> Iterator[tuple[SystemSpec, set[Settings]]]:
    """Each spec with the settings still needed afterwards (so the pool can free finished assistants)."""
    for i, spec in enumerate(specs):
        yield spec, {s.settings for s in specs[i:]}
