"""Scores for one evaluated item and summaries over many.

Answer metrics follow the CMRC 2018 official evaluation script
(`cmrc2018_evaluate.py`), because that is the metric Chinese extractive QA
results are usually quoted in:

* text is lower-cased and split by `mixed_segmentation`: every CJK character is
  one token, runs of other characters are word-tokenized (there with
  `nltk.word_tokenize`; here with a small regex that gives the same tokens for
  numbers, percentages and English words, so we need no NLTK);
* the CMRC punctuation list is dropped before scoring;
* F1 is computed from the longest common *contiguous* token sequence (their
  `find_lcs`), best over the gold answers; EM compares the strings with the
  punctuation removed.

Unlike the official script we apply NFKC first (the corpus mixes full- and
half-width forms), so the ASCII images of the full-width punctuation CMRC
removes are removed too. "." and "%" are *not* punctuation here, as in CMRC:
"4.4%" and "44%" are different answers.

Retrieval metrics (Hit@k, MRR) take the 1-based rank of the first retrieved
chunk containing a gold answer, or None when none of the top k does.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Callable, Iterable, Mapping, Sequence

# The CMRC 2018 list (their "……" can never match a single character; "…" is what they meant) …
_CMRC_PUNCT = set("-:_*^/\\~`+=，。：？！“”；’《》…·、「」（）－～『』")
# … plus what NFKC turns their full-width marks into, and the quotes/brackets they forgot.
PUNCT = frozenset(_CMRC_PUNCT | set(",?!;()‘\"'【】〈〉<>[]{}|") | {"\u3000"})
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# nltk.word_tokenize-like: numbers like 135.53 / 1,000 and words like 5G stay whole; "%" etc. split off
_WORD = re.compile(r"[^\W_]+(?:[.,'’\-][^\W_]+)*|[^\w\s]|_")

HIT_KS: tuple[int, ...] = (1, 3, 5, 10)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def segment(text: str) -> list[str]:
    """CMRC `mixed_segmentation(text, rm_punc=True)`: CJK characters singly, other runs as words."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.extend(_WORD.findall("".join(run)))
            run.clear()

    for ch in nfkc(text).lower().strip():
        if ch in PUNCT:
            continue
        if _CJK.match(ch):
            flush()
            out.append(ch)
        else:
            run.append(ch)
    flush()
    return out


