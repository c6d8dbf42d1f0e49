"""Example questions the page offers: written from the indexed reports, and shown only when they work.

Candidates come from templates in `assistant/data/examples.json`, filled in with each
report's region and years; every candidate is then asked for real against the index
(answers are deterministic, so an example that answers now answers when clicked) and kept
only when it is answered with confidence from its own region's report — or, for
comparisons, when at least two reports answer. Nothing here names a particular report.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from assistant.config import PROJECT_ROOT

logger = logging.getLogger(__name__)

DATA = PROJECT_ROOT / "assistant" / "data" / "examples.json"
MIN_CONFIDENCE = 0.6  # an example shown must answer clearly, not just clear the abstention threshold
MAX_REGIONS = 6  # the newest regions tried: enough variety, bounded work on a large archive


@dataclass(frozen=True)
class Examples:
    """What the page shows: chat examples and comparison examples, each checked against `index`."""

    index: str | None
    chat: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def newest_by_region(reports: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One work report per region (its newest), regions with the newest reports first."""
    best: dict[str, dict[str, Any]] = {}
    for meta in reports:
        region = meta.get("region") or ""
        if meta.get("kind", "report") != "report" or not region or not meta.get("year"):
            continue
        if region not in best or meta["year"] > best[region]["year"]:
            best[region] = meta
    return sorted(best.values(), key=lambda m: (-int(m["year"]), m["region"]))


def _fill(template: str, meta: dict[str, Any]) -> str:
    year = int(meta["year"])
    return template.format(region=meta["region"], reviewed=meta.get("reviewed_year") or year - 1,
                           target=meta.get("target_year") or year)


def chat_candidates(reports: Iterable[dict[str, Any]]) -> list[list[tuple[str, dict[str, Any]]]]:
    """Rounds of (question, report meta): one template per round, kinds alternating, every region in each."""
    metas = newest_by_region(reports)[:MAX_REGIONS]
    by_kind: dict[str, list[str]] = {}
    for entry in templates()["chat"]:
        by_kind.setdefault(entry["kind"], []).append(entry["template"])
    rounds: list[list[tuple[str, dict[str, Any]]]] = []
    depth = max((len(v) for v in by_kind.values()), default=0)
    for i in range(depth):
        for items in by_kind.values():
            if i < len(items):
                rounds.append([(_fill(items[i], m), m) for m in metas])
    return rounds


def _answers_well(answer: Any, meta: dict[str, Any]) -> bool:
    if answer.abstained or not answer.citations or answer.confidence < MIN_CONFIDENCE:
        return False
    return answer.citations[0].report == meta["id"]


def chat_examples(assistant: Any, limit: int = 4) -> tuple[str, ...]:
    """Up to `limit` questions the assistant answers with confidence: one per round, regions taking turns."""
    chosen: list[str] = []
    turn = 0
    for candidates in chat_candidates(assistant.report_list()):
        if len(chosen) >= limit:
            break
        # the region whose turn it is first, so that the examples name several regions
        ordered = candidates[turn % len(candidates):] + candidates[:turn % len(candidates)] if candidates else []
        for question, meta in ordered:
            try:
                answer = assistant.ask(question)
            except Exception:  # an example is never worth a failure
                logger.warning("example question failed: %s", question, exc_info=True)
                continue
            if _answers_well(answer, meta):
                chosen.append(question)
                turn += 1
                break
    return tuple(chosen)


def compare_candidates(reports: Iterable[dict[str, Any]]) -> list[str]:
    """Comparison questions over the levels that have several reports of one year, then over two regions."""
    data = templates()
    metas = newest_by_region(reports)
    out: list[str] = []
    groups: dict[tuple[str, int], int] = {}
    for m in metas:
        if m.get("level") in data["level_words"]:
            key = (m["level"], int(m["year"]))
            groups[key] = groups.get(key, 0) + 1
    for (level, year), n in sorted(groups.items(), key=lambda kv: -kv[1]):
        if n >= 3:
            out.extend(e["template"].format(level=data["level_words"][level], year=year)
                       for e in data["compare"] if e["kind"] == "level")
    if len(metas) >= 2:
        a, b = metas[0]["region"], metas[1]["region"]
        out.extend(e["template"].format(a=a, b=b) for e in data["compare"] if e["kind"] == "pair")
    return out


def compare_examples(assistant: Any, limit: int = 3) -> tuple[str, ...]:
    """Comparison questions for which at least two reports give an answer (three for a whole level)."""
    from assistant.compare import compare

    chosen: list[str] = []
    for question in compare_candidates(assistant.report_list()):
        if len(chosen) >= limit:
            break
        try:
            comparison = compare(assistant, question, force=False)
        except Exception:
            logger.warning("comparison example failed: %s", question, exc_info=True)
            continue
        answered = [r for r in comparison.rows if not r.abstained]
        if len(answered) >= (3 if len(comparison.rows) > 2 else 2):
            chosen.append(question)
    return tuple(chosen)


def index_name(assistant: Any | None) -> str | None:
    """The build the assistant serves (what a set of examples was checked against)."""
    path = getattr(getattr(assistant, "index", None), "path", None)
    return path.name if path is not None else None


def find_examples(assistant: Any | None) -> Examples:
    """The examples for the index the assistant serves (none without an index)."""
    if assistant is None:
        return Examples(index=None)
    return Examples(index=index_name(assistant), chat=chat_examples(assistant), compare=compare_examples(assistant))
