"""The span grammar: figures, ranges, tallies, names, joined values, dates and parsed values.

Every sentence is made up in the style of a government report (full-width punctuation
as reports write it); every span is checked to be a verbatim slice of the original text.
"""
from __future__ import annotations

import math

import pytest

from assistant.reader import spans as S
from assistant.text import normalize, sentence_spans
from conftest import CORPUS


def found(finder, text: str) -> list[str]:
    """Texts of the spans a finder returns, sliced from the original (not the normalized) text."""
    norm = normalize(text)
    assert len(norm) == len(text)
    out = []
    for span in finder(norm, 0, len(norm)):
        assert 0 <= span.start < span.end <= len(text)
        assert norm[span.start:span.end] == normalize(text[span.start:span.end])
        out.append(text[span.start:span.end])
    return out


def figures(text: str) -> list[str]:
    return found(S.numbers, text)


# ----------------------------------------------------------------- units


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("全年PM2.5平均浓度下降到17.3微克/立方米。", "17.3微克/立方米"),  # ratio unit; PM2.5 is not a figure
        ("新开工建设保障性住房4万套（间）。", "4万套（间）"),  # alternative in brackets
        ("新增供热面积12个(家)单位。", "12个(家)"),
        ("全社会用电量达到86.4亿千瓦时。", "86.4亿千瓦时"),  # magnitude + compound unit
        ("港口集装箱吞吐量完成325万标箱。", "325万标箱"),
        ("年供水能力提升至1.2亿立方米。", "1.2亿立方米"),
        ("工业用水价格调整为4.1元/吨。", "4.1元/吨"),
        ("每万人口全科医生数达到3.9人/万人。", "3.9人/万人"),
        ("新增光伏装机容量1.5GW。", "1.5GW"),
        ("新型储能规模达到55GWh。", "55GWh"),
        ("全省PM_2.5平均浓度下降到27微克/立方米。", "27微克/立方米"),
        ("外贸进出口总额达到12.6亿美元。", "12.6亿美元"),
        ("新建农村公路310公里。", "310公里"),
        ("建成高标准农田8.6万亩。", "8.6万亩"),
        ("户籍人口城镇化率提高0.8个百分点。", "0.8个百分点"),
        ("农作物秸秆综合利用率达到86‰。", "86‰"),
        ("实现生产总值2860.5亿元，同比增长5.1%。", "2860.5亿元"),
        ("破获刑事案件196起。", "196起"),  # cases and incidents are counted in 起 and 例
        ("完成白内障复明手术1200例。", "1200例"),
        ("350多批次央企来保深度对接。", "350多批次"),
    ],
)
def test_units_including_compound_ones(sentence, expected):
    assert expected in figures(sentence)


@pytest.mark.parametrize("sentence, figure, value", [
    ("提高学生营养改善计划补助标准，3700多万学生受益。", "3700多万", 3.7e7),  # "more than", before the magnitude
    ("惠及500多万在校生。", "500多万", 5e6),
    ("安排资金1000余万元。", "1000余万元", 1e7),  # … and after it
])
def test_more_than_written_before_the_magnitude(sentence, figure, value):
    norm = normalize(sentence)
    span = next(sp for sp in S.numbers(norm, 0, len(norm)) if norm[sp.start:sp.end] == figure)
    assert span.value == value and span.qualifier in ("多", "余")


def test_a_numeral_inside_an_adverb_is_no_figure():
    norm = normalize("对小微企业的存量留抵税额于6月底前一次性全部退还，一次性发放200亿元补贴。")
    found = [norm[sp.start:sp.end] for sp in S.numbers(norm, 0, len(norm))]
    assert "一次" not in found and "200亿元" in found


