"""Figures quoted from reports as sortable quantities: value (or range), unit, unit class, qualifier.

A comparison table sorts rows by the figure each report states ("5%左右", "4.5%—5%",
"110万人以上", "1600亿斤以上"). Parsing never changes the quoted text: `Quantity.text`
is the span exactly as given; the numbers are read from its NFKC form. Units, their
classes and the qualifier words are general knowledge kept in `data/units.json`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .text import normalize

DATA_FILE = Path(__file__).parent / "data" / "units.json"


@dataclass(frozen=True)
class Quantity:
    """One figure: `value_low`..`value_high` in the class's base unit (equal unless a range)."""

    text: str  # the span as quoted, unchanged
    value_low: float
    value_high: float
    unit: str  # as written, without magnitude ("%", "人", "斤")
    unit_class: str  # "percent", "people", "mass", … ("" when the figure has no unit)
    magnitude: float  # 1e4 for 万, 1e8 for 亿, 1 otherwise
    qualifier: str  # "about" | "at_least" | "at_most" | "" (exact or unknown)
    qualifier_text: str = ""  # the qualifier words as written ("左右", "以上", "不少于")
    number_text: str = ""  # the figure itself as written ("4.5%—5%", "110万人")

    @property
    def is_range(self) -> bool:
        return self.value_low != self.value_high

    @property
    def value(self) -> float:
        """The figure's point value for sorting: a range's midpoint."""
        return (self.value_low + self.value_high) / 2


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as f:
        data = json.load(f)
    units = data["units"]
    mags = data["magnitudes"]
    quals = data["qualifiers"]
    after = {w: q for q, d in quals.items() for w in d["after"]}
    before = {w: q for q, d in quals.items() for w in d["before"]}

    def alt(words) -> str:  # longest first so "个百分点" wins over "百分点"
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    num = r"\d+(?:,\d{3})*(?:\.\d+)?"
    mag = f"(?:{alt(mags)})?"
    unit = f"(?:{alt(units)})?"
    # "4.5%—5%", "4.5-5%", "5%至5.5%", "110万人", "1600亿斤"
    pattern = re.compile(
        rf"(?P<before>{alt(before)})?\s*"
        rf"(?P<n1>{num})\s*(?P<m1>{mag})(?P<u1>{unit})"
        rf"(?:\s*(?:—|–|-|~|至|到)+\s*(?P<n2>{num})\s*(?P<m2>{mag})(?P<u2>{unit}))?"
        rf"(?P<after>{alt(after)})?"
    )
    return {"units": units, "mags": mags, "after": after, "before": before, "pattern": pattern}


def parse_quantity(text: str) -> Quantity | None:
    """The first figure in `text` as a Quantity, or None when it states no number.

    >>> q = parse_quantity("4.5%—5%"); (q.value_low, q.value_high, q.unit_class)
    (4.5, 5.0, 'percent')
    >>> parse_quantity("110万人以上").value, parse_quantity("110万人以上").qualifier
    (1100000.0, 'at_least')
    """
    if not text:
        return None
    vocab = _vocab()
    norm = normalize(text)  # length-preserving NFKC: "５％" reads as "5%"
    m = vocab["pattern"].search(norm)
    if not m:
        return None
    u1, u2 = m.group("u1") or "", m.group("u2") or ""
    m1, m2 = m.group("m1") or "", m.group("m2") or ""
    unit = u2 or u1  # "4.5-5%": the unit after the second number applies to both
    mag_word = m2 if m.group("n2") and not m1 else m1
    magnitude = float(vocab["mags"].get(mag_word or m2, 1))
    spec = vocab["units"].get(unit, {"class": "", "factor": 1})
    factor = float(spec["factor"])

    def value(num: str, mag: str) -> float:
        scale = float(vocab["mags"][mag]) if mag else magnitude
        return float(num.replace(",", "")) * scale * factor

    low = value(m.group("n1"), m1)
    high = value(m.group("n2"), m2) if m.group("n2") else low
    if high < low:
        low, high = high, low
    qualifier, qualifier_text = "", ""
    if m.group("after"):
        qualifier_text = m.group("after")
        qualifier = vocab["after"][qualifier_text]
    elif m.group("before"):
        qualifier_text = m.group("before")
        qualifier = vocab["before"][qualifier_text]
    start = m.start("n1")
    end = m.end("u2") if m.group("n2") else m.end("u1")
    return Quantity(text=text, value_low=low, value_high=high, unit=unit, unit_class=spec["class"],
                    magnitude=magnitude, qualifier=qualifier, qualifier_text=qualifier_text,
                    number_text=text[start:end])


def complete_figure(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen the span text[start:end] to the whole figure it is part of, still a verbatim slice.

    A span that stops inside a range ("5%" of "5%—5.5%", "5.5%" of "5%—5.5%") or before its
    qualifier ("5%" of "5%左右") would sort and read as a different figure.
    """
    vocab = _vocab()
    norm = normalize(text)
    span = norm[start:end]
    if not span or not re.search(r"\d", span) or parse_quantity(span) is None:
        return start, end
    m = vocab["pattern"].match(norm, start) if re.match(r"\d", span) else None
    if m is None:
        m = re.compile(vocab["pattern"].pattern).search(norm, start, min(len(norm), end + 40))
    if m is None or not (m.start() <= start < m.end()):
        return start, end
    new_start = min(start, m.start("n1"))
    # a range may begin before the span: "5%—【5.5%】"
    left = re.search(r"(\d+(?:\.\d+)?[%％]?\s*(?:—|–|-|~|至|到)+\s*)$", norm[max(0, start - 16):start])
    if left and re.match(r"\d", span):
        new_start = start - len(left.group(1))
        m2 = vocab["pattern"].match(norm, new_start)
        if m2 is None or m2.end() < end:
            new_start = min(start, m.start("n1"))
        else:
            m = m2
    new_end = max(end, m.end())
    return new_start, new_end




__all__ = ["Quantity", "complete_figure", "parse_quantity"]
