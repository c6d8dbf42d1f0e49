"""Span selection per question type, abstention and follow-ups, on the real reports and model."""
from __future__ import annotations

import pytest

from assistant.dialogue import is_follow_up, resolve

DONGCHUAN = "dongchuan-2026-government-work-report"
KUNMING = "kunming-2025-government-work-report-summary"


def _check_verbatim(assistant, answer):
    """Every answer is a verbatim span of its first citation, and offsets point at it."""
    assert not answer.abstained
    cite = answer.citations[0]
    assert cite.text[cite.start:cite.end] == answer.answer
    report = assistant.reports[cite.report]
    assert report.text[cite.report_start:cite.report_end] == answer.answer
    assert answer.answer in answer.sentence


@pytest.mark.parametrize(
    "question, expected, report",
    [
        ("东川区2025年地区生产总值是多少？", "135.53亿元", DONGCHUAN),
        ("东川区2025年地区生产总值增长了多少？", "4.4%", DONGCHUAN),
        ("东川区2026年地区生产总值增长目标是多少？", "6%以上", DONGCHUAN),
        ("“十四五”时期东川地区生产总值年均增长多少？", "3.7%", DONGCHUAN),
        ("2026年东川区固定资产投资目标是多少？", "80亿元以上", DONGCHUAN),
        ("2025年东川区城镇常住居民人均可支配收入增长多少？", "2.8%", DONGCHUAN),
        ("昆明市2025年地区生产总值增长目标是多少？", "5%左右", KUNMING),
        ("昆明市2025年失业保险参保人数力争达到多少？", "155万人", KUNMING),
    ],
)
def test_number_spans(assistant, question, expected, report):
    answer = assistant.ask(question)
    _check_verbatim(assistant, answer)
    assert answer.answer.endswith(expected) and len(answer.answer) <= len(expected) + 3
    assert answer.citations[0].report == report
    assert answer.qtype == "number"


def test_first_citation_is_the_right_section(assistant):
    answer = assistant.ask("东川区2025年地区生产总值是多少？")
    assert answer.citations[0].section.startswith("一、“十四五”时期和2025年工作回顾")
    target = assistant.ask("东川区2026年地区生产总值增长目标是多少？")
    assert target.citations[0].section.startswith("三、2026年重点工作")


def test_glossary_definition(assistant):
    answer = assistant.ask("“六个东川”指什么？")
    _check_verbatim(assistant, answer)
    assert answer.answer == "实力东川、幸福东川、开放东川、绿美东川、平安东川、和谐东川"
    assert answer.citations[0].section == "名词解释 > “六个东川”"


def test_full_width_glossary_question_matches_half_width_text(assistant):
    answer = assistant.ask("“三品一特”是什么意思？")
    _check_verbatim(assistant, answer)
    assert answer.answer == "食品、药品、重点工业产品、特种设备"


def test_list_span(assistant):
    answer = assistant.ask("昆明深化财税体制改革要打造哪几种财政？")
    _check_verbatim(assistant, answer)
    assert "健康财政、安全财政、发展财政、民生财政、质效财政" in answer.answer
    assert len(answer.answer) <= 40


@pytest.mark.parametrize("question, items", [
    # the report's items, not the words around them nor the name that counts them
    ("东川区的五个亿元产业是哪些？", 5), ("东川区七个千万级产业是什么？", 7)])
def test_a_counted_list_is_its_items(assistant, question, items):
    answer = assistant.ask(question)
    _check_verbatim(assistant, answer)
    assert answer.answer.count("、") + 1 == items and "产业" not in answer.answer and "即" not in answer.answer


def test_question_words_of_english_are_whole_words():
    from assistant.reader import analyze
    from assistant.text import normalize

    assert not analyze("What strategy will accelerate the explanation?").wants_rate  # not the "rate" of "strategy"
    assert analyze("What is the 2026 target for cutting CO2 emissions per unit of GDP?").wants_growth
    assert not analyze(normalize("上海2025年PM2.5年均浓度是多少？")).five_year  # one year's mean, no five-year average
    # the forms of a form: "粮食产量" → "粮食总产量" → "粮食总产" (reports write "粮食总产762亿斤")
    assert "粮食总产" in analyze("What was the total grain output in 2023?").terms[0].split("|")


def test_a_figure_counts_the_subject_written_right_after_it(assistant):
    # "完成9个行政村生活污水治理项目": the figure stands before the noun it counts, no subject before it
    answer = assistant.ask("东川区完成了多少个行政村生活污水治理项目？")
    _check_verbatim(assistant, answer)
    assert answer.answer.startswith("9个") and "行政村" in answer.sentence


@pytest.mark.parametrize("question, target", [
    ("2023年乡村振兴行动计划惠及多少农户？", False),  # 计划 ends a programme's name (行动计划): no target asked
    ("2024年计划新增就业多少人？", True),
    ("主要预期目标是什么？", True),
    # "会…吗" asks what will be (the plan's); the 会 of 社会 or 会议 asks nothing
    ("2020年退休老人的养老金会涨吗？", True),
    ("社会保障卡能异地使用吗？", False),
])
def test_a_word_that_only_ends_a_name_asks_nothing(question, target):
    from assistant.reader import analyze

    assert analyze(question).wants_target is target


