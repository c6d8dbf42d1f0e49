"""Report identity (title, level, region, years, date, source) inferred from a report file.

Copies of government work reports are messy: a title line somewhere in the first
lines, or none at all (the text starts at "各位代表："); a meeting line
("——2026年1月27日在甘肃省第十四届人民代表大会第四次会议上"), maybe wrapped; a
signature ("保定市人民政府市长 闫继红", "省长 李炳军"); crawler headers ("标题：…",
"年份：2024"); a file name that may be Chinese ("深圳市政府工作报告_2025年.txt") or
a slug ("2024-zhumadian-government-work-report.txt"). Each clue is read where it
is reliable and they are combined in order of trust:

* region: the meeting line, the signature, the title, "我代表X人民政府", a crawler
  "发文单位", the file name, then the place the body names most; national reports
  ("我代表国务院", "全国人民代表大会") have region 全国;
* session year (the year the report is delivered in): the meeting date, the title,
  a crawler "年份", then the body: the year it reviews ("一、2024年工作回顾",
  "刚刚过去的2024年") plus one, or the year of its targets ("2025年…主要预期目标"),
  then the file name. A report is never dated by the first year it mentions.

Readers pass what they found outside the text (an HTML page's meta tags) as `hints`.
A sidecar `<report file>.meta.json` next to the report overrides any field.
"""
from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from ..places import NATIONAL, find_places, gazetteer, pick_division, region_info
from ..text import normalize
from ..types import ReportMeta

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"

_CN_NUM = "一二三四五六七八九十"
_REGION_SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|自治旗|新区|省|市|区|县|州|盟|旗)"
_NAME = r"[\u4e00-\u9fff]{2,20}?" + _REGION_SUFFIX
# "在保定市清苑区第三届人民代表大会", "在博野县十八届人民代表大会", "昆明市第十五届人民代表大会第五次会议在…开幕"
_MEETING_REGION = re.compile(r"(" + _NAME + r")第?[" + _CN_NUM + r"]+届\s*人民代表大会")
_NATIONAL_MEETING = re.compile(r"第?[" + _CN_NUM + r"]+届全国人民代表大会")
_SIGNATURE = re.compile(r"(?:^|\n|会议上|\s)(" + _NAME + r")?(?:人民政府|政府)?\s*(?:代理|代)?"
                        r"(省长|市长|区长|县长|州长|旗长|盟长|主席|总理)\s*[\u4e00-\u9fff]\s?[\u4e00-\u9fff]{1,2}")
_GOV_REGION = re.compile(r"(" + _NAME + r")人民政府")
_I_REPRESENT = re.compile(r"我代表(" + _NAME + r"|省|市|区|县|州|盟|旗|自治区)?(?:人民)?政府")
_TITLE_REGION = re.compile(r"(?:\d{4}年)?(" + _NAME + r")(?:人民政府)?(?:\d{4}年)?(?:《)?(?:人民)?政府工作报告")
_HEADER = re.compile(r"^(标题|题目|发文单位|发布单位|年份|年度|地区|来源)\s*[:：]\s*(.+)$")
_FULL_DATE = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_YEAR_CHARS = "〇零○ＯO0一二三四五六七八九"
_CN_DATE = re.compile(r"([" + _CN_YEAR_CHARS + r"]{4})年(?:([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,4})日)?")
_MEETING_DATE = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日[^\n。]{0,6}在[^\n。]{2,40}?(?:人民代表大会|人大)")
_SHORT_DATE = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(?<!\d)(20\d\d)年")
_SOURCE = re.compile(r"来源[:：]\s*([^\s|]{2,30})")
# the body: what it reviews and what it targets
_REVIEWED = (re.compile(r"(20\d\d)年[^\n。，,]{0,20}?回顾"),  # "一、2025年工作和“十四五”发展回顾"
             re.compile(r"(?:刚刚|已经)?过去的(20\d\d)年"),
             re.compile(r"初步(?:统计|核算)[，,]?\s*(20\d\d)年"),  # the figures of the year under review
             re.compile(r"(20\d\d)年是[^\n。]{0,24}之年。\s*(?:一年来|过去一年|这一年)"))
_TARGETS = (re.compile(r"(20\d\d)年[^\n。，,]{0,12}?主要预期目标"),  # "2025年全市经济社会发展主要预期目标"
            re.compile(r"(?m)^\s*[一二三四五六七八九十]+、\s*(20\d\d)年(?:政府)?(?:重点)?工作(?:安排|任务|建议|部署|总体要求)?\s*$"),
            re.compile(r"(20\d\d)年(?:政府)?(?:重点)?工作(?:安排|建议|部署|总体要求)"),
            re.compile(r"今年是(20\d\d)年"))
