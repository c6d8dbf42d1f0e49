"""QA files: one JSON object a line.

Fields: id, question, answers (gold strings; [] = the system should abstain),
report (id of the report holding the answer, or null), type, optional history
(earlier questions of a conversation). Lines with `"draft": true` (made by
`python -m eval from-feedback`, not yet confirmed by a person) are skipped with
a warning, so a half-reviewed file never scores an unconfirmed `answers: []` as
"should abstain".

Validation stops at the first bad line and names it, because a QA file is
edited by hand and "KeyError: 'answers'" from deep inside a run helps nobody.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

KNOWN_TYPES = ("number", "list", "glossary", "name", "date", "place", "target", "paraphrase", "english",
               "multiturn", "wrong_premise", "unanswerable", "noplace", "descriptive", "entity", "other")
SPLITS = ("dev", "test")
LEVELS = ("national", "province", "city", "county", "notice")  # notice: a policy document that is no report


class QAFormatError(ValueError):
    """A malformed QA line; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: tuple[str, ...]
    report: str | None
    type: str
    history: tuple[str, ...] = field(default=())
    draft: bool = False  # proposed from feedback, not yet confirmed by a person
    split: str = ""  # "dev" (rules may be tuned on it) or "test" (reports never tuned on); "" = unsplit
    level: str = ""  # level of the report asked about: national | province | city | county

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _check(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise QAFormatError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for key in ("id", "question", "answers"):
        if key not in obj:
            raise QAFormatError(f"{where}: missing field '{key}'")
    if isinstance(obj["id"], bool) or not isinstance(obj["id"], (str, int)) or not str(obj["id"]).strip():
        raise QAFormatError(f"{where}: 'id' must be a non-empty string (got {json.dumps(obj['id'])})")
    if not isinstance(obj["question"], str) or not obj["question"].strip():
        raise QAFormatError(f"{where}: 'question' must be a non-empty string")
    answers = obj["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise QAFormatError(f"{where}: 'answers' must be a list of non-empty strings (empty list if unanswerable),"
                            f" got {json.dumps(answers, ensure_ascii=False)[:80]}")
    if obj.get("report") is not None and not isinstance(obj["report"], str):
        raise QAFormatError(f"{where}: 'report' must be a string or null")
    history = obj.get("history")
    if history is not None and (not isinstance(history, list) or not all(isinstance(h, str) for h in history)):
        raise QAFormatError(f"{where}: 'history' must be a list of strings")
    if obj.get("type") is not None and (not isinstance(obj["type"], str) or not obj["type"].strip()):
        raise QAFormatError(f"{where}: 'type' must be a non-empty string")
    if obj.get("split") not in (None, "", *SPLITS):
        raise QAFormatError(f"{where}: 'split' must be one of {', '.join(SPLITS)}")
    if obj.get("level") not in (None, "", *LEVELS):
        raise QAFormatError(f"{where}: 'level' must be one of {', '.join(LEVELS)}")
    if "draft" in obj and not isinstance(obj["draft"], bool):
        raise QAFormatError(f"{where}: 'draft' must be true or false")
    return obj


def parse_line(line: str, where: str) -> QAItem:
    """One QA line → QAItem; QAFormatError (prefixed with `where`) if it is malformed."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QAFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    obj = _check(obj, where)
    answers = obj["answers"]
    qtype = obj.get("type") or ("unanswerable" if not answers else "other")
    return QAItem(id=str(obj["id"]), question=obj["question"], answers=tuple(answers), report=obj.get("report"),
                  type=qtype, history=tuple(obj.get("history") or ()), draft=bool(obj.get("draft")),
                  split=obj.get("split") or "", level=obj.get("level") or "")


def load_qa(path: Path) -> list[QAItem]:
    """Read and validate a QA file; raises QAFormatError naming the first bad line."""
    path = Path(path)
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    drafts = 0
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {n}"
            item = parse_line(line, where)
            if item.id in seen:
                raise QAFormatError(f"{where}: duplicate id '{item.id}' (first on line {seen[item.id]})")
            seen[item.id] = n
            if item.draft:
                drafts += 1
                continue
            if item.type not in KNOWN_TYPES:
                logger.warning("%s: unknown question type %r (scored, shown as its own type)", where, item.type)
            items.append(item)
    if drafts:
        logger.warning("%s: skipped %d draft question(s) awaiting confirmation", path, drafts)
    if not items:
        raise QAFormatError(f"{path}: no questions found")
    return items
