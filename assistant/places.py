"""Places a question names, recognised as whole names, and the reports they point to.

Why: matching a hand list of place names as substrings made ordinary words into
places ("如何推进富民增收？" → 富民县) and missed every place not on the list
("What is Shenzhen's GDP target?"). Here a place is a whole name from a real
gazetteer of Chinese administrative divisions (assistant/data/gazetteer.tsv,
derived from JioNLP's, ~3,400 divisions down to county level) or from the
corpus's own reports (their region, short forms and English names).

Whole-name rule (data in assistant/data/place_words.json):
  * a full official name ("富民县", "保定市", "内蒙古自治区", "东川区") is a place,
    unless its suffix starts an ordinary word ("安宁区域" is not 安宁区);
  * a short form ("深圳", "富民") is a place when it is the short form of a
    provincial-level division ("河北", "北京"), has 3+ characters ("驻马店"),
    names a report of the corpus and is no common word in jieba's dictionary
    ("“十四五”期间东川…"; but 富民 n, 石林 nr, 保定 v are words), opens the
    question and names a report of the corpus ("东川铜产业…"), or stands in a
    place context: followed by 的/地区/政府/经济/呢/今年/a year/
    Latin letters or digits ("昆明2025年", "深圳的GDP", "保定GDP"), preceded by
    那 ("那昆明呢"), or joined by 和/与/、/对比… to another place ("北京和昆明");
  * English/pinyin names ("Shenzhen", "Hebei province", "Inner Mongolia",
    "Baoding") are matched word by word against conventional English names and
    pinyin of every division; a name that is neither a province nor in the
    corpus must be capitalised or followed by province/city/county/district;
  * national scope: 全国, 我国, 国务院, 国家/中国 when they mean the country
    (not 国家级, 中国特色…), China, national, nationwide → Place(kind="national");
  * level words (各省, 省级, provinces, 各市, 县级…) → Place(kind="level").

API (pure functions; the gazetteer and word lists load once, lazily):
  find_places(question, reports=()) -> tuple[Place, ...]
      Places in order of appearance; with `reports` (ReportMeta of the corpus),
      each Place carries report_ids: the reports of exactly that region (or the
      national reports for national scope); when the corpus has no report of the
      region itself, the reports of regions inside it (保定 → 清苑区 only when
      there is no 保定市 report).
  reports_for(place, reports, include_within=True) -> tuple[str, ...]
  region_info(name, context_names=()) -> RegionInfo
      Level, short forms, parent regions and English name of a region name as a
      report writes it ("深圳市", "保定市清苑区", "国务院"); used by ingest.
  english_name(region, level) -> str
  warm_up(reports=()) -> None
      Load the gazetteer, word lists and jieba's tags ahead of the first question (~1-2 s).

Pass questions after the project's cleaning (simplified characters); offsets refer to that text.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .text import normalize, word_tags
from .types import ReportMeta

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
NATIONAL = "全国"
LEVELS = ("national", "province", "city", "county")


@dataclass(frozen=True)
class Place:
    """One place a question names."""

    name: str  # as written in the question: "保定", "Shenzhen", "我国", "各省"
    region: str  # official name: "保定市", "深圳市", "全国"; "" for level words
    level: str  # "national" | "province" | "city" | "county"
    kind: str  # "region" | "national" | "level"
    start: int  # offsets in the question
    end: int
    parents: tuple[str, ...] = ()  # enclosing regions, nearest first
    alternatives: tuple[str, ...] = ()  # other divisions with the same short/English name
    report_ids: tuple[str, ...] = ()  # reports of this place in the corpus given to find_places


@dataclass(frozen=True)
class RegionInfo:
    """Identity of a region name as a report writes it."""

    region: str
    level: str
    aliases: tuple[str, ...]
    parents: tuple[str, ...]
    english: str


@dataclass(frozen=True)
class Division:
    adcode: str
    name: str
    short: str
    level: str  # province | city | county
    parent: str  # adcode of the parent division, "" for provinces
    pinyin: tuple[str, ...] = ()  # pinyin spellings of the short form ("shenzhen")


# ------------------------------------------------------------------ data


@lru_cache(maxsize=1)
def _words() -> dict:
    return json.loads((DATA_DIR / "place_words.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _english_table() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in (DATA_DIR / "english_names.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        name, english = line.split("\t", 1)
        out[name.strip()] = tuple(e.strip() for e in english.split("|") if e.strip())
    return out


@lru_cache(maxsize=1)
def _official_keys() -> dict[str, frozenset[str]]:
    """English key → the divisions whose official English name it is ("shanxi" → 山西省, "shaanxi" → 陕西省)."""
    out: dict[str, set[str]] = {}
    for name, englishes in _english_table().items():
        for e in englishes:
            out.setdefault(_key(e), set()).add(name)
    return {k: frozenset(v) for k, v in out.items()}


def _own_pinyin(name: str, spellings: Sequence[str]) -> set[str]:
    """A division's pinyin spellings, less any that is another division's official English name: 陕西 reads
    "shanxi" in plain pinyin, but "Shanxi" is 山西 (陕西 is "Shaanxi")."""
    official = _official_keys()
    return {p for p in spellings if p not in official or name in official[p]}


@dataclass(frozen=True)
class _Gazetteer:
    divisions: tuple[Division, ...]
    by_adcode: dict
    by_name: dict  # full name → [Division]
    by_short: dict  # short form → [Division]
    by_key: dict  # pinyin / English key → [Division]


@lru_cache(maxsize=1)
def gazetteer() -> _Gazetteer:
    divisions = []
    for line in (DATA_DIR / "gazetteer.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("adcode\t"):
            continue
        adcode, name, short, level, parent, spellings = (line.split("\t") + [""] * 6)[:6]
        divisions.append(Division(adcode, name, short, level, parent, tuple(s for s in spellings.split("|") if s)))
    by_adcode = {d.adcode: d for d in divisions}
    by_name: dict[str, list[Division]] = {}
    by_short: dict[str, list[Division]] = {}
    by_key: dict[str, list[Division]] = {}
    english = _english_table()
    for d in divisions:
        by_name.setdefault(d.name, []).append(d)
        if d.short:
            by_short.setdefault(d.short, []).append(d)
        keys = {_key(e) for e in english.get(d.name, ())}
        keys.update(_own_pinyin(d.name, d.pinyin))
        for k in keys:
            if len(k) >= 4:
                by_key.setdefault(k, []).append(d)
    return _Gazetteer(tuple(divisions), by_adcode, by_name, by_short, by_key)


def _key(english: str) -> str:
    return re.sub(r"[^a-z]", "", english.lower())


@lru_cache(maxsize=8192)
def _pinyin_keys(chinese: str) -> tuple[str, ...]:
    """Pinyin spellings of a name: pypinyin's reading and the place-name reading ("长治" → zhangzhi, changzhi).

    Not every heteronym: rare readings make false keys ("郴州" would read "Lanzhou")."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pinned in requirements
        logger.warning("pypinyin is not installed: pinyin place names are not recognised")
        return ()
    return tuple(dict.fromkeys(("".join(lazy_pinyin(chinese, errors="ignore")), _pinyin_display(chinese).lower())))