def test_percent_and_magnitude_kinds():
    norm = normalize("实现生产总值2860.5亿元，增长5.1%，提高0.8个百分点。")
    spans = S.numbers(norm, 0, len(norm))
    kinds = {norm[s.start:s.end]: (s.kind, s.unit, s.unit_class) for s in spans}
    assert kinds["2860.5亿元"] == ("number", "亿元", "money")
    assert kinds["5.1%"] == ("percent", "%", "percent")
    assert kinds["0.8个百分点"] == ("percent", "个百分点", "percentage_point")


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("地区生产总值增长5%左右。", "5%左右"),
        ("固定资产投资增长8%以上。", "8%以上"),
        ("城镇调查失业率控制在5.5%以内。", "5.5%以内"),
        ("居民消费价格涨幅控制在3%以下。", "3%以下"),
        ("审批时限压缩在5个工作日之内。", "5个工作日之内"),
        ("两年内完成改造任务，项目3年内建成投产。", "3年内"),
        ("旅游总收入突破1000亿元大关。", "1000亿元大关"),
        ("粮食播种面积稳定在420万亩上下。", "420万亩上下"),
    ],
)
def test_qualifiers_after(sentence, expected):
    assert expected in figures(sentence)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("全年接待游客约3200万人次。", "约3200万人次"),
        ("带动就业近2万人。", "近2万人"),
        ("新增市场主体超过1.5万户。", "超过1.5万户"),
        ("培育专精特新企业逾百家，引进项目逾120个。", "逾120个"),
        ("新增城镇就业不少于3万人。", "不少于3万人"),
        ("森林覆盖率不低于62%。", "不低于62%"),
    ],
)
def test_approximations_before(sentence, expected):
    assert expected in figures(sentence)


@pytest.mark.parametrize(
    "sentence, not_expected, expected",
    [
        ("参保人数力争达到150万人。", "力争", "150万人"),
        ("全年地区生产总值达到1200亿元。", "达到", "1200亿元"),
    ],
)
def test_verbs_are_not_part_of_a_figure(sentence, not_expected, expected):
    spans = figures(sentence)
    assert expected in spans
    assert not any(not_expected in s for s in spans)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("经济增长预期目标为4.5%—5%。", "4.5%—5%"),
        ("经济增长预期目标为4.5%-5%。", "4.5%-5%"),
        ("经济增长预期目标为4.5%至5%。", "4.5%至5%"),
        ("研发投入年均增长5%到6%。", "5%到6%"),
        ("项目建设周期为3—5年。", "3—5年"),
        ("单个项目补助3-5万元。", "3-5万元"),
    ],
)
def test_ranges(sentence, expected):
    assert expected in figures(sentence)


def test_year_ranges_are_not_figures():
    assert figures("2021—2025年规划实施情况良好。") == []


@pytest.mark.parametrize(
    "sentence, expected, value",
    [
        ("新建三个产业园区。", "三个", 3),
        ("引进高层次人才一百五十名。", "一百五十名", 150),
        ("累计建成充电桩两千个。", "两千个", 2000),
        ("开通十二条公交线路。", "十二条", 12),
        ("全市三成以上的村实现集体经济收入增长。", "三成以上", 30),
        ("实施十大工程。", "十大", 10),
        # a round magnitude after a word of approximation, with a unit
        ("新开工改造城镇老旧小区5.6万个，惠及近千万家庭。", "近千万家庭", 1e7),
        ("带动上百万人就业。", "上百万人", 1e6),
        ("吸引近万名游客。", "近万名", 1e4),
        ("运动员勇夺12金。", "12金", 12),  # medals
    ],
)
def test_chinese_numerals(sentence, expected, value):
    norm = normalize(sentence)
    spans = {norm[s.start:s.end]: s for s in S.numbers(norm, 0, len(norm))}
    assert expected in spans
    assert spans[expected].value == pytest.approx(value)


@pytest.mark.parametrize(
    "sentence",
    ["推进“十四五”规划收官。", "学习贯彻党的二十大精神。", "统一规划建设。", "一方面加强监管。", "壮大汽车零部件产业。",
     "谋划一大批项目。", "千万不要松懈。", "惠及千万家庭。", "数以亿计的劳动者。"],
)
def test_chinese_numerals_that_are_not_figures(sentence):
    assert figures(sentence) == []


def test_thousands_separators_and_full_width_digits():
    assert "1,234.5万元" in figures("完成技改投资1,234.5万元。")
    text = "新增就业岗位１２，３００个，发电量１２万千瓦时。"
    assert "１２万千瓦时" in figures(text)  # the report's own full-width characters are quoted


