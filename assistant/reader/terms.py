"""Corpus statistics of question terms: document frequency, idf, and compound-term refinement.

A question's words are weighed by how rare they are among the indexed passages, so
"地区生产总值" counts for more than "发展". Terms are matched as substrings of the
normalized passage (with its section path), which is how the reader matches them too.
"""
from __future__ import annotations

import dataclasses
import math
import threading
from bisect import bisect_right
from typing import Sequence

from ..text import ASCII_LOWER, normalize
from ..types import Chunk
from .question import QuestionInfo


class TermStats:
    """Document frequencies over the indexed chunks ("a|b": either, "a&b": both), cached."""

    def __init__(self, chunks: Sequence[Chunk], joined_from: int = 20_000) -> None:
        self._texts = [normalize(" ".join(c.section_path) + " " + c.text).translate(ASCII_LOWER) for c in chunks]
        self._cache: dict[str, int] = {}
        self._lock = threading.Lock()
        # From this many passages on (an archive), a count searches all passages joined in one string
        # (str.find runs in C and jumps to the next passage after a hit) instead of testing each passage
        # in a Python loop: ~100 ms for a new term at 180,000 passages becomes ~10 ms for a rare one.
        self._joined: str | None = None
        self._starts: list[int] = []
        if len(self._texts) >= joined_from:
            self._joined = "\x00".join(self._texts)  # no term holds NUL: a hit never spans two passages
            pos = 0
            for t in self._texts:
                self._starts.append(pos)
                pos += len(t) + 1

    @property
    def size(self) -> int:
        return len(self._texts)

    def df(self, term: str) -> int:
        """In how many chunks a term occurs."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        if self._joined is not None and "" not in term.split("&") and "" not in term.split("|"):
            if "&" in term:  # the passages holding the longest part (likely the rarest), then the others
                parts = sorted(term.split("&"), key=len, reverse=True)
                count = sum(1 for r in self._rows_with(parts[0]) if all(p in self._texts[r] for p in parts[1:]))
            else:
                count = len(set.union(*(self._rows_with(a) for a in term.split("|"))))
        elif "&" in term:
            parts = term.split("&")
            count = sum(1 for t in self._texts if all(p in t for p in parts))
        else:
            alternatives = term.split("|")
            count = sum(1 for t in self._texts if any(a in t for a in alternatives))
        with self._lock:
            if len(self._cache) > 50000:
                self._cache.clear()
            self._cache[term] = count
        return count

    def _rows_with(self, needle: str) -> set[int]:
        """Rows of the passages holding `needle`, from the joined text: one C search per passage found."""
        joined, starts = self._joined, self._starts
        assert joined is not None
        rows: set[int] = set()
        pos = joined.find(needle)
        while pos >= 0:
            row = bisect_right(starts, pos) - 1
            rows.add(row)
            if row + 1 >= len(starts):
                break
            pos = joined.find(needle, starts[row + 1])
        return rows

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over chunks."""
        df = self.df(term)
        value = math.log(1 + (self.size + 1) / (df + 0.5))
        if df == 0 and len(term) >= 3:  # a term the corpus lacks, but its pieces may exist
            value *= 0.8
        return value

    def _phrases(self, info: QuestionInfo) -> list[str]:
        """The question's terms with neighbours the reports write as one name joined ("东方|航天|港" →
        "东方航天港"): the name is far rarer, so far more telling, than its pieces."""
        terms = list(info.terms)
        out: list[str] = []
        i = 0
        while i < len(terms):
            for size in (3, 2):
                run = terms[i:i + size]
                if len(run) < size or any("|" in t or "&" in t for t in run):
                    continue
                phrase = "".join(run)
                if len(phrase) >= 4 and phrase in info.text and 0 < self.df(phrase) < min(self.df(t) for t in run):
                    out.append(phrase)
                    i += size
                    break
            else:
                out.append(terms[i])
                i += 1
        return out

    def refine(self, info: QuestionInfo) -> QuestionInfo:
        """Split compound terms absent from the corpus ("粮食产量") into sub-words it has ("粮食&产量")."""
        import jieba

        terms: list[str] = []
        for term in self._phrases(info):
            if "|" in term and self.df(term) == 0:
                term = term.split("|")[0]  # no form occurs: refine the first (the official term)
            if "|" in term or len(term) < 3 or self.df(term) > 0 or not any("\u4e00" <= c <= "\u9fff" for c in term):
                terms.append(term)
                continue
            parts = [p for p in jieba.cut_for_search(term) if p != term and len(p) >= 2 and self.df(p) > 0]
            chosen: list[str] = []  # the longest non-overlapping pieces
            for p in sorted(parts, key=len, reverse=True):
                if not any(p in c for c in chosen):
                    chosen.append(p)
            covered = sum(len(c) for c in chosen)
            if chosen and covered >= 0.75 * len(term):
                terms.append("&".join(sorted(chosen, key=term.find)))  # found close together
            else:
                terms.append(term)
        return dataclasses.replace(info, terms=tuple(dict.fromkeys(terms)))

    def missing(self, info: QuestionInfo, context: str, share: float, in_context_only: bool = False) -> list[str]:
        """Heavy question terms found in no passage, nor any two characters of them in `context`.

        "财政赤字", "出口额" name things the reports never mention: answering them with some
        other number would be wrong. With `in_context_only`, a term counts as missing when
        `context` lacks it, whatever other passages say.
        """
        weights = {t: self.idf(t) for t in info.terms}
        total = sum(weights.values())
        context = context.translate(ASCII_LOWER)  # question terms are lower-cased
        out = []
        for t, w in weights.items():
            if not total or w / total < share or len(t) < 2 or "&" in t:
                continue
            forms = t.split("|")
            if (in_context_only or self.df(t) == 0) and not any(f[i:i + 2] in context for f in forms for i in range(len(f) - 1)):
                out.append(forms[0])
        return out


__all__ = ["TermStats"]