def strip_punct(text: str) -> str:
    """CMRC `remove_punctuation` (plus NFKC and whitespace removal): the form EM compares."""
    return "".join(ch for ch in nfkc(text).lower().strip() if ch not in PUNCT and not ch.isspace())


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common contiguous subsequence (CMRC's `find_lcs`)."""
    if not a or not b:
        return 0
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def _best_f(answer: str, golds: Sequence[str], units: Callable[[str], Sequence[str]],
            overlap: Callable[[Sequence[str], Sequence[str]], int], beta: float = 1.0) -> float:
    """F_β of the overlap of an answer's and a gold's units, best over the golds; with no golds, 1.0 for
    an empty answer (a correct abstention)."""
    if not golds:
        return float(not answer.strip())
    pred = units(answer)
    best = 0.0
    for gold in golds:
        ref = units(gold)
        common = overlap(pred, ref)
        if common:
            p, r = common / len(pred), common / len(ref)
            best = max(best, (1 + beta ** 2) * p * r / (r + beta ** 2 * p))
    return best


def char_f1(answer: str, golds: Sequence[str]) -> float:
    """CMRC 2018 F1 (longest common contiguous token run), best over golds."""
    return _best_f(answer, golds, segment, longest_common_run)


def exact_match(answer: str, golds: Sequence[str]) -> float:
    """CMRC 2018 EM: equal after punctuation removal, any gold; with no golds, EM of an empty answer."""
    if not golds:
        return float(not answer.strip())
    a = strip_punct(answer)
    return float(any(a == strip_punct(g) for g in golds))


#: A descriptive answer (a whole clause or list) is correct when its ROUGE-L (β = 1.2) against a gold reaches this.
DESCRIPTIVE_MIN_ROUGE = 0.5


def _rouge_chars(text: str) -> str:
    """The characters ROUGE-L compares: NFKC, lower-case, punctuation and white space removed."""
    return strip_punct(text)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common (not necessarily contiguous) subsequence of two strings."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(answer: str, golds: Sequence[str], beta: float = 1.0) -> float:
    """Character ROUGE-L F-measure (LCS over characters, punctuation and spaces removed), best over golds.

    F = (1 + β²)·P·R / (R + β²·P); β > 1 weighs recall (the whole clause) above precision. With no
    golds, 1.0 for an empty answer (a correct abstention); an empty answer to a question with golds is 0.
    """
    return _best_f(answer, golds, _rouge_chars, lcs_length, beta)


def is_correct(answer: str, golds: Sequence[str], qtype: str = "") -> bool:
    """A gold inside an answer of at most max(40, 3×len(gold)) characters (NFKC).

    The length cap stops a whole paragraph from counting as a correct answer. A descriptive
    answer (`qtype` "descriptive": how, which measures, what policy) is a whole clause or list
    whose exact bounds matter less than its extent: it is correct at ROUGE-L ≥ DESCRIPTIVE_MIN_ROUGE.
    """
    if qtype == "descriptive":
        return bool(golds) and bool(answer.strip()) and rouge_l(answer, golds, 1.2) >= DESCRIPTIVE_MIN_ROUGE
    a = nfkc(answer).strip()
    for gold in golds:
        g = nfkc(gold).strip()
        if g and g in a and len(a) <= max(40, 3 * len(g)):
            return True
    return False


def contains_gold(text: str, golds: Sequence[str], qtype: str = "") -> bool:
    """Whether a passage contains a gold answer verbatim (after NFKC on both sides).

    A descriptive gold (a clause or list of up to a few hundred characters) may run over two
    passages: a passage holding most of it (LCS ≥ half the gold's characters, in order) counts.
    """
    t = nfkc(text)
    if any(nfkc(g) and nfkc(g) in t for g in golds):
        return True
    if qtype == "descriptive":
        chars = _rouge_chars(text)
        return any(lcs_length(chars, _rouge_chars(g)) >= 0.5 * len(_rouge_chars(g)) > 0 for g in golds)
    return False


def first_hit_rank(texts: Sequence[str], golds: Sequence[str], qtype: str = "") -> int | None:
    """1-based rank of the first passage containing a gold answer, None if none does."""
    for rank, text in enumerate(texts, start=1):
        if contains_gold(text, golds, qtype):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first gold-containing passage is within the top k (None: no questions)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank, 0 for a question whose gold is not retrieved at all."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r) / len(ranks)


def prf(tp: int, predicted: int, actual: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall, F1; None where the denominator is zero (nothing to measure)."""
    p = tp / predicted if predicted else None
    r = tp / actual if actual else None
    if p is None or r is None:
        return p, r, None
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    vals = sorted(values)
    if not vals:
        return None
    k = (len(vals) - 1) * q
    lo, hi = int(math.floor(k)), min(int(math.floor(k)) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def item_correct(row: Mapping) -> bool:
    """Per-item correctness: a right answer to an answerable question, or an abstention on an unanswerable one."""
    if row["answers"]:
        return not row["abstained"] and is_correct(row["answer"], row["answers"], row.get("type", ""))
    return bool(row["abstained"])


#: confidence above which a wrong answer counts as overconfident (shown as sure, and wrong)
SURE = 0.9


def _confidence(row: Mapping) -> float:
    return float(row.get("confidence") or 0.0)


def _answer_right(row: Mapping) -> bool:
    """An answer is right when it is correct for an answerable question; any answer to one without is wrong."""
    return bool(row["answers"]) and is_correct(row["answer"], row["answers"], row.get("type", ""))


def reliability(rows: Sequence[Mapping], bins: int = 10) -> tuple[float | None, list[dict]]:
    """Expected calibration error and its table over the answers given (abstentions are no claim).

    Bins of equal width over the confidence (the last one holds 1.0); ECE is the answers-weighted
    mean of |share right − mean confidence| over the bins.
    """
    answered = [r for r in rows if not r["abstained"] and not r.get("error")]
    if not answered:
        return None, []
    by_bin: dict[int, list[Mapping]] = {}
    for r in answered:
        by_bin.setdefault(min(int(_confidence(r) * bins), bins - 1), []).append(r)
    table: list[dict] = []
    ece = 0.0
    for b, inside in sorted(by_bin.items()):
        conf = sum(_confidence(r) for r in inside) / len(inside)
        acc = sum(1 for r in inside if _answer_right(r)) / len(inside)
        ece += len(inside) / len(answered) * abs(acc - conf)
        table.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "answers": len(inside), "mean_confidence": conf,
                      "share_right": acc})
    return ece, table


def summarize(rows: Sequence[Mapping]) -> dict:
    """Metrics over prediction rows joined with gold.

    Each row needs: answers (gold list, [] = should abstain), answer, abstained,
    citations (list of {text, ...}), latency_ms; optionally hit_rank (retrieval,
    answerable questions only). Ratios with nothing to measure are None.
    """
    answerable = [r for r in rows if r["answers"]]
    unanswerable = [r for r in rows if not r["answers"]]
    answered_ok = [r for r in answerable if not r["abstained"]]
    correct = [r for r in answered_ok if is_correct(r["answer"], r["answers"], r.get("type", ""))]
    cited = [r for r in answered_ok
             if r["citations"] and contains_gold(r["citations"][0]["text"], r["answers"], r.get("type", ""))]
    abst_tp = sum(1 for r in unanswerable if r["abstained"])
    abst_pred = sum(1 for r in rows if r["abstained"])
    a_p, a_r, a_f = prf(abst_tp, abst_pred, len(unanswerable))
    ranks = [r.get("hit_rank") for r in answerable if "hit_rank" in r]
    lat = [float(r["latency_ms"]) for r in rows if not r.get("error")]
    out: dict = {
        "n": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "correct": len(correct),
        "accuracy": len(correct) / len(answerable) if answerable else None,
        "exact_match": _mean([exact_match(r["answer"] if not r["abstained"] else "", r["answers"])
                              for r in answerable]),
        "f1": _mean([char_f1(r["answer"] if not r["abstained"] else "", r["answers"]) for r in answerable]),
        "item_accuracy": _mean([float(item_correct(r)) for r in rows]),
        "citation_precision": len(cited) / len(answered_ok) if answered_ok else None,
        "abstained": abst_pred,
        "abstained_unanswerable": abst_tp,
        "wrongly_abstained": sum(1 for r in answerable if r["abstained"]),
        "answered_unanswerable": sum(1 for r in unanswerable if not r["abstained"]),
        "abstention_precision": a_p,
        "abstention_recall": a_r,
        "abstention_f1": a_f,
        "errors": sum(1 for r in rows if r.get("error")),
        "ece": reliability(rows)[0],
        "wrong_above_0.9": sum(1 for r in rows if not r["abstained"] and _confidence(r) > SURE and not _answer_right(r)),
        "latency_ms_p50": percentile(lat, 0.5),
        "latency_ms_p95": percentile(lat, 0.95),
        "latency_ms_mean": _mean(lat),
    }
    descriptive = [r for r in answerable if r.get("type") == "descriptive"]
    if descriptive:  # whole-clause answers: character ROUGE-L (an abstention scores 0)
        for beta, key in ((1.0, "rouge_l"), (1.2, "rouge_l_b1.2")):
            out[key] = _mean([rouge_l(r["answer"] if not r["abstained"] else "", r["answers"], beta)
                              for r in descriptive])
    if ranks:
        for k in HIT_KS:
            out[f"hit@{k}"] = hit_at(ranks, k)
        out["mrr"] = mrr(ranks)
    else:
        out.update({f"hit@{k}": None for k in HIT_KS})
        out["mrr"] = None
    return out


def summarize_by_type(rows: Sequence[Mapping]) -> dict[str, dict]:
    """`summarize` per question type (sorted by type name)."""
    return summarize_by(rows, "type")


def summarize_by(rows: Sequence[Mapping], key: str) -> dict[str, dict]:
    """`summarize` per value of a row field ("type", "split", "level"); rows without it are left out."""
    values = sorted({r.get(key) for r in rows if r.get(key)})
    return {v: summarize([r for r in rows if r.get(key) == v]) for v in values}


def hit_curve(rows: Sequence[Mapping], max_k: int = 10) -> list[float]:
    """Hit@1..max_k over the answerable rows that have a retrieval rank (for the Hit@k plot)."""
    ranks = [r.get("hit_rank") for r in rows if r["answers"] and "hit_rank" in r]
    return [hit_at(ranks, k) or 0.0 for k in range(1, max_k + 1)] if ranks else []
