"""The section tree of a report: headings, paragraphs with their section path, glossary entries.

Government work reports share one outline: 一、… (level 1), (一)… (level 2),
paragraphs opened by a short lead sentence such as "巩固提升铜磷支柱地位。"
(level 3), and a closing 名词解释 glossary of numbered entries. The parser works
line by line on the original text, so every offset it returns points into it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import normalize, sentence_spans
from .types import Section

_CN = "一二三四五六七八九十百"
L1 = re.compile(r"^[" + _CN + r"]+[、.]\s*\S")
L2 = re.compile(r"^[((][" + _CN + r"]+[))]\s*\S")
GLOSSARY_HEAD = re.compile(r"^(名词解释|名词注释|名词解读|注释|附注)[::]?$")
GLOSSARY_ENTRY = re.compile(r"^(\d{1,3})\s*[.、．]\s*(.+)$")
MAX_HEADING = 60  # a numbered line longer than this is a paragraph, not a heading
MAX_LEAD = 30  # a paragraph's first sentence up to this length names its topic
FRONT = "报告开头"
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


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
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


def parse_outline(text: str) -> Outline:
    """Parse headings and paragraphs; every Block is a verbatim range of `text`."""
    sections: list[Section] = []
    blocks: list[Block] = []
    l1: str | None = None
    l2: str | None = None
    in_glossary = False
    heading_starts: list[tuple[int, int, str]] = []  # (index in sections, level, title)

    for s, e in _lines(text):
        line = normalize(text[s:e])
        if len(line) <= MAX_HEADING and GLOSSARY_HEAD.match(line):
            in_glossary, l1, l2 = True, GLOSSARY, None
            sections.append(Section(level=1, title=GLOSSARY, start=s, end=e))
            continue
        if in_glossary:
            m = GLOSSARY_ENTRY.match(line)
            if m:
                term = re.split(r"[::]", m.group(2), maxsplit=1)[0].strip()
                sections.append(Section(level=4, title=term, start=s, end=e))
                blocks.append(Block(s, e, (GLOSSARY, term), "glossary"))
                continue
            if blocks and blocks[-1].kind == "glossary" and not L1.match(line):
                # a wrapped glossary entry continues on the next line
                prev = blocks.pop()
                blocks.append(Block(prev.start, e, prev.path, "glossary"))
                continue
        if len(line) <= MAX_HEADING and L1.match(line) and not line.endswith("。"):
            l1, l2, in_glossary = line, None, False
            sections.append(Section(level=1, title=line, start=s, end=e))
            continue
        if len(line) <= MAX_HEADING and L2.match(line) and not line.endswith("。"):
            l2 = line
            sections.append(Section(level=2, title=line, start=s, end=e))
            continue
        parents = tuple(p for p in (l1, l2) if p)
        if not parents:
            # everything before the first heading: title lines, meeting, speaker, opening
            if blocks and blocks[-1].kind == "front":
                prev = blocks.pop()
                blocks.append(Block(prev.start, e, prev.path, "front"))
            else:
                blocks.append(Block(s, e, (FRONT,), "front"))
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
