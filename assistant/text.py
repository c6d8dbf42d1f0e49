"""Text utilities shared by indexing, retrieval and extraction.

The central rule: report texts are never rewritten. Matching happens on a
*length-preserving* normalized copy (NFKC per character where that keeps one
character, traditional → simplified Chinese), so every offset found in the
normalized copy is also an offset into the original text.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any, Iterable

logger = logging.getLogger(__name__)

# controls, zero-width marks, and lone surrogates (a JSON client can send "\ud800"; UTF-8 encoding then fails)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]")


@lru_cache(maxsize=4096)
def _norm_char(ch: str) -> str:
    n = unicodedata.normalize("NFKC", ch)
    return n if len(n) == 1 else ch


# lower-cases ASCII letters only: the length (and so every offset) stays the same
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = re.compile("[A-Z]")


_ASCII_UPPER_RUN = re.compile("[A-Z]+")


def _lower_run(m: re.Match[str]) -> str:
    return m.group().lower()


def ascii_lower(text: str) -> str:
    """`text` with ASCII letters lower-cased (same length); most report text has none, and is returned as it is.

    Runs of capitals are replaced, not every character looked up: a report of 30,000 characters
    is lowered in 0.3 ms instead of 2 (a comparison lowers hundreds of them).
    """
    if not _ASCII_UPPER.search(text):
        return text
    return text.translate(ASCII_LOWER) if text.isascii() else _ASCII_UPPER_RUN.sub(_lower_run, text)


class _NormTable(dict):
    """code point → its normalized character, filled as characters are first seen (for str.translate)."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _norm_char(chr(code))
        return out


_NORM_TABLE = _NormTable()


@lru_cache(maxsize=1)
def _changing() -> re.Pattern[str]:
    """A character `normalize` changes: those of the Basic Multilingual Plane whose form it changes
    (some 1,800, found once, ~30 ms) and every character beyond it (looked up as met)."""
    bmp = "".join(re.escape(chr(c)) for c in range(0x80, 0x10000)
                  if not 0xD800 <= c <= 0xDFFF and _NORM_TABLE[c] != chr(c))
    return re.compile(f"[{bmp}\\U00010000-\\U0010FFFF]")


def normalize(text: str) -> str:
    """Length-preserving normalization: full-width → half-width, compatibility forms folded.

    Keeps len(normalize(t)) == len(t) so offsets stay valid. Each distinct character that changes
    is replaced throughout (a report holds a dozen or two: "，", "：", "（"…), 4× faster than looking
    every character up; a normalized character never changes again (NFKC is idempotent).
    """
    if text.isascii():
        return text
    for ch in set(_changing().findall(text)):
        text = text.replace(ch, _NORM_TABLE[ord(ch)])
    return text


