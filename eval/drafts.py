"""👎 votes → draft QA entries (`python -m eval from-feedback`).

A rejected answer is the cheapest source of new test questions: someone asked
it for real and the system got it wrong. The drafts are in the QA format with
`"draft": true` and `answers: []`; a person fills in the gold answers and
removes the flag. Until then `load_qa` skips them, so an unconfirmed draft can
never be scored as "should abstain".
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

from assistant.feedback import FeedbackStore, Vote

from .qa import QAFormatError, load_qa

logger = logging.getLogger(__name__)

# first match wins; most specific intent first
_TYPE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("target", re.compile(r"目标|预期|力争|计划.*(多少|几)")),
    ("glossary", re.compile(r"什么意思|是指|指什么|指的是|含义|是什么(?:政策|工程|行动)?[?？]?$|什么是|何为")),
    ("list", re.compile(r"哪些|哪几|有几[个项方]面|包括什么|包括哪|分别")),
    ("name", re.compile(r"谁|叫什么|名字|姓名|哪位|哪个(?:单位|部门|企业|公司|项目)")),
    ("date", re.compile(r"什么时候|何时|哪天|哪一天|几月|日期|哪一年|哪年")),
    ("place", re.compile(r"在哪|哪里|什么地方|地点|位于")),
    ("number", re.compile(r"多少|几|百分之|比例|增长|增速|总额|规模|产值|收入")),
)
_READER_TYPES = {"number": "number", "list": "list", "glossary": "glossary", "name": "name", "date": "date",
                 "place": "place", "meeting": "date"}


def question_key(question: str, history: Iterable[str] = ()) -> str:
    """Dedupe key: NFKC, no spaces or trailing punctuation; a follow-up counts with its history."""
    def norm(s: str) -> str:
        return re.sub(r"[\s?？!！。.]+", "", unicodedata.normalize("NFKC", s)).lower()

    return " ← ".join([norm(question), *(norm(h) for h in history)])


def guess_type(question: str, history: list[str] | None = None, reader_qtype: str = "") -> str:
    """A best guess at the QA type, for the person confirming the draft to correct if needed."""
    if history:
        return "multiturn"
    letters = re.findall(r"[A-Za-z\u4e00-\u9fff]", question)
    if letters and sum(c.isascii() for c in letters) / len(letters) > 0.6:
        return "english"
    for qtype, pattern in _TYPE_RULES:
        if pattern.search(question):
            return qtype
    return _READER_TYPES.get(reader_qtype, "other")


def draft_entry(vote: Vote) -> dict[str, Any]:
    aj = vote.answer_json or {}
    first = (aj.get("citations") or [{}])[0]
    entry: dict[str, Any] = {
        "id": f"fb-{vote.id}",
        "question": vote.question,
        "answers": [],
        "report": vote.report,
        "type": guess_type(vote.question, vote.history, str(aj.get("qtype") or "")),
        "draft": True,
        "rejected_answer": vote.answer,
        "rejected_abstained": bool(aj.get("abstained", not vote.answer)),
        "rejected_citation": {k: first.get(k) for k in ("report", "section", "text") if first.get(k)},
        "comments": [vote.comment] if vote.comment else [],
        "votes": 1,
        "feedback_ids": [vote.id],
        "first_seen": vote.ts,
    }
    if vote.history:
        entry["history"] = list(vote.history)
    return entry


def drafts_from_feedback(store: FeedbackStore, known: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One draft per distinct (question, history) among the 👎 votes, skipping questions in `known` keys."""
    skip = set(known)
    by_key: dict[str, dict[str, Any]] = {}
    for vote in store.votes(vote=-1):
        key = question_key(vote.question, vote.history)
        if key in skip or not vote.question.strip():
            continue
        if key not in by_key:
            by_key[key] = draft_entry(vote)
            continue
        entry = by_key[key]  # same question again: keep one draft, remember every rejected answer
        entry["votes"] += 1
        entry["feedback_ids"].append(vote.id)
        if vote.comment and vote.comment not in entry["comments"]:
            entry["comments"].append(vote.comment)
        rejected = entry.setdefault("other_rejected_answers", [])
        if vote.answer != entry["rejected_answer"] and vote.answer not in rejected:
            rejected.append(vote.answer)
        if entry["report"] is None and vote.report:
            entry["report"] = vote.report
    return list(by_key.values())


def known_question_keys(qa_files: Iterable[Path]) -> set[str]:
    """Keys of questions already in these QA files (unreadable files are warned about and ignored)."""
    keys: set[str] = set()
    for path in qa_files:
        try:
            keys |= {question_key(i.question, i.history) for i in load_qa(path)}
        except (OSError, QAFormatError) as exc:
            logger.warning("not checking against %s: %s", path, exc)
    return keys


def write_drafts(entries: list[dict[str, Any]], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for entry in entries:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return out
