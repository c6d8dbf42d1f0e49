"""Places are recognised as whole names: ordinary words stay words, any real division (in Chinese,
English or pinyin) is a place, national scope and level words are understood."""
from __future__ import annotations

import re

import pytest

from assistant.ingest import discover
from assistant.ingest.metadata import infer_metadata
from assistant.ingest.readers import extract_report
from assistant.places import Place, find_places, gazetteer, reports_for
from assistant.types import ReportMeta
from tests.conftest import CORPUS, MORE_LEVELS, dev_reports


def regions(question: str, reports: tuple[ReportMeta, ...] = ()) -> list[str]:
    return [p.region for p in find_places(question, reports) if p.kind == "region"]


@pytest.mark.parametrize("question", [
    "如何推进富民增收？", "社会安宁方面有什么措施？", "长治久安方面有何举措？", "推进安宁区域协调发展",
    "国家级开发区有多少家？", "坚持中国特色社会主义", "城区改造有哪些项目？", "如何促进大同小异的产业协同？",
    "哪些指标位居全国第一？", "新增几家国家高新技术企业？", "推进中国式现代化", "哪些景区创建为国家3A级旅游景区？",
    "哪个卫生院达到了国家服务能力推荐标准？", "新增省级重点实验室多少家？", "争取到中央和省级资金多少？",
])
def test_ordinary_words_are_not_places(question: str) -> None:
    assert find_places(question) == ()


@pytest.mark.parametrize("question, expected", [
    ("东川区2025年地区生产总值是多少？", ["东川区"]),
    ("昆明2025年经济增长目标是多少？", ["昆明市"]),
    ("深圳的GDP目标是多少？", ["深圳市"]),
    ("北京今年的经济增长目标", ["北京市"]),
    ("河北粮食产量多少", ["河北省"]),
    ("富民县的人口有多少？", ["富民县"]),
    ("石林彝族自治县旅游收入", ["石林彝族自治县"]),
    ("那昆明呢？", ["昆明市"]),
    ("北京和昆明的目标对比", ["北京市", "昆明市"]),
    ("保定GDP增长多少", ["保定市"]),
    ("驻马店粮食产量", ["驻马店市"]),
    ("内蒙古自治区和广西的目标", ["内蒙古自治区", "广西壮族自治区"]),
    ("河北省保定市清苑区的工业", ["河北省", "保定市", "清苑区"]),
])
def test_chinese_place_names(question: str, expected: list[str]) -> None:
    assert regions(question) == expected


@pytest.mark.parametrize("question, expected, level", [
    ("What is Shenzhen's GDP target?", "深圳市", "city"),
    ("what is shenzhen's gdp target", "深圳市", "city"),
    ("GDP growth of Hebei province in 2024", "河北省", "province"),
    ("How much grain did Inner Mongolia produce?", "内蒙古自治区", "province"),
    ("What about Baoding?", "保定市", "city"),
    ("Tibet's growth target", "西藏自治区", "province"),
    ("Shaanxi GDP", "陕西省", "province"),
    ("How will Shanxi tackle solid waste?", "山西省", "province"),  # 陕西 reads shanxi too, but is "Shaanxi"
    ("How many people live in Chaoyang District?", "朝阳区", "county"),
    ("Which cities will new air routes from Hailar reach?", "海拉尔区", "county"),  # not its pinyin
    ("Harbin's ice and snow tourism", "哈尔滨市", "city"),
    ("What was Hohhot's GDP?", "呼和浩特市", "city"),
])
def test_english_and_pinyin_names(question: str, expected: str, level: str) -> None:
    (place,) = [p for p in find_places(question) if p.kind == "region"]
    assert (place.region, place.level) == (expected, level)


def test_an_english_name_is_its_own_divisions_whatever_the_corpus_holds() -> None:
    """陕西 reads "shanxi" in plain pinyin, but "Shanxi" is 山西 (陕西 is "Shaanxi"): a corpus holding both
    reports, or only 陕西's, never takes "Shanxi" for 陕西."""
    from assistant.types import ReportMeta

    def meta(rid: str, region: str, english: str) -> ReportMeta:
        return ReportMeta(id=rid, title=f"{region}2026年政府工作报告", region=region, year=2026, date="2026-01-27",
                          source="", path=f"{rid}.txt", level="province", english=english)

    shaanxi, shanxi = meta("sn", "陕西省", "Shaanxi"), meta("sx", "山西省", "Shanxi")
    for corpus in ((shaanxi, shanxi), (shaanxi,)):
        found = [p.region for p in find_places("How will Shanxi tackle solid waste?", corpus) if p.kind == "region"]
        assert found == ["山西省"], corpus
        found = [p.region for p in find_places("Shaanxi GDP target", corpus) if p.kind == "region"]
        assert found == ["陕西省"], corpus