def _pinyin_display(chinese: str) -> str:
    from pypinyin import Style, pinyin

    readings = _words()["place_readings"]
    out = []
    for ch, options in zip(chinese, pinyin(chinese, style=Style.NORMAL, heteronym=True, errors="ignore")):
        # pypinyin's default for 长/朝 in names it does not know is zhang/zhao; names read chang/chao
        pref = readings.get(ch)
        out.append(pref if pref and pref in options else options[0])
    return "".join(out).capitalize()


def _parents(d: Division) -> tuple[str, ...]:
    g = gazetteer()
    out, cur = [], g.by_adcode.get(d.parent)
    while cur is not None:
        out.append(cur.name)
        cur = g.by_adcode.get(cur.parent)
    return tuple(out)


# ------------------------------------------------------------------ regions (for ingest)


def _strip_suffix(name: str) -> str:
    for suffix in sorted(_words()["admin_suffixes"], key=len, reverse=True):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return re.sub(r"(?:[\u4e00-\u9fff]{1,4}族)+$", "", name[: -len(suffix)]) or name[: -len(suffix)]
    return name


def _level_from_suffix(name: str) -> str:
    if name.endswith(("省", "自治区", "特别行政区")):
        return "province"
    if name.endswith(("州", "盟", "地区")):
        return "city"
    if name.endswith(("区", "县", "旗")):
        return "county"
    return "city" if name.endswith("市") else ""


