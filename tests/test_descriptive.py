"""Descriptive answers (how / which measures / what policy): the whole answering clause or list.

The finder is tested on made-up documents in the shapes real ones take (a report paragraph
with its topic sentence, a notice with numbered articles, a lead-in and its list, 一是…二是…),
the metric on hand-computed cases, and heading-less documents on their passages and identity.
"""
from __future__ import annotations

import pytest

from assistant.chunking import section_chunks
from assistant.ingest.metadata import infer_metadata
from assistant.reader.descriptive import answer_span, asked_noun, asks_description, description_cue, lists_clauses, named_items
from assistant.reader.question import analyze
from assistant.text import normalize
from assistant.types import Report
from eval.metrics import is_correct, rouge_l


@pytest.mark.parametrize("question", [
    "东川区如何稳就业？", "河北省2024年将怎样优化营商环境？", "对小微企业有哪些支持措施？", "采取了哪些举措推进乡村振兴？",
    "申请失业保险金需要满足什么条件？", "该通知对用人单位有什么要求？", "为老年人提供哪些服务？", "就业政策是什么？",
    "How will Zhejiang support private enterprises?", "What measures did Hebei take to stabilise jobs?",
    # two clauses asking different things: the sentence that says both
    "2025年春节放几天假，哪几天要补班？", "中小学健康教育以什么为课程载体、每学期安排多少课时？",
    # plans and what is to be done
    "2022年保定主城区电动车充电不方便，市里有什么打算？", "为加强青少年心理健康研究将支持高校做什么？",
])
def test_descriptive_questions_are_recognised(question: str) -> None:
    assert asks_description(question)
    assert analyze(normalize(question)).qtype == "descriptive"


@pytest.mark.parametrize("question", [
    "东川区2025年地区生产总值是多少？", "哪些未来产业？", "两大产业集群是哪两个？", "昆明2025年居民收入目标怎么表述？",
    "How many new urban jobs?", "How much did GDP grow?", "“六个东川”指什么？", "哪位院士出席？",
    "通知要求及时履行什么义务？", "新规定从几号开始执行？", "北京市最低工资标准是多少？", "如何计算？每月多少钱？",
    "重庆三峡学院在2025年更名为什么？", "该学院被评为什么？",
    "2016年海拉尔有多少贫困户、多少贫困人口脱了贫？",  # one kind asked twice: two figures
])
def test_short_answer_questions_stay_short(question: str) -> None:
    assert not asks_description(question)
    assert analyze(normalize(question)).qtype != "descriptive"


@pytest.mark.parametrize("question, kind", [
    ("重庆三峡学院在2025年更名为什么？", "entity"),  # renamed to what, not why
    ("为什么要稳就业？", "descriptive"),
    ("潍宿高铁计划在哪一年建成？", "date"), ("项目要在什么时间之前全部投产达效？", "date"),
    ("重点发展的三大主导产业是什么？", "list"), ("哪两个交易所？", "list"),
    ("2025年地区生产总值是多少？", "number"),
    ("On which dates in 2025 did the delegation visit the province?", "date"),  # dates, not a list
    ("Which projects start this year?", "list"),
    ("四川稳增长“21条”政策是哪一天由省政府办公厅印发的？", "date"),  # a quoted name asked when, not what
    ("吉祥物“喜洋洋”“乐融融”是哪个运动会的？", "entity"), ("“两新一重”是哪些？", "glossary"),
])
def test_question_kinds(question: str, kind: str) -> None:
    assert analyze(normalize(question)).qtype == kind


@pytest.mark.parametrize("question, cue", [
    ("定兴县2022年经济社会发展存在哪些突出问题？", "clauses"), ("做好政府工作要抓住哪“三个关键”？", "clauses"),
    ("规划纲要明确了今后五年的哪些发展目标？", "clauses"), ("城乡居民人均可支配收入的预期目标是什么？", ""),
    ("如何稳就业？", "how"), ("有哪些未来产业？", ""),
])
def test_which_problems_principles_and_aims_ask_for_clauses_only_where_a_list_of_them_answers(question: str,
                                                                                           cue: str) -> None:
    assert description_cue(question) == cue