def test_doubling_and_times():
    assert "翻一番" in figures("力争经济总量翻一番。")
    assert "2.5倍" in figures("城乡居民收入比缩小到2.5倍。")


def test_names_with_digits_are_not_figures():
    assert figures("建设5G基站。") == []
    assert figures("国产大飞机C919实现商业运营。") == []
    assert figures("全面启动“3815”战略。") == []


# ----------------------------------------------------------------- tallies and grades


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("在全国运动会上获得2金1银1铜。", "2金1银1铜"),
        ("在技能大赛中获得3个一等奖2个二等奖。", "3个一等奖2个二等奖"),
        ("在创新大赛中获得1个一等奖、4个三等奖。", "1个一等奖、4个三等奖"),
    ],
)
def test_tallies_are_one_span(sentence, expected):
    spans = figures(sentence)
    assert expected in spans
    assert not any(s != expected and s in expected for s in spans)  # no "2" cut out of the tally


def test_grades():
    assert "5A级" in figures("创建国家5A级旅游景区。")
    assert "4A级" in figures("新增4A级景区3个。")


# ----------------------------------------------------------------- names


def name_spans(text: str) -> dict[str, str]:
    norm = normalize(text)
    return {text[s.start:s.end]: s.kind for s in S.names(norm, 0, len(norm))}


@pytest.mark.parametrize(
    "sentence, expected, kind",
    [
        ("国产大飞机C919实现商业运营。", "C919", "name"),
        ("建成5G基站1200个。", "5G", "name"),
        ("推广AI辅助诊断。", "AI", "name"),
        ("探索ChatGPT等大模型应用。", "ChatGPT", "name"),
        ("全省PM_2.5平均浓度持续下降。", "PM_2.5", "name"),
        ("“梦想”号大洋钻探船正式入列。", "“梦想”号", "quoted"),
        ("科学编制“十五五”规划。", "“十五五”规划", "quoted"),
        ("深入实施“人工智能+”行动。", "“人工智能+”行动", "quoted"),
        ("深入实施人工智能+行动。", "人工智能+", "name"),
        ("认真审议《政府工作报告》。", "《政府工作报告》", "title"),
    ],
)
def test_names(sentence, expected, kind):
    spans = name_spans(sentence)
    assert spans.get(expected) == kind


def test_a_figure_with_a_latin_unit_is_not_a_name():
    assert "1.5GW" not in name_spans("新增光伏装机1.5GW。")
    assert "GW" not in name_spans("新增光伏装机1.5GW。")


def test_preceding_nouns_keep_quotations_and_latin_tokens_whole():
    text = "“梦想”号完成首航。"
    norm = normalize(text)
    span = S.preceding_nouns(norm, 0, len(norm), text.index("完成"))
    assert span and text[span.start:span.end] == "“梦想”号"
    text = "国产大飞机C919实现商业运营。"
    norm = normalize(text)
    span = S.preceding_nouns(norm, 0, len(norm), text.index("实现"))
    assert span and text[span.start:span.end] == "国产大飞机C919"
    # an anchor inside a quotation: the noun phrase ends where the quotation starts
    text = "全市“人工智能+”行动成效明显。"
    norm = normalize(text)
    span = S.preceding_nouns(norm, 0, len(norm), text.index("人工"))
    assert span and text[span.start:span.end] == "全市"


def test_the_number_of_an_article_is_no_list_item():
    text = "七、下列待遇由单位负责，不得在基金中列支。"
    norm = normalize(text)
    assert [text[sp.start:sp.end] for sp in S.enumerations(norm, 0, len(norm))] == []


def test_a_list_after_a_colon_runs_item_by_item_to_the_full_stop():
    text = "七、下列待遇由单位负责，不得在基金中列支：甲期间的工资；乙期间的护理费用；五级、六级职工的津贴。\n八、其他。"
    norm = normalize(text)
    first = norm.index(";") + 1  # the sentence ends at the first item's ；
    span = S.colon_list(norm, 0, first, len(norm))
    assert span and text[span.start:span.end] == "甲期间的工资；乙期间的护理费用；五级、六级职工的津贴"
    assert S.colon_list(norm, 0, first, first + 5) is None  # not past the passage
    one = normalize("要求如下：加强管理。")
    assert S.colon_list(one, 0, len(one), len(one)) is None  # one sentence, no items


