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
from .types import Report, ReportMeta
from .years import asked_years, covered_years, level_of, reviewed_year, target_year

_SUFFIX = re.compile(r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|省|市|区|县|州|盟|旗)$")


@dataclass(frozen=True)
class Scope:
    """The reports a question is about."""

    reports: tuple[str, ...] = ()  # preferred reports, best first; () = every report
    places: tuple[str, ...] = ()  # place names found in the question (as written)
    missing: tuple[str, ...] = ()  # named places (or 全国) no report covers
    national: bool = False  # the question is about the whole country
    fixed: bool = False  # the caller chose the report
    year_mismatch: tuple[int, ...] = ()  # named years none of the scoped reports covers


_NATIONAL = re.compile(r"全国|我国|国务院|中国(?![式特])|(?<![a-z])(?:china|chinese|national|nationwide|"
                       r"the country|country's)(?![a-z])", re.I)


class ScopeResolver:
    """Maps the places and years of a question to the indexed reports."""

    def __init__(self, reports: Mapping[str, Report]) -> None:
        self.reports = dict(reports)
        self._names: dict[str, set[str]] = {}  # name form → report ids
        for rid, report in self.reports.items():
            for name in self.names_of(report.meta):
                self._names.setdefault(name.lower(), set()).add(rid)
        self._finder = _load_place_finder(self.reports)

    @staticmethod
    def names_of(meta: ReportMeta) -> list[str]:
        """The forms a report's region goes by: full name, short form, aliases, English names."""
        names: list[str] = []
        region = meta.region or ""
        if region and level_of(meta) != "national" and region != "全国":
            names.append(region)
            short = _SUFFIX.sub("", region)
            if len(short) >= 2:
                names.append(short)
        for attr in ("aliases", "english"):
            value = getattr(meta, attr, None) or ()
            names.extend([value] if isinstance(value, str) else list(value))
        return [n for n in dict.fromkeys(names) if n]

    def find_places(self, question: str) -> list[str]:
        """Place names the question mentions, as whole names."""
        if self._finder is not None:
            return self._finder(question)
        found: list[str] = []
        low = question.lower()
        for name in sorted(self._names, key=len, reverse=True):
            pos = low.find(name)
            if pos < 0 or any(name in f.lower() for f in found):
                continue
            if name.isascii() and re.search(r"[a-z]", low[pos - 1:pos] + low[pos + len(name):pos + len(name) + 1]):
                continue
            found.append(question[pos:pos + len(name)])
        return found

    def national_reports(self) -> list[str]:
        return [rid for rid, r in self.reports.items() if level_of(r.meta) == "national" or r.meta.region == "全国"]

    def resolve(self, info: QuestionInfo, report: str | None = None) -> Scope:
        if report:
            return Scope(reports=(report,), fixed=True)
        national = bool(_NATIONAL.search(info.text))
        matched: list[str] = []
        missing: list[str] = []
        for place in info.regions:
            rids = self._reports_for(place)
            if rids:
                matched.extend(r for r in rids if r not in matched)
            else:
                missing.append(place)
        if national and not info.regions:
            rids = self.national_reports()
            if rids:
                matched = rids
            else:
                missing.append("全国")
        ordered, mismatch = self._by_year(info, matched)
        return Scope(reports=tuple(ordered), places=info.regions, missing=tuple(missing),
                     national=national and not info.regions, year_mismatch=mismatch)

    def _reports_for(self, place: str) -> list[str]:
        key = place.lower()
        if key in self._names:
            return sorted(self._names[key])
        short = _SUFFIX.sub("", place).lower()
        if len(short) >= 2 and short in self._names:
            return sorted(self._names[short])
        return []

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
        kept = [r for r in scored if fit(r)[0] == best] if best > 0 else list(scored)
        mismatch = tuple(info.years) if best == 0 and info.years else ()
        return kept, mismatch


def _load_place_finder(reports: Mapping[str, Report]):
    """The gazetteer-based place finder of `assistant.places`, when present (whole-name matching)."""
    try:
        from . import places  # noqa: F401
    except ImportError:
        return None
    finder = getattr(places, "question_places", None)
    if finder is None:
        return None
    metas = [r.meta for r in reports.values()]
    return lambda question: list(finder(question, metas))


__all__ = ["Scope", "ScopeResolver", "asked_years", "covered_years", "level_of", "reviewed_year", "target_year"]
