"""Report identity (level, region, session year) holds on every development report, and on messy copies.

The catalogs (`reports.csv`) beside the reports give the truth; each report is also read
again with its title, meeting line and signature cut off (the text starts at "各位代表"),
with a neutral file name, and renamed to a Chinese file name.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from assistant.ingest import discover, load_report
from assistant.ingest.metadata import infer_metadata, override
from assistant.ingest.readers import extract_report
from assistant.types import ReportMeta
from tests.conftest import CORPUS, COUNTIES, MORE_LEVELS, PROVINCES, dev_reports
LEVELS = {"state-council": "national", "province": "province", "prefecture-city": "city", "district": "county",
          "county": "county", "county-level-city": "county"}
# the two bundled reports have sidecars but no catalog
BUNDLED = {"dongchuan-2026-government-work-report.txt": ("county", "东川区", 2026),
           "kunming-2025-government-work-report-summary.txt": ("city", "昆明市", 2025)}


def _most_specific(region: str) -> str:
    """"河北省保定市清苑区" → "清苑区"; "国务院（全国）" → "全国"; "河北省安国市（保定市代管县级市）" → "安国市"."""
    if region.startswith("国务院"):
        return "全国"
    region = re.sub(r"[（(].*?[)）]", "", region)
    return re.findall(r".+?(?:自治区|省|市|区|县)", region)[-1]


def _catalog() -> dict[Path, tuple[str, str, int]]:
    dev_reports(PROVINCES), dev_reports(MORE_LEVELS), dev_reports(COUNTIES)
    truth: dict[Path, tuple[str, str, int]] = {}
    for name, expected in BUNDLED.items():
        truth[CORPUS / name] = expected
    with open(PROVINCES / "reports.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[PROVINCES / row["file"]] = ("province", row["province"], int(row["year"]))
    with open(MORE_LEVELS / "reports.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[MORE_LEVELS / row["file"]] = (LEVELS[row["level"]], _most_specific(row["region"]), int(row["year"]))
    with open(COUNTIES / "reports.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[COUNTIES / row["file"]] = (LEVELS[row["level"]], _most_specific(row["region"]), int(row["year"]))
    return truth


@pytest.fixture(scope="module")
def catalog() -> dict[Path, tuple[str, str, int]]:
    return _catalog()


@pytest.fixture(scope="module")
def texts(catalog: dict[Path, tuple[str, str, int]]) -> dict[Path, tuple[str, dict]]:
    out = {}
    for path in catalog:
        extracted = extract_report(path)
        out[path] = (extracted.text, dict(extracted.hints))
    return out


def _identity(meta: ReportMeta) -> tuple[str, str, int | None]:
    return meta.level, meta.region, meta.year


def test_every_report_is_in_the_catalog(catalog: dict[Path, tuple[str, str, int]]) -> None:
    on_disk = {f.path for d in (CORPUS, PROVINCES, MORE_LEVELS, COUNTIES) for f in discover(d)}
    assert on_disk == set(catalog)
    assert len(catalog) >= 52
    assert {lv for lv, _, _ in catalog.values()} == {"national", "province", "city", "county"}


def test_identity_of_every_report(catalog, texts) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for path, expected in sorted(catalog.items()):
        text, hints = texts[path]
        meta = infer_metadata(text, path.name, hints)
        if _identity(meta) != expected:
            wrong.append((path.name, _identity(meta), expected))
        if (meta.reviewed_year, meta.target_year) != (expected[2] - 1, expected[2]):
            wrong.append((path.name, "reviewed/target", meta.reviewed_year, meta.target_year))
        if not meta.english or not meta.english.isascii():
            wrong.append((path.name, "english", meta.english))
    assert not wrong


def test_identity_without_title_meeting_line_or_signature(catalog, texts) -> None:  # type: ignore[no-untyped-def]
    """Cut to "各位代表": the body and the file name (slug, neutral or Chinese) must still say who and when."""
    wrong, misleading_first_year, checked = [], 0, 0
    for path, (level, region, year) in sorted(catalog.items()):
        text, _ = texts[path]
        start = text.find("各位代表")
        if start < 0:
            continue  # a news summary has no speech opening
        checked += 1
        body = text[start:]
        first_year = re.search(r"(20\d\d)年", body)
        misleading_first_year += bool(first_year and int(first_year.group(1)) != year)
        for name in (path.name, "report.txt", f"{region}政府工作报告_{year}年.txt"):
            meta = infer_metadata(body, name)
            if _identity(meta) != (level, region, year):
                wrong.append((path.name, name, _identity(meta)))
    assert checked == len(catalog) - 1
    assert misleading_first_year >= 30  # the test would catch dating a report by its first year
    assert not wrong


def test_chinese_file_name_and_copy_on_disk(catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A report copied under a Chinese name loads through the real ingest path with the same identity."""
    for path, (level, region, year) in sorted(catalog.items())[::5]:
        target = tmp_path / f"{region}政府工作报告_{year}年{path.suffix}"
        target.write_bytes(path.read_bytes())
        (file,) = [f for f in discover(tmp_path) if f.path == target]
        meta = load_report(file).meta
        assert _identity(meta) == (level, region, year), target.name
        target.unlink()


