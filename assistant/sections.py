"""The section tree of a report: headings, paragraphs with their section path, glossary entries.

Government work reports share one outline: 一、… (level 1), (一)… (level 2),
paragraphs opened by a short lead sentence such as "巩固提升铜磷支柱地位。"
(level 3), and a closing 名词解释 glossary of numbered entries. The parser works
line by line on the original text, so every offset it returns points into it.

Provincial reports vary the outline, and the parser accepts the variants it has
seen: level-1 headings without a number ("“十四五”时期工作回顾"), a numbered
level-2 heading that is a full sentence on its own line ("（一）经济运行顶住压力、
稳中有进。"), a topic sentence on its own line before its paragraph ("生态底色更加
亮丽。"), annexes ("附件1" + "2026年省十件民生实事") and glossary variants
("《政府工作报告》有关内容名词注释", entries numbered "［25］"). Each rule only fires
on lines the two bundled reports don't have, so their outline is unchanged.

Some copies lost their line breaks: the whole report is one run-on line, its headings running
into the text ("2023年工作回顾2023年是…", "。一、聚焦抓项目增效益，…行动。牢固树立…"). Such a
line is read as the lines it lost (`_run_on_lines`): a break before each numbered heading
sentence and after it, around a part title, and before each short topic sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import normalize, sentence_spans, strip_spans
from .types import Section

#: Bump when a change alters the outline (and so the chunks) of some report.
OUTLINE_VERSION = "outline-v4"

_CN = "一二三四五六七八九十百"
L1 = re.compile(r"^[" + _CN + r"]+[、.]\s*\S")
L2 = re.compile(r"^[((][" + _CN + r"]+[))]\s*\S")
GLOSSARY_HEAD = re.compile(r"^(?:(名词解释|名词注释|名词解读|注释|附注)|\S{0,20}(?:名词解释|名词注释|名词解读))[::]?$")
GLOSSARY_ENTRY = re.compile(r"^(?:(\d{1,3})\s*[.、．]|\[(\d{1,3})\]|【(\d{1,3})】)\s*(?P<body>.+)$")
# level-1 headings some reports print without "一、"
_PART_NAMES = "工作回顾|发展成就|目标任务|重点工作|工作安排|重点任务"
UNNUMBERED_L1 = re.compile(r"^[^。!?;,:]{2,26}?(?:" + _PART_NAMES + r")(?:建议)?$")
RUN_ON = 2000  # a line longer than this is a copy that lost its line breaks (a paragraph is rarely 1,000)
# a part's title at the start of a run-on sentence ("2024年工作安排建议", "二、2024年工作总体要求和主要目标"),
# followed by the text it heads (a year, a quote, "今年是…"; not "如下", "的"…)
_INLINE_PART = re.compile(r"^[^。!?;,:]{2,26}?(?:" + _PART_NAMES + r"|总体要求|主要目标|预期目标)(?:建议)?"
                          r"(?=[\d一二三四五六七八九十今过当各这我“《])")
_COLON_BEFORE_HEADING = re.compile(r"[:：]\s*(?=[(（][" + _CN + r"]+[)）]|[" + _CN + r"]+、)")
_DIGIT = re.compile(r"\d")
ANNEX = re.compile(r"^附件\s*[\d" + _CN + r"]*[::]?$")
_INTRO = re.compile(r"以下|如下|下列|方面工作|几个方面|各位代表")
MAX_HEADING = 60  # a numbered line longer than this is a paragraph, not a heading
_ITEM_END = re.compile(r"[;,]$")  # "(二)加班、加点工资;": a numbered line that goes on is a list's item, no heading
MAX_LEAD = 30  # a paragraph's first sentence up to this length names its topic
FRONT = "报告开头"
MAX_FRONT = 400  # the opening lines before the first heading; past this, a heading-less text is paragraphs
GLOSSARY = "名词解释"


@dataclass(frozen=True)
class Block:
    """A paragraph (or glossary entry) of the report, with where it sits in the outline."""

    start: int
    end: int
    path: tuple[str, ...]
    kind: str  # "front" | "paragraph" | "glossary"
    lead_end: int = -1  # end offset of the lead sentence when it names the paragraph's topic


@dataclass(frozen=True)
class Outline:
    sections: tuple[Section, ...]
    blocks: tuple[Block, ...]


def _lines(text: str) -> tuple[list[tuple[int, int]], set[int]]:
    """The text's lines, a run-on line read as the lines it lost; and which of them are inline headings."""
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    out: list[tuple[int, int]] = []
    headings: set[int] = set()
    for s, e in strip_spans(text, spans):
        if e - s <= RUN_ON:
            title_end = _inline_part_end(text, s, e) if e - s > MAX_HEADING and L1.match(text[s:s + 8]) else None
            if title_end is not None:  # "二、2024年工作总体要求和主要目标今年是…": the part's title, then its text
                headings.add(len(out))
                out.append((s, title_end))
                s = title_end
            out.append((s, e))
            continue
        for piece, heading in _run_on_lines(text, s, e):
            if heading:
                headings.add(len(out))
            out.append(piece)
    return out, headings


