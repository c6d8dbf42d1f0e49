"""How the reader uses a sentence's structure, on made-up sentences in the style of reports.

Which words fill a question's wh-slot, which figure is a total and which an addition, a rise
or a fall, which part of a report reviews five years, ratios, figures inside quoted names, and
lexical search for a word the index never saw whole. None of these sentences is from a real
report; every expected span is a verbatim slice.
"""
from __future__ import annotations

import pytest

from assistant.reader import analyze
from assistant.reader import spans as S
from assistant.reader.extractor import Reader
from assistant.text import normalize
from assistant.types import Chunk, Hit, Report, ReportMeta


def slots(question: str, sentence: str) -> list[str]:
    norm = normalize(sentence)
    info = analyze(question)
    return [sentence[sp.start:sp.end] for sp in S.slot_fill(info.text, norm, 0, len(norm), info.slot_head or "",
                                                          frozenset({"预期", "目标", "预期目标"}))]


@pytest.mark.parametrize(
    "question, sentence, expected",
    [
        # the words before the wh-word, then the slot up to the clause end
        ("《某县志》入选了什么？", "历时五年编成的《某县志》，入选“全国名志工程”，全省仅此一部。", "“全国名志工程”"),
        # 哪个X: the noun phrase that ends in X, before the question's next words
        ("文化街是由哪个市场改造而成的？", "将建于90年代的东关市场改造成为集餐饮购物于一体的文化街。", "东关市场"),
        # 什么样的X: after the question's verb, cut just after X
        ("某平台要打造成什么样的社区？", "支持某平台打造成国内领先开源社区，带动生态企业集聚。", "国内领先开源社区"),
        # plural: every item, to the clause end
        ("去年新设立了哪两个中心？", "设立东部数据中心和西部算力中心。", "东部数据中心和西部算力中心"),
        # the slot between two pieces of the question ("在哪里|布局建设|…|产业园")
        ("要在哪里布局建设食品加工产业园？", "完善冷链物流体系，布局建设北坡食品加工产业园，培育龙头企业。", "北坡"),
        # a short verb phrase with a colon: the slot is after the colon
        ("“双百”工程包括哪些项目？", "“双百”工程包括：百个村道改造、百座桥梁加固。", "百个村道改造、百座桥梁加固"),
        # 哪位X: the words describing the person need not be in the sentence, the name is before the rest
        ("2025年哪位某省人被授予“时代楷模”称号？", "“好人”数量居全国第1位，张某某被授予“时代楷模”称号。", "张某某"),
        # …and of the ways to skip them, the one whose words run on longest (not the visitors' "…等|领导同志到某市")
        ("哪位领导同志12次到某市调研检查？", "一年来，甲、乙、丙等领导同志到某市视察指导，张某某同志12次到某市调研检查。",
         "张某某"),
        # 哪一届X: the measure word names no noun, the slot runs to the clause end
        ("某省成功申办了哪一届全国性运动会？", "体育事业蓬勃发展，成功申办第十六届全运会。", "第十六届全运会"),
        # …but a one-character noun is the noun the slot ends in ("哪两个县")
        ("某市哪两个县成功创建示范县？", "生态建设成效明显，甲山县、乙平县成功创建全国示范县。", "甲山县、乙平县"),
    ],
)
def test_slot_fill(question, sentence, expected):
    assert expected in slots(question, sentence)


def test_two_characters_glued_to_the_question_words_are_no_slot():
    # "心理援助热线|体系" ends the question's own compound: it names nothing the question asks
    found = slots("某省要统筹建强的心理援助热线是哪个？", "统筹建强全省统一的12345心理援助热线体系，加强心理健康服务。")
    assert "体系" not in found
    # … while a slot after glue words still is one
    assert "“全国名志工程”" in slots("《某县志》入选了什么？", "《某县志》入选“全国名志工程”。")


@pytest.mark.parametrize("question, qtype", [
    ("某省入围国家培育名单的3个历史经典产业是什么？", "list"),  # as many items as it counts, in digits too
    ("某市要培育壮大的三个优势产业是什么？", "list"),
    ("总书记亲临某省视察是哪几天？", "date"),  # a span of days, not a list
    ("2025年春节放假是哪几天？", "date"),
    ("某省2025年新增了哪几类科技型企业？", "list"),
])
def test_question_kinds_of_counted_items_and_spans_of_days(question, qtype):
    assert analyze(question).qtype == qtype


