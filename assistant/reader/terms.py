"""Corpus statistics of question terms: document frequency, idf, and compound-term refinement.

A question's words are weighed by how rare they are among the indexed passages, so
"地区生产总值" counts for more than "发展". Terms are matched as substrings of the
normalized passage (with its section path), which is how the reader matches them too.
"""
from __future__ import annotations

import dataclasses
import math
import re
import threading
from typing import Sequence

import numpy as np

from ..knowledge import counterparts
from ..text import ascii_lower, normalize
from ..types import Chunk
from .pairs import PairPostings
from .question import QuestionInfo


class TermStats:
    """Document frequencies over the indexed chunks ("a|b": either, "a&b": both), cached.

    On an archive (from `postings_from` passages on) a count tests only the passages that hold
    every character pair of the term (`PairPostings`), and above `checked` such passages an evenly
    spread sample of them, scaled: exact for every term that can tell passages apart (and for
    terms no passage holds), within a few percent for the commonest, whose weight is low anyway.
    """

    split_known = 6  # an indicator this long that some passage holds whole may be matched by its head alone

    def __init__(self, chunks: Sequence[Chunk], postings_from: int = 20_000, checked: int = 1_000) -> None:
        self._texts = [ascii_lower(normalize(" ".join(c.section_path) + " " + c.text)) for c in chunks]
        self._cache: dict[str, int] = {}
        self._lock = threading.Lock()
        self.checked = checked
        self._pairs = PairPostings.build(self._texts) if len(self._texts) >= postings_from else None

    @property
    def size(self) -> int:
        return len(self._texts)

    def df(self, term: str) -> int:
        """In how many chunks a term occurs."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        count = self._count_from_pairs(term) if self._pairs is not None else None
        if count is None:
            alternatives = [a.split("&") for a in term.split("|")]
            count = sum(1 for t in self._texts if any(all(p in t for p in parts) for parts in alternatives))
        with self._lock:
            if len(self._cache) > 50000:
                self._cache.clear()
            self._cache[term] = count
        return count

    def _count_from_pairs(self, term: str) -> int | None:
        """The count from the pair postings; None when a piece is too short for them (one character)."""
        assert self._pairs is not None
        alternatives = [a.split("&") for a in term.split("|")]
        found: np.ndarray | None = None
        for parts in alternatives:
            rows: np.ndarray | None = None
            for part in sorted(parts, key=len, reverse=True):  # the longest piece first: the fewest rows
                candidates = self._pairs.candidates(part)
                if candidates is None:
                    return None
                rows = candidates if rows is None else np.intersect1d(rows, candidates, assume_unique=True)
            assert rows is not None
            found = rows if found is None else np.union1d(found, rows)
        if found is None or not len(found):
            return 0
        if all(PairPostings.exact(p) for parts in alternatives for p in parts):
            return len(found)  # two-character pieces are their own pairs: nothing to test
        texts = self._texts

        def holds(row: int) -> bool:
            return any(all(p in texts[row] for p in parts) for parts in alternatives)

        if len(found) <= self.checked:
            return sum(1 for r in found.tolist() if holds(r))
        sample = found[np.linspace(0, len(found) - 1, self.checked).astype(np.int64)]
        return round(sum(1 for r in sample.tolist() if holds(r)) * len(found) / len(sample))

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over chunks."""
        df = self.df(term)
        value = math.log(1 + (self.size + 1) / (df + 0.5))
        if df == 0:  # a term the corpus lacks, but its pieces may exist
            value *= 0.5
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

    def _head(self, term: str) -> str:
        """The longest tail of a long term that the passages use and that leaves off a qualifier, not a
        counterpart ("空气质量优良天数" → "优良天数"; "农村居民人均可支配收入" keeps its 农村居民), "" if none."""
        import jieba

        if not re.fullmatch(r"[\u4e00-\u9fff]+", term):
            return ""
        sides = [w for group in counterparts() for item in group for w in item]
        starts = sorted({term.find(p) for p in jieba.cut_for_search(term) if 2 <= term.find(p) <= len(term) - 4})
        for cut in starts:  # word starts only: "质量优良天数", not "量优良天数"
            qualifier = term[:cut]
            if any(w in qualifier or qualifier in w for w in sides):
                return ""
            if self.df(term[cut:]) > self.df(term):  # written without the qualifier somewhere
                return term[cut:]
        return ""

    def refine(self, info: QuestionInfo) -> QuestionInfo:
        """Split compound terms absent from the corpus ("粮食产量") into sub-words it has ("粮食&产量")."""
        import jieba

        terms: list[str] = []
        for term in self._phrases(info):
            if "|" in term and self.df(term) == 0:
                term = term.split("|")[0]  # no form occurs: refine the first (the official term)
            if info.qtype == "number" and "|" not in term and "&" not in term and len(term) >= self.split_known \
                    and self.df(term) > 0:  # (an indicator's name; a topic's words would drift: "医疗服务水平")
                head = self._head(term)
                # a long name some report uses whole another may write by its head alone ("空气质量优良天数" as
                # "全年优良天数达到240天"): the whole, or the head
                terms.append(f"{term}|{head}" if head else term)
                continue
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
        context = ascii_lower(context)  # question terms are lower-cased
        out = []
        for t, w in weights.items():
            if not total or w / total < share or len(t) < 2 or "&" in t:
                continue
            forms = t.split("|")
            if (in_context_only or self.df(t) == 0) and not any(f[i:i + 2] in context for f in forms for i in range(len(f) - 1)):
                out.append(forms[0])
        return out


__all__ = ["TermStats"]
