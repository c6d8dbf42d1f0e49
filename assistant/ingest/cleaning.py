"""Strip web-page boilerplate around a report's text, keeping the report body untouched.

Reports copied from government sites carry the page around them: breadcrumbs
("您的位置: 首页 > 云南要闻"), font-size and share buttons ("【字号：加大 还原 减小】",
"下载 打印 全屏 收藏"), 来源/时间 lines, a photo caption ("任振鹤作政府工作报告。
新甘肃·甘肃日报记者 盛学卿") and, after the report, "相关报道"/"责任编辑" lists. If
they stay, they become passages that retrieval returns and the reader quotes.

Cleaning only looks at the lines *before the body starts* (the first "各位代表",
else the first "一、" heading) and at a trailing block that opens with a marker line
("相关报道：", "责任编辑：", "打印本页", ...) and holds no long paragraph. Body lines
are never edited, and a text with nothing to strip is returned as the very same
string (the bundled reports come out byte-identical). The 来源/时间 values are kept
as metadata hints instead of text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Cleaned", "clean_web_text", "parse_date"]

MAX_FRONT_LINES = 80  # the body starts within this many lines, or we don't touch the front
TAIL_WINDOW = 80  # a trailing block starts within this many lines of the end
MAX_TAIL_LINE = 200  # a "tail" holding a line longer than this is report text, not a link list

_WIDGET_TOKENS = frozenset(
    """下载 打印 全屏 收藏 分享 分享: 分享到 分享到: 分享到微信 微信 微博 QQ空间 字号 字号: 字体 字体: 加大 还原 减小 放大 缩小
    默认 大 中 小 打印本页 关闭窗口 关闭 返回顶部 扫一扫在手机打开当前页 扫一扫 × | 【 】 [ ] 【打印本页】 【关闭窗口】 【打印】 【关闭】
    【大】 【中】 【小】 【字体:大 中 小】""".split()
)
_CRUMB_HEAD = re.compile(r"^(?:您的位置|当前位置|您现在的位置|现在的位置|所在位置|当前的位置)\s*[:：]?")
_CRUMB_SEP = re.compile(r"^(?:>|>>|»|›|＞|/|→|-)$")
_CRUMB_INLINE = re.compile(r"^首页\s*(?:>|»|›|＞|/|→)")
_SOURCE = re.compile(r"^(?:来源|稿源|信息来源|文章来源|来源单位)\s*[:：]\s*(.*)$")
_TIME = re.compile(r"^(?:时间|发布时间|发表时间|发布日期|日期|更新时间)\s*[:：]\s*(.*)$")
_PERSON = re.compile(r"^(?:作者|编辑|责任编辑|责编|审核|校对)\s*[:：]\s*(.*)$")
_COUNTER = re.compile(r"^(?:阅读量|浏览量|浏览次数|点击数|访问量)\s*[:：]?\s*\d*\s*次?$")
_DATETIME = re.compile(  # a bare "2026年2月3日" may be the report's own date line: only drop it with a time
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}(?::|时)\d{2}.*)$"
)
_CAPTION_END = re.compile(r"(?:摄|摄影|供图)\s*[)）]?\s*$")
_CAPTION_SPEECH = re.compile(r"作(?:政府)?工作报告[。.]?$")
_TAIL_MARKER = re.compile(
    r"^(?:相关(?:报道|新闻|文档|附件|链接|阅读|稿件|文章|专题)|延伸阅读|推荐阅读|热点推荐|(?:责任)?编辑\s*[:：]|责编\s*[:：]"
    r"|扫一扫在手机|打印本页|关闭窗口|【\s*(?:打印|关闭)|[》>]+\s*点击|点击图片进入专题|分享到"
    r"|[(（]\s*来源\s*[:：][^)）]{1,30}[)）]$)"
)
_BRACKET_SOURCE = re.compile(r"^[(（]\s*来源\s*[:：]\s*([^)）]{1,30})[)）]$")
_SENTENCE_PUNCT = re.compile(r"[。！？；!?;，,]")


@dataclass(frozen=True)
class Cleaned:
    """The report text without page boilerplate, and what the boilerplate said about the report."""

    text: str
    source: str | None = None  # from a "来源：" line
    published: str | None = None  # ISO date from a "时间：" / date-time line
    removed: int = 0  # lines dropped


def _norm(line: str) -> str:
    return unicodedata.normalize("NFKC", line).strip()


def parse_date(value: str) -> str | None:
    """ISO date from "2026-02-09 09:45:30", "2026/2/9", "2026年02月10日 07时41分"."""
    m = re.search(r"(20\d\d|19\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", value)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _is_widget(line: str) -> bool:
    """A line made only of page controls: "下载", "【字体：大 中 小】", "收藏 | 分享到:"."""
    if line in _WIDGET_TOKENS:
        return True
    spaced = re.sub(r"[【】\[\]|｜]", " ", line.replace(":", ": "))
    tokens = spaced.split()
    return bool(tokens) and all(t in _WIDGET_TOKENS or t.rstrip(":") in _WIDGET_TOKENS for t in tokens)


def _is_caption(line: str) -> bool:
    """A news photo caption ("王正谱作政府工作报告。本报记者 霍艳恩摄"), not the report's own lines."""
    if len(line) > 120 or line.startswith(("—", "-", "(", "（", "各位代表")):
        return False
    return "记者" in line or bool(_CAPTION_END.search(line)) or bool(_CAPTION_SPEECH.search(line))


