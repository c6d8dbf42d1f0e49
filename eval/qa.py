"""QA files: one JSON object a line (id, question, answers, report, type, optional history)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


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

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def parse_line(line: str, where: str) -> QAItem:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QAFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise QAFormatError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for key in ("id", "question", "answers"):
        if key not in obj:
            raise QAFormatError(f"{where}: missing field '{key}'")
    if not isinstance(obj["id"], (str, int)) or str(obj["id"]).strip() == "":
        raise QAFormatError(f"{where}: 'id' must be a non-empty string")
    if not isinstance(obj["question"], str) or not obj["question"].strip():
        raise QAFormatError(f"{where}: 'question' must be a non-empty string")
    answers = obj["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
        raise QAFormatError(f"{where}: 'answers' must be a list of non-empty strings (empty list if unanswerable)")
    report = obj.get("report")
    if report is not None and not isinstance(report, str):
        raise QAFormatError(f"{where}: 'report' must be a string or null")
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise QAFormatError(f"{where}: 'history' must be a list of strings")
    qtype = obj.get("type") or ("unanswerable" if not answers else "other")
    if not isinstance(qtype, str):
        raise QAFormatError(f"{where}: 'type' must be a string")
    return QAItem(id=str(obj["id"]), question=obj["question"], answers=tuple(answers), report=report,
                  type=qtype, history=tuple(history))


def load_qa(path: Path) -> list[QAItem]:
    """Read and validate a QA file; raises QAFormatError naming the first bad line."""
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            item = parse_line(line, f"{path.name}, line {n}")
            if item.id in seen:
                raise QAFormatError(f"{path.name}, line {n}: duplicate id '{item.id}' (first on line {seen[item.id]})")
            seen[item.id] = n
            items.append(item)
    if not items:
        raise QAFormatError(f"{path.name}: no questions found")
    return items