def test_enumerations_respect_quotations():
    # the 、 inside the quotation belongs to one item
    text = "重点打造“智慧、绿色”园区、特色小镇、美丽乡村等载体。"
    assert found(S.enumerations, text) == ["“智慧、绿色”园区、特色小镇、美丽乡村"]
    # a list that is one quotation is the list
    text = "统筹推进“强基、扩能、提质、增效”。"
    assert found(S.enumerations, text) == ["“强基、扩能、提质、增效”"]
    # 和 inside a quotation is not where the list starts
    text = "建设“和美乡村”、宜居小镇。"
    assert found(S.enumerations, text) == ["“和美乡村”、宜居小镇"]



def test_a_counted_list_ends_where_a_count_of_its_items_names_it():
    counted = lambda norm, s, e: S.enumerations(norm, s, e, counted=True)  # noqa: E731
    text = "调整产业结构，以乡村旅游、麻核桃、花卉三大主导产业为重点。"
    assert found(counted, text) == ["乡村旅游、麻核桃、花卉"]
    assert found(S.enumerations, text) == ["以乡村旅游、麻核桃、花卉三大主导产业为重点"]  # a definition keeps it
    # a count that is not the number of items is part of the last item
    assert found(counted, "建设新区、老城两个片区三个园区。") == ["新区、老城"]
    assert found(counted, "发展新能源、新材料四个产业集群。") == ["新能源、新材料四个产业集群"]


def test_footnote_marks_are_no_figures():
    assert figures("力争研究与试验发展经费投入强度[26]达1.2%。") == ["1.2%"]
    assert figures("“5个1000”行动^[4]累计入库项目1290个。") == ["1290个"]


def test_a_gap_in_points_keeps_what_it_is_measured_against():
    assert figures("地区生产总值增速高于全省0.5个百分点左右；") == ["高于全省0.5个百分点左右"]
    assert figures("增速快于全国平均水平1.2个百分点。") == ["快于全国平均水平1.2个百分点"]
    assert figures("占比提高2个百分点。") == ["2个百分点"]


# ----------------------------------------------------------------- values asked together


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("每人每月补贴标准分别为30元和5元。", "30元和5元"),
        ("城乡居民收入分别增长6.1%、7.3%。", "6.1%、7.3%"),
        ("两项指标分别为12%、8%和5%。", "12%、8%和5%"),
        ("新增耕地与林地分别为300亩与1.2万亩。", "300亩与1.2万亩"),
    ],
)
def test_values_asked_together(sentence, expected):
    assert found(S.value_pairs, sentence) == [expected]


def test_values_of_different_kinds_are_not_joined():
    assert found(S.value_pairs, "完成投资30亿元、增长5%。") == []
    norm = normalize("完成投资30亿元和5%。")
    a, b = S.numbers(norm, 0, len(norm))
    assert S.joined_values(norm, a, b) is None


def test_respectively_aligns_items_and_values():
    text = "城镇和农村居民人均可支配收入分别增长6.1%、7.3%。"
    norm = normalize(text)
    res = S.respectively(norm, 0, len(norm), text.index("7.3"))
    assert res is not None
    items, values = res
    assert [text[a:b] for a, b in values] == ["6.1%", "7.3%"]
    assert text[items[0][0]:items[0][1]] == "城镇"


