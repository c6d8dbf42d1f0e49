"""HTML pages as government sites publish them: the article body, not the page.

A report page is mostly page: navigation, breadcrumbs, font-size and share
buttons, "相关报道" link lists, footers with the site's ICP number. We drop the
elements that are boilerplate by tag (nav, header, footer, script, ...) or by
their class/id (breadcrumb, share, fontsize, related, ...), then take the
element that directly holds the most non-link text as the article, keep its
paragraph breaks, and put the page's title on top when the body lacks it. The
page's <meta> tags (ArticleTitle, PubDate, ContentSource — the CMS fields most
Chinese government sites emit) become metadata hints.

Reading is bounded (limits.py): the page's size and its number of tags are checked on
the raw text before anything is parsed, its nesting depth right after parsing (before
the walks that follow parents and children), and the deadline inside every loop.
"""
from __future__ import annotations

import codecs
import re
from collections import Counter
from pathlib import Path

from .cleaning import parse_date
from .encoding import UnreadableReport, decode_bytes
from .limits import DEFAULT_LIMITS, ReadBudget, ReadLimits, mb, over
from .readers import Extracted

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "input", "select",
              "textarea", "nav", "header", "footer", "aside", "object", "embed", "link", "meta", "figure", "figcaption",
              "img", "video", "audio", "map")
_BOILERPLATE = re.compile(
    r"breadcrumb|crumb|bread|position|location|weizhi|(?:^|[-_\s])nav|menu|footer|(?:^|[-_\s])foot|(?:^|[-_\s])header"
    r"|share|fenxiang|bdshare|jiathis|font-?size|fontsize|zihao|zoom-?(?:in|out|btn)|dayin|related|relevant"
    r"|(?:^|[-_\s])print(?:$|[-_\s]?(?:btn|button|icon|link))|(?:btn|button)[-_]?print"  # not "printContent"
    r"|xgbd|xgwz|xgxw|xgwj|recommend|tuijian|sidebar|side-?bar|toolbar|tool-?bar|(?:^|[-_\s])tools?(?:$|[-_\s])"
    r"|comment|qrcode|erweima|ewm|copyright|banquan|login|search|pagination|pager|fanye|top-?bar|go-?top|back-?top"
    r"|(?:^|[-_\s])ad(?:$|[-_\s])|banner|friendlink|links?(?:$|[-_\s])",
    re.IGNORECASE,
)
_RELATED_HEAD = re.compile(r"^\s*(?:相关(?:报道|新闻|阅读|链接|文档|稿件|附件)|延伸阅读|推荐阅读|热点推荐)\s*[:：>》]*\s*$")
_PREV_NEXT = re.compile(r"^\s*(?:上一篇|下一篇)")
_BLOCK = frozenset("""p div section article main h1 h2 h3 h4 h5 h6 li ul ol table tbody thead tfoot tr blockquote pre dd dt dl
    center address hr""".split())
_INLINE = frozenset("span a strong b em i u font sup sub small big label abbr code".split())
_PARA = frozenset("p h1 h2 h3 h4 h5 h6 li blockquote pre dd dt td th".split())
_GB_ALIASES = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb_2312", "csgb2312", "cp936"}
_TITLE_META = ("ArticleTitle", "title", "og:title", "dc.title")
_DATE_META = ("PubDate", "publishdate", "pubdate", "article:published_time", "og:release_date", "dc.date",
              "firstpublishedtime", "publish_date")
_SOURCE_META = ("ContentSource", "source", "dc.publisher")
_SITE_META = ("SiteName", "og:site_name")


_START_TAG = re.compile(r"<[A-Za-z]")


def read_html(path: Path, budget: ReadBudget | None = None) -> Extracted:
    """The report text of an HTML page, with its <title>/<meta> as metadata hints."""
    from bs4 import BeautifulSoup

    budget = budget or DEFAULT_LIMITS.budget()
    limits = budget.limits
    size = path.stat().st_size
    if size > limits.max_html_bytes:
        raise over("the page is", mb(size), mb(limits.max_html_bytes), "max_html_bytes",
                   "a report page is 50-500 KB: save only the article")
    html = _decode_html(path.read_bytes())
    _check_tags(html, limits)
    budget.check_time()
    soup = BeautifulSoup(html, "lxml")
    budget.check_time()
    _check_depth(soup, budget)
    hints = _meta_hints(soup)
    body = soup.body or soup
    for tag in body.find_all(_DROP_TAGS):
        tag.decompose()
    _drop_boilerplate(body, budget)
    root = _content_root(body, budget)
    lines = _block_lines(root, budget) if root is not None else []
    if not lines:
        raise UnreadableReport("the page has no article text (only navigation or scripts)")
    title = hints.get("title", "")
    if title and not any(title in ln for ln in lines[:5]):
        lines.insert(0, title)
    return Extracted("\n".join(lines), hints)