def test_a_magnitude_counts_the_noun_the_question_counts():
    from assistant.reader import spans as S
    from assistant.reader.extractor import _counts_asked_noun

    text = "提高学生营养改善计划补助标准,3700多万学生受益,2.9亿在校学生,新增5000万元资金。"
    figures = {text[s.start:s.end]: s for s in S.numbers(text, 0, len(text))}
    assert _counts_asked_noun("惠及多少学生？", text, figures["3700多万"])
    assert _counts_asked_noun("有多少学生？", text, figures["2.9亿"])  # a word between: "在校"
    assert not _counts_asked_noun("惠及多少学生？", text, figures["5000万元"])  # a unit of its own
    assert not _counts_asked_noun("惠及多少企业？", text, figures["3700多万"])  # it counts another noun


@pytest.mark.parametrize("question, growth", [
    ("2020年增加国家铁路建设资本金多少？", False),  # the verb of an allocation, its object, then the amount
    ("地区生产总值比上年增加了多少？", True),
    ("非急需非刚性支出压减多少？", True),  # a cut is a change
    ("宽带上网的费用要降多少？", True),
    ("减税降费一共减了多少？", False),  # the amount a cut came to: an amount, not a rate
])
def test_which_questions_ask_a_change(question, growth):
    from assistant.reader import analyze

    assert analyze(question).wants_growth is growth


def test_an_amount_of_a_rate_indicator_is_an_amount():
    from assistant.reader import analyze

    # "赤字规模" asks the deficit in money, not the 赤字率 its everyday wording "赤字" stands for
    assert analyze("2020年财政赤字规模比去年增加多少？").unit_class != "percent"
    assert analyze("赤字是多少？").unit_class == "percent"


def test_an_english_question_asks_what_its_own_words_ask():
    from assistant.reader import analyze

    # "were added" is translated 新增|增加 to find the passage, but asks a count, not a growth
    assert not analyze("How many high-tech enterprises were added in 2021?").wants_growth
    assert analyze("How fast did GDP grow in 2021?").wants_growth


def test_english_plural_phrases_match_the_singular():
    from assistant.knowledge import english_groups

    assert ("特别国债",) in english_groups("How large was the special treasury bond issue?")
    assert ("货物", "商品") in english_groups("How much were the goods worth?")
    assert not any("货物" in g for g in english_groups("How many good days were there?"))


@pytest.mark.slow
def test_a_list_item_that_opens_with_its_figure_owns_the_words_after_it(assistant_all):
    # 岳阳 2024 "推动4500家企业上云、600家企业上平台": 上云 counts the 4500, not the 600 after the 、
    cloud = assistant_all.ask("岳阳2024年要推动多少家企业上云？")
    platform = assistant_all.ask("岳阳2024年要推动多少家企业上平台？")
    _check_verbatim(assistant_all, cloud)
    _check_verbatim(assistant_all, platform)
    assert cloud.answer.startswith("4500家") and platform.answer.startswith("600家")


def test_a_known_wording_is_whole_words_of_the_question():
    from assistant.reader import analyze

    # "失业" is a wording of the unemployment rate, but not inside "失业保险基金": no percentage is asked
    fund = analyze("2022年使用多少失业保险基金支持稳岗和培训？")
    assert fund.unit_class != "percent" and not any("失业率" in t for t in fund.terms)
    # a wording of several words still counts ("找到工作" → 城镇新增就业)
    assert any("城镇新增就业" in t.split("|") for t in analyze("安徽去年城里新找到工作的有多少人？").terms)


def test_an_english_word_translated_two_ways_needs_only_one_of_them():
    from assistant.knowledge import english_groups
    from assistant.reader import analyze

    groups = english_groups("How many new urban jobs did the city create?")
    create = next(g for g in groups if "新增" in g)
    assert len(create) >= 2  # the data file gives "create" more than one Chinese wording …
    terms = analyze("How many new urban jobs did the city create?").terms
    # … which the question holds as one term with alternatives, not as words a passage must all write
    assert sum(1 for t in terms if set(t.split("|")) & set(create)) == 1
    assert any(set(create) <= set(t.split("|")) for t in terms)


@pytest.mark.parametrize("question, kept, dropped", [
    ("如何加强国际合作？", "合作", "合"),  # a two-character word keeps both its characters …
    ("政府工作报告认为还存在哪些问题？", "存在", "存"),
    ("需要实现哪些重要目标？", "重要", "重"),
    ("报告认为发展还有哪些短板？", "短板", "认为"),  # … and who said it ("认为", "指出") is no subject
    ("去年卖出了多少头猪？", "猪", "头猪"),  # the counting word goes with 多少, not with the noun it counts
    ("新建的大桥有多大？", "大桥", "大"),  # "有多大" asks how big: neither 多 nor 大 is a subject
])
def test_question_terms_are_whole_words_and_not_the_reports_voice(question, kept, dropped):
    from assistant.reader import analyze

    terms = analyze(question).terms
    assert kept in terms and dropped not in terms, terms