def test_english_words_are_not_places() -> None:
    for q in ("What is the GDP target?", "How many new urban jobs were created?", "Which projects start this year?",
              "How much did the retail sales of consumer goods grow?"):
        assert [p for p in find_places(q) if p.kind == "region"] == [], q


def test_a_persons_name_is_not_a_place() -> None:
    # 金平/锦屏 are counties "Jinping", but "Xi Jinping" names a person; a capitalised word after a
    # sentence's first word, or after a place, still names a place
    assert regions("On which dates did Xi Jinping make his inspection tour of Yunnan?") == ["云南省"]
    assert regions("When did Li Qiang visit Guangdong?") == ["广东省"]
    assert len(regions("What is the GDP of Jinping County?")) == 1
    assert len(regions("In Jinping County, how many jobs were added?")) == 1
    assert regions("How fast did Hebei Quyang County grow?") == ["河北省", "曲阳县"]



def test_a_place_inside_the_name_of_a_thing_is_no_scope() -> None:
    # "西安咸阳国际机场" names an airport, not the report of 西安 or 咸阳 (the question is asked of every report);
    # so does its English name, and any capitalised name that holds a name head of place_words.json
    assert regions("西安咸阳国际机场2025年旅客吞吐量是多少？") == []
    assert regions("How many passengers did Xi'an Xianyang International Airport handle in 2025?") == []
    assert regions("What did Zhengzhou Airport Economy Zone achieve in 2025?") == []
    # the place itself, a level after it, or a thing named after it later on, is still the place asked
    assert regions("What did Yunnan Province say about Kunming Station?") == ["云南省"]
    assert regions("What will Beijing do for the Beijing Marathon?") == ["北京市"]
    assert regions("In Xi'an, how many jobs were added?") == ["西安市"]


def test_every_prefecture_by_its_english_name() -> None:
    """Places in no list: every prefecture-level division of the gazetteer, by its pinyin name."""
    from pypinyin import lazy_pinyin

    missed = []
    cities = [d for d in gazetteer().divisions if d.level == "city" and d.short and not re.search(r"[族]", d.short)]
    assert len(cities) > 300
    for d in cities:
        name = "".join(lazy_pinyin(d.short)).capitalize()
        places = [p for p in find_places(f"What is {name}'s GDP target for 2025?") if p.kind == "region"]
        if not places or (places[0].region != d.name and d.name not in places[0].alternatives):
            missed.append((d.name, name, places))
    assert len(missed) <= len(cities) // 50, missed[:10]  # pypinyin may read a rare character otherwise


def test_every_division_by_its_full_chinese_name() -> None:
    missed = []
    g = gazetteer()
    for d in g.divisions:
        if len(d.name) < 3 or len(g.by_name[d.name]) > 1:
            continue
        found = regions(f"{d.name}的地区生产总值是多少？")
        if not found or found[-1] != d.name:
            missed.append((d.name, found))
    assert not missed, missed[:10]


@pytest.mark.parametrize("question", [
    "全国GDP增长目标是多少？", "我国今年的经济增长目标", "国家今年的经济增长目标是多少？", "国务院提出了哪些任务？",
    "What is China's GDP growth target?", "What is the national unemployment rate target?",
    "nationwide grain output", "2022年国内生产总值增长的预期目标是多少？",  # (local reports say 地区生产总值)
    "国家说种粮的耕地最少要保住多少亩？", "2022年国家准备给地方发多少专项债？",  # 国家 as the subject of a verb
    "2021年政府工作报告是哪位总理作的？",
])
def test_national_scope(question: str) -> None:
    kinds = [(p.kind, p.region, p.level) for p in find_places(question)]
    assert kinds == [("national", "全国", "national")]