def test_generic_question_words_are_no_anchor():
    # "预期目标" is what is asked, not where: it must not pick the first target of a list
    assert slots("某区城乡居民收入的预期目标是什么？",
                 "主要预期目标建议为：地区生产总值增长6%以上，城乡居民收入与经济同步增长。") == []


def test_punctuation_is_no_anchor():
    assert slots("全球首座“某某实验堆”建在哪里？", "产业“四地”建设稳步推进。") == []


def test_ratios():
    text = normalize("三次产业结构比调整为12.5：40.1：47.4，结构持续优化。")
    assert [text[sp.start:sp.end] for sp in S.ratios(text, 0, len(text))] == ["12.5:40.1:47.4"]


def test_a_figure_inside_a_short_quotation_is_a_name():
    text = normalize("实施“三个一批”项目84个，推进“两个确立”宣传教育。")
    found = [text[sp.start:sp.end] for sp in S.numbers(text, 0, len(text))]
    assert "84个" in found
    assert not any(f.startswith(("三个", "两个")) for f in found)


# ----------------------------------------------------------------- reading a made-up report

REPORT_TEXT = """某市2026年政府工作报告
一、“十四五”时期和2025年工作回顾
过去五年，全市经济稳步发展。
民生持续改善。城镇新增就业60万人，城乡居民收入年均增长6%。
刚刚过去的2025年，全市上下攻坚克难。
就业形势稳定。城镇新增就业12.5万人，城镇调查失业率5.1%。
交通更加便捷。开通2条地铁新线、新增运营里程25公里，总里程达410公里。
经济平稳运行。地区生产总值增长5.2%，一般公共预算收入下降1.3%。
"""


def _paragraphs(text: str, region: str, section: str) -> tuple[Reader, Report, list[Hit]]:
    """A made-up 2026 report of `region`: every paragraph after the heading lines is a retrieved passage."""
    meta = ReportMeta(id="made-up-2026", title=f"{region}2026年政府工作报告", region=region, year=2026, date=None,
                      source=None, path="made-up-2026.txt", level="city" if region.endswith("市") else "province",
                      reviewed_year=2025, target_year=2026)
    report = Report(meta=meta, text=text)
    hits, pos = [], 0
    for n, para in enumerate(text.split("\n")):
        if para and n >= 2:
            chunk = Chunk(id=f"made-up-2026#{n}", report_id=meta.id, section_path=(section,), text=para, start=pos,
                          end=pos + len(para))
            hits.append(Hit(chunk, 1.0, len(hits) + 1, "test"))
        pos += len(para) + 1
    return Reader({meta.id: report}, lambda term: 1.0), report, hits


def _reader_and_hits() -> tuple[Reader, Report, list[Hit]]:
    return _paragraphs(REPORT_TEXT, "某市", "一、“十四五”时期和2025年工作回顾")


def _answer(question: str) -> str:
    reader, report, hits = _reader_and_hits()
    best = reader.read(analyze(question, ["某市"]), hits).best
    return "" if best is None else report.text[best.start:best.end]


def test_five_year_review_is_known_from_the_paragraph_that_opens_it():
    reader, report, _ = _reader_and_hits()
    assert reader.in_five_year_review(report, REPORT_TEXT.index("城镇新增就业60万人"))
    assert not reader.in_five_year_review(report, REPORT_TEXT.index("城镇新增就业12.5万人"))


def test_a_question_about_one_year_is_not_answered_by_the_five_year_total():
    assert _answer("某市2025年城镇新增就业多少人？") == "12.5万人"


def test_a_total_is_not_answered_by_the_addition():
    assert _answer("某市地铁现在总共有多少公里？") == "410公里"
    assert _answer("某市地铁新增运营里程多少公里？") == "25公里"


def test_a_fall_is_not_answered_by_a_rise():
    assert _answer("某市2025年一般公共预算收入下降了多少？") == "1.3%"
    reader, report, hits = _reader_and_hits()
    best = reader.read(analyze("某市2025年地区生产总值下降了多少？", ["某市"]), hits).best
    assert best is None or dict(best.features).get("attached") == 0.0


