"""Descriptive answers: how, which measures, what policy — the whole answering clause, not a fragment.

A question such as "如何稳就业？" or "对小微企业有哪些支持措施？" is answered by one to a few
whole sentences, or by a numbered list of measures. Given the sentence the reader found, this
module decides where the answer starts (after a heading, a paragraph's topic sentence, a
policy-basis line or a lead-in that only restates the question) and where it ends (after the
last item of a list it opens, never mid-clause, within a bound). Pure functions over the
normalized text (same offsets as the report's own text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from ..knowledge import DATA_DIR
from ..text import FLAT_BREAK, sentence_spans  # FLAT_BREAK: a line break a copy flattened into spaces
from .spans import Span

# ------------------------------------------------------------------ question cues


def _clause_nouns() -> dict[str, list[str]]:
    """What a question asks for when clauses answer it (assistant/data/descriptive_words.txt), by section:
    "any" after "哪些/什么" and before "是什么" alike, "which" only after "哪些/哪几/哪三…"."""
    out: dict[str, list[str]] = {"any": [], "which": []}
    section = "any"
    for line in (DATA_DIR / "descriptive_words.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        out[section].extend(re.escape(w) for w in line.split())
    return out


def _alternation(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_HOW = re.compile(r"(?:如何|怎样|怎么|咋)(?!表述|说|称|定义|计算|算|样[?？]?$)|[做干]什么[?？]?$")
_NOUNS = _clause_nouns()
_MEASURE_NOUNS = _alternation(_NOUNS["any"])
_WHICH_NOUNS = _alternation(_NOUNS["any"] + _NOUNS["which"])
_WHICH = r"(?:哪些|哪几[项条方个类]?|哪[“\"]?[一二三四五六七八九十两]+[项条个方类])"
_NOUN_GAP = r"(?![人者些])[“”\"\u4e00-\u9fff]{0,4}?"  # "哪些**突出**问题": a few words before the noun
_SHORT = re.compile(r"多少|几[个项家所座条户人名次批万亿倍年岁天号月日点]|百分之几|第几|哪天|哪一天|何时|什么时候|"
                    r"how (?:many|much|long|old)|what (?:date|time|percentage|share)", re.I)
_WHICH_MEASURES = re.compile(rf"(?:{_WHICH}|什么|何种){_NOUN_GAP}(?:{_MEASURE_NOUNS})")
# "存在哪些问题", "抓住哪三个关键": clauses answer only when the report lists them so (一是…二是…)
_WHICH_CLAUSES = re.compile(rf"{_WHICH}{_NOUN_GAP}(?:{_WHICH_NOUNS})")
# "为什么" is "why", except after a verb that takes 为 ("更名为什么": renamed to what)
_WHY = re.compile(r"(?<!更名)(?<!改名)(?<!命名)(?<!更改)(?<!改称)(?<!称)(?<!评)(?<!定)(?<!列)(?<!设)(?<!成)(?<!作)"
                  r"(?<!认定)(?<!升格)(?<!调整)(?<!改)为什么|为何|什么(?:作用|意义|原因|目的|影响)|\bwhy\b", re.I)
_MEASURES_ARE = re.compile(rf"(?:{_MEASURE_NOUNS})(?:主要|具体)?(?:是|有|包括)(?:什么|哪些)")
_ENGLISH = re.compile(r"\bhow (?:will|would|did|does|do|to|can|could|should|is|are|was|were)\b(?! (?:many|much|long|old|far|often|big|large|high)\b)"
                      r"|\bwhat (?:will|would|did|does|do|should|can)\b.{0,60}\bdo\b"
                      r"|\bwhat (?:measures|steps|policies|support|services|requirements|actions|efforts|plans|conditions)\b"
                      r"|\bwhich (?:measures|steps|policies|services)\b", re.I)


_WH = re.compile(r"多少|几[个项家所座条户人名次批万亿倍年岁天号月日点]?|哪[些个家位里天一几]*|什么|何时|怎么|如何|怎样")


def _asks_two_things(question: str) -> bool:
    """Two clauses that ask different things ("以什么为课程载体、每学期安排多少课时", "放几天假，哪几天要补班"):
    the sentence that says both answers, not one figure of it ("多少户、多少人" asks one kind twice)."""
    asked = [m.group(0) for part in re.split(r"[,，、;；]", question) for m in [_WH.search(part)] if m]
    return len(asked) >= 2 and len(set(asked)) >= 2


@lru_cache(maxsize=512)
def description_cue(question: str) -> str:
    """How a question asks for clauses: "how" (how / which measures / what policy: a clause or a list
    of them answers), "clauses" (which problems, principles, aims …: a list of clauses answers when
    the report has one, else the items a list question wants), "" (neither)."""
    if _asks_two_things(question):
        return "how"
    if _SHORT.search(question):
        return ""
    if (_HOW.search(question) or _WHICH_MEASURES.search(question) or _MEASURES_ARE.search(question)
            or _WHY.search(question) or _ENGLISH.search(question)):
        return "how"
    return "clauses" if _WHICH_CLAUSES.search(question) else ""


def asks_description(question: str) -> bool:
    """Whether a question asks how / which measures / what policy / which problems (clauses answer)."""
    return bool(description_cue(question))


_WHICH_PHRASE = re.compile(rf"{_WHICH}([\u4e00-\u9fff]{{2,10}}?)(?:[?？,，。;；]|$|(?:的|来|以|呢|吗))")


def asked_noun(question: str) -> str:
    """The noun a "which …" question names after 哪些 ("补齐哪些医疗服务短板" → "医疗服务短板"), "" if none."""
    m = _WHICH_PHRASE.search(question)
    return m.group(1) if m else ""


def named_items(question: str, norm: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The items a sentence names as the thing a "which …" question asks for: "补齐哪些医疗服务短板" read in
    "补齐妇幼儿科、精神卫生、老年医学等服务短板" → the three items. Clauses would answer "how"; here the
    report has already named each one, and the names are the answer (`spans`: the sentence's lists
    with their 等 tail cut off, as the list reader finds them)."""
    noun = asked_noun(question)
    if len(noun) < 2:
        return None
    head = noun[-2:]
    for a, b in spans:
        tail = re.match(r"等([\u4e00-\u9fff]{0,6})", norm[b:b + 8])
        if tail and tail.group(1).endswith(head) and b - a >= 5:
            return a, b
    return None