_PLAN_END = re.compile(r"(?:到|至)(20\d\d)年")
_LEVEL_BY_TITLE = {"省长": "province", "主席": "province", "总理": "national", "州长": "city", "盟长": "city",
                   "区长": "county", "县长": "county", "旗长": "county"}
_SLUG_STOP = {"government", "work", "report", "reports", "summary", "gov", "gwr", "txt", "zf", "gzbg", "full", "text",
              "cn", "the", "of", "and", "news", "zh"}


def infer_metadata(text: str, rel_path: str, hints: Mapping[str, str | None] | None = None) -> ReportMeta:
    """Best-effort identity of a report from its text, its file name and the reader's hints.

    hints may carry "title", "source" and "published" (ISO date) found outside the text.
    The date is the delivery date from the meeting line when the text has one (that is
    the report's date); the publication date of a web copy is the fallback.
    """
    hints = hints or {}
    head = _arabic_dates(normalize(text[:3000]))
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()]
    first = lines[:30]
    if not _is_work_report(head, first):
        return _document_metadata(text, first, rel_path, hints)
    headers = {m.group(1): m.group(2).strip() for ln in first[:12] if (m := _HEADER.match(ln))}
    title_line = headers.get("标题") or headers.get("题目") or next(
        (ln for ln in first[:20] if "政府工作报告" in ln and len(ln) <= 40 and not ln.startswith("相关")), "")
    title_line = _arabic_dates(title_line)
    # a meeting line wrapped by the page ("在广东省第十四届\n人民代表大会") still names the region
    joined = "".join(first)
    lined = "\n".join(first)
    body = _arabic_dates(normalize(text[:20000]))
    stem = Path(rel_path).stem
    file_region, file_year, file_context = _from_file_name(stem)

    # ---- region
    national = bool(_NATIONAL_MEETING.search(joined) or re.search(r"我代表国务院|国务院总理", joined)
                    or "国务院" in (headers.get("发文单位") or ""))
    region_names: list[str] = []  # the most trusted region string first
    if not national:
        m = _MEETING_REGION.search(joined)
        if m:
            region_names.append(m.group(1))
        for m in _SIGNATURE.finditer(lined[:800]):
            if m.group(1):
                region_names.append(m.group(1))
        m = _TITLE_REGION.search(title_line) if title_line else None
        if m:
            region_names.append(m.group(1))
        m = _I_REPRESENT.search(joined)
        if m and m.group(1) and len(m.group(1)) > 1:
            region_names.append(m.group(1))
        if headers.get("发文单位"):
            m = _GOV_REGION.search(headers["发文单位"])
            region_names.append(m.group(1) if m else headers["发文单位"])
        if hints.get("title"):
            m = _TITLE_REGION.search(normalize(str(hints["title"])))
            if m:
                region_names.append(m.group(1))
        m = _GOV_REGION.search(head[:300])
        if m:
            region_names.append(m.group(1))
    level_hint = _level_hint(lined)
    region, context = "", list(file_context)
    for name in region_names:
        region, ctx = _most_specific(_trim_region(name))
        if region:
            context = ctx + context
            break
    if not region and not national:
        if file_region == NATIONAL:
            national = True
        elif file_region:
            region = file_region
        else:
            region = _most_named(body, level_hint)
    info = region_info(NATIONAL if national else region, context) if (national or region) else None

    # ---- years
    reviewed, target = _body_years(body)
    m_meeting = _MEETING_DATE.search(joined)
    year = None
    for candidate in (m_meeting.group(1) if m_meeting else None,
                      _first_year(title_line), _first_year(headers.get("年份") or headers.get("年度") or ""),
                      _first_year(str(hints.get("title") or ""))):
        if candidate:
            year = int(candidate)
            break
    if year is None:
        if target:
            year = target
        elif reviewed:
            year = reviewed + 1
        elif file_year:
            year = file_year

    date = None
    m = m_meeting or _FULL_DATE.search("\n".join(first[:15]))
    if m and (year is None or abs(int(m.group(1)) - year) <= 1):
        date = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif year:
        m = _SHORT_DATE.search(head[:200])
        if m:
            date = _iso(year, int(m.group(1)), int(m.group(2)))
    if date is None and hints.get("published"):
        date = str(hints["published"])
    if year is None and date:
        year = int(date[:4])
    reviewed_year = reviewed if reviewed and year and reviewed in (year - 1, year - 2) else (year - 1 if year else None)
    target_year = year
    plan_years = _plan_years(body, year)

    # ---- title and source
    is_summary = not title_line and ("政府工作报告指出" in head or "开幕" in head[:200])
    region_name = info.region if info else ""
    if region_name and year:
        shown = "国务院" if region_name == NATIONAL else region_name
        title = f"{shown}{year}年政府工作报告" + ("(新闻摘要)" if is_summary else "")
    elif title_line:
        title = title_line
    elif hints.get("title"):
        title = str(hints["title"])
    else:
        title = stem
    m = _SOURCE.search(head)
    source = hints.get("source") or (m.group(1) if m else None) or hints.get("site")
    if not source and region_name and not is_summary and (title_line or m_meeting):
        # a report with no publisher line is the government's own document
        source = "国务院" if region_name == NATIONAL else f"{region_name}人民政府"

    return ReportMeta(
        id=_report_id(rel_path), title=title, region=region_name, year=year, date=date, source=source,
        path=rel_path, level=info.level if info else (level_hint or ""), aliases=info.aliases if info else (),
        parents=info.parents if info else (), english=info.english if info else "",
        reviewed_year=reviewed_year, target_year=target_year, plan_years=plan_years,
    )


