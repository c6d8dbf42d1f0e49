"""Report metadata (title, region, year, date, source) inferred from the text.

The text's first lines name the report ("2026年甘肃省政府工作报告"), the meeting it
was delivered at ("——二〇二六年一月二十七日在甘肃省十四届人民代表大会第四次会议上")
and, on web copies, the publisher ("来源：甘肃日报"). Readers and the web-boilerplate
cleaner pass what they found outside the text (an HTML page's meta tags, a
"来源/时间" line they removed) as `hints`. A sidecar `<report file>.meta.json`
next to the report overrides any field.
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Mapping

from ..text import normalize
from ..types import ReportMeta

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"

_CN_NUM = "一二三四五六七八九十"
_REGION_SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|省|市|区|县|州|盟|旗)"
_MEETING_REGION = re.compile(r"([\u4e00-\u9fff]{2,14}?" + _REGION_SUFFIX + r")第?[" + _CN_NUM + r"]+届人民代表大会")
_GOV_REGION = re.compile(r"([\u4e00-\u9fff]{2,12}?" + _REGION_SUFFIX + r")人民政府")
_TITLE_REGION = re.compile(r"(?:\d{4}年)?([\u4e00-\u9fff]{2,12}?" + _REGION_SUFFIX + r")(?:人民政府)?(?:\d{4}年)?(?:《)?政府工作报告")
_FULL_DATE = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日")
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_DATE = re.compile(r"([〇零○Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,4})日")
_MEETING_DATE = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日[^\n。]{0,6}在[^\n。]{2,40}?(?:人民代表大会|人大)")
_SHORT_DATE = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(20\d\d)年")
_SOURCE = re.compile(r"来源[:：]\s*([^\s|]{2,30})")


def infer_metadata(text: str, rel_path: str, hints: Mapping[str, str | None] | None = None) -> ReportMeta:
    """Best-effort metadata from the first lines of a report and the reader's hints.

    hints may carry "title", "source" and "published" (ISO date) found outside the text.
    The date is the delivery date from the meeting line when the text has one (that is
    the report's date); the publication date of a web copy is the fallback.
    """
    hints = hints or {}
    head = _arabic_dates(normalize(text[:1500]))
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()]
    title_line = next((ln for ln in lines[:12] if "政府工作报告" in ln and len(ln) <= 40), "")
    # a meeting line wrapped by the page ("在广东省第十四届\n人民代表大会") still names the region
    joined = "".join(lines[:15])

    region = ""
    for pattern, source in ((_MEETING_REGION, head), (_MEETING_REGION, joined), (_TITLE_REGION, title_line),
                            (_GOV_REGION, head[:300])):
        m = pattern.search(source)
        if m and _trim_region(m.group(1)):
            region = _trim_region(m.group(1))
            break

    year = None
    m = _YEAR.search(title_line) if title_line else None
    if m is None:
        m = _YEAR.search(head[:400])
    if m:
        year = int(m.group(1))

    if year is None and hints.get("title"):
        m = _YEAR.search(str(hints["title"]))
        year = int(m.group(1)) if m else None

    date = None
    m = _MEETING_DATE.search(joined) or _FULL_DATE.search(head)
    if m:
        date = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif year:
        m = _SHORT_DATE.search(head[:200])
        if m:
            date = _iso(year, int(m.group(1)), int(m.group(2)))
    if date is None and hints.get("published"):
        date = str(hints["published"])
    if year is None and date:
        year = int(date[:4])

    is_summary = not title_line and ("政府工作报告指出" in head or "开幕" in head[:200])
    stem = Path(rel_path).stem
    if region and year:
        title = f"{region}{year}年政府工作报告" + ("(新闻摘要)" if is_summary else "")
    elif title_line:
        title = title_line
    elif hints.get("title"):
        title = str(hints["title"])
    else:
        title = stem
    m = _SOURCE.search(head)
    source = hints.get("source") or (m.group(1) if m else None) or hints.get("site")
    if not source and region and not is_summary and title_line:
        # a report with no publisher line is the government's own document
        source = f"{region}人民政府"

    meta = ReportMeta(
        id=_report_id(rel_path), title=title, region=region or "", year=year, date=date, source=source, path=rel_path
    )
    return meta


def apply_sidecar(meta: ReportMeta, report_path: Path) -> ReportMeta:
    """Override inferred fields with `<file>.meta.json`, when present and valid."""
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
    fields = {k: data[k] for k in ("title", "region", "year", "date", "source") if k in data}
    if "year" in fields and fields["year"] is not None:
        try:
            fields["year"] = int(fields["year"])
        except (TypeError, ValueError):
            logger.warning("ignoring non-numeric year in %s", sidecar.name)
            fields.pop("year")
    return ReportMeta(**{**meta.to_dict(), **fields})


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
    """"二〇二六年一月二十七日" → "2026年1月27日" (so one date pattern serves both spellings)."""
    def repl(m: re.Match[str]) -> str:
        year = "".join(str(_CN_DIGITS[c]) for c in m.group(1))
        return f"{year}年{_cn_number(m.group(2))}月{_cn_number(m.group(3))}日"

    return _CN_DATE.sub(repl, text)


def _trim_region(name: str) -> str:
    # "在东川区" / "代表东川区" → "东川区"
    if "在" in name[:-1]:
        name = name.rsplit("在", 1)[1]
    for prefix in ( "在", "于", "向", "我代表", "代表"):
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            name = name[len(prefix):]
    return name if len(name) >= 2 and name not in ("我代表省", "代表省", "全省", "全市", "本市") else ""


def _report_id(rel_path: str) -> str:
    stem = rel_path.rsplit(".", 1)[0] if "." in Path(rel_path).name else rel_path
    return re.sub(r"[^\w\-]+", "-", stem.replace("/", "--")).strip("-") or "report"