def lists_clauses(norm: str, start: int, end: int) -> bool:
    """Whether a span is a list of clauses (items 一是…二是…, 1. 2., or several sentences), not one sentence."""
    sents = sentence_spans(norm, start, end)
    return len(sents) >= 2 or any(_item_index(norm[s:e]) for s, e in sents)


# ------------------------------------------------------------------ what is no answer
_MARKUP = re.compile(r"^[>#*\s]+|\*\*")  # a web copy's markdown: bold marks, quote and heading marks
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.]|[(][一二三四五六七八九十]+[)]|第[一二三四五六七八九十百]+[章节条部分])")
_BASIS = re.compile(r"^\s*[【\[](?:政策|法律|文件)?(?:依据|来源|出处|链接|附件)[】\]]")
# an archived copy's quoted note ("> 说明:本文件为…;每个案例的完整正文见…"): every sentence of its line
_QUOTED_NOTE = re.compile(r"[ \t]*>[\s>*]*(?:说明|备注|注|按)\s*[:：]")
# a page's or a file's own data: where it comes from, who issued it, when, its number; links; table rules
_META = re.compile(r"^[\s>#*]*(?:来源|原文|存档|链接|网址|出处|发布(?:机关|单位|机构|日期|时间)|发文(?:机关|单位|字号)|文号|"
                   r"索引号|成文日期|字体)\s*[:：]|https?://|(?:\|[^|]*){3,}")
_INTRO_END = re.compile(r"(?:如下|以下|下列|几个方面|几项|几点|措施|举措|工作|要求|内容|任务)?[:：]\s*$")
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.、．)]|[(]\d{1,2}[)]|[(][一二三四五六七八九十]{1,3}[)]|[①-⑳]|"
                   r"[一二三四五六七八九十]{1,3}[是要、]|第[一二三四五六七八九十]{1,3}[,，、是]|首先|其次|再次|最后)")
_ANNOUNCES = re.compile(r"(?:如下|以下|下列)[^,;。]{0,12}[:。]\s*$")  # "…现将有关事项通知如下:" only announces
_ORDINAL = "一二三四五六七八九十"
# a short topic sentence inside a paragraph ("工业转型聚势突破。"): it names what follows
_TOPIC = re.compile(r"[^,;:\d]{4,12}。")