@pytest.mark.parametrize("question, level", [
    ("各省的GDP增长目标", "province"), ("Which provinces set GDP targets above 5%?", "province"),
    ("哪些省份的增长目标最高", "province"), ("各县的粮食产量", "county"),
])
def test_level_words(question: str, level: str) -> None:
    assert [(p.kind, p.level) for p in find_places(question)] == [("level", level)]


def test_offsets_point_at_the_name() -> None:
    q = "请问What is Shenzhen's和东川区2025年的GDP"
    for p in find_places(q):
        assert q[p.start:p.end] == p.name
    assert all(isinstance(p, Place) for p in find_places(q))


@pytest.fixture(scope="module")
def corpus_metas() -> tuple[ReportMeta, ...]:
    dev_reports(MORE_LEVELS)
    metas = []
    for d in (CORPUS, MORE_LEVELS):
        for f in discover(d):
            extracted = extract_report(f.path)
            metas.append(infer_metadata(extracted.text, f.rel_path, extracted.hints))
    return tuple(metas)


def _ids(question: str, metas: tuple[ReportMeta, ...]) -> list[tuple[str, ...]]:
    return [p.report_ids for p in find_places(question, metas)]


def test_places_map_to_their_reports(corpus_metas: tuple[ReportMeta, ...]) -> None:
    by_region = {m.region: m.id for m in corpus_metas if m.region != "全国"}
    national = tuple(sorted(m.id for m in corpus_metas if m.region == "全国"))  # the State Council's reports
    assert _ids("保定的GDP增长目标", corpus_metas) == [(by_region["保定市"],)]  # the city, not its district
    assert _ids("清苑区的工业", corpus_metas) == [(by_region["清苑区"],)]
    assert _ids("What about Qingyuan District?", corpus_metas) == [(by_region["清苑区"],)]
    assert _ids("Hebei province GDP", corpus_metas) == [(by_region["河北省"],)]
    assert [tuple(sorted(i)) for i in _ids("我国今年的经济增长目标", corpus_metas)] == [national]
    assert [tuple(sorted(i)) for i in _ids("What is China's GDP target?", corpus_metas)] == [national]
    assert len(national) == 2
    # "全国平均每天…" asks about the country; "高于全国平均水平" compares with it
    assert [tuple(sorted(i)) for i in _ids("2019年全国平均每天新增多少家企业？", corpus_metas)] == [national]
    assert _ids("保定城镇居民收入高于全国平均水平多少？", corpus_metas) == [(by_region["保定市"],)]
    assert _ids("东川铜产业发展得怎么样", corpus_metas) == [(by_region["东川区"],)]  # a corpus name opening the question
    assert _ids("Dongchuan copper", corpus_metas) == [(by_region["东川区"],)]
    assert _ids("深圳的GDP目标", corpus_metas) == [()]  # a real place with no report: said so, not guessed
    assert _ids("如何推进富民增收？", corpus_metas) == []


def test_a_region_without_its_own_report_falls_back_to_the_ones_inside(corpus_metas: tuple[ReportMeta, ...]) -> None:
    qingyuan = tuple(m for m in corpus_metas if m.region == "清苑区")
    (place,) = find_places("保定的GDP", qingyuan)
    assert place.report_ids == (qingyuan[0].id,)
    assert reports_for(place, qingyuan, include_within=False) == ()


def test_corpus_names_count_anywhere_unless_they_are_common_words(corpus_metas: tuple[ReportMeta, ...]) -> None:
    """The corpus's own short names need no context ("“十四五”期间东川…"), but a corpus with a report of
    富民县 still reads 富民增收 as a word."""
    assert [p.region for p in find_places("“十四五”期间东川累计引进省外到位资金多少？", corpus_metas)] == ["东川区"]
    assert [p.region for p in find_places("“十四五”期间东川累计引进省外到位资金多少？")] == []  # no report: needs context
    fumin = ReportMeta(id="fumin", title="富民县2025年政府工作报告", region="富民县", year=2025, date=None, source=None,
                       path="fumin.txt", level="county", aliases=("富民",), parents=("昆明市", "云南省"))
    assert find_places("如何推进富民增收？", (*corpus_metas, fumin)) == ()
    assert [p.report_ids for p in find_places("富民县的人口", (*corpus_metas, fumin))] == [("fumin",)]
