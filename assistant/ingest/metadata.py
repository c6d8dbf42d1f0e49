"""Report metadata (title, region, year, date, source) inferred from the text.

A sidecar `<report file>.meta.json` next to the report overrides any field.
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

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
_SHORT_DATE = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(20\d\d)年")
_SOURCE = re.compile(r"来源[:：]\s*([^\s|]{2,30})")


def infer_metadata(text: str, rel_path: str) -> ReportMeta:
    """Best-effort metadata from the first lines of a report, then its sidecar overrides."""
    head = normalize(text[:1500])
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()]
    title_line = next((ln for ln in lines[:12] if "政府工作报告" in ln and len(ln) <= 40), "")

    region = ""
    for pattern, source in ((_MEETING_REGION, head), (_TITLE_REGION, title_line), (_GOV_REGION, head[:300])):
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

    date = None
    m = _FULL_DATE.search(head)
    if m:
        date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    elif year:
        m = _SHORT_DATE.search(head[:200])
        if m:
            date = f"{year:04d}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"

    is_summary = not title_line and ("政府工作报告指出" in head or "开幕" in head[:200])
    stem = Path(rel_path).stem
    if region and year:
        title = f"{region}{year}年政府工作报告" + ("(新闻摘要)" if is_summary else "")
    elif title_line:
        title = title_line
    else:
        title = stem
    m = _SOURCE.search(head)
    source = m.group(1) if m else None

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
