"""Chunkers: report → passages that keep their report, section path and offsets.

`section_chunks` follows the outline (one paragraph a chunk; long paragraphs
split at sentence boundaries, preferring the short topic sentences inside a
paragraph such as "经济保持稳中有进。", with one sentence of overlap).
`fixed_chunks` is the plain 500-character baseline kept for comparison.
"""
from __future__ import annotations

import re

from .sections import Block, parse_outline
from .text import normalize, sentence_spans
from .types import Chunk, Report

# v4: a fragment ("02-22", "|", "（") joins its neighbour, never a passage alone; a repeated passage is left out
# v5: a numbered line ending in ";" or "," is an item of a list, not a section heading
CHUNKER_VERSION = "section-v5"
MAX_WHOLE = 4  # a glossary entry or the opening lines stay one passage up to this many times max_chars
_SUBLEAD_MAX = 12
_MIN_GROUP = 60
_DIGIT = re.compile(r"\d")
MIN_WORD_CHARS = 6  # a piece with fewer letters, digits and characters is a fragment of a copy, not a passage


def _is_sublead(sentence: str) -> bool:
    """A short topic sentence inside a paragraph ("工业转型聚势突破。")."""
    s = normalize(sentence)
    return s.endswith("。") and 4 <= len(s) - 1 <= _SUBLEAD_MAX and not _DIGIT.search(s) and "," not in s


def _segments(text: str, block: Block) -> list[tuple[list[tuple[int, int]], str | None]]:
    """Sentences of a block grouped by inner topic sentences: [(sentences, topic or None)]."""
    sents = sentence_spans(text, block.start, block.end)
    groups: list[tuple[list[tuple[int, int]], str | None]] = [([], None)]
    for i, (s, e) in enumerate(sents):
        sentence = text[s:e]
        if i > 0 and s >= block.lead_end and _is_sublead(sentence) and i + 1 < len(sents):
            groups.append(([], normalize(sentence).rstrip("。")))
        groups[-1][0].append((s, e))
    groups = [g for g in groups if g[0]]
    # a lone lead sentence (or a tiny group) joins the group after it
    merged: list[tuple[list[tuple[int, int]], str | None]] = []
    carry: list[tuple[int, int]] = []
    for i, (sents_, topic) in enumerate(groups):
        sents_ = carry + sents_
        carry = []
        if i + 1 < len(groups) and sents_[-1][1] - sents_[0][0] < _MIN_GROUP:
            carry = sents_
            continue
        merged.append((sents_, topic))
    return merged


_CLAUSE_END = re.compile(r"[,，、:：]")


def _bounded(text: str, sents: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """The sentences with any longer than max_chars cut into pieces at clause marks (or, failing those, at
    max_chars): a text without sentence ends (a scrape, a table dump) still makes passages of bounded size."""
    out: list[tuple[int, int]] = []
    for s, e in sents:
        while e - s > max_chars:
            cut = s + max_chars
            marks = [m.end() for m in _CLAUSE_END.finditer(text, s + max_chars // 2, s + max_chars)]
            if marks:
                cut = marks[-1]
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out


def _windows(sents: list[tuple[int, int]], max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Pack consecutive sentences into windows of at most max_chars (a longer sentence stands alone)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(sents):
        j = i
        while j + 1 < len(sents) and sents[j + 1][1] - sents[i][0] <= max_chars:
            j += 1
        out.append((sents[i][0], sents[j][1]))
        if j + 1 >= len(sents):
            break
        i = max(j + 1 - overlap, i + 1)
    return out


def section_chunks(report: Report, max_chars: int = 320, overlap: int = 1) -> list[Chunk]:
    text = report.text
    spans: list[tuple[int, int, tuple[str, ...], str]] = []
    for block in parse_outline(text).blocks:
        size = block.end - block.start
        if size <= max_chars or block.kind in ("glossary", "front") and size <= MAX_WHOLE * max_chars:
            pieces = [(block.start, block.end, block.path)]
        else:
            pieces = []
            for sents, topic in _segments(text, block):
                path = block.path + ((topic,) if topic else ())
                for s, e in _windows(_bounded(text, sents, 2 * max_chars), max_chars, overlap):
                    pieces.append((s, e, path))
        spans.extend((s, e, path, block.kind) for s, e, path in pieces)
    return [Chunk(id=f"{report.meta.id}#{i}", report_id=report.meta.id, section_path=path, text=text[s:e],
                  start=s, end=e, kind=kind)
            for i, (s, e, path, kind) in enumerate(_drop_repeats(text, _absorb_fragments(text, spans)))]


def _drop_repeats(text: str, spans: list[tuple[int, int, tuple[str, ...], str]]
                  ) -> list[tuple[int, int, tuple[str, ...], str]]:
    """A passage that says again, word for word, what an earlier passage of its report said (a page footer
    scraped once per page, a copy pasted twice) is left out: the first one is found, a second only
    takes a place among the results that another passage would have."""
    seen: set[str] = set()
    out = []
    for span in spans:
        key = "".join(normalize(text[span[0]:span[1]]).split())
        if key in seen:
            continue
        seen.add(key)
        out.append(span)
    return out


def _word_chars(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _absorb_fragments(text: str, spans: list[tuple[int, int, tuple[str, ...], str]]
                      ) -> list[tuple[int, int, tuple[str, ...], str]]:
    """Pieces too small to be about anything ("02-22" under each link of a scraped page, a lone "|" of a
    table, a stray "（") join the passage before them, or after them, of the same section and kind.

    Alone they are passages whose vectors sit near every question (a heading and nothing else): they
    crowd real passages out of dense results and make hubs that graph search misses. One that has no
    such neighbour holds nothing to search and is left out of the passages (it stays in the report).
    """
    out: list[tuple[int, int, tuple[str, ...], str]] = []
    pending: tuple[int, int, tuple[str, ...], str] | None = None  # a fragment waiting for the next piece
    for s, e, path, kind in spans:
        if _word_chars(text[s:e]) >= MIN_WORD_CHARS:
            if pending is not None and pending[2:] == (path, kind):
                s = min(s, pending[0])
            pending = None
            out.append((s, e, path, kind))
        elif out and out[-1][2:] == (path, kind) and pending is None:
            ps, pe, _, _ = out[-1]
            out[-1] = (ps, max(pe, e), path, kind)
        elif pending is not None and pending[2:] == (path, kind):
            pending = (pending[0], e, path, kind)
        else:
            pending = (s, e, path, kind)
    return out


def fixed_chunks(report: Report, size: int = 500, overlap: int = 50) -> list[Chunk]:
    """Baseline: fixed windows of `size` characters, no section structure."""
    text = report.text
    chunks: list[Chunk] = []
    step = max(1, size - overlap)
    for s in range(0, max(1, len(text)), step):
        e = min(len(text), s + size)
        if text[s:e].strip():
            chunks.append(
                Chunk(
                    id=f"{report.meta.id}#f{len(chunks)}",
                    report_id=report.meta.id,
                    section_path=(report.meta.title,),
                    text=text[s:e],
                    start=s,
                    end=e,
                    kind="fixed",
                )
            )
        if e >= len(text):
            break
    return chunks


def chunk_report(report: Report, strategy: str = "section", max_chars: int = 320, overlap: int = 1,
                 fixed_size: int = 500) -> list[Chunk]:
    if strategy == "fixed":
        return fixed_chunks(report, fixed_size)
    if strategy != "section":
        raise ValueError(f"unknown chunking strategy {strategy!r} (expected 'section' or 'fixed')")
    return section_chunks(report, max_chars, overlap)
