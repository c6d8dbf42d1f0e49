"""Follow-up questions: "那昆明呢？", "增长了多少？", "2026年的目标呢？" reuse the previous intent.

A follow-up is recognised by its form (那…/…呢, very short, or no subject of
its own). It is rewritten into a standalone question by keeping the slots of
the previous question (region, year or period, subject, intent) that the
follow-up does not replace. Pure string functions: the history is passed in.
"""
from __future__ import annotations

import re
from typing import Sequence

from typing import Callable

from .knowledge import counterparts, lexicon
from .text import _STOPWORDS, clean_question, tokenize

# what a figure is compared with: last year, a named year, the larger region ("比全省高多少")
_BASELINE = re.compile(r"(?:比|较|同比)(?:上一年|上年|去年|前一年|(?:19|20)\d\d年|全国|全省|全市|全区|全县|全州)?(?:同期)?")
# a comparison with no subject of its own ("比2020年增加了多少天？"): the earlier question's subject compared
_COMPARISON = re.compile(r"^(?:比|较|同比)(?:上一年|上年|去年|前一年|(?:19|20)\d\d年|全国|全省|全市|全区|全县|全州)(?:同期)?"
                         r"(?:增加|增长|提高|提升|上升|下降|减少|降低|多|少|高|低|高出|低了|多了|少了|快|慢)了?"
                         r"(?:多少|几)[\u4e00-\u9fff]{0,3}[?？]?$")
# the ask at the end of a question ("…有多少天", "…是多少", "…有哪些"), cut to ask another thing of the same subject
_ASK_TAIL = re.compile(r"(?:是|有|为|达|达到|完成|约|共|一共|总共)?(?:多少|几)(?:万|亿)?[\u4e00-\u9fff]?[?？]?$|"
                       r"(?:是谁|是什么|有哪些|是哪些|是哪几个|哪些|什么)[?？]?$")
# only a verb of a value and the ask ("2022年要稳定在多少？", "计划提高到多少？"): the value of the earlier subject
_VERB_ONLY = re.compile(r"^(?:(?:20\d\d|[0-4]\d)年|今年|明年)?(?:要|将|计划|力争|预计|预期|争取|确保)*(?:稳定|保持|控制|提高|提升|"
                        r"达到|增加|降低|下降|减少|突破|超过|完成|实现)(?:在|到|至)?(?:多少|几)[\u4e00-\u9fff]{0,2}[?？]?$")
_FOLLOW_MARK = re.compile(r"^(那么?|那个|还有|另外|以及|and\b|what about|how about)|呢[?？]?$", re.I)
_PERIOD = re.compile(r"20\d\d年?|今年|去年|明年|“?十[四五]五”?(?:期间|时期)?")
_SHORT_YEAR = re.compile(r"(?<![\d.])['’‘]?([0-4]\d)年(?![代来间内度多半])")
_INTENT_WORDS = ("增长了多少", "增长多少", "增长", "增速", "增幅", "目标", "完成", "占比", "比例")
_MEASURES = ("面积", "产量", "人数", "人次", "总额", "产值", "收入", "支出", "规模", "数量", "增加值", "投资")
_MEASURE_VERBS = ("播种", "种植", "参保", "接待")
_ASK_WORDS = re.compile(r"谁|哪|什么|何时|几|多少|是否")
_PREV_ASK = re.compile(r"^谁|是谁|是多少|多少|哪些|哪几|是什么|指什么|什么|有哪些")
_UNIT_AFTER_ASK = re.compile(r"(多少)(万|亿)?(人次|人|户|亩|个|家|所|项|座|元|吨|条|名|套|辆|台|处|间|栋|公里)")
_REGION_SUFFIX = r"(?:区|市|省|县)?"


PlaceFinder = Callable[[str], list[str]]


def _regions(text: str, find_places: PlaceFinder | None) -> list[str]:
    """Place names in the text, as the corpus's place finder sees them (the gazetteer's without one)."""
    if find_places is not None:
        return list(find_places(text))
    from .places import find_places as gazetteer_places

    return [p.name for p in gazetteer_places(text) if p.kind == "region"]


