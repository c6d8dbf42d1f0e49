"""When to answer and how sure to be: every abstention rule and the confidence, in one place.

The reader proposes its best span; the policy decides whether the reports really
say it. Its thresholds live in `Settings`; the confidence is a logistic function of
the reader's named features whose weights are read from `assistant/data/calibration.json`
(fit on a QA set over many reports with `python -m eval calibrate`).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from .config import Settings
from .knowledge import DATA_DIR
from .reader.extractor import Candidate, context_years
from .reader.question import QuestionInfo
from .reader.terms import TermStats
from .scope import Scope, asked_years
from .text import ascii_lower, normalize
from .types import Report

NOT_FOUND = "报告中未找到相关答案"

#: answer kinds whose confidence is fit apart from the short answers (judged by ROUGE-L, not by a contained gold)
SEPARATE_KINDS = ("descriptive",)

# answer kinds about the report itself (speaker, date, meeting): key-term rules do not apply
_FRAME_KINDS = ("definition", "name", "title", "media", "reporter", "date", "meeting", "place")


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on the reader's best candidate."""

    answer: bool
    confidence: float
    reason: str = ""


@lru_cache(maxsize=4)
def load_calibration(path: str, kind: str = "") -> tuple[dict[str, float], float]:
    """(weights, threshold) of a calibration file, for one answer kind fit apart (e.g. "descriptive") or
    for the short-answer kinds ("", and any kind the file has no fit of); ({}, 0.0) when there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        data = data.get("kinds", {}).get(kind, data) if kind else data
        return ({str(k): float(v) for k, v in data.get("weights", {}).items()},
                float(data.get("min_confidence", 0.0)))
    except (OSError, ValueError, AttributeError, TypeError):
        return {}, 0.0


DEFAULT_WEIGHTS = {"bias": -2.0, "coverage": 3.0, "score": 1.5, "attached": 0.5, "semantic": 1.0}


def confidence(features: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """Logistic confidence from named features (missing features count 0)."""
    w = dict(weights or DEFAULT_WEIGHTS)
    z = w.get("bias", 0.0) + sum(v * features.get(k, 0.0) for k, v in w.items() if k != "bias")
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _absent_code(info: QuestionInfo, context: str) -> str:
    """A code the question names ("PM10", "5G", "C919") that `context` (the answer's passage) does not contain.

    Codes are exact names: "PM2.5" is no answer about "PM10", and no paraphrase stands for one.
    """
    context = ascii_lower(context)
    for term in info.terms:
        if "|" in term or "&" in term or not re.fullmatch(r"[a-z0-9.+\-]*[a-z][a-z0-9.+\-]*\d[a-z0-9.+\-]*|"
                                                         r"[a-z0-9.+\-]*\d[a-z0-9.+\-]*[a-z][a-z0-9.+\-]*", term):
            continue
        if term not in context:
            return term.upper()
    return ""


class AnswerPolicy:
    """Owns the abstention rules; pure given the reports, the term statistics and the settings."""

    def __init__(self, settings: Settings, reports: Mapping[str, Report], stats: TermStats) -> None:
        self.settings = settings
        self.reports = reports
        self.stats = stats
        weights, threshold = load_calibration(str(DATA_DIR / "calibration.json"))
        self.weights = weights or DEFAULT_WEIGHTS
        self.min_confidence = settings.min_confidence if settings.min_confidence is not None else threshold
        # answer kinds fit apart: {kind: (weights, threshold)}
        self.kinds = {kind: load_calibration(str(DATA_DIR / "calibration.json"), kind) for kind in SEPARATE_KINDS}

    def _calibration(self, kind: str) -> tuple[Mapping[str, float], float]:
        weights, threshold = self.kinds.get(kind, ({}, 0.0))
        if not weights:
            return self.weights, self.min_confidence
        return weights, self.settings.min_confidence if self.settings.min_confidence is not None else threshold

    def before_reading(self, info: QuestionInfo, scope: Scope) -> str:
        """A reason to abstain before reading anything ("" when there is none)."""
        if scope.fixed:
            return ""
        if scope.missing and not scope.reports:
            return f"目前没有收录{'、'.join(scope.missing)}的报告"
        if scope.year_mismatch and scope.reports:
            asked = "、".join(f"{y}年" for y in scope.year_mismatch)
            return f"{NOT_FOUND}（所问地区的报告中没有{asked}的相关内容）"
        return ""

    def features(self, best: Candidate) -> dict[str, float]:
        return {"coverage": best.coverage, "score": best.score, **dict(best.features)}

    def decide(self, info: QuestionInfo, scope: Scope, best: Candidate | None, reason: str = "") -> Decision:
        if best is None:
            return Decision(False, 0.0, reason or NOT_FOUND)
        weights, min_confidence = self._calibration(best.kind)
        conf = confidence(self.features(best), weights)
        report = self.reports[best.chunk.report_id]
        # a heavy question word no report uses: the reports do not speak of it, unless the sentence
        # says the same in other words (its embedding is close: "发大水" for a flood)
        feats = dict(best.features)
        paraphrase = feats.get("semantic", 0.0) >= self.settings.paraphrase_semantic and \
            feats.get("sentence_coverage", 0.0) > 0  # …and shares some of the question's words
        context = normalize(report.meta.title + " " + best.chunk.section + " " + best.chunk.text)
        if best.kind not in _FRAME_KINDS or best.chunk.kind == "front":
            # the opening lines answer who/when/where of the report, never of a thing the reports do not name
            front = best.chunk.kind == "front" and not info.english  # (translated words are guesses)
            share = self.settings.missing_term_share / 2 if front else self.settings.missing_term_share
            missing = self.stats.missing(info, context, share, in_context_only=front)
            if paraphrase:  # other words may say the same; a code ("PM10", "C929") has no paraphrase
                missing = [t for t in missing if re.search(r"[A-Za-z0-9]", t)]
            if missing:
                return Decision(False, conf, f"{NOT_FOUND}（报告中没有提到“{missing[0]}”）")
        code = _absent_code(info, context)
        if code:
            return Decision(False, conf, f"{NOT_FOUND}（报告中没有提到“{code}”）")
        if best.coverage < self.settings.abstain_threshold and not (best.kind == "descriptive" and paraphrase):
            # (a how-question in everyday words is answered by a passage that says it in the report's words)
            return Decision(False, conf, f"{NOT_FOUND}（问题的关键词在报告中匹配不足）")
        years = asked_years(info, report.meta)
        if years and not info.five_year:
            found = context_years(best.chunk, report, best.sent_start)
            if found and not found & years:
                asked = "、".join(f"{y}年" for y in sorted(years))
                return Decision(False, conf, f"{NOT_FOUND}（报告中没有{asked}的相关内容）")
        if scope.reports and not scope.fixed and best.chunk.report_id not in scope.reports:
            return Decision(False, conf, f"{NOT_FOUND}（所问地区的报告中没有相关内容）")
        if conf < min_confidence:
            return Decision(False, conf, f"{NOT_FOUND}（报告中没有足够明确的相关表述）")
        return Decision(True, conf)


__all__ = ["AnswerPolicy", "Decision", "NOT_FOUND", "SEPARATE_KINDS", "confidence"]