def _check_tags(html: str, limits: ReadLimits) -> None:
    """Refuse a page with more start tags than max_html_elements, before a parser builds them all."""
    for count, _ in enumerate(_START_TAG.finditer(html), start=1):
        if count > limits.max_html_elements:
            raise over("the page has", f"more than {limits.max_html_elements:,} elements", None, "max_html_elements",
                       "a report page has a few thousand: save only the article")


def _check_depth(soup, budget: ReadBudget) -> None:  # type: ignore[no-untyped-def]
    """Refuse a page nested deeper than max_html_depth (the walks below follow parents and recurse)."""
    limit = budget.limits.max_html_depth
    stack = [(soup, 0)]
    seen = 0
    while stack:
        el, depth = stack.pop()
        if depth > limit:
            raise over("the page nests elements", f"more than {limit:,} deep", None, "max_html_depth",
                       "real pages nest a few dozen: save only the article")
        seen += 1
        if seen % 2048 == 0:
            budget.check_time()
        stack.extend((child, depth + 1) for child in el.contents if getattr(child, "contents", None) is not None)


def _decode_html(data: bytes) -> str:
    """Decode with the page's declared charset (GB2312/GBK read as GB18030), else detect it."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    m = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", data[:8192], re.IGNORECASE)
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        name = "gb18030" if name in _GB_ALIASES else name
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: detect instead
    return decode_bytes(data)


def _meta(soup, names: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    """The content of the first of `names` (in that order) among the page's <meta> tags."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("name") or tag.get("property") or "").strip().lower()
        content = str(tag.get("content") or "").strip()
        if key and content:
            found.setdefault(key, content)
    return next((found[n.lower()] for n in names if n.lower() in found), "")


def _meta_hints(soup) -> dict[str, str]:  # type: ignore[no-untyped-def]
    hints: dict[str, str] = {}
    title = _meta(soup, _TITLE_META)
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else ""
    if not title and soup.title and soup.title.string:
        # "2026年政府工作报告_云南省人民政府门户网站" → the article's part
        title = re.split(r"\s*[_|｜—–-]{1,2}\s*", soup.title.string.strip())[0]
    if title:
        hints["title"] = re.sub(r"\s+", " ", title).strip()
    published = parse_date(_meta(soup, _DATE_META))
    if published:
        hints["published"] = published
    source = _meta(soup, _SOURCE_META)
    if source:
        hints["source"] = source
    site = _meta(soup, _SITE_META)
    if site:
        hints["site"] = site
    return hints


def _text_len(el) -> int:  # type: ignore[no-untyped-def]
    return len(re.sub(r"\s+", "", el.get_text()))


def _link_len(el) -> int:  # type: ignore[no-untyped-def]
    return sum(_text_len(a) for a in el.find_all("a"))


def _gone(el) -> bool:  # type: ignore[no-untyped-def]
    """Whether an element was removed. Not `el.decomposed`: on a live Tag that property ends in
    Tag.__getattr__, a search of the element's whole subtree (quadratic over a deeply nested page)."""
    return bool(el.__dict__.get("_decomposed")) or el.parent is None


def _short_text(el, limit: int) -> str | None:  # type: ignore[no-untyped-def]
    """el.get_text(" ", strip=True) when it is at most `limit` characters long, else None (without
    collecting the text of a large subtree)."""
    parts: list[str] = []
    size = -1
    for text in el.stripped_strings:
        size += len(text) + 1
        if size > limit:
            return None
        parts.append(text)
    return " ".join(parts)