def _inline_part_end(text: str, start: int, end: int) -> int | None:
    """Where a part's title that runs into its text ends ("2024年工作安排建议|2024年是…"), if text[start:end] opens so."""
    head = text[start:min(end, start + 40)]
    m = _INLINE_PART.match(normalize(head))
    if m is None or normalize(head[:m.end()]) != m.group():  # folding changed a length: no offset to trust
        return None
    return start + m.end()


def _run_on_lines(text: str, start: int, end: int) -> list[tuple[tuple[int, int], bool]]:
    """The lines a run-on text[start:end] lost, each with whether it is a heading found inline.

    A numbered heading ("一、" / "（一）") is the sentence it opens; a part title ("2024年工作安排建议")
    ends where the text it heads begins; a short topic sentence followed by a longer one opens a
    paragraph. Everything else stays with the line before it.
    """
    sents = []
    for s, e in sentence_spans(text, start, end):  # "以下工作：（一）千方百计稳增长，…": the heading after the colon
        for m in _COLON_BEFORE_HEADING.finditer(text, s, e):
            sents.append((s, m.end()))
            s = m.end()
        sents.append((s, e))
    normed = [normalize(text[s:e]) for s, e in sents]
    out: list[tuple[tuple[int, int], bool]] = []
    line_start = start
    lead_at = -2  # the sentence that last opened a paragraph

    def cut(at: int) -> None:
        nonlocal line_start
        if at > line_start:
            out.append(((line_start, at), False))
        line_start = at

    for k, ((s, e), sent) in enumerate(zip(sents, normed)):
        nxt = normed[k + 1] if k + 1 < len(normed) else ""
        if len(sent) <= MAX_HEADING and (L1.match(sent) or L2.match(sent)) and not _ITEM_END.search(sent):
            cut(s)
            out.append(((s, e), True))
            line_start = e
            continue
        title_end = _inline_part_end(text, s, e)
        if title_end is not None:
            cut(s)
            out.append(((s, title_end), True))
            line_start = title_end
            continue
        if (_standalone_lead(sent) and len(nxt) > len(sent) and k != lead_at + 1
                and not _DIGIT.search(sent) and "等" not in sent):  # a topic, not a sentence of figures or examples
            cut(s)
            lead_at = k
    cut(end)
    return out


