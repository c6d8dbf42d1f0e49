"""Where a passage's topic ends: the chunker's own reading of a report's outline, kept for the reader.

A long paragraph of a work report often runs several topics together, each opened by a short topic
sentence that the original set in bold ("促进就业增收。…。扩大优质教育资源供给。…"); a plain copy
keeps them on one line. The chunker splits such a paragraph at those sentences and names each piece
after its topic (its section path). A descriptive answer that starts in one topic stops where the
passages of that topic end, instead of running into the next topic on the same line.
"""
from __future__ import annotations

from typing import Sequence

from ..retriever.rows import ReportRows
from ..types import Chunk


class TopicEnds:
    """chunk → the offset where the run of passages sharing its section path ends (per report, on demand)."""

    def __init__(self, chunks: Sequence[Chunk], rows: ReportRows | None = None) -> None:
        self._chunks = chunks
        self._rows = rows if rows is not None else ReportRows(chunks)  # (the searchers have one already)
        self._ends: dict[str, dict[str, int]] = {}

    def _report(self, report_id: str) -> dict[str, int]:
        ends = self._ends.get(report_id)
        if ends is None:
            ends = {}
            run: list[Chunk] = []
            rows = self._rows.rows([report_id])
            for i in (rows.tolist() if rows is not None else []) + [-1]:
                chunk = self._chunks[i] if i >= 0 else None
                if run and (chunk is None or chunk.section_path != run[-1].section_path
                            or chunk.start > run[-1].end):
                    end = max(c.end for c in run)
                    ends.update((c.id, end) for c in run)
                    run = []
                if chunk is not None:
                    run.append(chunk)
            self._ends[report_id] = ends
        return ends

    def __call__(self, chunk: Chunk) -> int | None:
        """Where the topic of `chunk` ends in its report's text (None for a passage the index does not hold)."""
        return self._report(chunk.report_id).get(chunk.id)