@pytest.mark.parametrize("text, asked, items, value", [
    # a joint word holds one item per character, with 分别 or without
    ("城乡居民人均可支配收入分别达到30670元和12945元。", "12945", ["城", "乡"], "12945元"),
    ("城乡低保标准提高到每月815元和615元。", "615", ["城", "乡"], "615元"),
    ("金融机构存贷款余额分别为228.4亿元、159.3亿元。", "159.3", ["存", "贷"], "159.3亿元"),
    # a second run of as many values later in the sentence belongs to the same items
    ("城乡居民人均可支配收入分别达到3.3万元和1.47万元,同比增长9.9%和13.2%。", "13.2", ["城", "乡"], "13.2%"),
    # … and so do the levels reached, in the same clause ("分别从x1、y1提高到x2、y2")
    ("城乡低保平均标准分别从2020年的645元/月、4318元/年提高到2025年的801元/月、7226元/年。", "801", ["城", "乡"],
     "801元/月"),
])
def test_a_joint_word_holds_the_items_of_a_respectively(text, asked, items, value):
    norm = normalize(text)
    res = S.respectively(norm, 0, len(norm), text.index(asked))
    assert res is not None
    got_items, values = res
    assert [text[a:b] for a, b in got_items] == items
    assert value in [text[a:b] for a, b in values]


@pytest.mark.parametrize("text, asked, item, value", [
    # items joined by 、 and as many figures of one unit right after them: the figures are theirs in order
    ("园区新签约、新开工、新竣工项目545个、559个、523个,处置率居全省前列。", "523", "新竣工项目", "523个"),
    ("城镇、农村居民人均可支配收入增长5.1%、6.8%。", "5.1", "城镇", "5.1%"),
    # with 分别, a figure of another unit after the comma is not one of the values
    ("对RCEP成员国、东盟十国贸易额分别增长30.8%、48.8%,179家外贸企业破零倍增。", "48.8", "东盟十国贸易额", "48.8%"),
])
def test_listed_items_take_their_figures_in_order(text, asked, item, value):
    norm = normalize(text)
    res = S.respectively(norm, 0, len(norm), text.index(asked))
    assert res is not None
    items, values = res
    i = [text[a:b] for a, b in values].index(value)
    assert text[items[i][0]:items[i][1]].endswith(item) and len(items) == len(values)


@pytest.mark.parametrize("text, asked", [
    ("新增规上工业企业139家、国家级绿色工厂1家。", "1家"),  # each item has its own figure
    ("完成投资30亿元、增长5%。", "5%"),  # not one unit
])
def test_items_with_figures_of_their_own_are_no_respectively(text, asked):
    norm = normalize(text)
    assert S.respectively(norm, 0, len(norm), text.index(asked)) is None


def test_the_characters_of_a_joint_word_stand_for_their_things():
    norm = normalize("城乡居民人均可支配收入")
    assert "城镇" in S.joint_part(norm, 0, 1) and "农村" in S.joint_part(norm, 1, 2)
    assert S.joint_part(norm, 2, 3) == () and S.joint_part(norm, 0, 2) == ()


@pytest.mark.parametrize("text, asked", [
    ("进出口总额1000亿元、增长5%。", "5%"),  # an amount and its growth: not one figure for each of 进, 出
    ("城乡居民医保和基本公共卫生服务经费人均财政补助标准分别再提高30元和5元。", "5元"),  # items of their own
])
def test_a_joint_word_does_not_make_items_of_what_is_not_one(text, asked):
    norm = normalize(text)
    res = S.respectively(norm, 0, len(norm), text.index(asked))
    if res is not None:
        items, _ = res
        assert all(b - a > 1 for a, b in items)


# ----------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("2026年1月27日在市会堂开幕。", "2026年1月27日"),
        ("大会于1月27日上午开幕。", "1月27日上午"),
        ("项目于今年3月开工。", "今年3月"),
        ("确保年底前全面完成。", "年底前"),
        ("力争2025年底建成投用。", "2025年底"),
        ("二〇二六年一月二十七日", "二〇二六年一月二十七日"),
        ("2025年1-11月规上工业增加值增长5%。", "2025年1-11月"),
        ("产业园项目，6月底前全部投产达效。", "6月底前"),  # a deadline keeps its 前
        ("9月30日之前完成申报。", "9月30日之前"),
        ("11月6日至10日，全国运动会在广州举行。", "11月6日至10日"),  # a span of days is one answer
        ("会议于3月5日—11日召开。", "3月5日—11日"),
        # each day may carry its weekday or lunar date, the span of days stays one answer
        ("1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。",
         "1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）"),
        ("10月1日（周三）至8日（周三）放假调休。", "10月1日（周三）至8日（周三）"),
        ("所得税缴纳一律延缓到明年。", "明年"),  # a relative year a time is set to
    ],
)
def test_dates(sentence, expected):
    assert expected in found(S.dates, sentence)