def test_a_list_of_clauses_is_several_sentences_or_numbered_items() -> None:
    for text, want in [("少数干部不担当、不作为的现象仍然存在。", False), ("一是经济总量偏小，结构不优。", True),
                       ("经济下行压力较大。转型任务艰巨。", True)]:
        norm = normalize(text)
        assert lists_clauses(norm, 0, len(norm)) is want


def _span(doc: str, at: str, question: str, topics: tuple[str, ...] = (), relevant=None) -> str:
    norm = normalize(doc)
    found = answer_span(norm, norm.index(normalize(at)), normalize(question), frozenset(topics), relevant)
    assert found is not None
    return doc[found[0].start:found[0].end]


REPORT = ("（三）稳就业保民生\n"
          "千方百计稳就业。织密就业基层服务网络，新增就业服务站5个。深化产业就业协同，新增帮扶车间3家。"
          "开展技能培训4000人次。\n"
          "加强城市管理。设置城市服务驿站。探索实施“城市路长”负责制。\n")


def test_a_paragraph_about_the_topic_is_answered_whole_after_its_topic_sentence() -> None:
    # the reader found the topic sentence: the answer is the paragraph's body, not the topic sentence
    assert _span(REPORT, "千方百计稳就业。", "如何稳就业？", ("稳就业保民生", "千方百计稳就业")) == \
        "织密就业基层服务网络，新增就业服务站5个。深化产业就业协同，新增帮扶车间3家。开展技能培训4000人次。"
    # a heading is never the answer either, and the answer does not run into the next paragraph
    assert _span(REPORT, "（三）稳就业保民生", "如何稳就业保民生？").startswith("织密就业")


def test_a_sentence_in_a_mixed_paragraph_goes_on_while_the_paragraph_stays_on_the_question() -> None:
    doc = "做好城市工作。实施物业攻坚三年行动，破解物业收费难题。推进物业服务进小区。设置城市服务驿站。\n"
    norm = normalize(doc)

    def about_property(a: int, b: int) -> bool:
        return "物业" in norm[a:b]

    assert _span(doc, "实施物业", "怎么解决物业收费难？", relevant=about_property) == \
        "实施物业攻坚三年行动，破解物业收费难题。推进物业服务进小区。"


def test_a_list_announced_by_a_lead_in_keeps_every_item_and_nothing_after() -> None:
    doc = ("各单位应做好以下防控措施：\n1.每日开展两次环境消杀；\n2.员工分散就餐；\n3.设置临时隔离点。\n"
           "本通知自发布之日起施行。\n")
    assert _span(doc, "各单位应做好", "企业应做好哪些防控措施？") == "1.每日开展两次环境消杀；\n2.员工分散就餐；\n3.设置临时隔离点。"


def test_a_later_item_found_first_brings_back_the_whole_list() -> None:
    doc = "重点抓好三项工作：一是稳定粮食生产；二是发展乡村产业；三是改善人居环境。另外，做好防汛工作。\n"
    norm = normalize(doc)
    got = _span(doc, "二是发展", "重点抓好哪些工作？", relevant=lambda a, b: "防汛" not in norm[a:b])
    assert got.startswith("一是稳定粮食生产") and got.rstrip("。").endswith("三是改善人居环境")


def test_numbered_articles_answer_one_at_a_time_without_their_number() -> None:
    doc = ("七、工伤职工的下列待遇由用人单位负责：停工留薪期间的工资福利待遇；停工留薪期间的生活护理费用。\n"
           "八、用人单位未参加工伤保险的，工伤保险待遇由用人单位支付。\n")
    assert _span(doc, "七、", "哪些工伤待遇由用人单位负责？") == \
        "工伤职工的下列待遇由用人单位负责：停工留薪期间的工资福利待遇；停工留薪期间的生活护理费用。"
    assert _span(doc, "八、", "单位没有参加工伤保险怎么办？") == "用人单位未参加工伤保险的，工伤保险待遇由用人单位支付。"