def _subject_tokens(text: str, find_places: PlaceFinder | None = None) -> list[tuple[int, int, str]]:
    """(start, end, token) of the subject words of a question, in order."""
    import jieba

    out, pos = [], 0
    regions = _regions(text, find_places)
    question_words = lexicon().question_words
    for tok in jieba.lcut(text):
        start = text.find(tok, pos)
        pos = start + len(tok)
        if (not tok.strip() or tok in question_words or tok in _STOPWORDS or _PERIOD.fullmatch(tok)
                or any(tok.startswith(r) for r in regions) or not re.search(r"[\u4e00-\u9fff]", tok)
                or tok in ("目标", "增长", "完成", "要", "达到")):
            continue
        out.append((start, pos, tok))
    return out


def is_follow_up(question: str, previous: str | None = None) -> bool:
    """Whether a question only makes sense after the previous one.

    By its form (那…/…呢, very short), or, given the previous question, because it names
    nothing of its own: "2024年计划新增多少？" after "驻马店市2023年城镇新增就业多少人？".
    """
    q = clean_question(question)
    if not q:
        return False
    if _FOLLOW_MARK.search(q):
        return True
    if previous and (_COMPARISON.match(q) or _VERB_ONLY.match(q)):
        return True
    if len(q) <= 8 and len(tokenize(q)) <= 2:
        return True
    if previous:
        words = lexicon().question_words
        own = [t for t in tokenize(_BASELINE.sub("", q)) if t not in words and not _PERIOD.fullmatch(t) and not t.isdigit()]
        prev = clean_question(previous)
        # only a few short words of its own, all already in the previous question (a full question that
        # restates its place and indicator is standalone)
        return (sum(len(t) for t in own) <= 4 and all(len(t) <= 2 for t in own)
                and all(len(t) == 1 or t in prev for t in own) and not re.search(r"[“\"《]", q))
    return False


_PREPOSITIONS = ("对", "向", "在", "与", "同", "从")


def _replace_object(prev: str, phrase: str, subjects: list[tuple[int, int, str]]) -> str | None:
    """"那对东盟十国呢？" after "对RCEP成员国贸易额增长了多少": a phrase opening with a preposition the earlier
    question has replaces that preposition's object (up to its first subject word), not the indicator after it."""
    import jieba

    if len(phrase) < 3 or phrase[0] not in _PREPOSITIONS:
        return None
    pos = 0
    for tok in jieba.lcut(prev):
        start = prev.find(tok, pos)
        pos = start + len(tok)
        if tok == phrase[0]:
            after = [s for s in subjects if s[0] > start]
            if len(after) >= 2:  # the object, and the indicator that stays
                return prev[:start] + phrase + prev[after[0][1]:]
            return None
    return None


def _replace_subject(prev: str, phrase: str, find_places: PlaceFinder | None = None) -> str:
    subjects = _subject_tokens(prev, find_places)
    if not subjects:
        return phrase + prev
    replaced = _replace_object(prev, phrase, subjects)
    if replaced:
        return replaced
    for i, (start, end, tok) in enumerate(subjects):
        if len(tok) >= 2 and len(phrase) > len(tok) and phrase.startswith(tok) and phrase[len(tok):] not in prev:
            # "新增托位呢？" after "新增普惠托育机构多少家": the same verb with another object; the object (the run of
            # subject words after the verb) and its measure word go
            j = i
            while j + 1 < len(subjects) and subjects[j + 1][0] == subjects[j][1]:
                j += 1
            if j > i:
                return _UNIT_AFTER_ASK.sub(r"\1", prev[:start] + phrase + prev[subjects[j][1]:])
    if phrase in _MEASURES:
        measures = [s for s in subjects if s[2].endswith(_MEASURES)]
        if measures:
            start, end, _ = measures[-1]
            before = [s for s in subjects if s[1] == start and s[2] in _MEASURE_VERBS]
            if before:
                start = before[0][0]
            return prev[:start] + phrase + prev[end:]

    def affinity(tok: str) -> int:
        pre = next((i for i in range(min(len(tok), len(phrase)), 0, -1) if tok[:i] == phrase[:i]), 0)
        suf = next((i for i in range(min(len(tok), len(phrase)), 0, -1) if tok[-i:] == phrase[-i:]), 0)
        return pre + suf if max(pre, suf) >= 2 else 0

    # candidate old subjects: runs of up to three adjacent subject words ("基本" "养老保险")
    spans: list[tuple[int, int]] = []
    for i in range(len(subjects)):
        end = subjects[i][1]
        spans.append((subjects[i][0], end))
        for j in range(i + 1, min(i + 3, len(subjects))):
            if subjects[j][0] != end or subjects[j][2] in _MEASURES:
                break
            end = subjects[j][1]
            spans.append((subjects[i][0], end))
    best = max(spans, key=lambda se: (affinity(prev[se[0]:se[1]]), -abs((se[1] - se[0]) - len(phrase))))
    if affinity(prev[best[0]:best[1]]) >= 2:
        return prev[:best[0]] + phrase + prev[best[1]:]
    # no affinity: replace the longest run of adjacent subject words (the indicator) and its unit
    runs: list[list[tuple[int, int, str]]] = []
    for tok in subjects:
        if runs and runs[-1][-1][1] == tok[0]:
            runs[-1].append(tok)
        else:
            runs.append([tok])
    run = max(runs, key=lambda r: r[-1][1] - r[0][0])
    result = prev[:run[0][0]] + phrase + prev[run[-1][1]:]
    return _UNIT_AFTER_ASK.sub(r"\1", result)