def pick_division(candidates: Sequence[Division], context_names: Iterable[str]) -> Division | None:
    """Among homonyms, the one whose parents the context names (清苑 near 保定 → 清苑区), else the highest level."""
    if not candidates:
        return None
    ctx = [c for c in context_names if c]
    if len(candidates) > 1 and ctx:
        def score(d: Division) -> int:
            parents = _parents(d)
            return sum(1 for c in ctx for p in parents if p == c or p.startswith(c) or c.startswith(_strip_suffix(p)))
        best = max(candidates, key=score)
        if score(best) > 0:
            return best
    order = {lv: i for i, lv in enumerate(LEVELS)}
    return min(candidates, key=lambda d: order.get(d.level, 9))


def english_name(region: str, level: str) -> str:
    """"深圳市" → "Shenzhen", "清苑区" → "Qingyuan District", "博野县" → "Boye County"."""
    table = _english_table()
    if region in table:
        return table[region][0]
    if not region:
        return ""
    g = gazetteer()
    divs = g.by_name.get(region, [])
    short = divs[0].short if divs and divs[0].short else _strip_suffix(region)
    base = _pinyin_display(short)
    if region.endswith("自治州") or (region.endswith("州") and level == "city" and not region.endswith("市")):
        return base + " Prefecture"
    if region.endswith("盟"):
        return base + " League"
    if region.endswith("旗"):
        return base + " Banner"
    if region.endswith("区") and level == "county":
        return base + " District"
    if region.endswith("县"):
        return base + " County"
    return base


def region_info(name: str, context_names: Sequence[str] = ()) -> RegionInfo:
    """Identity of a region name: national words → 全国; otherwise the gazetteer decides level
    and parents (context_names, e.g. "保定市" found before "清苑区" in the text, pick among
    homonyms); names it does not know get a level from their suffix."""
    words = _words()
    name = normalize(name).strip()
    if not name or name in words["national_aliases"] or name in ("国务院", "中华人民共和国"):
        region = NATIONAL
        return RegionInfo(region, "national", tuple(words["national_aliases"]), (), english_name(region, "national"))
    g = gazetteer()
    d = pick_division(g.by_name.get(name, []), context_names)
    if d is None and name in g.by_short:
        d = pick_division(g.by_short[name], context_names)
    if d is not None:
        region, level, parents = d.name, d.level, _parents(d)
        short = d.short
    else:
        region, level, parents, short = name, _level_from_suffix(name), (), _strip_suffix(name)
        parents = tuple(c for c in context_names if c and c != name)
    stripped = _strip_suffix(region)
    aliases = [a for a in (short, stripped if "族" not in stripped else "") if a and a != region and len(a) >= 2]
    return RegionInfo(region, level or "city", tuple(dict.fromkeys(aliases)), parents,
                      english_name(region, level or "city"))


# ------------------------------------------------------------------ recognition


@dataclass(frozen=True)
class _Entry:
    region: str
    level: str
    parents: tuple[str, ...]
    full: bool  # the surface is the full official name
    strong: bool  # a place wherever it stands as a whole word
    corpus: bool


@lru_cache(maxsize=1)
def _gazetteer_entries() -> dict[str, list[_Entry]]:
    g = gazetteer()
    table: dict[str, list[_Entry]] = {}
    for d in g.divisions:
        parents = _parents(d)
        generic = len(g.by_name[d.name]) > 1 and len(d.name) <= 2  # "城区", "郊区", "矿区"
        if not generic:
            table.setdefault(d.name, []).append(
                _Entry(d.name, d.level, parents, True, len(d.name) >= 3 and len(g.by_name[d.name]) == 1
                       or len(d.name) >= 3 and d.level != "county", False))
        if d.short:
            strong = d.level == "province" or len(d.short) >= 3
            table.setdefault(d.short, []).append(_Entry(d.name, d.level, parents, False, strong, False))
    return table