def test_an_addressee_line_is_never_the_answer() -> None:
    """A notice's title matches every word of the question; what answers it is the body, past the line that
    names whom it is sent to and the sentence that announces what follows."""
    doc = ("关于调整本市2025年最低工资标准的通知\n各区人力资源和社会保障局，各人民团体，各类企业、事业等用人单位：\n"
           "经市政府批准，对本市2025年最低工资标准进行调整。现将有关事宜通知如下：\n"
           "一、本市最低工资标准由每月不低于2420元，调整到每月不低于2540元。\n"
           "下列项目不作为最低工资标准的组成部分：\n（一）加班工资；\n（二）社会保险费。\n")
    got = _span(doc, "关于调整", "本市2025年最低工资标准如何调整？")
    assert got.lstrip("一、") == "本市最低工资标准由每月不低于2420元，调整到每月不低于2540元。"
    assert _span(doc, "下列项目", "哪些项目不作为最低工资标准的组成部分？") == "（一）加班工资；\n（二）社会保险费。"


def test_a_policy_basis_line_is_never_the_answer() -> None:
    doc = "【政策依据】《失业保险条例》第十四条。\n失业人员按月领取失业保险金，标准为每月2000元。\n"
    assert _span(doc, "【政策依据】", "失业保险金怎么领？") == "失业人员按月领取失业保险金，标准为每月2000元。"


def test_the_answer_is_bounded_and_ends_at_a_sentence_end() -> None:
    sentence = "推进重点项目建设，加快形成实物工作量" + "，强化要素保障" * 6 + "。"
    doc = "扩大有效投资。" + sentence * 12 + "\n"
    got = _span(doc, "扩大有效投资。", "如何扩大有效投资？", ("扩大有效投资",))
    assert len(got) <= 300 and got.endswith("。") and got.startswith("推进重点项目")


def test_rouge_l_is_the_character_lcs_f_measure_without_punctuation() -> None:
    assert rouge_l("织密就业服务网络。", ["织密就业服务网络"]) == pytest.approx(1.0)
    assert rouge_l("", ["织密就业服务网络"]) == 0.0
    assert rouge_l("甲乙", ["丙丁"]) == 0.0
    # answer 甲乙丙丁 (4) vs gold 甲乙 (2): P = 0.5, R = 1; F1 = 2/3; β = 1.2 weighs recall up
    assert rouge_l("甲乙丙丁", ["甲乙"]) == pytest.approx(2 / 3)
    assert rouge_l("甲乙丙丁", ["甲乙"], beta=1.2) == pytest.approx((1 + 1.44) * 0.5 / (1 + 1.44 * 0.5))
    assert rouge_l("甲，乙 丙", ["甲乙丙"]) == pytest.approx(1.0)
    assert is_correct("织密就业基层服务网络，新增就业服务站5个。", ["织密就业基层服务网络，新增就业服务站5个。深化协同。"],
                      "descriptive")
    assert not is_correct("新增帮扶车间3家。", ["织密就业基层服务网络，新增就业服务站5个。"], "descriptive")


NOTICE = ("关于调整本市失业保险金发放标准的通告\n"
          "发布机关：北京市人力资源和社会保障局\n\n"
          "为保障失业人员在失业期间的基本生活，现就调整失业保险金发放标准有关问题通告如下：\n" +
          "".join(f"　　{n}、第{n}项规定的内容，" + "按月核定发放标准并及时足额发放，" * 6 + "确保待遇落实。\n"
                  for n in "一二三四五六七八") +
          "北京市人力资源和社会保障局\n2025年8月29日\n")


def _report(text: str, name: str = "notice.txt") -> Report:
    return Report(meta=infer_metadata(text, name), text=text)


def test_a_document_without_headings_is_split_into_bounded_passages() -> None:
    chunks = section_chunks(_report(NOTICE))
    assert len(chunks) >= 8 and max(len(c.text) for c in chunks) <= 400
    assert all(c.kind == "paragraph" for c in chunks[1:])
    # one enormous line with no sentence end at all still makes passages of bounded size
    blob = "".join(f"数据{i}项" for i in range(8_000))  # (no two windows alike: a repeated passage is left out)
    chunks = section_chunks(_report(blob))
    assert len(chunks) > 50 and max(len(c.text) for c in chunks) <= 640
    assert "".join(c.text for c in chunks) == blob