def _swap_counterpart(prev: str, phrase: str) -> str | None:
    """The earlier question with its counterpart of the follow-up's word swapped in, or None.

    "农村居民" after "城镇居民人均可支配收入是多少" → "农村居民人均可支配收入是多少": the follow-up names a
    word whose counterpart the earlier question holds, and what else it says sits around it there too.
    """
    found: list[tuple[int, str, str]] = []
    for group in counterparts():
        for i, item in enumerate(group):
            for word in (w for w in item if w in phrase and w not in prev):
                found += [(len(word) + len(other), word, other) for j, other_item in enumerate(group) if j != i
                          for other in other_item if other in prev]
    for _, word, other in sorted(found, key=lambda f: -f[0]):
        at = phrase.find(word)
        head, tail = phrase[:at], phrase[at + len(word):]
        pos = prev.find(other)
        while pos >= 0:
            if prev[:pos].endswith(head) and prev.startswith(tail, pos + len(other)):
                return prev[:pos] + word + prev[pos + len(other):]
            pos = prev.find(other, pos + 1)
    return None


_NATION = re.compile(r"全国|我国")


def _in_context(q: str, prev: str, find_places: PlaceFinder | None = None) -> str:
    """A question of its own asked in a conversation keeps the place and the year the conversation is
    about when it names neither ("贫困发生率降到了多少？" after "2019年全国农村贫困人口减少了多少？")."""
    if _regions(q, find_places) or _PERIOD.search(q) or _SHORT_YEAR.search(q) or _NATION.search(q):
        return q
    context = "".join(dict.fromkeys(
        [m.group(0) for m in [_PERIOD.search(prev)] if m and re.match(r"20\d\d年", m.group(0))]
        + _regions(prev, find_places)[:1] + [m.group(0) for m in [_NATION.search(prev)] if m]))
    return context + q if context else q


