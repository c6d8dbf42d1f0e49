"""Follow-up questions: "那昆明呢？", "增长了多少？", "2026年的目标呢？" reuse the previous intent.

A follow-up is recognised by its form (那…/…呢, very short, or no subject of
its own); it is rewritten into a standalone question by keeping the previous
question's slots (region, year, subject, intent) that the follow-up does not
replace. Pure string functions, no state: the history is passed in.
"""
from __future__ import annotations

import re
from typing import Sequence

from .reader.question import KNOWN_PLACES, QUESTION_WORDS, SYNONYMS, analyze
from .text import clean_question, tokenize

_FOLLOW_MARK = re.compile(r"^(那么?|那个|还有|再问|另外|以及|and\b|what about|how about)|呢[?？]?$|^(那|)(它|其)", re.I)
_YEAR = re.compile(r"20\d\d年?|今年|去年|明年|“?十[四五]五”?(?:期间|时期)?")
_INTENT = ("增长了多少", "增长多少", "增长", "增速", "目标", "完成", "产量", "面积", "占比", "比例")


def _slots(question: str) -> dict[str, list[str]]:
    info = analyze(question)
    region = [r for r in info.regions]
    years = _YEAR.findall(question)
    subject = [t for t in info.terms if not _YEAR.fullmatch(t) and t not in QUESTION_WORDS]
    return {"region": region, "year": years, "subject": subject}


def is_follow_up(question: str) -> bool:
    q = clean_question(question)
    if not q:
        return False
    if _FOLLOW_MARK.search(q):
        return True
    info = analyze(q)
    return len(q) <= 8 and len(info.terms) <= 1


def resolve(question: str, history: Sequence[str] | None) -> str:
    """A standalone question for `question` given earlier questions (oldest first)."""
    q = clean_question(question)
    if not history or not is_follow_up(q):
        return q
    prev = resolve(history[-1], history[:-1])
    new, old = _slots(q), _slots(prev)
    core = re.sub(r"^(那么?|那个|还有|另外|以及)", "", q)
    core = re.sub(r"呢[?？]?$|[?？]$", "", core).strip(" ,，的")

    result = prev.rstrip("?？")
    # region: replace the previous one (东川区 → 昆明)
    if new["region"]:
        for r in old["region"]:
            result = re.sub(re.escape(r) + r"(区|市|省|县)?", new["region"][0], result, count=1)
        if not old["region"]:
            result = new["region"][0] + result
        core = re.sub("|".join(re.escape(r) + r"(区|市|省|县)?" for r in new["region"]), "", core)
    # year / period
    if new["year"]:
        years_old = _YEAR.findall(result)
        if years_old:
            result = result.replace(years_old[0], new["year"][0], 1)
        else:
            result = new["year"][0] + result
        core = core.replace(new["year"][0], "")
    core = core.strip(" ,，的")
    # subject: a follow-up with its own subject replaces the closest previous subject term
    subject_new = [SYNONYMS.get(t, t) for t in tokenize(core) if t not in QUESTION_WORDS and not _YEAR.fullmatch(t)]
    intent_only = not subject_new or all(any(t in i for i in _INTENT) for t in subject_new)
    if core and intent_only:
        if "目标" in core and "目标" not in result:
            result = re.sub(r"(是多少|完成多少|多少)$", "目标是多少", result) if re.search(r"多少$", result) else result + "目标"
            result = result.replace("完成目标", "目标")
        if re.search(r"增长|增速", core) and not re.search(r"增长|增速", result):
            result = re.sub(r"(是多少|完成多少|多少)$", "增长了多少", result)
        for word in ("产量", "面积"):
            if word in core:
                result = re.sub(r"(面积|产量|人数|多少)", word, result, count=1) if word not in result else result
        return result + "？"
    if subject_new:
        phrase = "".join(subject_new) if len("".join(subject_new)) <= len(core) else core
        phrase = core if core else phrase
        replaced = False
        for t in sorted(old["subject"], key=len, reverse=True):
            if len(t) >= 2 and (t[-2:] == phrase[-2:] or t in phrase or phrase in t):
                result = result.replace(t, phrase, 1)
                replaced = True
                break
        if not replaced and old["subject"]:
            # swap the longest previous subject (the indicator) for the new one
            main = max(old["subject"], key=len)
            result = result.replace(main, phrase, 1)
            for extra in old["subject"]:
                if extra != main and len(extra) >= 2 and extra not in phrase and extra in result and extra not in (
                        "目标", "增长"):
                    result = result.replace(extra, "", 1)
        elif not old["subject"]:
            result = result + phrase
        if re.search(r"指什么|是什么|意思", prev) and not re.search(r"指什么|是什么|意思", result):
            result += "指什么"
    return result + "？"


__all__ = ["is_follow_up", "resolve", "KNOWN_PLACES"]
