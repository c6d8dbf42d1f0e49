"""Names an English question writes in pinyin ("Xi Jinping", "Zhongguancun", "Quyang"), read as the
corpus's own words.

No word list can hold every person, park or project a report names, and an English question that
names one would otherwise have nothing to search for. The corpus's vocabulary, read in pinyin once
(lazily, on the first English question that needs it), says which Chinese word a capitalised name
spells: the commonest word of that spelling wins.
"""
from __future__ import annotations

import re
import threading
from typing import Callable, Iterable, Sequence

_CJK = re.compile(r"[\u4e00-\u9fff]{2,6}")
_CAPITALISED = re.compile(r"[A-Z][a-z]+(?:(?:[ \-][A-Z]|['’])[a-z]+)*")  # "Xi Jinping", "Xi'an"


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class PinyinWords:
    """Corpus words by their toneless pinyin spelling ("xijinping" → 习近平).

    The vocabulary is grouped by first character once; a name is then spelt out only against
    the words whose first character can begin it, so a lookup costs the same on an archive.
    """

    def __init__(self, words: Callable[[], Iterable[str]], df: Callable[[str], int],
                 min_letters: int = 5) -> None:
        self._words = words
        self._df = df
        self.min_letters = min_letters  # shorter spellings ("Li", "Xian") are too ambiguous to read
        self._by_first: dict[str, list[str]] | None = None
        self._readings: dict[str, tuple[str, ...]] = {}
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()

    def _groups(self) -> dict[str, list[str]]:
        if self._by_first is None:
            groups: dict[str, list[str]] = {}
            for word in self._words():
                if _CJK.fullmatch(word):
                    groups.setdefault(word[0], []).append(word)
            self._by_first = groups
        return self._by_first

    def _reading(self, ch: str) -> tuple[str, ...]:
        r = self._readings.get(ch)
        if r is None:
            from pypinyin import Style, pinyin

            r = self._readings[ch] = tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))[:3]
        return r

    def _spells(self, word: str, key: str) -> bool:
        """Whether some reading of `word` is exactly `key`."""
        prefixes = {""}
        for ch in word:
            prefixes = {p + r for p in prefixes for r in self._reading(ch) if key.startswith(p + r)}
            if not prefixes:
                return False
        return key in prefixes

    def word(self, name: str) -> str:
        """The corpus word a pinyin name spells ("" when none does)."""
        key = _key(name)
        if len(key) < self.min_letters:
            return ""
        with self._lock:
            if key not in self._found:
                if len(self._found) > 10_000:
                    self._found.clear()
                words = [w for ch, group in self._groups().items()
                         if any(key.startswith(r) for r in self._reading(ch))
                         for w in group if self._spells(w, key)]
                self._found[key] = max(words, key=lambda w: (self._df(w), len(w))) if words else ""
            return self._found[key]

    def find(self, question: str, taken: Sequence[tuple[int, int]] = ()) -> list[str]:
        """Corpus words for the capitalised names of an English question, outside the `taken` spans
        (places already read). A run of names is read whole first ("Xi Jinping"), then its parts."""
        out: list[str] = []
        for m in _CAPITALISED.finditer(question):
            parts = [(p.start() + m.start(), p.end() + m.start()) for p in re.finditer(r"[A-Za-z]+", m.group(0))]
            i = 0
            while i < len(parts):
                for j in range(len(parts), i, -1):
                    s, e = parts[i][0], parts[j - 1][1]
                    if any(a < e and s < b for a, b in taken):
                        continue
                    if i == 0 and j == 1 and m.start() == 0:
                        continue  # a question's first word is an English word ("Which", "Where")
                    found = self.word(question[s:e])
                    if found:
                        out.append(found)
                        i = j
                        break
                else:
                    i += 1
        return list(dict.fromkeys(out))


__all__ = ["PinyinWords"]