def test_a_bare_relative_year_is_context_not_a_date():
    assert found(S.dates, "明年要继续加大投入。") == [] and found(S.dates, "比去年增长5%。") == []


def test_dates_are_not_figures():
    assert figures("大会于1月27日上午开幕。") == []
    assert figures("2025年1-11月规上工业增加值增长5%。") == ["5%"]


# ----------------------------------------------------------------- parsing to values


@pytest.mark.parametrize(
    "text, low, high, unit, unit_class, magnitude, qualifier",
    [
        ("5%左右", 5, 5, "%", "percent", 1, "左右"),
        ("4.5%—5%", 4.5, 5, "%", "percent", 1, ""),
        ("135.53亿元", 1.3553e10, 1.3553e10, "元", "money", 1e8, ""),
        ("三成", 30, 30, "%", "percent", 1, ""),
        ("1,234.5万元", 1.2345e7, 1.2345e7, "元", "money", 1e4, ""),
        ("１２万千瓦时", 1.2e5, 1.2e5, "千瓦时", "energy", 1e4, ""),
        ("17.3微克/立方米", 17.3, 17.3, "微克/立方米", "concentration", 1, ""),
        ("4万套（间）", 4e4, 4e4, "套", "count", 1e4, ""),
        ("3—5万元", 3e4, 5e4, "元", "money", 1e4, ""),
        ("约3200万人次", 3.2e7, 3.2e7, "人次", "people_times", 1e4, "约"),
        ("两千个", 2000, 2000, "个", "count", 1, ""),
        ("一百五十名", 150, 150, "名", "people", 1, ""),
        ("翻两番", 4, 4, "倍", "ratio", 1, ""),
        ("310公里", 310_000, 310_000, "米", "length", 1, ""),
        ("8.6万亩", 8.6e4 * 666.6667, 8.6e4 * 666.6667, "平方米", "area", 1e4, ""),
    ],
)
def test_parse_quantity(text, low, high, unit, unit_class, magnitude, qualifier):
    q = S.parse_quantity(text)
    assert q is not None
    assert math.isclose(q.value_low, low, rel_tol=1e-6) and math.isclose(q.value_high, high, rel_tol=1e-6)
    assert (q.unit, q.unit_class, q.magnitude, q.qualifier) == (unit, unit_class, magnitude, qualifier)


@pytest.mark.parametrize("text", ["", "地区生产总值", "C919", "30元和5元"])
def test_parse_quantity_of_non_figures(text):
    assert S.parse_quantity(text) is None


def test_figures_sort_across_units():
    texts = ["2.1亿元", "9800万元", "1.5万元", "21000万元以上"]
    ordered = sorted(texts, key=lambda t: S.parse_quantity(t).value_low)
    assert ordered == ["1.5万元", "9800万元", "2.1亿元", "21000万元以上"]


# ----------------------------------------------------------------- the grammar's data


def test_grammar_is_read_from_the_data_files():
    g = S.grammar()
    assert g.units["微克"].unit_class == "weight"
    assert g.magnitudes["亿"] == 1e8
    assert "左右" in g.after and "约" in g.before
    assert "金" in g.tally and "规划" in g.name_suffixes


# ----------------------------------------------------------------- the bundled reports


@pytest.mark.parametrize("name", ["dongchuan-2026-government-work-report.txt",
                                  "kunming-2025-government-work-report-summary.txt"])
def test_every_figure_of_a_real_report_is_verbatim_and_parses(name):
    text = (CORPUS / name).read_text(encoding="utf-8")
    norm = normalize(text)
    n = 0
    for s, e in sentence_spans(text):
        for span in S.numbers(norm, s, e):
            piece = text[span.start:span.end]
            assert s <= span.start < span.end <= e
            if span.kind != "tally":
                q = S.parse_quantity(piece)
                assert q is not None, piece
                assert span.value == pytest.approx(q.value_low)
            # a figure never starts or ends inside a Latin token ("G213", "PM2.5")
            assert not (span.start > 0 and norm[span.start - 1].isascii() and norm[span.start - 1].isalnum()
                        and norm[span.start].isalnum()), piece
            n += 1
        for span in S.names(norm, s, e):
            assert s <= span.start < span.end <= e
    assert n > 100