def _heading_like(line: str) -> bool:
    return bool(re.match(r"^[一二三四五六七八九十]+、", line))


def body_start(lines: list[str]) -> int:
    """Index of the first line of the report body: "各位代表", else the first "一、" heading, else 0."""
    normed = [_norm(ln) for ln in lines[:MAX_FRONT_LINES]]
    for i, line in enumerate(normed):
        if line.startswith("各位代表"):
            return i
    for i, line in enumerate(normed):
        if _heading_like(line):
            return i
    return 0


def _clean_front(lines: list[str], stop: int) -> tuple[list[str], str | None, str | None]:
    """Boilerplate-free copy of lines[:stop], plus the source and publication date they named."""
    kept: list[str] = []
    seen: set[str] = set()
    source: str | None = None
    published: str | None = None
    i = 0
    crumb = False  # inside a breadcrumb: "首页", ">", "栏目", ">", ...
    last_crumb = ""
    expect_value: str | None = None  # "source" / "time" / "count" / "person": the value of a label is on the next line
    while i < stop:
        raw = lines[i]
        line = _norm(raw)
        i += 1
        if not line:
            kept.append(raw)
            continue
        if expect_value is not None:
            kind, expect_value = expect_value, None
            if kind == "source" and len(line) <= 30 and not _SENTENCE_PUNCT.search(line):
                source = source or line
                continue
            if kind == "time" and parse_date(line):
                published = published or parse_date(line)
                continue
            if kind == "count" and line.isdigit():
                continue
            if kind == "person" and len(line) <= 12 and not _SENTENCE_PUNCT.search(line):
                continue
        if _CRUMB_HEAD.match(line) or line == "首页" or _CRUMB_INLINE.match(line):
            crumb = True
            parts = [p.strip() for p in re.split(r"[>»›＞/→]", _CRUMB_HEAD.sub("", line)) if p.strip()]
            last_crumb = parts[-1] if parts and parts[-1] != "首页" else ""
            continue
        if crumb:
            if _CRUMB_SEP.match(line) or line == "首页":
                continue
            if _after_separator(lines, i - 1) and len(line) <= 20:
                last_crumb = line
                continue
            if line == last_crumb:  # the column title repeats the last crumb
                continue
            crumb = False
        if _is_widget(line) or _COUNTER.match(line):
            if _COUNTER.match(line) and not re.search(r"\d", line):
                expect_value = "count"
            continue
        m = _SOURCE.match(line)
        if m:
            value = m.group(1).strip()
            if value:
                source = source or re.split(r"\s{2,}|\s+(?:时间|发布时间|作者)[:：]", value)[0].strip() or None
                published = published or parse_date(value)
            else:
                expect_value = "source"
            continue
        m = _TIME.match(line)
        if m:
            value = m.group(1).strip()
            if value:
                published = published or parse_date(value)
            else:
                expect_value = "time"
            continue
        m = _PERSON.match(line)
        if m:
            if not m.group(1).strip():
                expect_value = "person"
            continue
        if _DATETIME.match(line):
            published = published or parse_date(line)
            continue
        if _is_caption(line):
            continue
        if line in seen:  # a title or meeting line printed twice by the page template
            continue
        seen.add(line)
        kept.append(raw)
    return kept, source, published


def _after_separator(lines: list[str], index: int) -> bool:
    """Whether the non-empty line before lines[index] is a breadcrumb separator (">")."""
    j = index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j >= 0 and bool(_CRUMB_SEP.match(_norm(lines[j])))


def _tail_start(lines: list[str], start: int) -> tuple[int, str | None]:
    """Where the trailing boilerplate begins (len(lines) when there is none), and a source it names."""
    first = max(start + 1, len(lines) - TAIL_WINDOW)
    for i in range(first, len(lines)):
        line = _norm(lines[i])
        if not line or not _TAIL_MARKER.match(line):
            continue
        rest = [_norm(ln) for ln in lines[i:]]
        if all(len(ln) <= MAX_TAIL_LINE for ln in rest):
            m = _BRACKET_SOURCE.match(line)
            return i, (m.group(1).strip() if m else None)
    return len(lines), None


def clean_web_text(text: str) -> Cleaned:
    """Remove page boilerplate before and after the report body (never inside it)."""
    lines = text.split("\n")
    start = body_start(lines)
    front, source, published = _clean_front(lines, start)
    end, tail_source = _tail_start(lines, start)
    body = lines[start:end]
    # page controls left at the very end ("收藏", "|", "分享到:", "【", "】")
    j = len(body)
    while j > 0 and (not body[j - 1].strip() or _is_widget(_norm(body[j - 1]))):
        j -= 1
    if any(ln.strip() for ln in body[j:]):
        body = body[:j]
    removed = _count(lines) - _count(front) - _count(body)
    if removed == 0:
        return Cleaned(text=text, source=source, published=published, removed=0)
    while front and not front[0].strip():
        front.pop(0)
    while body and not body[-1].strip():
        body.pop()
    out = "\n".join(front + body)
    if text.endswith("\n"):
        out += "\n"
    return Cleaned(text=out, source=source or tail_source, published=published, removed=removed)


def _count(lines: list[str]) -> int:
    return sum(1 for ln in lines if ln.strip())
