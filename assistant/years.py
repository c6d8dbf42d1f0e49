"""The years of a report (reviewed, target) and the years a question asks about, per report.

A report delivered in year Y reviews Y−1 (完成/实现) and sets targets for Y (预期目标);
"今年/去年/明年" in a question count from the report asked about. Identity fields
read at index time (`reviewed_year`, `target_year`, `level`) are used when present.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Iterable

from .types import ReportMeta

if TYPE_CHECKING:  # pragma: no cover
    from .reader.question import QuestionInfo


def is_document(meta: ReportMeta) -> bool:
    """A policy document that is no work report: it has no reviewed year and no target year."""
    return getattr(meta, "kind", "report") == "document"


def reviewed_year(meta: ReportMeta) -> int | None:
    """The year a report looks back on (a report delivered in Y reviews Y−1)."""
    if is_document(meta):
        return None
    value = getattr(meta, "reviewed_year", None)
    if value:
        return int(value)
    return meta.year - 1 if meta.year else None


def target_year(meta: ReportMeta) -> int | None:
    """The year a report sets its targets for (the year it is delivered in)."""
    if is_document(meta):
        return None
    value = getattr(meta, "target_year", None)
    if value:
        return int(value)
    return meta.year


def level_of(meta: ReportMeta) -> str:
    """national | province | city | county ("" when unknown)."""
    return str(getattr(meta, "level", "") or "")


def asked_years(info: "QuestionInfo", meta: ReportMeta) -> set[int]:
    """The years a question asks about, for one report: named years, or 今年/去年/明年 relative to it."""
    if info.years:
        return set(info.years)
    if info.relative_year == "this":
        y = target_year(meta)
    elif info.relative_year == "last":
        y = reviewed_year(meta)
    elif info.relative_year == "next":
        t = target_year(meta)
        y = t + 1 if t else None
    else:
        y = None
    return {y} if y else set()


def read_short_years(info: "QuestionInfo", metas: Iterable[ReportMeta]) -> "QuestionInfo":
    """The question with its two-digit years ("24年…打算发多少") read as years where some report reviews or
    targets that year; elsewhere "15年" is more likely a count of years than 2015, and is left alone."""
    if info.years or not info.short_years:
        return info
    have = {y for meta in metas for y in (reviewed_year(meta), target_year(meta)) if y}
    found = tuple(y for y in info.short_years if y in have)
    return dataclasses.replace(info, years=found) if found else info


def covered_years(meta: ReportMeta) -> set[int]:
    """Years a report speaks about with figures: the year reviewed, the target year, and its five-year span."""
    out: set[int] = set()
    if is_document(meta):  # a notice speaks of the year it is issued in and the next (holidays, new rates)
        return {meta.year, meta.year + 1} if meta.year else out
    r, t = reviewed_year(meta), target_year(meta)
    if r:
        out.update(range(r - 4, r + 1))
    if t:
        out.update(range(t, t + 5))  # targets, and the new five-year plan's horizon
    return out



__all__ = ["asked_years", "covered_years", "level_of", "read_short_years", "reviewed_year", "target_year"]