def test_a_notice_is_named_by_its_own_title_date_and_issuer() -> None:
    meta = infer_metadata(NOTICE, "2025-unemployment.txt")
    assert meta.title == "关于调整本市失业保险金发放标准的通告"
    assert meta.date == "2025-08-29" and meta.year == 2025
    assert meta.region == "北京市" and meta.level == "province"
    national = infer_metadata("人力资源社会保障部关于职工工资折算问题的通知\n\n各省人社厅：\n现就有关问题通知如下。\n"
                              "人力资源社会保障部\n2025年1月1日\n", "x.txt")
    assert national.region == "全国" and national.date == "2025-01-01"
    # a work report keeps the identity it had
    assert "政府工作报告" in infer_metadata("东川区2026年政府工作报告\n各位代表：\n现在，我代表区人民政府向大会报告工作。\n",
                                             "dc.txt").title


def test_the_descriptive_qa_set_is_verbatim_bounded_and_split_by_document() -> None:
    from tests.conftest import ALL_REPORT_FOLDERS, PROJECT_ROOT, dev_reports

    from eval.qa import load_qa

    items = load_qa(PROJECT_ROOT / "eval" / "qa_descriptive.jsonl")
    assert len(items) >= 150 and all(i.type == "descriptive" and i.answers for i in items)
    files = {p.stem: p for folder in ALL_REPORT_FOLDERS for p in folder.glob("*.txt")}
    for folder in ALL_REPORT_FOLDERS[1:]:
        dev_reports(folder)
    splits: dict[str, set[str]] = {}
    for item in items:
        text = files[item.report].read_text(encoding="utf-8")
        for gold in item.answers:
            assert gold in text and len(gold) <= 300 and gold[-1] in "。！？；.!?;", item.id
        splits.setdefault(item.report, set()).add(item.split)
    assert all(len(s) == 1 for s in splits.values()), "a document in both splits"
    for split in ("dev", "test"):
        assert {i.level for i in items if i.split == split} >= {"province", "county", "notice"}


def test_a_lead_in_that_only_names_what_follows_is_left_out() -> None:
    doc = ("三个关键：一是抓机遇。牢牢抓住发展机遇。二是抓环境。打好优化环境“组合拳”。三是抓依法行政。加强法治政府建设。\n"
           "《纲要草案》明确了今后五年的发展目标：一是首都功能持续提升，二是高质量发展迈上新台阶。\n")
    got = _span(doc, "三个关键", "要抓住哪“三个关键”？")
    assert got.startswith("一是抓机遇") and got.endswith("加强法治政府建设。")
    assert _span(doc, "《纲要草案》", "明确了今后五年的哪些发展目标？").startswith("一是首都功能")
    # a lead-in that says something (who pays) stays: it is part of the answer
    doc = "工伤职工的下列待遇由用人单位负责，不得在基金中列支：停工留薪期间的工资；生活护理费用。\n"
    assert _span(doc, "工伤职工", "哪些待遇由用人单位负责？").startswith("工伤职工的下列待遇")


def test_a_copy_that_flattened_its_lines_into_spaces_is_read_line_by_line() -> None:
    # a web page's paragraphs in one table cell: runs of spaces where the lines were, markdown bold labels
    doc = ("| **关于2025年部分节假日安排的通知**  各省人民政府：  经国务院批准，现将安排通知如下。  "
           "**一、元旦：**1月1日（周三）放假1天，不调休。  "
           "**二、国庆节、中秋节：**10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）上班。  "
           "节假日期间，各地区要妥善安排好值班工作。 |\n")
    assert _span(doc, "**二、国庆节", "国庆节、中秋节如何放假调休？") == \
        "10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）上班。"


WAGE_NOTICE = ("关于调整本市2025年最低工资标准的通知\n\n各区人力资源和社会保障局，各有关单位：\n\n"
               "经市政府批准，现将有关事项通知如下：\n\n一、本市月最低工资标准由每月不低于2420元调整为每月不低于2540元。\n\n"
               "下列项目不作为最低工资标准的组成部分，用人单位应另行支付：\n\n（一）中班、夜班、高温等特殊条件下的津贴；\n\n"
               "（二）加班、加点工资；\n\n（三）个人缴纳的社会保险费。\n\n二、本通知自2025年9月1日起执行。\n\n"
               "某市人力资源和社会保障局\n\n2025年7月25日\n")