def resolve(question: str, history: Sequence[str] | None, find_places: PlaceFinder | None = None,
            years_of: Callable[[str, bool], set[int]] | None = None) -> str:
    """A standalone question for `question` given earlier questions (oldest first).

    `find_places` finds the place names of a text (the corpus's place finder), so
    "那四川呢？" replaces the earlier question's place; `years_of` says which years a
    place's reports review (or, with True, set targets for), so the earlier question's
    year is kept when they speak of it.
    """
    q = clean_question(question)
    if not history:
        return q
    if not is_follow_up(q, history[-1]):
        return _in_context(q, resolve(history[-1], history[:-1], find_places, years_of), find_places)
    prev = resolve(history[-1], history[:-1], find_places, years_of).rstrip("?？")
    bare = re.sub(r"^(那么?|还有)|呢?[?？]?$", "", q)
    if re.search(r"20\d\d年", prev) or _SHORT_YEAR.fullmatch(bare):  # "那24年呢": another year
        q = _SHORT_YEAR.sub(lambda m: f"20{m.group(1)}年", q)
    core = re.sub(r"^(那么?|那个|还有|另外|以及)", "", q)
    core = re.sub(r"呢[?？]?$|[?？]$", "", core).strip(" ,，的")
    result = prev

    new_regions = _regions(q, find_places)  # the whole follow-up: "那昆明呢" is a place context
    if new_regions:
        old = _regions(result, find_places)
        if old:
            result = re.sub(re.escape(old[0]) + _REGION_SUFFIX, new_regions[0], result, count=1)
        else:
            result = new_regions[0] + result
        inherited = re.search(r"(20\d\d)年", result)
        targets = bool(re.search(r"目标|预期|计划|力争", result + core))
        covered = inherited is not None and years_of is not None and \
            int(inherited.group(1)) in years_of(new_regions[0], targets)
        if not _PERIOD.search(core) and old and old[0] != new_regions[0] and not covered:
            # another region's report covers other years: keep the indicator, drop the inherited year
            result = re.sub(r"20\d\d年的?", "", result, count=1)
        for r in new_regions:
            core = re.sub(re.escape(r) + _REGION_SUFFIX, "", core)

    new_period = _PERIOD.search(_BASELINE.sub("", core))  # ("比上一年多了多少" compares; it names no year)
    if new_period:
        period = new_period.group(0)
        old_period = _PERIOD.search(result)
        later = period == "今年" or (old_period and re.match(r"20\d\d", period) and re.match(r"20\d\d", old_period.group(0))
                                     and int(period[:4]) > int(old_period.group(0)[:4]))
        result = result.replace(old_period.group(0), period, 1) if old_period else period + result
        if later and re.search(r"建成|完成|实现|达到", result):
            result = re.sub(r"(建成|完成|实现|达到)了?", "", result)
            core += "目标"
        core = core.replace(period, "").strip(" ,，的")

    quoted_new = re.findall(r"“[^”]+”", core)
    quoted_old = re.findall(r"“[^”]+”", result)
    if quoted_new and quoted_old and not _PERIOD.fullmatch(quoted_new[0].strip("“”")):
        return result.replace(quoted_old[0], quoted_new[0], 1) + "？"

    core = core.strip(" ,，的")
    if not core:
        return result + "？"
    if _COMPARISON.match(core):  # "比2020年增加了多少天？": the earlier subject compared
        return _ASK_TAIL.sub("", result).strip(" ,，的") + core + "？"
    if _ASK_WORDS.search(core) and not any(w in core for w in ("增长", "目标")):
        # a different question about the same thing: "在哪次会议上？", "是哪天？"
        stem = _PREV_ASK.sub("", result).strip(" ,，的")
        return stem + core + "？"
    # a one-character word ("建" of "计划建多少") is no subject of its own
    subject = [t for t in tokenize(core) if t not in lexicon().question_words and not _PERIOD.fullmatch(t)
               and len(t) >= 2]
    intent_only = not subject or all(any(t in w for w in _INTENT_WORDS) for t in subject)
    if intent_only:
        if "目标" in core and "目标" not in result:
            result = re.sub(r"(是多少|多少)", "目标是多少", result, count=1) if "多少" in result else result + "目标"
        if re.search(r"增长|增速|增幅", core) and not re.search(r"增长|增速|增幅", result):
            result = re.sub(r"(是多少|完成多少|多少)$", "增长了多少", result)
        return result + "？"
    intent = "目标" if core.endswith("目标") and len(core) > 2 else ""
    core = core[:-len(intent)] if intent else core
    swapped = _swap_counterpart(result, core)
    if swapped is not None:  # "农村的呢？" after "城市低保标准是多少": the same asked of the counterpart
        result = _UNIT_AFTER_ASK.sub(r"\1", swapped)
    else:
        phrase = lexicon().official(core.lower()) or core
        result = _replace_subject(result, phrase, find_places)
    if intent:  # "城镇新增就业目标呢？" after "…地区生产总值增长目标是多少": the new subject's own target
        result = re.sub(r"(增长|增速|增幅)(?=目标)", "", result)
        if "目标" not in result:
            result = re.sub(r"(是多少|多少)", "目标是多少", result, count=1) if "多少" in result else result + "目标"
    return result + "？"


__all__ = ["is_follow_up", "resolve"]
