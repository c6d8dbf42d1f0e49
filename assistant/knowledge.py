"""General knowledge of government reports, read from the data files in `assistant/data/`.

Kept out of code so a maintainer can read and extend it: official terms and their
everyday wordings (`terms.tsv`), English words and their Chinese report wording
(`english.tsv`), the function words of questions (`question_words.txt`). Nothing
in these files is about one particular report; what is particular to a report
(its region, years, quoted terms) is derived from the corpus at index time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Lexicon:
    """Wordings → official terms, English → Chinese, and question function words."""

    variants: tuple[tuple[str, str], ...]  # (wording, official term), longest wording first
    english: tuple[tuple[str, str], ...]  # (english phrase, space-separated Chinese terms), longest first
    question_words: frozenset[str]

    def official(self, word: str) -> str | None:
        """The official term a wording stands for (None when it is not a known wording)."""
        return _variant_map(self).get(word)

    def short_forms(self, official: str) -> tuple[str, ...]:
        """Wordings of an official term that contract or expand it ("研发投入强度" of "研发经费投入强度").

        Reports write these forms too, so a passage that uses one matches the term in full.
        """
        return _short_forms(self).get(official, ())

    @property
    def domain_words(self) -> tuple[str, ...]:
        """Multi-character Chinese terms the tokenizer should keep whole."""
        # official terms only: an everyday wording kept whole would hide the official words inside it
        wordings = {w for w, _ in self.variants}  # ("粮食总产量" is a wording of 粮食产量 before it is an official)
        words = {o for _, o in self.variants if len(o) >= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", o)
                 and o not in wordings}
        for _, zh in self.english:
            words.update(w for w in zh.split() if len(w) >= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", w))
        return tuple(sorted(words))


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append([part.strip() for part in line.split("\t")])
    return rows


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon of the data files (read once)."""
    variants: list[tuple[str, str]] = []
    for row in _rows("terms.tsv"):
        if len(row) < 2:
            continue
        official = row[0]
        for wording in row[1].split("|"):
            wording = wording.strip()
            if wording and wording != official:
                variants.append((wording.lower(), official))
    english = [(row[0].lower(), row[1]) for row in _rows("english.tsv") if len(row) >= 2]
    words = frozenset(w for row in _rows_plain("question_words.txt") for w in row.split())
    return Lexicon(variants=tuple(sorted(variants, key=lambda p: -len(p[0]))),
                   english=tuple(sorted(english, key=lambda p: -len(p[0]))),
                   question_words=words)


@lru_cache(maxsize=1)
def counterparts() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Groups of counterparts (城镇/农村, 存款/贷款, 进口/出口: data/counterparts.txt), each counterpart as
    its wordings (城镇|城市|城区).

    A follow-up naming one asks the same of it; a figure whose own clause names another answers nothing
    about it."""
    return tuple(tuple(tuple(item.split("|")) for item in row.split()) for row in _rows_plain("counterparts.txt"))


@lru_cache(maxsize=4096)
def named_counterparts(text: str) -> dict[int, frozenset[int]]:
    """The counterparts `text` names, by group (group index → indices of its counterparts named), a longer
    word hiding the shorter words inside it ("进出口" is no "出口"). Cached (the reader asks it of every
    figure's clause): callers must not change the dict."""
    out: dict[int, frozenset[int]] = {}
    for g, group in enumerate(counterparts()):
        words = sorted(((w, i) for i, item in enumerate(group) for w in item), key=lambda wi: -len(wi[0]))
        masked, found = text, set()
        for word, i in words:
            if word in masked:
                found.add(i)
                masked = masked.replace(word, "\0" * len(word))
        if found:
            out[g] = frozenset(found)
    return out


def _rows_plain(name: str) -> list[str]:
    return [ln for ln in (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


@lru_cache(maxsize=4)
def _variant_map(lex: Lexicon) -> dict[str, str]:
    """wording → official term (the first listed wins), built once per lexicon."""
    m: dict[str, str] = {}
    for wording, official in lex.variants:
        m.setdefault(wording, official)
    return m


def _is_contraction(short: str, full: str) -> bool:
    """One keeps the other's characters in order and most of its length: "规上工业增加值" of
    "规模以上工业增加值", and the other way round "粮食总产量" of "粮食产量" (reports write both)."""
    if len(short) > len(full):
        short, full = full, short
    if len(short) < 4 or len(short) == len(full) or not re.fullmatch(r"[\u4e00-\u9fff]+", short + full):
        return False
    chars = iter(full)
    return all(c in chars for c in short) and len(short) >= len(full) // 2


@lru_cache(maxsize=4)
def _short_forms(lex: Lexicon) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for wording, official in lex.variants:
        if _is_contraction(wording, official):
            out.setdefault(official, []).append(wording)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def indicator_classes() -> tuple[tuple[str, str], ...]:
    """(indicator, unit class) from indicators.tsv, longest indicator first."""
    pairs = [(row[0], row[1]) for row in _rows("indicators.tsv") if len(row) >= 2]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def expected_unit_class(text: str) -> str:
    """The unit class of the first-named indicator in `text` ("粮食产量…" → "weight"), or ""."""
    best: tuple[int, str] | None = None
    for name, cls in indicator_classes():
        pos = text.find(name)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, cls)
    return best[1] if best else ""


def translate_english(text: str, lex: Lexicon | None = None) -> list[str]:
    """Chinese report terms for the English words and phrases in `text` (longest phrases first)."""
    return list(dict.fromkeys(t for group in english_groups(text, lex) for t in group))


def english_groups(text: str, lex: Lexicon | None = None) -> list[tuple[str, ...]]:
    """The Chinese terms of each English word or phrase in `text`, one group per phrase (longest first):
    a group's terms are alternatives ("create" → 新增 or 创造), never all required."""
    lex = lex or lexicon()
    lowered = " " + re.sub(r"[^a-z0-9.&+\-' ]+", " ", text.lower()) + " "
    out: list[tuple[str, ...]] = []
    for phrase, pattern, zh in _english_patterns(lex):
        if phrase in lowered and pattern.search(lowered):  # the substring test first: hundreds of phrases
            out.append(tuple(zh.split()))
            lowered = pattern.sub(" ", lowered)
    return out


@lru_cache(maxsize=4)
def _english_patterns(lex: Lexicon) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Each English phrase of the lexicon, compiled once as a whole word (plural too), with its Chinese terms."""
    return tuple((_stem(phrase), re.compile(r"(?<![a-z0-9])" + re.escape(_stem(phrase)) + r"(?:s|es)?(?![a-z0-9])"), zh)
                 for phrase, zh in lex.english)


# plurals whose singular means something else ("goods" is no "good", "times" no "time")
_PLURAL_ONLY = ("goods", "times", "minors", "customs", "arrears", "grassroots", "sessions", "overseas", "sports")


def _stem(phrase: str) -> str:
    """A phrase written in the plural matches the singular too ("special treasury bonds" → "…bond")."""
    if len(phrase) >= 5 and phrase.endswith("s") and not phrase.endswith(("ss", "us", "is", "ics", "ness", "'s")) \
            and not phrase.endswith(_PLURAL_ONLY):
        return phrase[:-1]
    return phrase


__all__ = ["DATA_DIR", "Lexicon", "expected_unit_class", "indicator_classes", "english_groups", "lexicon", "translate_english"]