@lru_cache(maxsize=32)
def _corpus_entries(reports: tuple[ReportMeta, ...]) -> dict[str, list[_Entry]]:
    table: dict[str, list[_Entry]] = {}
    for r in reports:
        if not r.region:
            continue
        level = r.level or _level_from_suffix(r.region)
        if level == "national":
            continue  # national scope has its own words
        table.setdefault(r.region, []).append(_Entry(r.region, level, r.parents, True, len(r.region) >= 3, True))
        for alias in r.aliases:
            if alias != r.region and len(alias) >= 2:
                strong = level == "province" or len(alias) >= 3 or not _ordinary_word(alias)
                table.setdefault(alias, []).append(_Entry(r.region, level, r.parents, False, strong, True))
    return table


@lru_cache(maxsize=4096)
def _ordinary_word(word: str) -> bool:
    """Whether jieba's dictionary knows `word` as a common word that is not a place name
    (富民 n, 石林 nr, 保定 v): then even a corpus report's short form needs a place context."""
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a project dependency
        return False
    tag = word_tags().get(word, "")  # (loads jieba's part-of-speech table itself)
    return bool(tag) and not tag.startswith("ns") and jieba.dt.FREQ.get(word, 0) >= 50


@lru_cache(maxsize=32)
def _corpus_keys(reports: tuple[ReportMeta, ...]) -> dict[str, list[_Entry]]:
    keys: dict[str, list[_Entry]] = {}
    for r in reports:
        if not r.region or (r.level or "") == "national":
            continue
        names = {r.english, re.sub(r"\s+(District|County|City|Prefecture|League|Banner)$", "", r.english)}
        known = gazetteer().by_name.get(r.region)
        if known:
            names.update(_own_pinyin(r.region, known[0].pinyin))
        else:
            for alias in (r.region, *r.aliases):
                names.update(_own_pinyin(r.region, _pinyin_keys(alias)))
        for n in names:
            k = _key(n)
            if len(k) >= 4:
                keys.setdefault(k, []).append(_Entry(r.region, r.level, r.parents, False, True, True))
    return keys


def _best(entries: Sequence[_Entry]) -> _Entry:
    order = {lv: i for i, lv in enumerate(LEVELS)}
    return min(entries, key=lambda e: (not e.corpus, not e.full, order.get(e.level, 9)))


_YEARISH = re.compile(r"(?:19|20)\d\d|[0-9a-zA-Z]")


def _context_after(q: str, end: int) -> bool:
    rest = q[end:]
    words = _words()
    return bool(_YEARISH.match(rest)) or any(rest.startswith(w) for w in words["context_after"])


def _context_before(q: str, start: int) -> bool:
    return any(q[:start].endswith(w) for w in _words()["context_before"])


def _conj_gap(gap: str) -> bool:
    return gap.strip() in _words()["conjunctions"]


_LONGEST: dict[int, tuple[dict[str, list[_Entry]], int]] = {}


def _longest_name(table: dict[str, list[_Entry]]) -> int:
    """The longest name of a (cached, never changed) name table, found once per table."""
    known = _LONGEST.get(id(table))
    if known is None or known[0] is not table:
        if len(_LONGEST) > 64:
            _LONGEST.clear()
        known = _LONGEST[id(table)] = (table, max(map(len, table), default=0))
    return known[1]


def _scan_chinese(q: str, table: dict[str, list[_Entry]], corpus: dict[str, list[_Entry]]) -> list[Place]:
    maxlen = max(_longest_name(table), _longest_name(corpus))
    breakers = ("区域", "区位", "区间", "区块", "区划", "市场", "市值", "市容", "市政", "县域", "县城", "省份", "省内", "省外")
    found: list[tuple] = []  # (start, end, surface, entry, accepted, alternatives)
    i, n = 0, len(q)
    while i < n:
        hit = None
        for length in range(min(maxlen, n - i), 1, -1):
            s = q[i:i + length]
            entries = corpus.get(s, []) + table.get(s, [])
            if not entries:
                continue
            e = _best(entries)
            if e.full and q[i + length - 1:i + length + 1] in breakers:
                continue
            strong = e.strong or (e.corpus and i == 0)
            weak_ok = _context_after(q, i + length) or _context_before(q, i)
            alts = tuple(dict.fromkeys(x.region for x in entries if x.region != e.region))
            hit = (i, i + length, s, e, strong or weak_ok, alts)
            break
        if hit is None:
            i += 1
            continue
        found.append(hit)
        i = hit[1] if hit[4] else i + 1
    # a weak name joined by a conjunction to an accepted place is a place too ("北京和昆明")
    changed = True
    while changed:
        changed = False
        for k, h in enumerate(found):
            if h[4]:
                continue
            neighbours = [x for x in found if x[4]]
            if any(_conj_gap(q[x[1]:h[0]]) or _conj_gap(q[h[1]:x[0]]) for x in neighbours):
                found[k] = (*h[:4], True, h[5])
                changed = True
    places, last_end = [], -1
    for start, end, surface, e, ok, alts in sorted(found, key=lambda h: (h[0], -h[1])):
        if not ok or start < last_end:
            continue
        last_end = end
        places.append(Place(surface, e.region, e.level, "region", start, end, e.parents, alts))
    return places