def _is_work_report(head: str, first: list[str]) -> bool:
    """Whether a text is a government work report (or a news summary of one), not another policy document."""
    joined = "".join(first)
    return bool("政府工作报告" in joined or "各位代表" in head or _MEETING_REGION.search(joined)
                or _NATIONAL_MEETING.search(joined) or "工作报告" in head[:600] or "开幕" in head[:200])


_ISSUER = re.compile(r"^(?:>\s*)?(?:发布机关|发文机关|发文单位|发布单位|发布机构|发文字号)\s*[:：]\s*(.+)$")
_ISO_DATE = re.compile(r"(20\d\d)-(\d{1,2})-(\d{1,2})(?!\d)")
_NATIONAL_ISSUER = re.compile(r"^(?:国务院|中共中央|全国人大|(?:国家|中国)?[\u4e00-\u9fff]{1,12}(?:部|委员会|委|总局|署))")
_TITLE_MARKUP = re.compile(r"^[#>*\s]+|[*\s]+$")


def _document_metadata(text: str, first: list[str], rel_path: str, hints: Mapping[str, str | None]) -> ReportMeta:
    """Identity of a policy document that is no work report (a notice, a measure, a news item).

    Its title is its first line (markup such as "# " dropped), its date the first full date of its
    opening lines (or the page's publication date) or, failing those, the signature date at its end; its region the issuer's (a ministry
    or the State Council is national) or the one its title names.
    """
    title = next((t for ln in first[:5] if (t := _TITLE_MARKUP.sub("", ln)) and 4 <= len(t) <= 80
                  and not _ISSUER.match(ln) and not re.match(r"来源|原文|存档|http", t)), "")
    title = str(hints.get("title") or title or Path(rel_path).stem)
    tail = [ln.strip() for ln in _arabic_dates(normalize(text[-600:])).split("\n") if ln.strip()]
    date = None
    for where in ("\n".join(first[:15]), str(hints.get("published") or ""), "\n".join(tail[-8:])):
        m = _FULL_DATE.search(where) or _ISO_DATE.search(where)
        if m:
            date = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            break
    issuer = next((m.group(1).strip() for ln in first[:12] if (m := _ISSUER.match(ln))), "")
    national = bool(issuer and _NATIONAL_ISSUER.match(issuer) and not _GOV_REGION.search(issuer)) or \
        bool(re.match(r"(?:国务院|[\u4e00-\u9fff]{2,10}部)(?:办公厅)?关于", title))
    region = ""
    if not national:
        for source in (issuer, title):
            places = [p for p in find_places(source) if p.kind == "region"] if source else []
            if places:
                region = places[0].region
                break
    info = region_info(NATIONAL if national else region, []) if (national or region) else None
    year = int(date[:4]) if date else (int(y) if (y := _first_year(title)) else _from_file_name(Path(rel_path).stem)[1])
    m = _SOURCE.search("\n".join(first[:12]))
    return ReportMeta(
        id=_report_id(rel_path), title=title, region=info.region if info else "", year=year, date=date,
        source=hints.get("source") or issuer or (m.group(1) if m else None), path=rel_path,
        level=info.level if info else "", aliases=info.aliases if info else (),
        parents=info.parents if info else (), english=info.english if info else "",
        reviewed_year=None, target_year=None, plan_years=(), kind="document",
    )