def _item_index(sentence: str) -> int | None:
    """The number of a list item a sentence opens ("二是…" → 2, "3." → 3, "(四)" → 4), None if none."""
    m = _ITEM.match(_MARKUP.sub("", sentence))
    if not m:
        return None
    mark = m.group(0).strip()
    digits = re.search(r"\d+", mark)
    if digits:
        return int(digits.group(0))
    for ch in mark:
        if ch in _ORDINAL:
            return _ORDINAL.index(ch) + 1
    return {"首先": 1, "其次": 2, "再次": 3, "最后": 9}.get(mark, None)


_LABEL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[(][一二三四五六七八九十]{1,3}[)]|\d{1,2}[.、])\s*([^,;:。!?\n]{1,12}):")


def _names_item(sentence: str, question: str) -> bool:
    """Whether a list item's label ("三、清明节:", "六、国庆节、中秋节:") names something the question asks about."""
    m = _LABEL.match(_MARKUP.sub("", sentence))
    return m is not None and any(len(part) >= 2 and part in question for part in re.split(r"[、和及与]", m.group(1)))


def _titled(text: str) -> bool:
    """A numbered title ("**一、调整后的标准**"): it heads a section, it is no item of a list."""
    return not re.search(r"[,;:。!?]", _MARKUP.sub("", text))