def test_bm25_splits_a_word_the_index_never_saw_whole(assistant):
    vocab = assistant.bm25._vocab
    tokens = assistant.bm25.tokens("“东川某某新词”是什么")
    assert tokens and all(t in vocab for t in tokens)
    assert assistant.bm25.tokens("Dongchuan's GDP") == [t for t in ("gdp",) if t in vocab]


def test_a_list_right_before_the_count_words_fills_a_plural_slot():
    assert slots("某县瞄准的三条新赛道是哪三条？", "瞄准智能网联汽车、智能机器人、低空经济三条新赛道，两家企业即将投产。") == \
        ["智能网联汽车、智能机器人、低空经济"]


# ----------------------------------------------------------------- follow-ups

def _years(place: str, targets: bool = False) -> set[int]:
    """A made-up corpus: every province has a 2026 report (reviews 2025, targets 2026)."""
    return {2026} if targets else {2025}


@pytest.mark.parametrize(
    "history, question, resolved",
    [
        # another place whose reports speak of the same year keeps the year
        (["上海市2025年城镇新增就业多少人？"], "那江苏呢？", "江苏2025年城镇新增就业多少人？"),
        # a new subject with its own target replaces the old subject and its growth intent
        (["贵州省2026年地区生产总值增长目标是多少？"], "城镇新增就业目标呢？", "贵州省2026年城镇新增就业目标是多少？"),
        # a one-character verb is no new subject: the old subject stays
        (["某区2023年建成高标准农田多少亩？"], "2024年计划建多少？", "某区2024年高标准农田目标是多少亩？"),
    ],
)
def test_follow_ups_keep_what_they_do_not_replace(history, question, resolved):
    from assistant.dialogue import resolve

    assert resolve(question, history, None, _years) == resolved


REPORT_YEAR_FIRST = """某省2026年政府工作报告
一、2025年和“十四五”时期工作回顾
过去的一年，极不寻常。全省地区生产总值达到5.2万亿元、增长5%，人均地区生产总值达到8.1万元。
“十四五”时期是奋进的五年。地区生产总值五年跨过两个万亿级台阶。
"""


def test_the_first_period_named_in_an_opening_wins_and_per_capita_is_another_indicator():
    meta = ReportMeta(id="prov-2026", title="某省2026年政府工作报告", region="某省", year=2026, date=None, source=None,
                      path="prov-2026.txt", level="province", reviewed_year=2025, target_year=2026)
    report = Report(meta=meta, text=REPORT_YEAR_FIRST)
    reader = Reader({meta.id: report}, lambda term: 1.0)
    assert not reader.in_five_year_review(report, REPORT_YEAR_FIRST.index("5.2万亿元"))
    assert reader.in_five_year_review(report, REPORT_YEAR_FIRST.index("五年跨过"))
    start = REPORT_YEAR_FIRST.index("过去的一年")
    end = REPORT_YEAR_FIRST.index("\n", start)
    chunk = Chunk(id="prov-2026#1", report_id=meta.id, section_path=("一、2025年和“十四五”时期工作回顾",),
                  text=REPORT_YEAR_FIRST[start:end], start=start, end=end)
    best = reader.read(analyze("某省2025年地区生产总值是多少？", ["某省"]), [Hit(chunk, 1.0, 1, "test")]).best
    assert best is not None and REPORT_YEAR_FIRST[best.start:best.end] == "5.2万亿元"


REPORT_LEVELS = """某省2026年政府工作报告
一、2025年工作回顾
过去一年，全省上下攻坚克难。
民生持续改善。人均预期寿命较2020年提高1.2岁、达到80.5岁，城镇居民、农村居民人均可支配收入分别增长4.5%、5.7%，城镇调查失业率4.7%。
经济平稳运行。工业增加值占地区生产总值比重提高到25.5%，地区生产总值增长4.9%。
创新能力提升。全社会研发投入强度提升至2.6%，技术合同成交额突破5000亿元。
"""


def _answer_in(text: str, question: str) -> str:
    reader, report, hits = _paragraphs(text, "某省", "一、2025年工作回顾")
    best = reader.read(analyze(question, ["某省"]), hits).best
    return "" if best is None else text[best.start:best.end]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("某省人均预期寿命是多少岁？", "80.5岁"),  # the level, not the change "提高1.2岁"
        ("某省2025年城镇调查失业率是多少？", "4.7%"),  # not a value of a 分别 list that names other things
        ("某省2025年地区生产总值增长多少？", "4.9%"),  # not the industry's share "占地区生产总值比重"
        ("某省2025年研发投入强度是多少？", "2.6%"),  # an indicator measured in percent
    ],
)
def test_the_figure_of_the_indicator_asked(question, expected):
    assert _answer_in(REPORT_LEVELS, question) == expected