def _drop_boilerplate(body, budget: ReadBudget) -> None:  # type: ignore[no-untyped-def]
    """Remove elements that are page furniture by class/id or by what they say."""
    total = max(1, _text_len(body))
    for el in list(body.find_all(True)):
        budget.check_time()
        if _gone(el):
            continue
        attrs = " ".join([str(el.get("id") or "")] + [str(c) for c in (el.get("class") or [])])
        if attrs.strip() and _BOILERPLATE.search(attrs) and _text_len(el) < 0.5 * total:
            el.decompose()
    for el in list(body.find_all(True)):
        budget.check_time()
        if _gone(el):
            continue
        own = _short_text(el, 80)
        if own is None:
            continue
        if len(own) <= 12 and _RELATED_HEAD.match(own):
            # the heading and the link list(s) after it
            for sib in list(el.find_next_siblings()):
                if _text_len(sib) and _link_len(sib) >= 0.5 * _text_len(sib):
                    sib.decompose()
                else:
                    break
            el.decompose()
        elif _PREV_NEXT.match(own):
            el.decompose()


def _content_root(body, budget: ReadBudget):  # type: ignore[no-untyped-def]
    """The element that directly holds the most paragraph text (links don't count)."""
    scores: Counter[int] = Counter()
    elements: dict[int, object] = {}
    # text inside a link, found once (not by walking up from every text node)
    in_link = {id(node) for a in body.find_all("a") for node in a.find_all(string=True)}
    has_block: dict[int, bool] = {}  # per <div>: whether it holds block elements
    for node in body.find_all(string=True):
        budget.check_time()
        text = re.sub(r"\s+", "", str(node))
        if not text or id(node) in in_link or type(node).__name__ in ("Comment", "Doctype"):
            continue
        parent = node.parent
        while parent is not None and parent.name in _INLINE:
            parent = parent.parent
        if parent is None:
            continue
        # the paragraph's container: a <p>'s parent, or a text-only <div>'s parent ("<div>para</div>" pages)
        if parent.name == "div" and id(parent) not in has_block:
            has_block[id(parent)] = parent.find(_BLOCK) is not None
        paragraph_like = parent.name in _PARA or (parent.name == "div" and not has_block[id(parent)])
        container = parent.parent if paragraph_like and parent.parent is not None else parent
        while container is not None and container.name in ("tr", "tbody", "thead", "table", "ul", "ol", "dl"):
            container = container.parent
        if container is not None:
            scores[id(container)] += len(text)
            elements[id(container)] = container
    if not scores:
        return None
    best_id, _ = scores.most_common(1)[0]
    best = elements[best_id]
    # widen to the article wrapper when it only adds a little (title, date line), not another article
    size = _text_len(best)
    while best.parent is not None and best.parent.name not in ("body", "html", "[document]"):  # type: ignore[attr-defined]
        if _only_wrapper(best.parent, best):  # type: ignore[attr-defined]
            best = best.parent  # type: ignore[attr-defined]
            continue  # adds nothing: no need to measure it (a page nested deep would cost depth x size)
        if _text_len(best.parent) - _link_len(best.parent) > 1.3 * size:  # type: ignore[attr-defined]
            break
        best = best.parent  # type: ignore[attr-defined]
    return best


def _only_wrapper(parent, child) -> bool:  # type: ignore[no-untyped-def]
    """Whether `parent` holds nothing but `child` (and whitespace)."""
    from bs4 import NavigableString

    return all(c is child or (isinstance(c, NavigableString) and not c.strip()) for c in parent.contents)


def _block_lines(root, budget: ReadBudget) -> list[str]:  # type: ignore[no-untyped-def]
    from bs4 import Comment, NavigableString

    parts: list[str] = []

    def walk(el) -> None:  # type: ignore[no-untyped-def]
        budget.check_time()
        for child in el.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                parts.append(re.sub(r"[ \t\r\n\f]+", " ", str(child)))
                budget.add_chars(len(parts[-1]))
            elif child.name == "br":
                parts.append("\n")
            elif child.name in ("td", "th"):
                parts.append("\t")
                walk(child)
            elif child.name in _BLOCK:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(root)
    lines = []
    for line in "".join(parts).replace("\xa0", " ").split("\n"):
        line = re.sub(r"\t+", "\t", line).strip(" \t\u3000")
        if line:
            lines.append(line)
    return lines