def _core(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def restates(sentence: str, question: str) -> bool:
    """A sentence that only says what the question says ("全力稳定就业。" for "如何稳定就业？")."""
    core = _core(sentence)
    if not core or len(core) > 24:
        return False
    if states_figure(sentence, question):
        return False
    q = set(_core(question))
    return sum(ch in q for ch in core) >= 0.6 * len(core)


def states_figure(sentence: str, question: str) -> bool:
    """A sentence that adds a figure to the question's words ("三、…伙食补助费,标准为每人每天30元。"): however much
    of it repeats the question, or heads its section, the figure it states is what the question asks."""
    if not sentence.rstrip().endswith("。") or "," not in sentence:
        return False  # a title ("一、2025年工作回顾") states nothing
    q = set(_core(question))
    return re.search(r"\d", "".join(ch for ch in _core(sentence) if ch not in q)) is not None


@dataclass(frozen=True)
class Layout:
    """Where one sentence sits: its offsets, whether a line break precedes it, and whether it is a heading."""

    start: int
    end: int
    new_line: bool
    heading: bool
    lead_line: bool = False  # a whole line that ends in a colon: an addressee ("各区…用人单位:") or a list's lead-in




def _layout(norm: str, start: int, end: int) -> list[Layout]:
    out: list[Layout] = []
    for s, e in sentence_spans(norm, start, end):
        line_start = norm.rfind("\n", 0, s) + 1
        new_line = not norm[line_start:s].strip() or FLAT_BREAK.fullmatch(norm, max(line_start, s - 2), s) is not None
        line_end = norm.find("\n", e)
        line_end = len(norm) if line_end < 0 else line_end
        whole_line = new_line and (not norm[e:line_end].strip() or FLAT_BREAK.match(norm, e, line_end) is not None)
        text = _MARKUP.sub("", norm[s:e])
        heading = bool(_BASIS.match(text)) or whole_line and (
            bool(_HEADING.match(text)) and not re.search(r"[;,:]$", text)  # ("(一)加班工资;" is a list's item)
            and (len(text) <= 25 or len(text) <= 60 and not text.endswith("。"))
            or len(text) <= 80 and not re.search(r"[,;:。!?]$", text) and not _ITEM.match(text))  # a title line
        lead_line = whole_line and text.rstrip().endswith(":") and not heading
        out.append(Layout(s, e, new_line, heading, lead_line))
    return out


def _no_answer(lay: Layout, norm: str, question: str, topics: frozenset[str]) -> bool:
    """A sentence that cannot open the answer: a heading, a basis line, a topic sentence, a lead-in."""
    text = norm[lay.start:lay.end]
    return (lay.heading and not _names_item(text, question) or lay.lead_line
            or _is_topic(text, topics) and not states_figure(text, question) or restates(text, question)
            or bool(_META.search(text)) or bool(_INTRO_END.search(text)) and len(_core(text)) <= 30
            or bool(_ANNOUNCES.search(text)))


def _is_topic(text: str, topics: frozenset[str]) -> bool:
    """A paragraph's topic sentence: a title of the section path, or a short sentence of its own."""
    return text.rstrip("。.") in topics or (_TOPIC.fullmatch(text) is not None and not _ITEM.match(text))


# an article's or item's number, and the short label it may carry ("**七、国庆节、中秋节:**")
_ARTICLE = re.compile(r"(?:\*\*)?(?:[一二三四五六七八九十]{1,3}、|[(][一二三四五六七八九十]{1,3}[)])\s*"
                      r"(?:[^,;:。!?*\n]{1,12}:\s*(?:\*\*)?\s*(?=\S))?")


def answer_span(norm: str, s: int, question: str, topics: frozenset[str] = frozenset(),
                relevant: Callable[[int, int], bool] | None = None, limit: int = 300,
                window: int = 900, topic_end: int | None = None) -> tuple[Span, bool] | None:
    """The descriptive answer that the sentence starting at norm[s] belongs to, and whether it is the body
    of a paragraph whose topic sentence names the question's topic (the strongest sign); None if none.

    `topics`: the section path's titles (a paragraph's topic sentence "稳就业。" names the topic
    and answers nothing); `relevant(start, end)`: whether a sentence is still about the question.
    The span starts at the first sentence from `s` on that can open an answer (moving back to the
    first item when `s` is a later item of a list in the same paragraph). It ends where its paragraph
    ends when the paragraph is about the asked topic (its topic sentence was passed over); otherwise
    after the last following sentence of the paragraph that is still relevant; and it goes on over the
    next lines while they are the items of a list it opens or announces. It does not go on over the same
    line past `topic_end` (where the passages of its topic end: `topics.TopicEnds`) but for the next
    item of its list. At most `limit` characters, cut at a sentence end (or, for one long sentence,
    at its last clause end).
    """
    sents = _layout(norm, max(0, s - window), min(len(norm), s + window))
    idx = next((i for i, x in enumerate(sents) if x.start <= s < x.end or x.start >= s), None)
    if idx is None:
        return None
    intro = whole_paragraph = False
    # move forward past what only frames the answer: headings, topic sentences, lead-ins
    while _no_answer(sents[idx], norm, question, topics):
        lay = sents[idx]
        intro = intro or lay.lead_line or bool(_INTRO_END.search(norm[lay.start:lay.end]))
        # a heading or topic sentence about the question: what follows it is about the question too
        whole_paragraph = whole_paragraph or relevant is None or relevant(lay.start, lay.end)
        if idx + 1 >= len(sents):
            return None
        idx += 1
    if _QUOTED_NOTE.match(norm, norm.rfind("\n", 0, sents[idx].start) + 1):
        return None  # an archive's note says nothing of the document, and the title before it leads to nothing
    if idx + 1 < len(sents) and not sents[idx + 1].new_line and \
            _item_index(norm[sents[idx].start:sents[idx].end]) is None and \
            _item_index(norm[sents[idx + 1].start:sents[idx + 1].end]) == 1:
        # "…还存在不少问题和短板。一是…二是…": a sentence its list's first item follows only leads in to it
        intro = True
        whole_paragraph = whole_paragraph or relevant is None or relevant(sents[idx].start, sents[idx].end)
        idx += 1
    before = sents[idx - 1] if idx > 0 else None
    if before is not None and not sents[idx].new_line and _is_topic(norm[before.start:before.end], topics) and \
            (relevant is None or relevant(before.start, before.end)):
        whole_paragraph = True  # the paragraph's first sentence after a topic sentence about the question
    topical = whole_paragraph
    if ":" in norm[sents[idx].start:sents[idx].end - 1]:
        whole_paragraph = True  # "…列支:停工留薪期间的工资;…": the items it announces follow in its paragraph
    # an item labelled with what the question names ("三、清明节:4月4日…" for "清明节放几天假"): that item alone
    named_item = _names_item(norm[sents[idx].start:sents[idx].end], question)
    if not named_item and _LABEL.match(_MARKUP.sub("", norm[sents[idx].start:sents[idx].end])):
        # a labelled list ("一、元旦:…二、春节:…三、清明节:…") asked about one of its items: that item
        named = [j for j in range(len(sents)) if j != idx and _names_item(norm[sents[j].start:sents[j].end], question)]
        if named:
            idx, named_item = min(named, key=lambda j: abs(j - idx)), True
    number = _item_index(norm[sents[idx].start:sents[idx].end])
    list_start = -1
    if number and number > 1 and not named_item:  # a later item of a list in its paragraph: the whole list
        j = idx
        while j > 0 and not sents[j].new_line and sents[idx].end - sents[j - 1].start <= limit:
            j -= 1
            text = norm[sents[j].start:sents[j].end]
            inside = re.search(r"[:,]\s*(一是|1[.、])", text)
            if _item_index(text) == 1 or inside:
                idx, number = j, 1
                list_start = sents[j].start + inside.start(1) if inside and _item_index(text) != 1 else -1
                break
    first = sents[idx]
    text0 = norm[first.start:first.end]
    # a list the answer announces ("…如下:") or opens with its first item goes on over the next lines
    listing = not named_item and (intro or number == 1 or bool(re.search(r"一是|第一[,，]|首先", text0))
                                  or bool(_INTRO_END.search(text0)))
    expected = (number or 1) + 1
    last, k = idx, idx + 1
    while k < len(sents) and sents[k].end - first.start <= limit:
        lay = sents[k]
        text = norm[lay.start:lay.end]
        n = _item_index(text)
        next_item = n == expected or expected <= 10 and f"{_ORDINAL[expected - 1]}是" in text[:12]
        if lay.new_line:
            if not (listing and next_item):
                break
        elif _ANNOUNCES.search(text) and k + 1 < len(sents) and sents[k + 1].new_line and \
                _item_index(norm[sents[k + 1].start:sents[k + 1].end]) == 1 and \
                not _titled(norm[sents[k + 1].start:sents[k + 1].end]):
            # "…现通告如下:" then "(一)…(二)…": the announced list is the answer, not what led to it
            idx, listing, expected = k + 1, True, 2
            first, last, k = sents[k + 1], k + 1, k + 2
            continue
        elif topic_end is not None and first.start < topic_end <= lay.start and not next_item:
            break  # the next topic of a long paragraph ("…全年培训40万人次。扩大优质教育资源供给。…")
        elif not (whole_paragraph or next_item or relevant is None or relevant(lay.start, lay.end)):
            break  # the paragraph turns to another topic (one about the question is answered whole)
        last = k
        if next_item:
            expected += 1
        k += 1
    while last > idx and (_ANNOUNCES.search(norm[sents[last].start:sents[last].end]) or
                          norm[sents[last].start:sents[last].end].rstrip().endswith(":")):
        last -= 1  # "…现通告如下:", "二、下列项目…:" announce what the answer did not take in
    start, end = max(first.start, list_start), sents[last].end
    if end - start > limit:
        end = _cut(norm, start, end, limit)
    m = _ARTICLE.match(norm, start, end)
    if m and not listing:  # "七、工伤职工的…": the article's number is no part of what it says
        start = m.end()
    return Span(_after_lead(norm, start, min(end, first.end)), end, "descriptive"), topical


_NAMES_WHAT_FOLLOWS = re.compile(r"(?:如下|以下|下列|几个方面|几项|几点|措施|举措|工作|要求|内容|任务|目标|关键|问题|原则|重点)"
                                 r"(?:是|有|包括)?:\s*$")
_LEAD = re.compile(r"[^,;:。!?\n]{1,40}?:\s*(?=\S)")


def _after_lead(norm: str, start: int, end: int) -> int:
    """Where the answer starts past a lead-in clause of its first sentence that only names what follows
    ("三个关键:一是…", "《纲要草案》明确了今后五年的发展目标:一是…", "具体措施如下:…"); `start` if none."""
    m = _LEAD.match(norm, start, end)
    if m is None or m.end() >= end:
        return start
    lead = norm[start:m.end()]
    core = _core(_MARKUP.sub("", lead))
    if len(core) <= 8 or _NAMES_WHAT_FOLLOWS.search(lead):
        return m.end()
    return start


def _cut(norm: str, start: int, end: int, limit: int) -> int:
    """The last sentence or clause end within `limit` characters of `start` (never mid-clause)."""
    bound = start + limit
    for marks in ("。!?;", ","):
        pos = max(norm.rfind(m, start, bound) for m in marks)
        if pos > start + limit // 3:
            return pos + 1
    return min(end, bound)