def test_a_notice_answers_with_its_own_articles_through_the_whole_pipeline(tmp_path) -> None:
    """A notice indexed by the real model: "哪些…" is answered with the list the notice announces ("下列项目…:"
    points at the answer and is none), "如何调整" with the article, never with the addressees."""
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2025-wage-notice.txt").write_text(WAGE_NOTICE, encoding="utf-8")
    assistant = Assistant(Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False)
    listed = assistant.ask("哪些项目不作为最低工资标准的组成部分？")
    assert not listed.abstained, listed.reason
    assert all(item in listed.answer for item in ("特殊条件下的津贴", "加点工资", "个人缴纳的社会保险费"))
    assert "下列项目" not in listed.answer and "执行" not in listed.answer
    adjusted = assistant.ask("最低工资标准如何调整？")
    assert not adjusted.abstained, adjusted.reason
    assert "调整为每月不低于2540元" in adjusted.answer and "各有关单位" not in adjusted.answer


def test_an_answer_stops_where_its_topic_ends_on_a_line_that_runs_several_together(tmp_path) -> None:
    """Shandong 2026 runs "促进就业增收。…。扩大优质教育资源供给。…" on one line: the chunker splits the line at its
    topic sentences, and the answer about jobs ends where the passages of that topic end."""
    from tests.conftest import PROJECT_ROOT

    from assistant.chunking import chunk_report
    from assistant.ingest import discover, load_report
    from assistant.reader.topics import TopicEnds

    source = PROJECT_ROOT / "dev-reports" / "provinces-2026" / "2026-shandong-government-work-report.txt"
    (tmp_path / source.name).write_bytes(source.read_bytes())
    report = load_report(discover(tmp_path)[0])
    chunks = chunk_report(report)
    ends = TopicEnds(chunks)
    chunk = next(c for c in chunks if "加大稳岗扩容力度" in c.text)
    assert chunk.section_path[-1] == "促进就业增收"
    norm = normalize(report.text)
    start = norm.index("加大稳岗扩容力度")
    question = "山东省2026年如何促进就业增收？"
    found = answer_span(norm, start, question, frozenset(chunk.section_path), topic_end=ends(chunk))
    assert found is not None
    answer = report.text[found[0].start:found[0].end]
    assert answer.startswith("加大稳岗扩容力度") and answer.endswith("全年培训40万人次。")
    # without the passages' topics the answer ran on into the next topic of the same line
    run_on = answer_span(norm, start, question, frozenset(chunk.section_path))
    assert run_on is not None and "扩大优质教育资源供给" in report.text[run_on[0].start:run_on[0].end]
    # every passage of the index has its topic's end, at or after its own end; a passage not indexed has none
    assert all(ends(c) is not None and ends(c) >= c.end for c in chunks)
    assert ends(chunk) == max(c.end for c in chunks if c.section_path == chunk.section_path)
    assert TopicEnds([])(chunk) is None


def test_a_notice_signature_date_is_not_the_year_its_articles_speak_about(tmp_path) -> None:
    """The 2025 holiday notice, signed "2024年11月12日" on a line of its own: its articles (no year written)
    are about the year its title names, so a question about 2025 reads them as about 2025."""
    from tests.conftest import PROJECT_ROOT

    from assistant.chunking import chunk_report
    from assistant.ingest import discover, load_report
    from assistant.reader.extractor import context_years

    source = PROJECT_ROOT / "dev-reports" / "notices" / "2024-general-office-2025-holidays.txt"
    (tmp_path / source.name).write_bytes(source.read_bytes())
    report = load_report(discover(tmp_path)[0])
    chunks = chunk_report(report)
    article = next(c for c in chunks if "劳动节:" in normalize(c.text) and "5月1日" in c.text)
    assert "2024年11月12日" in article.text  # the signature shares the passage
    assert context_years(article, report) == {2025}
    # a date inside a sentence is the sentence's own: "自2025年1月1日起" stays a year spoken of
    opening = next(c for c in chunks if "自2025年1月1日起" in c.text)
    assert 2025 in context_years(opening, report)


def _report_in(tmp_path, name: str, text: str | None = None):
    """A report loaded as the index loads it, and its passages: a development report copied by its file name
    (`text` None), or `text` written under that name."""
    from tests.conftest import PROJECT_ROOT

    from assistant.chunking import chunk_report
    from assistant.ingest import discover, load_report

    if text is None:
        (tmp_path / name).write_bytes(next((PROJECT_ROOT / "dev-reports").glob(f"*/{name}")).read_bytes())
    else:
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = load_report(discover(tmp_path)[0])
    return report, chunk_report(report)