def test_a_growth_wording_is_no_subject_term():
    assert not any("增长" in t for t in analyze("某省2025年居民消费价格涨了多少？").terms)


def test_a_code_the_passage_does_not_name_is_absent():
    from assistant.policy import _absent_code

    text = "某省2026年政府工作报告\n一、2025年工作回顾\n过去一年，攻坚克难。\n蓝天保卫战全面推进。PM2.5浓度同比下降21.15%，优良天数261天。\n"
    for question, absent in (("某省2025年PM10浓度下降了多少？", "PM10"), ("某省2025年PM2.5浓度下降了多少？", "")):
        info = analyze(question, ["某省"])
        best = _read_one(text, "蓝天", question)
        assert best is not None and _absent_code(info, best.chunk.text) == absent


def _read_one(text: str, first_words: str, question: str, places: tuple[str, ...] = ("某省",)):
    """(best candidate, report text) of a made-up report read from the line starting at `first_words`."""
    meta = ReportMeta(id="one-2026", title="某省2026年政府工作报告", region="某省", year=2026, date=None, source=None,
                      path="one-2026.txt", level="province", reviewed_year=2025, target_year=2026)
    start = text.index(first_words)
    end = text.index("\n", start)
    chunk = Chunk(id="one-2026#1", report_id=meta.id, section_path=("一、2025年工作回顾",), text=text[start:end],
                  start=start, end=end)
    reader = Reader({meta.id: Report(meta=meta, text=text)}, lambda term: 1.0)
    return reader.read(analyze(question, list(places)), [Hit(chunk, 1.0, 1, "test")]).best


def test_a_rank_question_is_not_answered_by_an_amount():
    text = "某省2026年政府工作报告\n一、2025年工作回顾\n经济平稳运行。全省地区生产总值5.2万亿元、增长4.9%，总量居全国第8位。\n"
    best = _read_one(text, "经济", "某省2025年地区生产总值排名第几？")
    assert best is not None and text[best.start:best.end] == "第8位"