def test_titleless_copy_named_only_by_its_file() -> None:
    body = ("各位代表：\n现在，我代表市人民政府，向大会报告工作，请予审议。\n一、2024年工作回顾\n"
            "2024年是实现“十四五”规划目标任务的关键一年。初步统计，2024年全市地区生产总值增长5%。\n"
            "二、2025年重点工作\n2025年经济社会发展的主要预期目标是：地区生产总值增长5%左右。\n")
    for name in ("深圳市政府工作报告_2025年.txt", "2025-shenzhen-government-work-report.txt"):
        meta = infer_metadata(body, name)
        assert (meta.level, meta.region, meta.year) == ("city", "深圳市", 2025), name
        assert meta.aliases == ("深圳",) and meta.english == "Shenzhen" and meta.parents == ("广东省",)
        assert (meta.reviewed_year, meta.target_year) == (2024, 2025)
        assert meta.title == "深圳市2025年政府工作报告"


def test_national_report_scope(catalog, texts) -> None:  # type: ignore[no-untyped-def]
    national = [p for p, v in catalog.items() if v[0] == "national"]
    assert len(national) >= 2
    for path in national:
        meta = infer_metadata(*texts[path][:1], path.name)
        assert meta.region == "全国" and meta.level == "national"
        assert {"全国", "我国", "国家", "中国", "国务院"} <= set(meta.aliases)
        assert meta.english == "China"


def test_names_and_parents(catalog, texts) -> None:  # type: ignore[no-untyped-def]
    metas = {infer_metadata(texts[p][0], p.name, texts[p][1]).region: infer_metadata(texts[p][0], p.name, texts[p][1])
             for p in catalog}
    assert metas["清苑区"].parents[:2] == ("保定市", "河北省") and metas["清苑区"].english == "Qingyuan District"
    assert metas["博野县"].english == "Boye County" and metas["安国市"].level == "county"
    assert metas["内蒙古自治区"].aliases == ("内蒙古",) and metas["内蒙古自治区"].english == "Inner Mongolia"
    assert metas["广西壮族自治区"].aliases == ("广西",) and metas["陕西省"].english == "Shaanxi"
    assert metas["驻马店市"].english == "Zhumadian" and metas["驻马店市"].parents == ("河南省",)
    assert metas["东川区"].parents == ("昆明市", "云南省")
    assert 2030 in metas["东川区"].plan_years  # a 2026 report also sets 十五五 targets to 2030


def test_bundled_corpus_loads_with_its_sidecars() -> None:
    from assistant.ingest import load_corpus

    metas = {r.meta.region: r.meta for r in load_corpus(CORPUS)}
    assert metas["东川区"].source == "东川区人民政府" and metas["东川区"].level == "county"
    assert metas["昆明市"].title == "昆明市2025年政府工作报告(新闻摘要)" and metas["昆明市"].year == 2025


def test_sidecar_sets_identity_and_old_dicts_still_load(tmp_path: Path) -> None:
    meta = infer_metadata("各位代表：\n现在，我代表县人民政府向大会报告工作。\n一、2024年工作回顾\n", "report.txt")
    changed = override(meta, {"region": "深圳市", "year": "2025"})
    assert (changed.level, changed.aliases, changed.english, changed.year) == ("city", ("深圳",), "Shenzhen", 2025)
    assert (changed.reviewed_year, changed.target_year) == (2024, 2025)
    explicit = override(meta, {"region": "前海", "level": "county", "aliases": ["前海"], "english": "Qianhai"})
    assert (explicit.level, explicit.aliases, explicit.english) == ("county", ("前海",), "Qianhai")
    assert override(meta, {"level": "galaxy"}).level == meta.level  # a bad value is ignored, not fatal
    # an index or sidecar written before these fields existed
    old = {"id": "x", "title": "t", "region": "东川区", "year": 2026, "date": None, "source": None, "path": "x.txt"}
    loaded = ReportMeta(**old)
    assert loaded.level == "" and loaded.aliases == ()
    assert ReportMeta.from_dict({**old, "unknown": 1}).region == "东川区"
    round_trip = ReportMeta(**json.loads(json.dumps(changed.to_dict(), ensure_ascii=False)))
    assert round_trip == changed and hash(round_trip) == hash(changed)
    assert {"level", "region", "year", "reviewed_year", "target_year", "aliases", "english"} <= set(changed.to_dict())


def test_report_list_shows_identity(assistant) -> None:  # type: ignore[no-untyped-def]
    """What GET /api/reports and the report filter are built from."""
    items = {r["region"]: r for r in assistant.report_list()}
    assert {k: items["东川区"][k] for k in ("level", "year", "reviewed_year", "target_year", "english")} == {
        "level": "county", "year": 2026, "reviewed_year": 2025, "target_year": 2026, "english": "Dongchuan District"}
    assert items["昆明市"]["level"] == "city" and items["昆明市"]["aliases"] == ["昆明"]


def test_development_reports_are_listed_and_intact() -> None:
    """Every development report is in its folder's catalog and in SHA256SUMS, and every listed file is intact."""
    from tests.conftest import DEV_REPORTS

    from tests.conftest import NOTICES

    for folder in (PROVINCES, MORE_LEVELS, COUNTIES, NOTICES):
        dev_reports(folder)
        with open(folder / "reports.csv", encoding="utf-8") as f:
            catalogued = {row["file"] for row in csv.DictReader(f)}
        assert catalogued == {p.name for p in folder.glob("*.txt")}, folder.name
    listed = {line.split("  ", 1)[1] for line in (DEV_REPORTS / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    on_disk = {f"./{p.relative_to(DEV_REPORTS).as_posix()}" for p in DEV_REPORTS.rglob("*")
               if p.is_file() and p.parent != DEV_REPORTS}
    assert listed == on_disk