def apply_sidecar(meta: ReportMeta, report_path: Path) -> ReportMeta:
    """Override inferred fields with `<file>.meta.json`, when present and valid.

    A sidecar that sets `region` (or `year`) without the identity fields derived from
    it gets them derived again: level, short forms, parents and English name from the
    region; the reviewed and target years from the year.
    """
    sidecar = report_path.with_name(report_path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return meta
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
    except (OSError, ValueError) as exc:
        logger.warning("ignoring metadata sidecar %s: %s", sidecar.name, exc)
        return meta
    return override(meta, data, sidecar.name)


def override(meta: ReportMeta, data: Mapping[str, Any], origin: str = "sidecar") -> ReportMeta:
    """`meta` with the fields of `data` (a sidecar's JSON object) applied and the rest kept consistent."""
    editable = ("title", "region", "year", "date", "source", "level", "aliases", "parents", "english",
                "reviewed_year", "target_year", "plan_years")
    fields: dict[str, Any] = {k: data[k] for k in editable if k in data}
    for key in ("year", "reviewed_year", "target_year"):
        if fields.get(key) is not None:
            try:
                fields[key] = int(fields[key])
            except (TypeError, ValueError):
                logger.warning("ignoring non-numeric %s in %s", key, origin)
                fields.pop(key)
    for key in ("aliases", "parents"):
        if key in fields:
            value = fields[key]
            fields[key] = tuple([value] if isinstance(value, str) else (str(v) for v in value or ()))
    if "plan_years" in fields:
        try:
            fields["plan_years"] = tuple(int(v) for v in fields["plan_years"] or ())
        except (TypeError, ValueError):
            logger.warning("ignoring non-numeric plan_years in %s", origin)
            fields.pop("plan_years")
    if fields.get("level") not in (None, "national", "province", "city", "county"):
        logger.warning("ignoring unknown level %r in %s", fields["level"], origin)
        fields.pop("level")
    if fields.get("region") and fields["region"] != meta.region:
        info = region_info(str(fields["region"]))
        derived = {"level": info.level, "aliases": info.aliases, "parents": info.parents, "english": info.english}
        fields = {**derived, **fields}
        if info.region == NATIONAL:
            fields["region"] = NATIONAL
    if fields.get("year") and fields["year"] != meta.year:
        fields.setdefault("reviewed_year", fields["year"] - 1)
        fields.setdefault("target_year", fields["year"])
    return ReportMeta(**{**meta.__dict__, **fields})


# ------------------------------------------------------------------ helpers


def _first_year(s: str) -> str | None:
    m = _YEAR.search(_arabic_dates(normalize(s))) if s else None
    return m.group(1) if m else None


def _level_hint(joined: str) -> str:
    m = _SIGNATURE.search(joined[:800])
    if m and m.group(2) in _LEVEL_BY_TITLE:
        return _LEVEL_BY_TITLE[m.group(2)]
    m = _I_REPRESENT.search(joined)
    if m and m.group(1) in ("省", "自治区"):
        return "province"
    if m and m.group(1) in ("区", "县", "旗"):
        return "county"
    if m and m.group(1) == "市":  # a prefecture-level or county-level city, or a municipality
        return "city"
    return ""


def _most_specific(name: str) -> tuple[str, list[str]]:
    """"保定市清苑区" → ("清苑区", ["保定市"]): the last division named, with the ones before it."""
    if not name:
        return "", []
    places = [p for p in find_places(name) if p.kind == "region"]
    if places and places[-1].end == len(name):
        last = places[-1]
        return last.region, [p.region for p in places[:-1]]
    # a region the gazetteer does not know (a new district): keep the name as written
    known = [p for p in places if p.end < len(name)]
    rest = name[known[-1].end:] if known else name
    return (rest if len(rest) >= 2 else name), [p.region for p in known]


def _most_named(body: str, level_hint: str) -> str:
    """The region the body names most (a last resort for a text with no title, meeting line or file name)."""
    counts: Counter[str] = Counter()
    levels: dict[str, str] = {}
    for p in find_places(body[:8000]):
        if p.kind == "region":
            counts[p.region] += 1
            levels[p.region] = p.level
    for name, _ in counts.most_common():
        # "我代表市人民政府": a city of any level (北京市 is a province, 天门市 a county) — not its province
        if not level_hint or levels.get(name) == level_hint or level_hint == "city" and name.endswith("市"):
            return name
    return ""


def _body_years(body: str) -> tuple[int | None, int | None]:
    """(the year the body reviews, the year its targets are for), from the first such phrases."""
    reviewed = target = None
    for pattern in _REVIEWED:
        for m in pattern.finditer(body):
            years = [g for g in m.groups() if g]
            if years:
                reviewed = int(years[0])
                break
        if reviewed:
            break
    for pattern in _TARGETS:
        for m in pattern.finditer(body):
            years = [g for g in m.groups() if g]
            if years:
                target = int(years[0])
                break
        if target:
            break
    if reviewed and target and target != reviewed + 1:
        # they disagree (a plan's target year, a target reviewed): the review heading is the sturdier clue
        target = reviewed + 1
    return reviewed, target


def _plan_years(body: str, year: int | None) -> tuple[int, ...]:
    if not year:
        return ()
    counts = Counter(int(y) for y in _PLAN_END.findall(body) if year + 2 <= int(y) <= year + 10)
    return tuple(sorted(y for y, n in counts.items() if n >= 2))


def _from_file_name(stem: str) -> tuple[str, int | None, list[str]]:
    """(region, year, enclosing regions) from a file name: "深圳市政府工作报告_2025年",
    "2024-zhumadian-government-work-report", "2024-baoding-qingyuan-…", "2022-state-council-…"."""
    s = normalize(stem)
    m = re.search(r"(?<!\d)(20\d\d)(?!\d)", s)
    year = int(m.group(1)) if m else None
    cjk = re.sub(r"[^\u4e00-\u9fff]+", " ", s).strip()
    if cjk:
        if re.search(r"国务院|全国人民代表大会|中央人民政府", cjk):
            return NATIONAL, year, []
        for part in cjk.split():
            part = re.sub(r"(?:人民)?政府工作报告.*$|政府.*$|工作报告.*$", "", part)
            region, ctx = _most_specific(part)
            if region and find_places(region):
                return region, year, ctx
    words = [w for w in re.split(r"[^a-z]+", s.lower()) if w and w not in _SLUG_STOP]
    if not words:
        return "", year, []
    text = " ".join(words)
    if re.search(r"\bstate council\b|\bnational\b|\bchina\b|\bguowuyuan\b", text):
        return NATIONAL, year, []
    g = gazetteer()
    found: list[str] = []
    i = 0
    while i < len(words):
        for span in (3, 2, 1):
            key = "".join(words[i:i + span])
            if i + span <= len(words) and key in g.by_key:
                d = pick_division(g.by_key[key], found)  # homonyms: what was found before is the context
                if d is not None:
                    found.append(d.name)
                i += span
                break
        else:
            i += 1
    if not found:
        return "", year, []
    return found[-1], year, found[:-1]


def _iso(year: int, month: int, day: int) -> str | None:
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _cn_number(s: str) -> int:
    """"二十七" → 27, "十" → 10, "一" → 1."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


def _arabic_dates(text: str) -> str:
    """"二〇二六年一月二十七日" → "2026年1月27日", "二0二四年" → "2024年" (one date pattern serves all spellings)."""
    def repl(m: re.Match[str]) -> str:
        digits = [_CN_DIGITS[c] for c in m.group(1)]
        if digits[0] != 2 or digits[1] != 0:
            return m.group(0)
        year = "".join(str(d) for d in digits)
        if m.group(2):
            return f"{year}年{_cn_number(m.group(2))}月{_cn_number(m.group(3))}日"
        return f"{year}年"

    return _CN_DATE.sub(repl, text)


def _trim_region(name: str) -> str:
    """"在东川区" / "代表东川区" / "会议上保定市" → the name; "我代表区", "自治区" (no name) → ""."""
    if "在" in name[:-1]:
        name = name.rsplit("在", 1)[1]
    for prefix in ("我代表", "代表", "会议上", "在", "于", "向"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    bare = re.fullmatch(_REGION_SUFFIX + r"|全[省市区县州]|本[省市区县]|我[省市区县]|省人民|市人民", name)
    return "" if len(name) < 2 or bare else name


def _report_id(rel_path: str) -> str:
    stem = rel_path.rsplit(".", 1)[0] if "." in Path(rel_path).name else rel_path
    return re.sub(r"[^\w\-]+", "-", stem.replace("/", "--")).strip("-") or "report"