def test_a_year_that_names_the_report_chooses_the_report_and_asks_nothing_of_its_passages():
    from assistant.reader import analyze
    from assistant.reader.question import about_contents

    named = analyze("涞水县2022年政府工作报告认为涞水发展还存在哪些问题和短板？")
    assert named.years == (2022,) and named.report_years == (2022,)  # the scope still takes 2022's report
    assert about_contents(named).years == ()  # … whose review of 2021 answers
    english = analyze("What does the 2024 government work report say about jobs?")
    assert english.report_years == (2024,)
    both = analyze("2024年政府工作报告提出2024年经济增长目标是多少？")  # written twice: the year is asked about too
    assert both.report_years == () and about_contents(both).years == (2024,)
    assert analyze("东川区2025年地区生产总值是多少？").report_years == ()


@pytest.mark.parametrize(
    "question, expected",
    [
        ("东川区2026年政府工作报告是谁作的？", "游涯坤"),
        ("东川区2026年政府工作报告是哪天作的？", "2026年2月10日"),
        # nothing asked but the report's own speaker or date: its opening lines answer in full
        ("东川区政府工作报告的报告人是谁？", "游涯坤"),
        ("东川区政府工作报告是哪天作的？", "2026年2月10日"),
        ("昆明市第十五届人民代表大会第五次会议在哪里开幕？", "昆明会堂"),
        ("昆明市2025年政府工作报告是在哪次会议上提出的？", "第十五届人民代表大会第五次会议"),
    ],
)
def test_person_date_place_meeting(assistant, question, expected):
    answer = assistant.ask(question)
    _check_verbatim(assistant, answer)
    assert expected in answer.answer and len(answer.answer) <= len(expected) + 6


def test_english_question(assistant):
    answer = assistant.ask("What was Dongchuan's GDP in 2025?")
    _check_verbatim(assistant, answer)
    assert answer.answer == "135.53亿元"


def test_names_in_pinyin_are_read_as_the_corpus_words(assistant):
    # no word list holds every name; the corpus's own vocabulary, read in pinyin, does
    names = assistant.pinyin_words
    assert names.word("Xi Jinping") == "习近平" and names.word("Jinping Xi") == ""
    assert names.word("Dongchuan") == "东川"
    assert names.word("National") == names.word("Games") == ""
    info = assistant.analyze("What did Xi Jinping's inspection of Yunnan bring to the district?")
    assert "习近平" in info.terms and "习近平" in info.search_text