def test_a_deadline_is_not_the_year_the_next_sentence_speaks_about(tmp_path) -> None:
    """国务院 2020: "…政策再延长至明年3月底，…。大型商业银行普惠型小微企业贷款增速要高于40%。" — the
    second sentence is this year's plan (2020); "明年3月底" only says when a policy ends."""
    from assistant.reader.extractor import context_years

    report, chunks = _report_in(tmp_path, "2020-state-council-government-work-report.txt")
    chunk = next(c for c in chunks if "增速要高于40%" in c.text and "明年3月底" in c.text)
    start = report.text.index("大型商业银行普惠型小微企业贷款增速要高于40%", chunk.start)
    years = context_years(chunk, report, start)
    assert 2020 in years and 2021 not in years


@pytest.mark.slow
def test_the_body_under_a_topic_sentence_that_names_the_question_answers_it(assistant_all) -> None:
    """东川 2026 "千方百计稳就业。织密就业基层服务网络,…": the paragraph's body answers "如何稳就业", before the
    long statement of the year's aims that names 稳就业 in passing among a dozen slogans (asked over every
    development document, where the two came closest)."""
    answer = assistant_all.ask("东川区2026年将如何稳就业？")
    assert not answer.abstained, answer.reason
    assert answer.answer.startswith("织密就业基层服务网络"), answer.answer[:60]
    assert "总体要求" not in answer.answer and "习近平新时代" not in answer.answer


@pytest.mark.slow
def test_a_list_after_a_colon_is_every_item_not_the_article_that_announces_it(assistant_all) -> None:
    """The 2012 Beijing work-injury notice: "七、工伤职工的下列工伤保险待遇由用人单位负责，不得在工伤保险基金中列支：
    A；B；C；D。" — the items, each ended by ；, to the full stop; not the article's opening words."""
    answer = assistant_all.ask("按照北京市工伤保险基金支出项目标准的通知，哪些工伤保险待遇由用人单位负责、不得在工伤保险基金中列支？")
    assert not answer.abstained, answer.reason
    assert answer.answer.startswith("停工留薪期间的工资福利待遇"), answer.answer[:60]
    assert answer.answer.endswith("一次性伤残就业补助金") and "七、" not in answer.answer, answer.answer


def test_a_sentence_that_its_lists_first_item_follows_only_leads_in_to_the_list() -> None:
    """"…还存在不少问题和短板。一是…二是…": the answer is the list, whole, not the sentence that announces it."""
    text = ("同时，我们还应清醒地认识到，发展还存在不少问题和短板。一是经济下行压力依然较大，实体经济面临较多困难。"
            "二是转型发展任务艰巨，创新能力不够强。三是城市治理比较粗放。对此，我们一定高度重视。\n下一年的工作安排。")
    norm = normalize(text)
    found = answer_span(norm, 0, "还存在哪些问题和短板？")
    assert found is not None
    answer = norm[found[0].start:found[0].end]
    assert answer.startswith("一是经济下行压力") and "三是城市治理比较粗放" in answer, answer
    assert "不少问题和短板" not in answer and "下一年" not in answer


@pytest.mark.slow
def test_a_report_asked_by_its_year_answers_from_its_review_of_the_year_before(assistant_all) -> None:
    """"涞水县2022年政府工作报告认为…存在哪些问题和短板": the 2022 report's review of 2021 lists them
    (一是…四是…); the year named the report, so the review is not another year's, and the sentence that
    announces the list ("还存在不少问题和短板") is neither the answer nor its items."""
    answer = assistant_all.ask("涞水县2022年政府工作报告认为涞水发展还存在哪些问题和短板？")
    assert not answer.abstained, answer.reason
    assert answer.answer.startswith("一是") and "二是" in answer.answer and "三是" in answer.answer, answer.answer[:80]
    assert answer.citations[0].report == "2022-laishui-government-work-report"


def test_when_a_measure_was_issued_is_not_the_year_its_sentence_speaks_about(tmp_path) -> None:
    """国务院 2020: "继续执行去年出台的下调增值税税率…政策，新增减税降费约5000亿元。" — this year's plan
    (2020); "去年出台的" only names the policy, so the sentence is not last year's alone (its section, of no
    kind the report's outline says, leaves both years open)."""
    from assistant.reader.extractor import context_years

    report, chunks = _report_in(tmp_path, "2020-state-council-government-work-report.txt")
    chunk = next(c for c in chunks if "新增减税降费约5000亿元" in c.text)
    start = report.text.rindex("继续执行", chunk.start, report.text.index("新增减税降费约5000亿元", chunk.start))
    years = context_years(chunk, report, start)
    assert 2020 in years, years


