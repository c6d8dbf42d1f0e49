"""Which reports a question is about: the places, the national scope, and the years it names.

Everything here is derived from the reports' identity (region, aliases, level, the
year each report reviews and the year it sets targets for), which ingestion reads
from each report at index time; nothing about particular reports is written here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from .reader.question import QuestionInfo
from .types import Report
from .years import asked_years, covered_years, is_document, level_of, reviewed_year, target_year



_QUOTED = re.compile(r"[“\"「『《][^”\"」』》]{1,30}[”\"」』》]")


@dataclass(frozen=True)
class Scope:
    """The reports a question is about."""

    reports: tuple[str, ...] = ()  # preferred reports, best first; () = every report
    places: tuple[str, ...] = ()  # place names found in the question (as written)
    missing: tuple[str, ...] = ()  # named places (or 全国) no report covers
    within: tuple[str, ...] = ()  # named places without a report of their own, read in a report of the region around them
    national: bool = False  # the question is about the whole country
    fixed: bool = False  # the caller chose the report
    year_mismatch: tuple[int, ...] = ()  # named years none of the scoped reports covers


class ScopeResolver:
    """Maps the places and years of a question to the indexed reports (places: `assistant.places`)."""

    def __init__(self, reports: Mapping[str, Report]) -> None:
        from . import places

        self.reports = dict(reports)
        self._metas = tuple(r.meta for r in self.reports.values())
        self._places = places
        self._cache: dict[str, tuple] = {}
        places.warm_up(self._metas)

    def places(self, question: str) -> tuple:
        """The `places.Place`s of a question, with the corpus's reports of each (cached)."""
        found = self._cache.get(question)
        if found is None:
            found = self._places.find_places(question, self._metas)
            if len(self._cache) > 2048:
                self._cache.clear()
            self._cache[question] = found
        return found

    def _unquoted(self, question: str) -> list:
        """The question's places, less those inside quotes: a quoted name names a thing ("“中国药谷”")."""
        quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(question)]
        return [p for p in self.places(question) if not any(a <= p.start and p.end <= b for a, b in quoted)]

    def find_places(self, question: str) -> list[str]:
        """Place names (as written) the question mentions as whole names: regions, not 全国 or 各省."""
        return [p.name for p in self._unquoted(question) if p.kind == "region"]

    def years_of(self, place: str, targets: bool = False) -> set[int]:
        """The years the reports of a place (as written in a question) review, or set targets for."""
        years: set[int] = set()
        for p in self.places(place):
            for rid in getattr(p, "report_ids", ()) or ():
                meta = self.reports[rid].meta
                year = target_year(meta) if targets else reviewed_year(meta)
                if year:
                    years.add(year)
        return years

    def national_reports(self) -> list[str]:
        return [rid for rid, r in self.reports.items() if level_of(r.meta) == "national" or r.meta.region == "全国"]

    def resolve(self, info: QuestionInfo, report: str | None = None) -> Scope:
        if report:
            return Scope(reports=(report,), fixed=True)
        found = self._unquoted(info.text)
        regions = [p for p in found if p.kind == "region"]
        national = any(p.kind == "national" for p in found) and not regions
        matched: list[str] = []
        missing: list[str] = []
        within: list[str] = []
        for place in regions:
            # the region's own reports only: a province's figure is not in its cities' reports
            own = self._places.reports_for(place, self._metas, include_within=False)
            around = () if own else self._around(place)
            if own or around:
                matched.extend(r for r in own or around if r not in matched)
                if around:
                    within.append(place.name)
            else:
                missing.append(place.name)
        if national:
            rids = self.national_reports()
            if rids:
                matched = rids
            else:
                missing.append("全国")
        elif not regions and info.report_years:
            # "2020年政府工作报告提出…" names no place but the report's year: the reports of that session
            matched = [rid for rid, r in self.reports.items()
                       if r.meta.year in info.report_years or target_year(r.meta) in info.report_years]
        ordered, mismatch = self._by_year(info, matched)
        return Scope(reports=tuple(ordered), places=tuple(p.name for p in regions), missing=tuple(missing),
                     within=tuple(within), national=national, year_mismatch=mismatch)

    def _around(self, place) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        """For a place without reports of its own ("长春市" with only 吉林省's): the reports of the nearest
        enclosing region that has reports, those that name the place (what 吉林省's report says of 长春)."""
        names = {n for n in (place.name, place.region) if len(n) >= 2}
        for parent in place.parents:
            theirs = [m.id for m in self._metas if m.region == parent]
            if theirs:
                return tuple(rid for rid in theirs if any(n in self.reports[rid].text for n in names))
        return ()

    def _by_year(self, info: QuestionInfo, rids: Sequence[str]) -> tuple[list[str], tuple[int, ...]]:
        """Reports of the scope ordered by how well their years fit the question (newest first on ties)."""
        if not rids:
            return [], ()

        def fit(rid: str) -> tuple[int, int]:
            meta = self.reports[rid].meta
            years = asked_years(info, meta)
            if not years:
                return 1, meta.year or 0
            if info.wants_actual and reviewed_year(meta) in years or info.wants_target and target_year(meta) in years:
                return 3, meta.year or 0
            if years & {reviewed_year(meta), target_year(meta)}:
                return 2, meta.year or 0
            if years & covered_years(meta):
                return 1, meta.year or 0
            return 0, meta.year or 0

        scored = sorted(rids, key=lambda r: fit(r), reverse=True)
        best = fit(scored[0])[0]
        kept = [r for r in scored if fit(r)[0] == best or self._issued_in_asked_year(info, r)] \
            if best > 0 else list(scored)
        mismatch = tuple(info.years) if best == 0 and info.years else ()
        return kept, mismatch

    def of_years(self, info: QuestionInfo) -> tuple[str, ...]:
        """The reports that review or plan a year the question asks about ("2020年计划…" → the reports of the
        2020 session and of 2021's review); () when the question names no year or every report fits."""
        if not info.years:
            return ()
        fits = tuple(rid for rid, r in self.reports.items()
                     if set(info.years) & {reviewed_year(r.meta), target_year(r.meta)})
        return fits if len(fits) < len(self.reports) else ()

    def _issued_in_asked_year(self, info: QuestionInfo, rid: str) -> bool:
        """A notice or other document issued in an asked year: it has no year reviewed or planned, and is about
        the year it is issued in as much as any report is ("北京市2025年最低工资标准" is the 2025 notice's)."""
        meta = self.reports[rid].meta
        return is_document(meta) and meta.year in asked_years(info, meta)


__all__ = ["Scope", "ScopeResolver", "asked_years", "covered_years", "level_of", "reviewed_year", "target_year"]