@pytest.mark.parametrize(
    "question",
    [
        "东川区2025年常住人口是多少？",
        "东川区2024年地区生产总值是多少？",
        "上海市2026年地区生产总值增长目标是多少？",
        "昆明市2024年一般公共预算收入完成了多少？",
        "东川区2025年规上工业增加值的绝对额是多少亿元？",
    ],
)
def test_abstains_when_the_reports_do_not_answer(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained and answer.answer == ""
    assert answer.reason.startswith(("报告中未找到", "目前没有收录"))
    # the closest passages are still shown, without a span
    assert answer.citations and all(c.start == -1 for c in answer.citations)


def test_report_filter_restricts_answers(assistant):
    answer = assistant.ask("地区生产总值增长目标是多少？", report=KUNMING)
    assert not answer.abstained and answer.citations[0].report == KUNMING
    assert "5%左右" in answer.answer


@pytest.mark.parametrize(
    "question, message",
    [("", "请输入"), ("   ", "请输入"), ("？？？!!!", "没有文字"), ("问" * 5000, "太长")],
)
def test_bad_questions_get_a_clear_message(assistant, question, message):
    answer = assistant.ask(question)
    assert answer.abstained and message in answer.message


def test_unknown_report_id(assistant):
    answer = assistant.ask("地区生产总值是多少？", report="no-such-report")
    assert answer.abstained and "没有编号" in answer.message


# ---------------------------------------------------------------- follow-ups

@pytest.mark.parametrize(
    "history, question, resolved",
    [
        (["东川区2026年地区生产总值增长目标是多少？"], "那昆明呢？", "昆明地区生产总值增长目标是多少？"),
        (["东川区2025年地区生产总值是多少？"], "2026年的目标呢？", "东川区2026年地区生产总值目标是多少？"),
        (["东川区2025年社会消费品零售总额完成多少？"], "增长了多少？", "东川区2025年社会消费品零售总额增长了多少？"),
        (["东川区2025年地区生产总值是多少？"], "那一般公共预算收入呢？", "东川区2025年一般公共预算收入是多少？"),
        (["“六个东川”指什么？"], "那“六个春城”呢？", "“六个春城”指什么？"),
        # a two-digit year after a question about a year, or alone, is a year
        (["东川区2025年地区生产总值是多少？"], "那24年呢？", "东川区2024年地区生产总值是多少？"),
        (["东川区地区生产总值是多少？"], "那24年呢？", "2024年东川区地区生产总值是多少？"),
    ],
)
def test_resolve_follow_ups(history, question, resolved):
    assert is_follow_up(question)
    assert resolve(question, history) == resolved


@pytest.mark.parametrize("history, question, resolved", [
    # a counterpart (data/counterparts.txt) takes the place of its partner, and what is around it stays
    (["定兴县2021年城镇居民人均可支配收入是多少？"], "农村居民呢？", "定兴县2021年农村居民人均可支配收入是多少？"),
    (["内蒙古城市低保标准是每月多少钱？"], "农村的呢？", "内蒙古农村低保标准是每月多少钱？"),
    (["江苏“十四五”末制造业增加值占地区生产总值比重是多少？"], "服务业呢？",
     "江苏“十四五”末服务业增加值占地区生产总值比重是多少？"),
    # … and the measure word of the earlier ask goes (棚户区 are counted in 套, 老旧小区 in 个)
    (["河北省2023年新开工改造棚户区多少套？"], "老旧小区呢？", "河北省2023年新开工改造老旧小区多少？"),
    # a comparison with no subject of its own compares the earlier question's subject
    (["安国市2021年空气质量优良天数有多少天？"], "比2020年增加了多少天？", "安国市2021年空气质量优良天数比2020年增加了多少天？"),
    # only a verb of a value: the earlier subject's value in the year named
    (["曲阳县2021年全年粮食总产量是多少？"], "2022年要稳定在多少？", "曲阳县2022年全年粮食总产量要稳定在多少？"),
    # air pollutants are counterparts
    (["涞水县PM2.5平均浓度下降了多少？"], "PM10呢？", "涞水县PM10平均浓度下降了多少？"),
    # a phrase opening with the earlier question's preposition replaces its object, the indicator stays
    (["岳阳2023年对RCEP成员国贸易额增长了多少？"], "那对东盟十国呢？", "岳阳2023年对东盟十国贸易额增长了多少？"),
])
def test_follow_ups_swap_counterparts_and_compare(history, question, resolved):
    assert is_follow_up(question, history[-1])
    assert resolve(question, history) == resolved


@pytest.mark.parametrize("question, unit_class, unit_hint", [
    # "how many" of things asks a count (not the area or money beside it: "469套、9.83万平方米违建别墅")
    ("How many illegally built villas were demolished in Laishui County in 2020?", "countable", ""),
    ("How many households switched from coal to gas heating?", "", "户"),
    ("How many households of elderly people received home renovations?", "", "户"),
    ("How many remaining poor people were lifted out of poverty?", "", "人"),
    ("How many days did it take to build phase one?", "", "天"),
    # … but not of a measure or of money
    ("How many tons of grain did Henan produce?", "weight", ""),  # the indicator's own class
    ("How many new loans must Zhumadian's banks issue in 2024?", "", ""),
])
def test_how_many_asks_a_count_of_things(question, unit_class, unit_hint):
    from assistant.reader import analyze
    from assistant.text import normalize

    info = analyze(normalize(question))
    assert (info.unit_class, info.unit_hint) == (unit_class, unit_hint)


def test_question_terms_and_classes_from_the_words_themselves():
    from assistant.reader import analyze
    from assistant.text import normalize

    # jieba's HMM glues a copula to a one-character noun ("输出额是多少" → "额是"): no word, the noun stays
    assert "额" in analyze(normalize("保定市清苑区2023年技术合同输出额是多少？")).terms
    # an index is a bare number ("居民消费价格指数控制在103左右"), not the percentage its indicator is
    assert analyze(normalize("泸州2024年居民消费价格指数要控制在多少？")).unit_class == ""
    assert analyze(normalize("泸州2024年居民消费价格要控制在多少？")).unit_class == "percent"


def test_standalone_questions_are_not_rewritten():
    q = "昆明市2025年地区生产总值增长目标是多少？"
    assert not is_follow_up(q)
    assert resolve(q, ["东川区2025年地区生产总值是多少？"]) == "昆明市2025年地区生产总值增长目标是多少?"


@pytest.mark.parametrize("history, question, resolved", [
    # a question of its own keeps the conversation's place and year when it names neither …
    (["东川区2025年地区生产总值是多少？"], "城镇新增就业多少人？", "2025年东川区城镇新增就业多少人?"),
    (["2019年全国农村贫困人口减少了多少？"], "贫困发生率降到了多少？", "2019年全国贫困发生率降到了多少?"),
    # … and its own when it names one
    (["东川区2025年地区生产总值是多少？"], "昆明市城镇新增就业多少人？", "昆明市城镇新增就业多少人?"),
    (["东川区2025年地区生产总值是多少？"], "2024年城镇新增就业多少人？", "2024年城镇新增就业多少人?"),
])
def test_a_question_of_its_own_keeps_the_conversations_place_and_year(history, question, resolved):
    assert not is_follow_up(question, history[-1])
    assert resolve(question, history) == resolved


def test_a_comparison_with_last_year_is_a_follow_up_not_a_year():
    history = ["2020年拟安排地方政府专项债券多少？"]
    assert is_follow_up("比上一年多了多少？", history[-1])
    assert resolve("比上一年多了多少？", history) == "2020年拟安排地方政府专项债券比上一年多了多少？"


@pytest.mark.slow
@pytest.mark.parametrize("question, wrong", [
    # 涞水 2021 gives "优良天数较去年同期增加48天" and no count of the year's good days
    ("涞水县2020年空气质量优良天数是多少天？", "48天"),
    # 涞源 2025 counts air pollutants ("4项") and gives no count of days: a span of time is no count of things
    ("涞源县2024年空气质量优良天数是多少天？", "4项"),
])
def test_a_change_or_a_count_of_things_is_no_number_of_days(assistant_all, question, wrong):
    answer = assistant_all.ask(question)
    assert answer.abstained or wrong not in answer.answer, answer.answer


def test_the_asked_noun_takes_the_nouns_after_it():
    from assistant.reader.question import _slot_head

    assert _slot_head("涞源县哪个滑雪景区在2024年获评国家4A级旅游景区？") == "滑雪景区"
    assert _slot_head("哪个市场改造完成了？") == "市场"  # a verb ends it


@pytest.mark.slow
def test_follow_ups_of_a_value_verb_and_a_counterpart(assistant_all):
    # 曲阳 2022: "粮食总产量稳定在16万吨以上"; 涞水 2021: "PM2.5、PM10平均浓度下降幅度分别为45.26%、38.78%"
    grain = assistant_all.ask("2022年要稳定在多少？", history=["曲阳县2021年全年粮食总产量是多少？"])
    assert grain.answer == "16万吨以上", grain
    pm10 = assistant_all.ask("PM10呢？", history=["“十三五”期间涞水县PM2.5平均浓度下降幅度是多少？"])
    assert pm10.answer == "38.78%", pm10


@pytest.mark.slow
def test_a_change_asked_is_the_change_not_the_level_before_it(assistant_all):
    # 国务院 2020: "今年拟安排地方政府专项债券3.75万亿元，比去年增加1.6万亿元"
    answer = assistant_all.ask("比上一年多了多少？", history=["2020年拟安排地方政府专项债券多少？"])
    assert not answer.abstained, answer.reason
    assert answer.answer.endswith("1.6万亿元"), answer.answer


def test_counterparts_are_named_whole():
    from assistant.knowledge import counterparts, named_counterparts

    group = next(g for g, items in enumerate(counterparts()) if ("进口",) in items)
    items = counterparts()[group]
    assert named_counterparts("进出口增长5%")[group] == {items.index(("进出口",))}  # no 出口 inside 进出口
    assert named_counterparts("进口增长34.4%")[group] == {items.index(("进口",))}
    cities = next(g for g, items in enumerate(counterparts()) if "城镇" in items[0])
    assert len(named_counterparts("城市和城镇")[cities]) == 1  # one counterpart in two wordings


@pytest.mark.slow
@pytest.mark.parametrize("question, expected", [
    # 驻马店 2024: "银行金融机构存款余额5450.3亿元，贷款余额2952.6亿元"
    ("驻马店2023年银行金融机构贷款余额是多少？", "2952.6亿元"),
    # 涞水 2022: "城乡居民人均可支配收入分别达到3.3万元和1.47万元，同比增长9.9%和13.2%"
    ("涞水县2021年农村居民人均可支配收入增长了多少？", "13.2%"),
    # 驻马店 2024 gives "进口增长34.4%" and no export growth: no answer
    ("驻马店2023年出口增长了多少？", None),
])
def test_a_figure_of_a_counterpart_answers_nothing_about_the_one_asked(assistant_all, question, expected):
    answer = assistant_all.ask(question)
    if expected is None:
        assert answer.abstained, answer.answer
    else:
        assert not answer.abstained, answer.reason
        assert answer.answer == expected


@pytest.mark.slow
@pytest.mark.parametrize("question, expected", [
    # a growth asked of a figure that fell is the fall, quoted with its 下降 (福建 2026: "固定资产投资下降3.3%，
    # 进出口下降5.4%"; 涞源 2021: "社会消费品零售总额完成14.2亿元，同比下降1.2%")
    ("福建2025年固定资产投资增长了多少？", "下降3.3%"),
    ("涞源县2020年社会消费品零售总额同比增长多少？", "下降1.2%"),
    # a list answer is its items only:
    # 吉林 2026: "松原石化园区、辽源高新区、四平新开区入选首批国家级零碳园区建设名单": the items, without the
    # predicate the question repeats, and not one item alone when it counts several
    ("吉林哪三个园区入选首批国家级零碳园区建设名单？", "松原石化园区、辽源高新区、四平新开区"),
    ("吉林哪几个城市入选了国家能源领域首批氢能区域试点？", "长春、松原、白城"),
    # 浙江 2026: "杭州职业技术大学、宁波职业技术大学获批升本"
    ("浙江2025年获批升本的是哪两所职业技术大学？", "杭州职业技术大学、宁波职业技术大学"),
    # English questions name items and things in their Chinese terms:
    # 岳阳 2024: "生产安全事故起数、死亡人数分别下降15.5%、11%": the item an English question names in its
    # Chinese terms ("deaths" → 死亡人数)
    ("By how much did the number of deaths from production safety accidents in Yueyang fall in 2023?", "11%"),
    # 内蒙古 2026: "绿氢产量突破1万吨"
    ("How much green hydrogen did Inner Mongolia produce in 2025?", "突破1万吨"),
    # each value of a run is a change of its item:
    # 国务院 2022: "居民医保和基本公共卫生服务经费人均财政补助标准分别再提高30元和5元": "提高多少" asks the
    # change, and a later value of the run has the run's verb before it
    ("2022年基本公共卫生服务经费再提高多少？", "5元"),
    ("2022年居民医保人均财政补助标准再提高多少？", "30元"),
    # an answer says what it is: the ordinal with the noun asked ("第几届省运会", 安徽 2026: "办好第十六届省运会"),
    # a threshold as written ("突破" is "more than", 岳阳 2024: "力争高新技术企业突破1000家")
    ("安徽2026年要办好的是第几届省运会？", "第十六届省运会"),
    ("岳阳2024年高新技术企业数量力争达到多少家？", "突破1000家"),
    # "哪些…服务短板" read in "补齐妇幼儿科、精神卫生、老年医学等服务短板" (国务院 2022): the items the report
    # names as the asked thing, not the clause around them
    ("2022年全国政府工作报告要补齐哪些医疗服务短板？", "妇幼儿科、精神卫生、老年医学"),
    # a long indicator written by its head alone (曲阳 2022: "全年优良天数达到240天，较2020年增加41天"), and
    # "多了几天" asks the change
    ("曲阳县2021年空气质量优良天数有多少天？", "240天"),
    ("曲阳县2021年空气质量优良天数比2020年多了几天？", "41天"),
    # a measure word of doses (蠡县 2022: "全年接种疫苗99.9万剂"); English "people" asks 人, not 户
    ("蠡县2021年一共打了多少剂新冠疫苗？", "99.9万剂"),
    ("How many remaining poor people in Laishui County were lifted out of poverty in 2020?", "677人"),
])
def test_answers_on_development_reports(assistant_all, question, expected):
    """Answers that took a general rule each, on development reports."""
    answer = assistant_all.ask(question)
    assert not answer.abstained, answer.reason
    assert answer.answer == expected


def test_follow_up_answers_use_the_conversation(assistant):
    first = "东川区2026年地区生产总值增长目标是多少？"
    answer = assistant.ask("那昆明2025年的目标呢？", history=[first])
    _check_verbatim(assistant, answer)
    assert answer.answer.endswith("5%左右") and answer.citations[0].report == KUNMING
    # another region: its own report's figure, not the first report's year
    other = assistant.ask("那昆明呢？", history=[first])
    assert other.answer.endswith("5%左右") and other.citations[0].report == KUNMING
    growth = assistant.ask("增长了多少？", history=["东川区2025年社会消费品零售总额完成多少？"])
    assert growth.answer.endswith("9.6%")


CITY_REVIEW = ("德阳市2024年政府工作报告\n\n——2024年1月18日在德阳市人民代表大会上\n\n各位代表：\n\n一、2023年工作回顾\n\n"
               "过去一年，全市农村低收入人口减少2317人，低收入人口发生率降至0.8%。前三季度，全市实现地区生产总值"
               "2201.6亿元、增长6.1%。全年城镇新增就业3.2万人。\n\n二、2024年重点工作\n\n"
               "继续推动成德同城化、德眉资协同、德绵一体化发展。\n")


def test_figures_of_a_change_of_part_of_the_year_and_a_list_ending_in_a_question_word(tmp_path) -> None:
    """"减少了多少" about people is answered by the number the verb governs, not by the rate beside it; a
    figure of three quarters does not answer a question about the year; a list whose last item ends in a
    word of the question ("…一体化发展" for "…发展是哪些") is given whole."""
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2024-deyang.txt").write_text(CITY_REVIEW, encoding="utf-8")
    assistant = Assistant(Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False)
    fewer = assistant.ask("德阳市2023年农村低收入人口减少了多少？")
    assert fewer.answer == "2317人", fewer
    year = assistant.ask("德阳市2023年全年地区生产总值是多少？")
    assert year.abstained or "2201.6" not in year.answer, year.answer
    listed = assistant.ask("德阳市2024年要继续推动的区域协同发展是哪些？")
    assert listed.answer.endswith("德绵一体化发展"), listed.answer


@pytest.mark.slow
def test_names_quoted_one_after_another_are_all_the_answer(assistant_all):
    # 广东 2026: "火爆出圈的吉祥物“喜洋洋”、“乐融融”" — both names, not the first
    answer = assistant_all.ask("广东联合港澳承办的十五运会，火爆出圈的吉祥物叫什么名字？")
    assert not answer.abstained, answer.reason
    assert "喜洋洋" in answer.answer and "乐融融" in answer.answer, answer.answer


@pytest.mark.slow
def test_a_list_that_names_what_the_question_sets_aside_is_another_list(assistant_all):
    # 江苏 2026: "苏州实验室获批…，紫金山、太湖、钟山、云龙湖等实验室加快建设" beside the plan's
    # "支持苏州实验室、紫金山实验室等加快建设": "除苏州实验室外" sets the second list aside
    answer = assistant_all.ask("“十四五”期间，除苏州实验室外，江苏还有哪些实验室在加快建设？")
    assert not answer.abstained, answer.reason
    assert "苏州" not in answer.answer and "太湖" in answer.answer, answer.answer


def test_a_share_is_asked_by_how_much_of_a_whole_it_takes():
    from assistant.reader import analyze

    assert analyze("去年财政支出里花在民生上的占多少？").wants_rate
    assert not analyze("去年财政支出是多少？").wants_rate


@pytest.mark.slow
def test_a_total_of_the_whole_year_is_one_years_figure(assistant_all):
    # 安国 2022 (reviewing 2021): "全年累计减免税费4.2亿元" — 累计 over the whole year, not over five
    answer = assistant_all.ask("安国2021年一年给企业减免了多少税费？")
    assert not answer.abstained, answer.reason
    assert answer.answer.endswith("4.2亿元"), answer.answer


def test_a_rank_after_a_ranking_verb_is_a_figure_with_what_it_ranks_among():
    from assistant.reader import spans as S
    from assistant.text import normalize

    text = normalize("地区生产总值增速6.3%,全市排第一;科技创新能力排名全市第7、全省第49。第一次会议。")
    found = {text[sp.start:sp.end]: sp for sp in S.numbers(text, 0, len(text))}
    assert {"全市排第一", "全市第7", "全省第49"} <= set(found)
    assert found["全省第49"].unit_class == "rank" and found["全省第49"].value == 49
    assert "第一" not in found and found["第一次"].unit_class == "ordinal"  # an ordinal alone ranks nothing


@pytest.mark.slow
@pytest.mark.parametrize("question, rank", [
    ("甘肃2025年地区生产总值增速排在全国第几位？", "第2位"),  # the rank, not the growth rate it ranks
    ("清苑科技创新能力跃升全省A类县后，在全省排第几？", "全省第49"),  # among what the question names
])
def test_a_rank_question_gets_the_rank(assistant_all, question, rank):
    answer = assistant_all.ask(question)
    _check_verbatim(assistant_all, answer)
    assert not answer.abstained, answer.reason
    assert answer.answer == rank


@pytest.mark.slow
def test_a_question_naming_a_sessions_report_and_no_place_is_asked_of_that_sessions_reports(assistant_all):
    # "2020年政府工作报告提出…": no place, but the year names the report; the 2026 provinces' 生产性服务业 do not answer
    answer = assistant_all.ask("2020年政府工作报告提出要发展哪些生产性服务业？")
    _check_verbatim(assistant_all, answer)
    assert not answer.abstained, answer.reason
    assert answer.citations[0].report.startswith("2020-")
    assert "研发设计、现代物流、检验检测认证" in answer.answer


def test_question_words_inside_a_quoted_name_make_the_name_the_slot():
    from assistant.reader import spans as S
    from assistant.text import normalize

    text = normalize("3家企业被认定为“专精特新”企业,获评“河北省食品产业强县”。")
    found = [text[sp.start:sp.end] for sp in S.slot_fill("某县获评了哪个食品产业方面的省级称号？", text, 0, len(text))]
    assert "“河北省食品产业强县”" in found
    assert not any(f.endswith("食品") or f.startswith("获评") for f in found)  # never a name cut in two


def test_a_count_of_runs_keeps_its_measure_word():
    from assistant.reader import spans as S
    from assistant.text import normalize

    text = normalize("推动中欧(亚)班列拓线扩量、开行4000班次。")
    assert [text[sp.start:sp.end] for sp in S.numbers(text, 0, len(text))] == ["4000班次"]


def test_an_ordinal_of_a_series_is_a_figure():
    from assistant.reader import spans as S
    from assistant.text import normalize

    text = normalize("做好第七次全国人口普查工作。办好第十六届省运会。")
    found = {text[sp.start:sp.end]: sp for sp in S.numbers(text, 0, len(text))}
    assert found["第七次"].unit_class == "ordinal" and found["第七次"].value == 7
    assert found["第十六届"].value == 16


@pytest.mark.slow
def test_which_ordinal_asks_the_ordinal(assistant_all):
    census = assistant_all.ask("2020年要开展第几次全国人口普查？")
    _check_verbatim(assistant_all, census)
    assert census.answer.startswith("第七次"), census.answer


def test_a_word_no_report_holds_weighs_less_than_a_rare_one(assistant):
    """A question's word that no passage holds ("打零工") cannot tell passages apart: it weighs less than a word
    one passage holds, so the words that do match decide (a paraphrase is not refused for its own wording)."""
    rare = next(t for t in ("铜磷", "东川") if assistant.stats.df(t) >= 1)
    assert assistant.stats.df("零工打短工") == 0
    assert assistant.idf("零工打短工") < assistant.idf(rare)


@pytest.mark.parametrize("question, growth", [
    ("城市低保标准提高到多少？", False),  # the level reached
    ("What was the urban minimum living allowance standard raised to in 2025?", False),
    ("城市低保标准提高了多少？", True),  # the change
    ("By how much was the electricity price cut?", True),
])
def test_a_change_to_a_level_asks_the_level(question, growth):
    from assistant.reader import analyze

    assert analyze(question).wants_growth is growth


def test_a_rate_per_month_is_one_figure_of_money():
    from assistant.reader import spans as S
    from assistant.text import normalize

    text = normalize("城市低保人均保障标准从796元/月提高至842元/月。3月底前完成。")
    found = {text[sp.start:sp.end]: sp for sp in S.numbers(text, 0, len(text))}
    assert {"796元/月", "842元/月"} <= set(found) and found["842元/月"].unit_class == "money/time"
    assert "3月" not in found  # a month alone is a date, not a figure


@pytest.mark.slow
def test_from_one_level_to_another_the_question_asking_to_gets_the_second(assistant_all):
    # 安徽 2026 "城市低保人均保障标准从796元/月提高至842元/月"
    answer = assistant_all.ask("What was Anhui's urban minimum living allowance (城市低保) standard raised to in 2025?")
    _check_verbatim(assistant_all, answer)
    assert answer.answer.startswith("842元"), answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("question, expected", [
    # a fall asked as a growth rate is quoted with its direction ("固定资产投资下降3.3%")
    ("福建省2025年固定资产投资增速是多少？", "下降3.3%"),
    # "增加了多少" asks the amount: "较“十三五”末的9323.1亿元增加4374.4亿元，增长33.6%"
    ("甘肃“十四五”末地区生产总值比“十三五”末增加了多少？", "4374.4亿元"),
    # a share is asked, the rise beside it is no share ("无人机产量增长39%、占全国9成")
    ("广东的无人机产量占全国多大比重？", "9成"),
    # the report counts and names the items asked ("现代物流、绿色食品、先进装备制造3个优势产业")
    ("岳阳要培育壮大的3个优势产业是什么？", "现代物流、绿色食品、先进装备制造"),
    # the gap to a comparator, not the level beside it ("技改投资增长54.5%、全省第2，高于全省37.1个百分点")
    ("驻马店2023年技改投资增长比全省高多少？", "高于全省37.1个百分点"),
    # items listed before as many figures take them in order ("新签约、新开工、新竣工项目545个、559个、523个")
    ("岳阳2023年园区新竣工项目有多少个？", "523个"),
    ("岳阳2023年对东盟十国贸易额增长了多少？", "48.8%"),
    # 国家 as the subject of the question's verb is the national report's
    ("国家说种粮的耕地最少要保住多少亩？", "18亿亩"),
    # the level reached, not the earlier one, of a pair of joined values ("分别从2020年的645元/月、4318元/年提高到
    # 2025年的801元/月、7226元/年"); everyday wording of 户厕 ("改造户厕23568座")
    ("贵州城里的低保标准现在每月是多少钱？", "801元/月"),
    ("阜平县“十三五”期间给农户改了多少座家里的厕所？", "23568座"),
])
def test_which_figure_and_which_items_in_development_reports(assistant_all, question, expected):
    answer = assistant_all.ask(question)
    _check_verbatim(assistant_all, answer)
    assert answer.answer == expected, answer.answer


@pytest.mark.slow
@pytest.mark.parametrize("question, not_attached", [
    # the amount of an indicator the sentence does not name ("盘活价值总量近400亿元" for a GDP 总量)
    ("岳阳市2023年GDP总量是多少亿元？", "近400亿元"),
    # a figure the question itself names says who, it answers nothing ("为390万65岁以上老年人免费体检")
    ("重庆2025年给多少65岁以上老人做了免费体检？", "65岁以上"),
])
def test_a_figure_of_another_indicator_or_of_the_question_is_no_answer(assistant_all, question, not_attached):
    answer = assistant_all.ask(question)
    assert answer.answer != not_attached, answer.answer
    assert answer.abstained or answer.confidence < 0.9, (answer.answer, answer.confidence)