@pytest.mark.slow
def test_a_figure_of_a_programme_named_plan_is_found_in_its_year(assistant_all) -> None:
    """国务院 2022 reviews 2021: "提高学生营养改善计划补助标准，3700多万学生受益". The 计划 of the programme's
    name asks no target, and "3700多万" counts the 学生 the question counts (asked over every development
    document, where the programme's name is a word of the corpus)."""
    answer = assistant_all.ask("2021年学生营养改善计划惠及多少学生？")
    assert not answer.abstained, answer.reason
    assert answer.answer.startswith("3700多万"), answer.answer


def test_a_year_since_which_something_holds_is_every_year_up_to_the_one_reviewed(tmp_path) -> None:
    """"…地区生产总值达到13697.5亿元，…经济增速2022年以来连续…": the sentence speaks of 2022 to the year its
    report reviews, so a question about that year reads it."""
    from assistant.reader.extractor import context_years

    text = ("某省2026年政府工作报告\n\n一、“十四五”时期工作回顾\n\n——这是综合实力快速跃升的五年。"
            "全省地区生产总值达到13697.5亿元，较“十三五”末增加4374.4亿元，经济增速2022年以来连续保持在5%以上。\n\n"
            "二、2026年工作安排\n\n地区生产总值增长5.5%左右。\n")
    report, chunks = _report_in(tmp_path, "2026-mou-government-work-report.txt", text)
    chunk = next(c for c in chunks if "13697.5亿元" in c.text)
    start = report.text.index("全省地区生产总值达到")
    assert {2022, 2023, 2024, 2025} <= context_years(chunk, report, start)


def test_the_years_plan_framed_as_the_five_year_plans_start_is_that_years_plan(tmp_path) -> None:
    """"三、全力推动“十五五”开好局、起好步" holds the year's own work: a question about that year is not
    sent away from it as from the five-year plan's targets ("二、“十五五”时期主要目标任务")."""
    from assistant.reader.extractor import Reader

    text = ("某省2026年政府工作报告\n\n二、“十五五”时期主要目标任务\n\n到2030年，基层医疗服务能力显著增强。\n\n"
            "三、全力推动“十五五”开好局、起好步\n\n悉心呵护百姓健康。推进智慧医院试点，优化便民举措。\n")
    report, chunks = _report_in(tmp_path, "2026-mou-government-work-report.txt", text)
    five = next(c for c in chunks if "基层医疗服务能力" in c.text)
    year = next(c for c in chunks if "智慧医院" in c.text)
    reader = Reader({report.meta.id: report}, lambda term: 1.0)
    info = analyze("2026年打算怎么让看病更方便？")
    assert reader._context_bonus(info, year, report, None) > reader._context_bonus(info, five, report, None)


def test_top_level_sections_after_the_plans_first_one_are_the_plan(tmp_path) -> None:
    """国务院 2020: "二、今年发展主要目标…" opens the plan, and "三、加大宏观政策实施力度…" (no plan word in
    its title) is the plan too; "一、2019年和今年以来工作回顾" stays the review."""
    from assistant.reader.extractor import _is_plan_context

    report, chunks = _report_in(tmp_path, "2020-state-council-government-work-report.txt")
    plan = next(c for c in chunks if "高职院校扩招200万人" in c.text)
    review = next(c for c in chunks if "高职院校扩招100万人" in c.text)
    assert "目标" not in " ".join(plan.section_path) and _is_plan_context(plan, report) is True
    assert _is_plan_context(review, report) is False