def lead_sentence(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The paragraph's topic sentence ("推进产业园区融合升级") and its end offset, if it has one."""
    spans = sentence_spans(text, start, end)
    if len(spans) < 2:
        return None
    s, e = spans[0]
    sentence = normalize(text[s:e])
    if not sentence.endswith("。") or len(sentence) - 1 > MAX_LEAD or len(sentence) < 4:
        return None
    body = sentence.rstrip("。")
    if body.startswith(("各位代表", "同时", "此外", "当前")):
        return None
    return body, e


def _is_heading(line: str) -> bool:
    """Whether a (normalized) line opens a section, by any of the rules below."""
    if len(line) > MAX_HEADING or _ITEM_END.search(line):
        return False
    return bool(GLOSSARY_HEAD.match(line) or ANNEX.match(line) or UNNUMBERED_L1.match(line)
                or ((L1.match(line) or L2.match(line)) and (not line.endswith("。") or _one_sentence(line))))


def _one_sentence(line: str) -> bool:
    return len(sentence_spans(line)) == 1


def _standalone_lead(line: str) -> bool:
    """A topic sentence alone on its line ("生态底色更加亮丽。"), naming the paragraph after it."""
    body = line.rstrip("。")
    return (line.endswith("。") and 4 <= len(body) <= MAX_LEAD and _one_sentence(line)
            and not _INTRO.search(line) and not body.startswith(("同时", "此外", "当前")))


def parse_outline(text: str) -> Outline:
    """Parse headings and paragraphs; every Block is a verbatim range of `text`."""
    sections: list[Section] = []
    blocks: list[Block] = []
    l1: str | None = None
    l2: str | None = None
    in_glossary = False
    in_annex = False
    unnumbered = False  # the current part's heading has no "一、" (so "一、" lines are its sub-parts)
    lines, inline_headings = _lines(text)
    normed = [normalize(text[s:e]) for s, e in lines]
    pending: tuple[int, int, str] | None = None  # a standalone lead line waiting for its paragraph
    i = 0
    while i < len(lines):
        s, e = lines[i]
        line = normed[i]
        nxt = normed[i + 1] if i + 1 < len(lines) else ""
        i += 1
        if len(line) <= MAX_HEADING and GLOSSARY_HEAD.match(line):
            in_glossary, in_annex, unnumbered, l1, l2 = True, False, False, GLOSSARY, None
            sections.append(Section(level=1, title=GLOSSARY, start=s, end=e))
            continue
        if in_glossary:
            m = GLOSSARY_ENTRY.match(line)
            if m:
                term = re.split(r"[::]", m.group("body"), maxsplit=1)[0].strip()
                sections.append(Section(level=4, title=term, start=s, end=e))
                blocks.append(Block(s, e, (GLOSSARY, term), "glossary"))
                continue
            if blocks and blocks[-1].kind == "glossary" and not L1.match(line):
                # a wrapped glossary entry continues on the next line
                prev = blocks.pop()
                blocks.append(Block(prev.start, e, prev.path, "glossary"))
                continue
        if ANNEX.match(line):
            title, end = line, e
            if nxt and len(nxt) <= 30 and not _is_heading(nxt) and not re.search(r"[。!?;,:]", nxt):
                title, end = f"{line} {nxt}", lines[i][1]  # "附件1" + "2026年省十件民生实事"
                i += 1
            l1, l2, in_glossary, in_annex, unnumbered = title, None, False, True, False
            sections.append(Section(level=1, title=title, start=s, end=end))
            continue
        if len(line) <= MAX_HEADING and L1.match(line) and not _ITEM_END.search(line) and (
                not line.endswith("。") or i - 1 in inline_headings):
            if in_annex or unnumbered:  # numbered parts of an annex, or of a part titled without a number
                l2 = line.rstrip("。")
                sections.append(Section(level=2, title=l2, start=s, end=e))
            else:
                l1, l2, in_glossary = line.rstrip("。"), None, False
                sections.append(Section(level=1, title=l1, start=s, end=e))
            continue
        if len(line) <= MAX_HEADING and UNNUMBERED_L1.match(line) and nxt and not _is_heading(nxt):
            l1, l2, in_glossary, in_annex, unnumbered = line, None, False, False, True
            sections.append(Section(level=1, title=line, start=s, end=e))
            continue
        if len(line) <= MAX_HEADING and L2.match(line) and not _ITEM_END.search(line) and (
                not line.endswith("。") or (_one_sentence(line) and nxt and not _is_heading(nxt))):
            l2 = line.rstrip("。") if line.endswith("。") else line
            sections.append(Section(level=2, title=l2, start=s, end=e))
            continue
        parents = tuple(p for p in (l1, l2) if p)
        front = blocks[-1] if blocks and blocks[-1].kind == "front" else None
        front_size = front.end - front.start if front else 0
        if not parents and (front or not blocks) and front_size + (e - s) <= MAX_FRONT:
            # before the first heading: title lines, meeting, speaker, opening
            if blocks:
                prev = blocks.pop()
                blocks.append(Block(prev.start, e, prev.path, "front"))
            else:
                blocks.append(Block(s, e, (FRONT,), "front"))
            continue
        # a document without headings (a notice, a news item) goes on in paragraphs of its own
        if (pending is None and not in_glossary and _standalone_lead(line) and nxt and not _is_heading(nxt)
                and len(nxt) > len(line) and not _standalone_lead(nxt)
                and lead_sentence(text, lines[i][0], lines[i][1]) is None):
            pending = (s, e, line.rstrip("。"))
            continue
        if pending is not None:
            # the lead line and its paragraph make one block, the lead naming its topic
            lead_start, lead_end, title = pending
            pending = None
            sections.append(Section(level=3, title=title, start=lead_start, end=lead_end))
            blocks.append(Block(lead_start, e, parents + (title,), "paragraph", lead_end))
            continue
        lead = lead_sentence(text, s, e)
        if lead:
            title, lead_end = lead
            sections.append(Section(level=3, title=title, start=s, end=lead_end))
            blocks.append(Block(s, e, parents + (title,), "paragraph", lead_end))
        else:
            blocks.append(Block(s, e, parents, "paragraph"))

    # close each heading's span at the next heading of the same or a higher level
    closed: list[Section] = []
    for i, sec in enumerate(sections):
        end = len(text.rstrip())
        for nxt in sections[i + 1:]:
            if nxt.level <= sec.level:
                end = nxt.start
                break
        if sec.level == 4:
            end = sec.end
        closed.append(Section(sec.level, sec.title, sec.start, max(sec.end, end)))
    return Outline(sections=tuple(closed), blocks=tuple(blocks))