_T2S = None


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (phrase-aware, via OpenCC), for questions only."""
    global _T2S
    if _T2S is None:
        try:
            from opencc import OpenCC  # opencc-python-reimplemented

            _T2S = OpenCC("t2s")
        except Exception:  # pragma: no cover - optional dependency missing
            logger.warning("opencc is not installed: traditional Chinese questions are matched as typed")
            _T2S = False
    if not _T2S:
        return text
    return _T2S.convert(text)


def clean_question(text: str) -> str:
    """Normalize a user question: NFKC (full NFKC is fine here), simplified, no control characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = to_simplified(text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- sentences

# a run of spaces between two words is a line break that a copy flattened (a page's paragraphs in one table cell)
FLAT_BREAK = re.compile(r"[ \t\u3000]{2,}")
_SENT_END = re.compile(rf"[。!?;！？；]+[”’\"')）]*|\n+|(?<=\S){FLAT_BREAK.pattern}(?=\S)")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentences; returns (start, end) offsets into `text`.

    Sentences end at 。!?; (any width) plus closing quotes, or at line breaks (a run of two or more
    spaces between words counts as one).
    Leading/trailing whitespace is excluded from each span.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        s, e = pos, m.end()
        if text[m.start()].isspace():
            e = m.start()
        spans.append((s, e))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return strip_spans(text, spans)


def strip_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with surrounding whitespace excluded; spans that hold only whitespace are dropped."""
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


# ---------------------------------------------------------------- tokens

_JIEBA_READY = False
_STOPWORDS = frozenset(
    """的 了 和 与 及 是 在 为 对 把 被 将 等 也 都 而 或 并 其 之 以 于 中 上 下 个 这 那 有 就 我 我们 你 他 她 它 啊 吗 呢 吧
    什么 多少 哪些 哪个 哪 几 怎么 怎样 如何 是否 是不是 有没有 请问 请 告诉 一下 一共 总共 具体 主要 情况 方面 问题
    报告 政府 工作 工作报告 政府工作报告 提到 提出 说 讲 指出 里 中 有关 关于 相关
    the a an of in on at to for by with and or is are was were be been what which who when where how much many
    does do did that this these those it its as from about tell me please""".split()
)


def _ensure_jieba() -> None:
    global _JIEBA_READY
    if _JIEBA_READY:
        return
    import jieba

    jieba.setLogLevel(logging.WARNING)
    from .knowledge import lexicon

    for word in lexicon().domain_words + _FIXED_WORDS:
        jieba.add_word(word, freq=200000)
    for word in _EXTRA_WORDS:
        jieba.add_word(word, freq=100000)
    _JIEBA_READY = True


_EXTRA_WORDS: set[str] = set()
_FIXED_WORDS = ("十四五", "十五五", "名词解释")


def tokenizer_signature() -> str:
    """What the passages' tokens depend on besides their text: jieba and the words added to it from
    the data files. An index tokenized with another dictionary matches questions badly ("城镇新增就业"
    one word in the question, three in the passage), so a change here makes the index stale."""
    import hashlib

    import jieba

    from .knowledge import lexicon

    words = "\n".join(sorted(lexicon().domain_words + _FIXED_WORDS))
    return hashlib.sha1(f"{getattr(jieba, '__version__', '')}\n{words}".encode("utf-8")).hexdigest()[:16]


def add_words(words: Iterable[str]) -> None:
    """Words of the indexed corpus (quoted terms, glossary entries) that jieba must keep whole.

    Called with what is derived from the corpus at index time, so a report's own terms
    tokenize as one word without anyone writing them into code.
    """
    # a bare number ("2115", "18") is no term: as a word it would split other numbers ("2021" → "20" "21")
    new = {w for w in words if 2 <= len(w) <= 12 and w not in _EXTRA_WORDS and not w.isdigit()}
    if not new:
        return
    _EXTRA_WORDS.update(new)
    if _JIEBA_READY:
        import jieba

        for word in new:
            jieba.add_word(word, freq=100000)


@lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's word -> part-of-speech table, loaded once: `jieba.posseg.initialize()` re-reads the whole
    dictionary file on every call (0.3 s), which made loading an archive's index cost minutes."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.posseg.initialize()
    return jieba.posseg.dt.word_tag_tab


def is_word(text: str) -> bool:
    """Whether the tokenizer's dictionary holds `text` as a word (not one its HMM made up, like "额是")."""
    _ensure_jieba()
    import jieba

    return bool(jieba.dt.FREQ.get(text))


def word_cuts(text: str) -> list[str]:
    """Every jieba word of `text` in order, stopwords and punctuation too (normalized, lower-cased):
    where words begin and end, for telling a whole word from part of one."""
    _ensure_jieba()
    import jieba

    return jieba.lcut(normalize(text).lower(), HMM=True)


def tokenize(text: str) -> list[str]:
    """jieba tokens for lexical matching: normalized, lower-cased, stopwords and punctuation dropped.

    Numbers are kept whole; single CJK characters are kept (they matter in short Chinese
    questions) but single punctuation marks are not. Questions are cut with the corpus's own
    terms too (`add_words`); passages with `tokenize_passage`.
    """
    _ensure_jieba()
    import jieba

    return _keep(word_cuts(text))


_PASSAGE_JIEBA = None
_PASSAGE_LOCK = threading.Lock()


def tokenize_passage(text: str) -> list[str]:
    """`tokenize` for a passage at index time: with the data files' words only, never with words some
    index loaded earlier in this process added (`add_words`), so a build's tokens depend on its text
    and `tokenizer_signature()` alone — the same in a fresh process, in a server rebuilding while it
    serves, and on any machine."""
    return _keep(passage_tokenizer().lcut(normalize(text).lower(), HMM=True))


def passage_tokenizer() -> Any:
    """The jieba tokenizer of `tokenize_passage`, loaded once (half a second: a build loads it on another
    thread while it verifies the previous build's files)."""
    global _PASSAGE_JIEBA
    with _PASSAGE_LOCK:
        if _PASSAGE_JIEBA is None:
            import jieba

            from .knowledge import lexicon

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for word in lexicon().domain_words + _FIXED_WORDS:
                tokenizer.add_word(word, freq=200000)
            _PASSAGE_JIEBA = tokenizer
        return _PASSAGE_JIEBA


def _keep(tokens: Iterable[str]) -> list[str]:
    """The tokens worth matching: stripped, no stopwords, no punctuation-only tokens."""
    out = []
    for tok in tokens:
        tok = tok.strip()
        if not tok or tok in _STOPWORDS:
            continue
        if all(not (c.isalnum()) for c in tok):
            continue
        out.append(tok)
    return out


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)