def test_indicator_unit_classes_are_classes_the_grammar_produces():
    """indicators.tsv names each indicator's unit class; a class the span grammar never gives a
    unit (a typo, or "weight/volume" where the grammar says "concentration") would make every
    answer to that indicator look like a unit mismatch."""
    from assistant.knowledge import indicator_classes
    g = S.grammar()
    produced = {u.unit_class for u in g.units.values()} | set(g.ratio_classes.values())
    wrong = [(name, cls) for name, cls in indicator_classes() if cls not in produced]
    assert not wrong, f"unit classes the grammar does not produce: {wrong}"


def test_normalize_is_the_per_character_fold_on_every_development_report() -> None:
    """`normalize` replaces each distinct changing character throughout (fast); the definition is a fold
    of each character alone (NFKC where it keeps one character). Both must agree everywhere."""
    import unicodedata

    from assistant.text import ascii_lower
    from conftest import ALL_REPORT_FOLDERS

    def by_character(text: str) -> str:
        return "".join(n if len(n := unicodedata.normalize("NFKC", c)) == 1 else c for c in text)

    odd = "ＧＤＰ增长５．２％，ＰＭ２.５：３０微克／立方米（①㈠）\u3000𝐀𝟏🈁 ﬁ ㍿ Ⅻ 가"
    texts = [odd] + [p.read_text(encoding="utf-8") for folder in ALL_REPORT_FOLDERS for p in folder.glob("*.txt")]
    assert len(texts) > 60
    for text in texts:
        norm = normalize(text)
        assert norm == by_character(text)
        assert ascii_lower(norm) == "".join(c.lower() if "A" <= c <= "Z" else c for c in norm)
    assert normalize(odd).startswith("GDP增长5.2%,PM2.5:30微克/立方米(1㈠) A1")


@pytest.mark.parametrize("report, item", [("2026-hainan-government-work-report", "“剑鱼”“麦德姆”"),
                                          ("2026-guizhou-government-work-report", "“村超”“村BA”")])
def test_names_quoted_one_after_another_are_one_list(report: str, item: str) -> None:
    from conftest import PROVINCES, dev_reports

    text = normalize((dev_reports(PROVINCES) / f"{report}.txt").read_text(encoding="utf-8"))
    pos = text.index(item)
    s, e = next((a, b) for a, b in sentence_spans(text) if a <= pos < b)
    lists = [text[x.start:x.end] for x in S.enumerations(text, s, e)]
    assert item in lists
    # a quoted run never splits a list it sits in, and each list is reported once
    assert len(lists) == len(set(lists))


@pytest.mark.parametrize("entry, expected", [
    ("5.“双一流”：\n指世界一流大学和一流学科。", "指世界一流大学和一流学科"),
    # entries numbered like the footnote marks that cite them: [4], ［12］, 〔23〕
    ("[4]“5个1000”行动：即“十四五”期间，全市每年招商入库1000个项目。", "即“十四五”期间，全市每年招商入库1000个项目"),
    ("［12］“45432”发展架构：\n第一个“4”是指旅游业。", "第一个“4”是指旅游业"),
    ("〔23〕一区三边：“一区”是指县城建成区。", "“一区”是指县城建成区"),
])
def test_the_definition_of_a_glossary_entry(entry, expected):
    norm = normalize(entry)
    d = S.definition(norm, 0, len(norm))
    assert d is not None and entry[d.start:d.end] == expected


def test_an_official_is_a_title_then_a_name():
    assert found(S.officials, "某省人民政府省长 李某某") == ["李某某", "省长"]  # (the name, and the title)
    assert found(S.officials, "国务院总理 李某某") == ["李某某", "总理"]
    assert found(S.officials, "根本在于习近平总书记领航掌舵。") == []  # the name comes before 总书记


def test_measure_words_of_things_counted():
    assert figures("东方航天港海上发射卫星137颗。") == ["137颗"]