def test_a_heading_naming_an_earlier_year_does_not_open_the_plan(tmp_path) -> None:
    """"一、2025年主要工作…" reviews the year before a 2026 report; "二、2026年重点工作" opens its plan."""
    from assistant.reader.extractor import _is_plan_context

    text = ("某某县2026年政府工作报告\n各位代表:\n一、2025年主要工作和“十四五”成效\n全县地区生产总值增长5%。\n"
            "二、2025年主要工作的体会\n我们深刻体会到,发展是第一要务。\n三、2026年重点工作\n地区生产总值增长6%左右。\n"
            "四、全面加强政府自身建设\n坚持依法行政。\n")
    report, chunks = _report_in(tmp_path, "2026-someplace-government-work-report.txt", text)
    by_text = {c.text.strip(): c for c in chunks}
    lessons = next(c for t, c in by_text.items() if "第一要务" in t)
    own = next(c for t, c in by_text.items() if "依法行政" in t)
    assert _is_plan_context(lessons, report) is not True
    assert _is_plan_context(own, report) is True


def test_a_labelled_list_asked_about_one_item_answers_with_that_item() -> None:
    """A notice's items labelled with what they are about ("一、元旦:…二、春节:…三、清明节:…"): a question naming
    one label is answered by that item alone, whichever item's sentence the reader started from."""
    text = normalize("现将2025年放假调休日期的具体安排通知如下。\n一、元旦:1月1日(周三)放假1天,不调休。\n"
                     "二、春节:1月28日至2月4日放假调休,共8天。1月26日(周日)、2月8日(周六)上班。\n"
                     "三、清明节:4月4日(周五)至6日(周日)放假,共3天。\n")
    for question, start_at, want in (("2025年清明节怎么放假？", "一、元旦", "4月4日(周五)至6日(周日)放假,共3天。"),
                                      ("2025年元旦放假怎么安排？", "一、元旦", "1月1日(周三)放假1天,不调休。"),
                                      ("2025年春节如何放假调休？", "三、清明节",
                                       "1月28日至2月4日放假调休,共8天。1月26日(周日)、2月8日(周六)上班。")):
        found = answer_span(text, text.index(start_at), question)
        assert found is not None
        assert text[found[0].start:found[0].end] == want, question


def test_items_named_as_the_asked_thing_answer_a_which_question() -> None:
    """"补齐哪些医疗服务短板" read in "补齐A、B、C等服务短板": the items; items named as something else do not."""
    question = "要补齐哪些医疗服务短板？"
    assert asked_noun(question) == "医疗服务短板"
    text = "补齐妇幼儿科、精神卫生、老年医学等服务短板。加强妇幼、精神卫生等学科建设。"
    first = (2, text.index("等"))
    assert named_items(question, text, [first]) == first
    other = (text.index("加强") + 2, text.rindex("等"))
    assert named_items(question, text, [other]) is None  # "等学科建设" names no 短板
    assert named_items("如何稳就业？", text, [first]) is None  # no "哪些 …" noun asked


def test_an_item_that_heads_its_section_but_states_the_figure_asked_is_the_answer() -> None:
    # a notice's numbered items are its sections: "三、…伙食补助费，标准为每人每天30元。" heads one and says the standard
    doc = ("三、职工住院治疗工伤的伙食补助费，标准为每人每天30元。\n"
           "四、到统筹地区以外就医的工伤职工，所需交通费实行凭据报销。\n")
    topic = ("三、职工住院治疗工伤的伙食补助费，标准为每人每天30元",)
    got = _span(doc, "三、", "伙食补助费按什么标准发？", topic)
    assert got == "职工住院治疗工伤的伙食补助费，标准为每人每天30元。"
    # a title names its section and states nothing, even with a year in it
    doc = "一、2025年工作回顾\n全年新增就业服务站5个，开展技能培训4000人次。\n"
    assert _span(doc, "一、", "如何做好就业服务？", ("一、2025年工作回顾",)).startswith("全年新增")


def test_an_archived_copys_quoted_note_is_no_answer() -> None:
    # "> 说明：…；…": both sentences of the note's line belong to the archive, not to the document
    doc = ("某市发布年度劳动争议典型案例\n\n"
           "> 说明：本文件为该年度案例的发布动态；每个案例的完整正文见按年度归档文件。\n\n"
           "发布典型案例，可以引导用人单位依法合规用工，从源头预防和减少劳动争议发生。\n")
    norm = normalize(doc)
    for at in ("本文件", "每个案例"):
        assert answer_span(norm, norm.index(at), "发布典型案例有什么作用？") is None
    assert _span(doc, "发布典型案例，", "发布典型案例有什么作用？").startswith("发布典型案例，可以引导")