def test_neighbouring_words_the_reports_write_as_one_name_become_one_term():
    from assistant.reader.terms import TermStats

    texts = ["东方航天港海上发射卫星137颗。", "东方明珠焕新。", "航天产业壮大。", "东方甄选带货。", "港口吞吐量增长。"]
    chunks = [Chunk(id=f"t#{i}", report_id="t", section_path=(), text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
    info = analyze("东方航天港海上发射了多少颗卫星？")
    refined = TermStats(chunks).refine(info)
    assert "东方航天港" in refined.terms and "东方" not in refined.terms


def test_fusion_keeps_each_searchers_best_passage():
    from assistant.retriever.hybrid import reciprocal_rank_fusion

    def run(ids):
        return [Hit(Chunk(id=i, report_id="r", section_path=(), text=i, start=0, end=1), 1.0, n, "x")
                for n, i in enumerate(ids, start=1)]
    lexical = run(["rare", "a", "b", "c", "d"])
    dense = run(["a", "b", "c", "d", "e"])  # the rare name's passage is not among the dense hits at all
    fused = [h.chunk.id for h in reciprocal_rank_fusion([lexical, dense], 4)]
    assert "rare" in fused and len(fused) == 4


def test_a_counted_noun_the_question_names_stays_in_the_answer():
    text = "某市2026年政府工作报告\n一、2025年工作回顾\n开放水平提升。“千里轻舟”货运班轮开通13条航线，中欧班列开行1.2万列。\n"
    best = _read_one(text, "开放", "“千里轻舟”货运班轮开通了多少条航线？", ())
    assert best is not None and text[best.start:best.end] == "13条航线"


REPORT_PARTS = (
    "某省2026年政府工作报告\n一、2025年工作回顾\n"
    "外贸稳中提质，对东盟、欧盟进出口分别增长16.7%、40.2%，跨境电商成为新增长点。\n"
    "开放高地加快建设，进出口总额增长18.2%、增速居全国第3位。\n"
    "民生持续改善，城镇和农村居民人均可支配收入分别增长4.3%、5.5%。\n"
)


@pytest.mark.parametrize(
    "question, expected",
    [
        # parts the question does not name ("对东盟、欧盟…分别"): the whole is asked
        ("某省2025年外贸进出口涨了多少？", "18.2%"),
        # both items, named in everyday words ("城里人" is 城镇), asked together: both values
        ("某省城里人和农村人2025年收入各涨了多少？", "4.3%、5.5%"),
        # one item named: its value
        ("某省2025年农村居民人均可支配收入增长多少？", "5.5%"),
    ],
)
def test_a_breakdown_answers_the_parts_it_names(question, expected):
    assert _answer_in(REPORT_PARTS, question) == expected


def _lines(text: str, lines: tuple[tuple[str, str, tuple[str, ...]], ...]) -> tuple[Reader, list[Hit]]:
    """A reader of a made-up 2026 provincial report and its passages: each the line starting at the given words,
    of the given kind and section path, retrieved in that order."""
    meta = ReportMeta(id="lines-2026", title="某省2026年政府工作报告", region="某省", year=2026, date=None, source=None,
                      path="lines-2026.txt", level="province", reviewed_year=2025, target_year=2026)
    hits = []
    for n, (first, kind, section) in enumerate(lines):
        start = text.index(first)
        end = text.index("\n", start)
        hits.append(Hit(Chunk(id=f"lines-2026#{n}", report_id=meta.id, section_path=section, text=text[start:end],
                              start=start, end=end, kind=kind), 1.0, n + 1, "test"))
    return Reader({meta.id: Report(meta=meta, text=text)}, lambda term: 1.0), hits


def test_a_five_year_target_does_not_answer_one_years():
    text = ("某省2026年政府工作报告\n二、“十五五”时期主要目标任务\n"
            "坚持以人民为中心，城镇新增就业500万人以上，稳步提高居民收入水平。\n"
            "三、2026年重点工作安排\n主要预期目标是：经济增长5%左右，城镇新增就业110万人以上。\n")
    reader, hits = _lines(text, (("坚持", "paragraph", ("二、“十五五”时期主要目标任务",)),
                                 ("主要预期", "paragraph", ("三、2026年重点工作安排",))))
    best = reader.read(analyze("某省2026年要让多少城里人找到新工作？", ["某省"]), hits).best
    assert best is not None and text[best.start:best.end] == "110万人以上"


def test_a_breakdown_of_another_indicator_is_not_read_for_an_everyday_word():
    # "城里" is 城镇 in the report's words, but the 分别 list is about income, not unemployment
    text = ("某省2026年政府工作报告\n一、2025年工作回顾\n"
            "CPI微降0.1%，城镇调查失业率5.2%，城镇、农村居民人均可支配收入分别增长3.4%、5.2%。\n")
    reader, report, hits = _paragraphs(text, "某省", "一、2025年工作回顾")
    best = reader.read(analyze("某省去年城里失业率有多高？", ["某省"]), hits).best
    assert best is not None and (best.start, best.end) == (text.index("5.2%"), text.index("5.2%") + 4)  # the rate


def test_a_name_from_a_sentence_off_the_subject_gives_way_to_the_slot_of_one_on_it():
    # the report's speaker is a name span ("省长 李某某"), but the question asks who was honoured
    text = ("某省2026年政府工作报告\n——2026年1月20日在某省人民代表大会上\n某省人民政府省长 李某某\n"
            "一、2025年工作回顾\n“好人”数量居全国第1位，张某某被授予“时代楷模”称号。\n")
    reader, hits = _lines(text, (("某省人民政府省长", "front", ()), ("“好人”", "paragraph", ("一、2025年工作回顾",))))
    best = reader.read(analyze("2025年哪位某省人被授予“时代楷模”称号？", ["某省"]), hits).best
    assert best is not None and text[best.start:best.end] == "张某某"


def test_a_five_year_horizon_is_no_one_years_figure():
    # "未来五年…达到110亿元" is where five years lead, not what one year is to bring
    text = ("某省2026年政府工作报告\n一、2025年工作回顾\n"
            "未来五年，全省经济社会发展的目标是：地区生产总值年均增长7%左右，达到110亿元。\n")
    best = _read_one(text, "未来五年", "某省2026年地区生产总值目标是多少亿元？")
    assert best is None or dict(best.features).get("attached") == 0.0