def _scan_english(q: str, corpus_keys: dict[str, list[_Entry]], taken: list[tuple[int, int]]) -> list[Place]:
    words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[A-Za-z]+", q)]
    if not words:
        return []
    g = gazetteer()
    province_keys = {_key(e) for name, es in _english_table().items() if name != NATIONAL for e in es}
    suffixes = [s.split() for s in _words()["en_suffixes"]]
    places: list[Place] = []
    i = 0
    while i < len(words):
        hit = None
        if _inside_name(q, words, i, places):  # "Xi Jinping" names a person, not 金平县
            i += 1
            continue
        for span in (3, 2, 1):
            if i + span > len(words):
                continue
            start, end = words[i][0], words[i + span - 1][1]
            if re.search(r"[^A-Za-z\s'’-]", q[start:end]):
                continue
            k = _key(q[start:end])
            entries = list(corpus_keys.get(k, []))
            gaz = [d for d in g.by_key.get(k, [])]
            if not entries and not gaz:
                continue
            following = [w[2].lower() for w in words[i + span:i + span + 2]]
            has_suffix = any(following[:len(s)] == s for s in suffixes)
            capital = q[start].isupper()
            if entries:
                e = _best(entries)
                hit = (start, end, e.region, e.level, e.parents, ())
            elif k in province_keys or capital or has_suffix or any(d.level != "county" for d in gaz):
                wanted = next((s[0] for s in suffixes if following[:len(s)] == s), "")
                level_hint = {"province": "province", "city": "city", "county": "county",
                              "district": "county", "prefecture": "city"}.get(wanted, "")
                pool = [d for d in gaz if d.level == level_hint] or gaz
                if not (capital or has_suffix or k in province_keys):
                    pool = [d for d in pool if d.level != "county"]
                d = pick_division(pool, ())
                alts = tuple(dict.fromkeys(x.name for x in gaz if x.name != d.name))
                hit = (start, end, d.name, d.level, _parents(d), alts)
            if hit:
                i += span
                break
        if hit is None:
            i += 1
            continue
        s, e = hit[0], hit[1]
        if any(s < b and a < e for a, b in taken):
            continue
        places.append(Place(q[s:e], hit[2], hit[3], "region", s, e, hit[4], hit[5]))
    return [p for p in places if not _names_a_thing(q, words, p)]


def _names_a_thing(q: str, words: Sequence[tuple[int, int, str]], place: Place) -> bool:
    """A place inside a capitalised name of a thing ("Xi'an Xianyang International Airport"): the run of
    capitalised words it stands in (one space apart) holds a name head of place_words.json."""
    heads = {w.lower() for w in _words()["en_name_heads"]["words"]}
    inside = [k for k, w in enumerate(words) if place.start <= w[0] < place.end]  # ("Xi'an": two words)
    if not inside:
        return False
    k = inside[-1]
    while k + 1 < len(words) and q[words[k][1]:words[k + 1][0]] == " " and words[k + 1][2][0].isupper():
        k += 1
        if words[k][2].lower() in heads:
            return True
    return False


