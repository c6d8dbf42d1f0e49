"""Which passages hold a pair of characters: postings that keep term counts cheap on an archive.

The reader weighs a question's terms by how many passages hold them as substrings. Counting a
new term by searching every passage costs a scan of the whole corpus (30-60 ms at 1,500
reports, once per new term of every question). Every passage holding "地区生产总值" holds each
of its character pairs (地区, 区生, 生产, 产总, 总值), so the passages on the shortest of those
pairs' lists, kept when they are on the others too, are the only ones that can hold it: a few
array lookups, then a substring test of those passages alone.

Built once per index from the passages' normalized texts (vectorized: a few seconds for
180,000 passages); rows of one pair are sorted and unique. Each passage ends in NUL (which no
term holds), so every character of it starts a pair, and one character is found as the pairs it
starts.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

_WIDE = 0xFFFF  # characters beyond the first plane share one code: their pairs over-match, never miss


class PairPostings:
    """character pair -> sorted rows of the passages holding it."""

    def __init__(self, keys: np.ndarray, starts: np.ndarray, rows: np.ndarray, size: int) -> None:
        self.keys = keys  # sorted distinct pair codes (uint32: first character << 16 | second)
        self.starts = starts  # rows[starts[i]:starts[i + 1]] hold pair keys[i]
        self.rows = rows
        self.size = size  # passages

    @classmethod
    def build(cls, texts: Sequence[str], block: int = 20_000) -> "PairPostings":
        """Postings of the texts (row = position in `texts`), made `block` passages at a time so that
        the memory it takes stays near that of the result (~4 bytes per character)."""
        parts = [_pairs_of(texts[i:i + block], i) for i in range(0, len(texts), block)]
        pairs = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        del parts
        pairs.sort()  # by pair, then row: each pair's rows in passage order
        keys = (pairs >> np.uint64(32)).astype(np.uint32)
        rows = (pairs & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        del pairs
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
        return cls(keys[first], np.append(first, len(keys)).astype(np.int64), rows, len(texts))

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.starts.nbytes + self.rows.nbytes)

    def _postings(self, a: str, b: str) -> np.ndarray:
        key = (min(ord(a), _WIDE) << 16) | min(ord(b), _WIDE)
        i = int(np.searchsorted(self.keys, key))
        if i >= len(self.keys) or int(self.keys[i]) != key:
            return self.rows[:0]
        return self.rows[self.starts[i]:self.starts[i + 1]]

    @staticmethod
    def exact(needle: str) -> bool:
        """Whether `candidates(needle)` are exactly the passages holding it (one or two characters
        of the first plane: the needle is its own pair)."""
        return 1 <= len(needle) <= 2 and all(ord(c) < _WIDE for c in needle)

    def candidates(self, needle: str) -> np.ndarray | None:
        """Sorted rows of the passages holding every character pair of `needle`: all the passages
        that hold `needle`, and maybe a few more. None for an empty needle."""
        if not needle:
            return None
        if len(needle) == 1:  # the passages where it starts a pair
            first = min(ord(needle), _WIDE) << 16
            lo, hi = np.searchsorted(self.keys, [first, first + 0x10000])
            seen = np.zeros(self.size, dtype=bool)
            seen[self.rows[self.starts[lo]:self.starts[hi]]] = True
            return np.flatnonzero(seen).astype(np.uint32)
        lists = sorted((self._postings(needle[i], needle[i + 1]) for i in range(len(needle) - 1)), key=len)
        found = lists[0]
        for other in lists[1:]:
            if not len(found):
                break
            pos = np.minimum(np.searchsorted(other, found), len(other) - 1)
            found = found[other[pos] == found] if len(other) else found[:0]
        return found


def _pairs_of(texts: Sequence[str], first_row: int) -> np.ndarray:
    """(pair << 32 | row) of every distinct character pair of each text, NUL after each text included."""
    joined = "\x00".join(texts) + "\x00"  # no term holds NUL: a pair never spans two passages
    codes = np.minimum(np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), _WIDE)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    keys = ((codes[:-1] << 16) | codes[1:]).astype(np.uint64)
    rows = np.repeat(np.arange(first_row, first_row + len(texts), dtype=np.uint64), lengths + 1)[:len(keys)]
    pairs = (keys << np.uint64(32)) | rows
    pairs = pairs[codes[:-1] != 0]  # (last character, NUL) stays: every character starts a pair
    pairs.sort()
    return pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # a pair twice in one passage: once


__all__ = ["PairPostings"]
