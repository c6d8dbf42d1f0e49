"""What a question asks: its type, the subject terms, region, year, period and intent.

Pure functions over the cleaned question text; no I/O.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Sequence

from ..knowledge import Lexicon, english_groups, expected_unit_class, lexicon, translate_english
from ..text import has_cjk, is_word, tokenize, word_cuts, word_tags
from .descriptive import asks_description
from .spans import joint_words, wh_sides

# ----------------------------------------------------------------- vocabulary
# Wordings, English terms and question words come from the data files (assistant/knowledge.py);
# the patterns below are the grammar of questions, not knowledge of any report.

_TARGET_WORDS = ("目标", "预期", "计划", "打算", "力争", "争取", "确保", "要", "将", "准备", "拟", "规划", "aim", "plan",
                 "target", "goal", "will", "expect")
# "养老金会涨吗", "会不会降": a yes-no question about what will be, the plan's
_WILL_ASK = re.compile(r"(?<![社机大议协学委都商博运])会(?![议展谈员计长])[^，,。？?]{0,8}吗|会不会")
_ACTUAL_WORDS = ("完成", "实现", "达到", "取得", "了", "去年", "已经", "累计", "was", "did", "achieved", "reached", "has",
                 "have", "so far")
_GROWTH_WORDS = ("增长", "增速", "增幅", "增加", "提高", "提升", "下降", "减少", "降低", "压减", "削减", "缩减", "压缩", "下调",
                 "上调", "涨", "降多少", "降了多少", "降幅", "growth", "grow", "increase",
                 "decline", "drop", "cut", "cutting", "reduce", "reduction", "lower", "fall", "fell", "rise", "rose",
                 "raise", "decrease")
_MORE_THAN = re.compile(r"(?:比|较)[^,，。;；]{1,12}?(?:多|少)了?(?:多少|几)")  # "比2020年多了几天": the difference
_TO_LEVEL = re.compile(r"(?:提高|提升|增加|增长|上调|上升|下降|降低|减少|压减|下调|降|涨)(?:到|至)|\b(?:raised|increased|rose|"
                       r"risen|rise|grew|grown|cut|reduced|lowered|fell|fallen|dropped|brought)\s+(?:up\s+|down\s+)?to\b", re.I)
# "how many" of things (not of a measure: "how many tons", "how many square metres")
_COUNTED = re.compile(r"\bhow many\b(?! ?(?:\w+ )?(?:tons?|tonnes?|(?:square |cubic )?(?:metres?|meters?|kilomet\w+|km)|mu|"
                      r"hectares?|yuan|dollars?|kilowatts?|kwh|watts?|percent|percentage points?|times|loans?|funds?|investments?|"
                      r"revenues?|income|deposits?|bonds?)\b)", re.I)
_BY_AMOUNT = re.compile(r"(?<![到至])了多少|多少个百分点|幅度|by how much|\bby\b", re.I)
_RATE_WORDS = ("率", "比例", "比重", "占比", "占多少", "占了多少", "占到多少", "百分之", "百分比", "share", "percentage", "proportion", "rate")
_FIVE_YEAR = ("十四五", "五年来", "五年", "年均", "每年平均", "平均每年", "14th five", "five years")
_NEXT_PLAN = ("十五五", "2030", "到2030", "15th five")

@dataclass(frozen=True)
class QuestionInfo:
    """The parts of a question that retrieval and extraction use."""

    text: str  # cleaned question (simplified, NFKC)
    qtype: str  # number | list | glossary | name | date | place | meeting | descriptive | yesno | text
    terms: tuple[str, ...]  # subject terms, in order (synonyms expanded, English translated)
    search_text: str  # what the lexical searcher is given
    regions: tuple[str, ...] = ()  # place names mentioned ("东川", "昆明")
    years: tuple[int, ...] = ()
    short_years: tuple[int, ...] = ()  # "24年" → 2024: a year only where a report of it is indexed
    report_years: tuple[int, ...] = ()  # years that only name a report ("2022年政府工作报告认为…"), not what it says
    wants_target: bool = False
    wants_actual: bool = False
    wants_growth: bool = False
    wants_rate: bool = False
    five_year: bool = False  # 十四五 / 年均 / 五年来
    next_plan: bool = False  # 十五五 / 2030
    unit_hint: str = ""  # "人", "户", "亩", "元", …
    quoted: tuple[str, ...] = ()  # “术语” in the question
    english: bool = False
    unit_class: str = ""  # the unit class the asked indicator's amount comes in ("粮食产量" → weight)
    relative_year: str = ""  # "this" (今年), "last" (去年/过去一年), "next" (明年): relative to the report asked about
    slot_head: str | None = None  # the noun a wh-word asks for ("哪个市场" → "市场"; "" none; None: no wh-word)


_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?:年|\b)")
# a year that names a report ("涞水县2022年政府工作报告", "2022年涞水县政府工作报告", "the 2024 government work report"):
# it says which report, and the report speaks of the year before it as much as of its own
_REPORT_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)年(?:的|度)?[\u4e00-\u9fff]{0,8}?(?:政府)?工作报告"
                             r"|\b(20\d\d)(?:'s)?(?:\s+[A-Za-z]+){0,3}?\s+(?:government\s+)?work\s+report", re.I)
# a year written with two digits ("24年", "'24年"): a year only where the corpus has a report of it
# (years.read_short_years), never after or before words that make it a count ("连续12年", "第10年",
# "过去24年", "10年来", "12年义务教育", "15年免费教育")
_SHORT_YEAR_RE = re.compile(r"(?<![\d.连续近第满每共约了有去过经期时达数超逾这那前])['’‘]?([1-4]\d)年(?![代来间内度多半前后之以制期免义一])")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,20})[”\"」』]")
_UNIT_HINT = re.compile(r"多少(万|亿)?(人次|人|户|亩|公顷|公里|平方米|个|家|所|项|座|套|盏|吨|元|千瓦|兆瓦|条|名|批|次|宗|件|张|床|处)")
_UNIT_HINT_AFTER = re.compile(r"(几|多少)(个|家|所|项|座|条|户|人|名|次|批|万|年|岁|天)")


def _says(low: str, words: tuple[str, ...]) -> bool:
    """Whether a lower-cased question uses one of `words`: Chinese anywhere, English as a whole word with
    its endings ("planned", "rates"; never the "rate" of "strategy" or the "plan" of "explanation")."""
    return any(w in low if not w.isascii() else w in low and _whole_word(w).search(low) for w in words)


@lru_cache(maxsize=2048)
def _whole_word(word: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(word) + r"(?:s|es|d|ed|ing|ning|ned|ting)?\b")


def _translate_english(text: str, lex: Lexicon) -> tuple[str, bool]:
    """The question plus the Chinese wording of its English terms, and whether it is English."""
    ascii_letters = sum(c.isascii() and c.isalpha() for c in text)
    if ascii_letters < 6 or has_cjk(re.sub(r"\([^)]*\)|\"[^\"]*\"", "", text)) and ascii_letters < len(text) // 2:
        return text, False
    extra = translate_english(text, lex)
    return text + " " + " ".join(extra), True


def _qtype(q: str) -> str:
    low = q.lower()
    if _QUOTED.search(q) and re.search(r"(?:是|在)(?:哪一?天|何时|什么时候|几月几日)", q):
        return "date"  # "“21条”政策是哪一天印发的": a quoted name, asked when
    if re.search(r"指什么|是什么意思|指的是什么|什么意思|含义|是指|指哪|指的是|\brefers? to\b|\bstands? for\b|\bmean(?:ing)?\b", low) or (
        _QUOTED.search(q) and re.search(r"是什么|包括|是哪(?![个家位一年天所座条项])|有哪些|具体", q)  # ("是哪个运动会的": which)
    ):
        return "glossary"
    if re.search(r"哪次会议|什么会议|哪个会议|哪一次会议|哪届|which session|what meeting|在哪次", low):
        return "meeting"
    if asks_description(q):  # how / which measures / what policy: a whole clause or list answers
        return "descriptive"
    if re.search(r"哪天|哪一天|哪几天|哪些天|哪几日|什么时候|何时|日期|几月几日|几号|什么日子|哪一?年(?!度)|什么时间|哪个月|when|what date|"
                 r"on what date|what year|which year|(?:which|what) (?:dates?|days?|months?)\b", low):
        return "date"
    if re.search(r"谁|哪位|什么人|姓名|名字|who\b|职务|担任什么|哪家媒体|什么媒体|哪个媒体|记者", low):
        return "name"
    if re.search(r"哪里|哪儿|在哪|何地|什么地方|哪个地方|\bwhere\b", low):
        return "place"
    if re.search(r"哪几|哪些|哪[一二三四五六七八九十两]+[个类种项条方大]|哪[二三四五六七八九十两]+[所座批部只]", low):
        return "list"  # ("哪两所大学": as many names as it counts)
    if re.search(r"(?:[两二三四五六七八九十]+|(?<![\d.])[2-9])[个类种项条大][^,，。?？]{0,12}(?:是什么|是哪些|有哪些|包括什么)", low):
        return "list"  # "三大主导产业是什么", "3个历史经典产业是什么": as many items as it counts
    if re.search(r"多少|几[个项家所座条户人名次批万亿倍年]?|多大|多高|比例|百分|how many|how much|what share|what percent|"
                 r"growth target|what (?:was|is|were|are|will be) .*(gdp|revenue|sales|investment|target|rate|income|"
                 r"output|growth|volume|value|amount|number|total|share|percentage|production|population|area|spending|"
                 r"expenditure|jobs|capacity|concentration|bonds?|deficit|prices?)\b|"
                 r"what scale|增长了?多少|增速|增幅|什么水平|多高水平|"
                 r"what (?:was|is|were|are|will) .*\b(?:raised|increased|lowered|cut|reduced|brought|risen|rise|grow|grown) to\b", low):
        return "number"
    if re.search(r"哪些|哪几|包括|包含|有什么|什么样|哪类|哪种|which|what are", low):
        return "list"
    if re.search(r"哪家|哪个|什么企业|什么项目|什么", low):
        return "entity"
    if re.search(r"是否|是不是|有没有|吗[?？]?$", low):
        return "yesno"
    return "text"


_RELATIVE = (("今年", "this"), ("本年", "this"), ("this year", "this"), ("去年", "last"), ("上年", "last"),
             ("过去一年", "last"), ("last year", "last"), ("明年", "next"), ("next year", "next"))


_AMOUNT_NOUN = re.compile(r"规模|总额|总量|金额|数额|多少钱|多少亿|多少万")
# "增加国家铁路建设资本金多少": the verb of what is allocated, its object then the amount; not a growth asked
_VERB_OBJECT = re.compile(r"(?:增加|提高|提升|减少|降低)(?![了到至的幅率速多几百比])[\u4e00-\u9fff]{2,12}?(?=多少|几)")


def _wordings(q: str, lex: Lexicon) -> list[tuple[str, str]]:
    """(wording in the question, official term) for the known wordings the question uses."""
    low = q.lower()
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    starts, ends = _token_bounds(q)
    for wording, official in lex.variants:
        pos = low.find(wording)
        if pos < 0 or official in q:
            continue
        if has_cjk(wording) and (pos not in starts or pos + len(wording) not in ends):
            continue  # "少了" inside "多少了", "失业" inside "失业保险": a wording is whole words
        if wording.isascii() and re.search(r"[a-z0-9]", low[pos - 1:pos] + low[pos + len(wording):pos + len(wording) + 1]):
            continue  # "ai" inside "said"
        if any(a < pos + len(wording) and pos < b for a, b in taken):
            continue  # a longer wording already covers this place
        if official.endswith("率") and _AMOUNT_NOUN.match(low, pos + len(wording)):
            continue  # "赤字规模" asks the deficit's amount, not the 赤字率
        taken.append((pos, pos + len(wording)))
        found.append((q[pos:pos + len(wording)], official))
    return found


def _english_alternatives(terms: list[str], groups: list[tuple[str, ...]]) -> list[str]:
    """One term per English word or phrase: the Chinese terms it translates to are its alternatives
    ("create" → "新增|创造"), so a passage need not write every translation to cover the question."""
    out = list(terms)
    for group in groups:
        members = [t for t in out if t.split("|")[0] in group and "&" not in t]
        if len(members) < 2:
            continue
        at = out.index(members[0])
        out = [t for t in out if t not in members]
        out.insert(at, "|".join(dict.fromkeys(f for t in members for f in t.split("|"))))
    return out


def _with_short_forms(term: str, lex: Lexicon) -> str:
    """A term with the contractions reports also write for it ("研发经费投入强度|研发投入强度")."""
    if "&" in term:
        return term
    forms = list(dict.fromkeys(term.split("|")))
    for p in forms:  # (grows while read: the forms of a form too, "粮食产量" → "粮食总产量" → "粮食总产")
        forms.extend(f for f in lex.short_forms(p) if f not in forms)
    forms.extend(f for f in _joint_forms(forms) if f not in forms)
    return "|".join(forms)


def _joint_forms(forms: list[str]) -> list[str]:
    """A long term as reports write it joined with its counterpart: "城镇居民人均可支配收入" is in
    "城乡居民人均可支配收入分别达到x和y" (which figure is whose, the reader's respectively rule says)."""
    out = []
    for f in forms:
        for joint, parts in joint_words().items():
            for wording in (w for part in parts for w in part):
                if len(wording) >= 2 and f.startswith(wording) and len(f) - len(wording) >= 3:
                    out.append(joint + f[len(wording):])
    return out


def _token_bounds(q: str) -> tuple[set[int], set[int]]:
    """Offsets in `q` where a token of the tokenizer begins, and where one ends."""
    starts, ends, pos, low = set(), set(), 0, q.lower()
    for tok in word_cuts(q):
        at = low.find(tok.lower(), pos)
        if at < 0:
            continue
        starts.add(at)
        pos = at + len(tok)
        ends.add(pos)
    return starts, ends


def _only_question_words(tok: str, lex: Lexicon) -> bool:
    """A compound of question words ("预期目标" = 预期 + 目标) says what is asked, not what about."""
    return len(tok) >= 4 and any(tok[:i] in lex.question_words and tok[i:] in lex.question_words
                                 for i in range(2, len(tok) - 1))


_HOW_MUCH = re.compile(r"(多[大高长远久重快宽深])")
_COUNTER_AFTER_WH = re.compile(r"((?:多少|几)[个头名家所座条项位只台辆架艘批户套匹张件])")


def _without_names(low: str, tokens: Sequence[str], lex: Lexicon) -> str:
    """The question with the words that only end a name taken out: the 计划 of "学生营养改善计划" names a
    programme, it asks no target (a word whose other part is one character, "主要", "完成率", still counts)."""
    out = low
    for tok in (t.lower() for t in tokens):
        for w in _TARGET_WORDS + _ACTUAL_WORDS:
            if w.isascii() or w == tok or w not in tok or tok in lex.question_words:
                continue
            rest = tok.replace(w, "")
            if len(rest) >= 2 and has_cjk(rest) and rest not in lex.question_words:
                out = out.replace(tok, " ")
                break
    return out


def analyze(question: str, places: Sequence[str] = (), lex: Lexicon | None = None) -> QuestionInfo:
    """Parse a cleaned question (see text.clean_question) into QuestionInfo.

    `places` are the place names the question mentions as found by `assistant.places`
    (whole names, matched against a gazetteer and the corpus): they scope the question
    and are not subject terms.
    """
    lex = lex or lexicon()
    q, english = _translate_english(question, lex)
    low = q.lower()
    qtype = _qtype(question)
    years = tuple(sorted({int(y) for y in _YEAR_RE.findall(q)}))
    short_years = () if years else tuple(sorted({2000 + int(y) for y in _SHORT_YEAR_RE.findall(q)}))
    naming = [int(m.group(1) or m.group(2)) for m in _REPORT_YEAR_RE.finditer(q)]
    # (a year also written elsewhere in the question is asked about too: "2022年报告中2022年的目标")
    report_years = tuple(sorted(y for y in set(naming) if len(re.findall(rf"(?<!\d){y}(?!\d)", q)) == naming.count(y)))
    relative = next((rel for word, rel in _RELATIVE if word in low), "")
    regions = tuple(dict.fromkeys(p for p in places if p))
    quoted = tuple(m.group(1).strip() for m in _QUOTED.finditer(question))
    wordings = _wordings(q, lex)

    # an English question's own words say what is asked, not the Chinese terms added for its subject
    # ("were added" → 新增|增加 is no growth asked)
    # "2025年收入": 收入, not 年收入; "多少头猪": 猪, not 头猪 (the counting word belongs to the question word)
    # "有多大": 多大 asks how big, not 多 and 大 about something
    tokens = tokenize(_HOW_MUCH.sub(r" \1 ", _COUNTER_AFTER_WH.sub(r"\1 ", re.sub(r"((?:19|20)\d\d年)", r"\1 ", q))))
    cue = question.lower() if english else _without_names(low, tokens, lex)
    wants_target = _says(cue, _TARGET_WORDS) or relative in ("this", "next") and "目标" not in low and \
        not any(w in low for w in ("完成", "实现了", "达到了")) or bool(_WILL_ASK.search(cue))
    wants_actual = (_says(cue, _ACTUAL_WORDS) or relative == "last") and \
        not any(w in low for w in ("目标", "计划", "预期", "打算"))
    wants_growth = _says(_VERB_OBJECT.sub(" ", cue.replace("增加值", "")), _GROWTH_WORDS) or \
        bool(_MORE_THAN.search(cue))
    if wants_growth and _TO_LEVEL.search(cue) and not _BY_AMOUNT.search(cue):
        wants_growth = False  # "提高到多少", "raised to": the level reached, not the change
    wants_rate = _says(cue, _RATE_WORDS) or "%" in q
    five_year = any(w in low.replace("年均浓度", "") for w in _FIVE_YEAR)  # ("PM2.5年均浓度": one year's mean)
    next_plan = any(w in low for w in _NEXT_PLAN)
    m = _UNIT_HINT.search(q) or _UNIT_HINT_AFTER.search(q)
    unit_hint = m.group(m.lastindex) if m else ""
    extra = [o for _, o in wordings if o not in q]  # official terms the question words differently
    indicator_class = expected_unit_class(" ".join([q] + extra))
    if re.search(r"多少钱|资金|资本金|经费|拨款|金额|投入|花费|收入|总额|产值|投资|税", q) and not unit_hint and not wants_rate \
            and indicator_class != "percent":  # not the "投入" of "研发投入强度", a percentage
        unit_hint = "元" if not wants_growth or "多少钱" in q else ""  # "要再涨多少钱": an amount of money
    if not unit_hint and not wants_growth and not wants_rate and re.search(
            r"多少(个)?(游客|人|城里人|居民|学生|干部|群众|员工|护理员|老人|教师|医生|名)|多少人|"
            r"how many (?:(?!households\b|families\b|homes\b)[a-z-]+ ){0,3}(?:tourists?|people|persons|visitors?|residents|students?|jobs?|workers?|teachers?|"
            r"doctors?|patients?|farmers?|graduates?|individuals?|villagers?|employees?)\b(?! (?:\w+ )?(?:households|families|homes)\b)",
            q.lower()):
        unit_hint = "人"

    if not unit_hint and not wants_growth and not wants_rate:
        if re.search(r"\bhow many (?:\w+ )?(?:households|families|homes)\b", q.lower()):
            unit_hint = "户"
        elif re.search(r"\bhow many (?:\w+ )?days\b", q.lower()):
            unit_hint = "天"
    official_of = {w.lower(): o for w, o in wordings}
    place_forms = {p for r in regions for p in (r, r.lower())}
    terms: list[str] = []
    for tok in tokens:
        if tok in lex.question_words:
            continue  # before trimming: "现在" trimmed to "现" would look like a subject term
        # "哪一…", "…的/了/是" glued on; never a two-character word's own half ("存在", "合作", "目的", "重要")
        tok = re.sub(r"^哪[一二三四五六七八九十两几]?|(?<=..)[要的了是在作]$", "", tok) if len(tok) > 1 else tok
        if len(tok) == 2 and tok[1] in "是的了" and not is_word(tok):
            tok = tok[0]  # "输出额是多少" cut "额是", no word: "额" and a copula
        if not tok:
            continue
        if any(len(w) > len(tok) and tok.lower() in w.lower() for w, _ in wordings):
            continue  # part of a known wording ("城里人" in "城里人收入"): the wording stands for it
        official = official_of.get(tok) or lex.official(tok)
        t = f"{tok}|{official}" if official and official != tok else tok
        if tok in lex.question_words or t.isascii() and english or _only_question_words(tok, lex):
            continue
        if re.fullmatch(r"20\d\d|20\d\d年|\d+", t):
            continue
        if tok in place_forms or any(tok in (r + "区", r + "市", r + "省", r + "县") or
                                     (len(tok) >= 2 and r.startswith(tok)) for r in regions):
            continue
        if t not in terms:
            terms.append(t)
    for wording, official in wordings:
        if official in lex.question_words or wording.lower() in lex.question_words:
            continue  # "涨了" → 增长 says what is asked (a growth), not what about
        # a wording jieba split apart ("城里人收入") still maps to its official term
        if not any(wording.lower() in t.split("|") for t in terms) and official not in terms:
            if not (wording.isascii() and english):
                terms.append(f"{wording}|{official}")
    if english:
        terms = _english_alternatives(terms, english_groups(question, lex))
    terms = [_with_short_forms(t, lex) for t in terms]
    # a term that is one of another term's forms adds nothing but weight on one wording ("细颗粒物" beside
    # "pm2.5|细颗粒物"): a passage that writes the other form would look like it misses a word
    terms = [t for t in terms if "|" in t or not any(t != o and t in o.split("|") for o in terms)]
    for q_ in quoted:
        if q_ not in terms:
            terms.insert(0, q_)
    search_text = " ".join([q] + extra)
    unit_class = indicator_class if not (wants_growth or wants_rate) else ""
    if re.search(r"指数|\bindex\b", q, re.I) and unit_class == "percent":
        unit_class = ""  # "居民消费价格指数控制在103左右": an index is a bare number, not a percentage
    if not unit_class and not unit_hint and not (wants_growth or wants_rate) and _COUNTED.search(q):
        unit_class = "countable"  # "How many villas…": things counted, not an area, a weight or money
    if english and qtype in ("text", "entity") and re.match(r"\s*what(?:'s| was| is| were| are| will be)\b", low) \
            and (indicator_class or wants_growth or wants_rate):
        qtype = "number"  # "What was Guangdong's R&D intensity?": an indicator's value
    return QuestionInfo(
        text=question, qtype=qtype, terms=tuple(terms), search_text=search_text, regions=regions,
        years=years, short_years=short_years, report_years=report_years, wants_target=wants_target, wants_actual=wants_actual,
        wants_growth=wants_growth, wants_rate=wants_rate, five_year=five_year, next_plan=next_plan, unit_hint=unit_hint, quoted=quoted,
        english=english, relative_year=relative, unit_class=unit_class, slot_head=_slot_head(question),
    )


_ORDINAL_MEASURES = ("届", "期", "轮", "次", "批")  # (but "哪两个县": 县 is the noun the slot ends in)


def about_contents(info: QuestionInfo) -> QuestionInfo:
    """The question as the reader weighs a report's passages: a year that only named the report
    ("涞水县2022年政府工作报告认为…存在哪些问题") chose the report and asks nothing of its passages."""
    if not info.report_years:
        return info
    return dataclasses.replace(info, years=tuple(y for y in info.years if y not in info.report_years))


def _slot_head(question: str) -> str | None:
    """The noun right after the question's wh-word ("哪个市场改造…" → "市场"), "" when none, None without one."""
    sides = wh_sides(question)
    if sides is None:
        return None
    wh, _, right = sides
    if wh in ("哪里", "哪儿") or wh.startswith("哪位"):
        return ""  # "哪位安徽人…": a person is named, not described ("徐淙祥", not "…安徽人")
    if not right or not re.match(r"[\u4e00-\u9fff]", right):
        return ""
    if len(right) <= 4:
        return right
    toks = tokenize(right)
    head = toks[0] if toks and right.startswith(toks[0]) else ""
    if head in _ORDINAL_MEASURES:
        return ""  # "哪一届|全国性运动会": a measure word names no noun
    tags = word_tags()
    for tok in toks[1:]:  # "哪个滑雪|景区在…获评": the nouns that follow belong to the head
        rest = right[len(head) + len(tok):]
        if len(tok) < 2 or tags.get(tok) != "n" or not right.startswith(head + tok) or not re.match(r"[\u4e00-\u9fff]", rest):
            break  # (a noun that ends the question is its predicate: "哪个项目|投产？")
        head += tok
    return head