def _inside_name(q: str, words: Sequence[tuple[int, int, str]], i: int, places: Sequence[Place]) -> bool:
    """Word i continues a capitalised name that is no place: the word before it is capitalised, follows it
    after one space, opens no sentence and is not itself a place found ("Xi Jinping", "Li Qiang"; but
    "Hebei Quyang County", "In Jinping County")."""
    if i == 0 or not q[words[i][0]].isupper():
        return False
    ps, pe, prev = words[i - 1]
    if not prev[0].isupper() or q[pe:words[i][0]] != " " or any(p.start <= ps < p.end for p in places):
        return False
    before = q[:ps].rstrip()
    return bool(before) and before[-1] not in ".?!:;\"'“”‘’(（。？！：" and not re.search(r"[\u4e00-\u9fff]$", before)


def _scan_national(q: str) -> list[Place]:
    words = _words()["national_words"]
    out: list[Place] = []
    for w in words["always"]:
        for m in re.finditer(re.escape(w), q):
            out.append(Place(w, NATIONAL, "national", "national", m.start(), m.end()))
    for w, rule in words["conditional"].items():
        for m in re.finditer(re.escape(w), q):
            if any(q.startswith(u, m.end()) for u in rule.get("unless_followed_by", ())) or any(
                    q[:m.start()].endswith(u) for u in rule.get("unless_preceded_by", ())):
                continue
            if "only_followed_by" in rule and not (
                    any(q.startswith(u, m.end()) for u in rule["only_followed_by"]) or m.end() == len(q)
                    or (rule.get("or_followed_by_year") and re.match(r"(?:19|20)\d\d", q[m.end():]))):
                continue
            out.append(Place(w, NATIONAL, "national", "national", m.start(), m.end()))
    low = q.lower()
    for w in words["en"]:
        for m in re.finditer(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low):
            out.append(Place(q[m.start():m.end()], NATIONAL, "national", "national", m.start(), m.end()))
    return out


def _scan_levels(q: str) -> list[Place]:
    out: list[Place] = []
    low = q.lower()
    for level, ws in _words()["level_words"].items():
        if level.startswith("_"):
            continue  # a comment
        for w in ws:
            pattern = re.escape(w) if not w.isascii() else r"(?<![a-z])" + re.escape(w) + r"(?![a-z])"
            for m in re.finditer(pattern, low):
                out.append(Place(q[m.start():m.end()], "", level, "level", m.start(), m.end()))
    return out


def _no_overlap(places: Iterable[Place]) -> list[Place]:
    out: list[Place] = []
    for p in sorted(places, key=lambda p: (p.start, -(p.end - p.start))):
        if any(p.start < o.end and o.start < p.end for o in out):
            continue
        out.append(p)
    return out


def warm_up(reports: Sequence[ReportMeta] = ()) -> None:
    """Do the one-time loading now (at start-up) rather than on the first question."""
    find_places("", reports)
    for meta in reports:
        for alias in meta.aliases:
            _ordinary_word(alias)


def find_places(question: str, reports: Sequence[ReportMeta] = ()) -> tuple[Place, ...]:
    """The places a question names, as whole names, in order (see the module docstring)."""
    q = normalize(question or "")
    metas = tuple(reports)
    regions = _scan_chinese(q, _gazetteer_entries(), _corpus_entries(metas))
    english = _scan_english(q, _corpus_keys(metas), [(p.start, p.end) for p in regions])
    found = _no_overlap([*regions, *english])
    found = _no_overlap([*found, *(p for p in _scan_national(q) if not any(
        p.start < o.end and o.start < p.end for o in found))])
    found = _no_overlap([*found, *(p for p in _scan_levels(q) if not any(
        p.start < o.end and o.start < p.end for o in found))])
    if metas:
        found = [replace(p, report_ids=reports_for(p, metas)) for p in found]
    return tuple(found)


def reports_for(place: Place, reports: Sequence[ReportMeta], include_within: bool = True) -> tuple[str, ...]:
    """Ids of the reports of a place: the region's own reports first; only when there are none,
    the reports of regions inside it (保定 → 清苑区 only without a 保定市 report)."""
    if place.kind == "national":
        return tuple(r.id for r in reports if r.level == "national" or r.region == NATIONAL)
    if place.kind == "level":
        return tuple(r.id for r in reports if r.level == place.level)
    names = {place.region, place.name}
    own = tuple(r.id for r in reports if r.region and (r.region in names or place.region in r.aliases
                                                       or (place.name in r.aliases and not place.alternatives)))
    if own or not include_within:
        return own
    return tuple(r.id for r in reports if place.region and place.region in r.parents)
