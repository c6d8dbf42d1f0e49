"""Which rows of the index belong to which report, computed once per index.

A search restricted to some reports (a question that names a place and year) needs those
reports' rows. Testing every chunk's report id per question costs a Python loop over the
whole index — tens of milliseconds at archive size; a table made at load costs a lookup.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Collection, Sequence

import numpy as np

from ..types import Chunk


class ReportRows:
    """report id -> the (sorted) row numbers of its chunks in the index."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        rows: dict[str, list[int]] = defaultdict(list)
        for i, chunk in enumerate(chunks):
            rows[chunk.report_id].append(i)
        self._rows = {rid: np.asarray(r, dtype=np.int64) for rid, r in rows.items()}
        self.n = len(chunks)

    def rows(self, reports: Collection[str] | None) -> np.ndarray | None:
        """Sorted rows of these reports' chunks; None for "no restriction" (reports empty or None)."""
        if not reports:
            return None
        parts = [self._rows[r] for r in set(reports) if r in self._rows]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(parts)) if len(parts) > 1 else parts[0]

    def mask(self, reports: Collection[str] | None) -> np.ndarray | None:
        """A boolean mask over all rows for these reports; None for "no restriction"."""
        rows = self.rows(reports)
        if rows is None:
            return None
        mask = np.zeros(self.n, dtype=bool)
        mask[rows] = True
        return mask
