"""How the page looks, measured in headless Chromium against the real server and bundled corpus: text contrast in
dark and light mode (page, widget, report view), a 390×844 phone (no sideways overflow, no text broken one
character per line, nothing clipped, tap targets), and printing (the conversation only).

Screenshots go to artifacts/screenshots/look-*.png (gitignored).
"""
from __future__ import annotations

import warnings
from typing import Any, Iterator

import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from web_helpers import browser, requests_seen, service  # noqa: F401  (shared fixtures)
from web_helpers import BROWSER_TIMEOUT, READY, SCREENSHOTS, ask_in_browser, free_port, serve_app
from webapp.config import ServerConfig
from webapp.server import create_app

GDP_Q = "东川区2025年地区生产总值是多少？"
CMP_Q = "东川区和昆明市的地区生产总值分别是多少？"  # the chat answers it with a table of both reports
GRADIO_CMP_Q = "各地固定资产投资目标是多少？"  # the comparison section: both bundled reports state one
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
MIN_CONTRAST = 4.5

# Every visible element with its own text (plus the selected option of a select, the options, placeholders and
# values of text fields): its colour against the background it is painted on — the first opaque background up
# the ancestors, translucent ones composited over it; each colour of a gradient counts.
CONTRAST_JS = """() => {
  const parse = (s) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(s || '');
    if (!m) { return null; }
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const flatten = (layers, base) => layers.reduceRight((acc, l) => over(l, acc), base);
  const backgrounds = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage && cs.backgroundImage !== 'none') {
        const cols = (cs.backgroundImage.match(/rgba?\\([^)]+\\)/g) || []).map(parse).filter((c) => c && c[3] > 0);
        if (cols.length) { return cols.map((c) => flatten(layers, c[3] < 1 ? over(c, [255, 255, 255, 1]) : c)); }
      }
      const bg = parse(cs.backgroundColor);
      if (bg && bg[3] >= 1) { return [flatten(layers, bg)]; }
      if (bg && bg[3] > 0) { layers.push(bg); }
    }
    // nothing painted: the canvas (dark only when the page asked for a dark colour scheme)
    const scheme = getComputedStyle(document.documentElement).colorScheme || '';
    const dark = scheme.includes('dark') && matchMedia('(prefers-color-scheme: dark)').matches;
    return [flatten(layers, dark ? [18, 18, 18, 1] : [255, 255, 255, 1])];
  };
  const name = (el) => {
    const one = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).slice(0, 3).join('.') : '');
    return (el.parentElement ? one(el.parentElement) + ' > ' : '') + one(el);
  };
  const visible = (el) => {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) { return false; }
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) { return false; }  // screen-reader-only text
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (parseFloat(cs.opacity) < 0.05 || (cs.clip && cs.clip !== 'auto')) { return false; }
    }
    return true;
  };
  const out = [];
  const check = (el, text, color, bgs, what) => {
    const fg = parse(color);
    if (!fg || fg[3] === 0 || !text) { return; }
    const worst = Math.min(...bgs.map((bg) => ratio(fg[3] < 1 ? over(fg, bg) : fg, bg)));
    out.push({ sel: name(el) + (what || ''), text: text.slice(0, 30), ratio: Math.round(worst * 100) / 100, color,
               bg: 'rgb(' + bgs[0].slice(0, 3).map(Math.round).join(', ') + ')' });
  };
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OPTION', 'SELECT', 'TEXTAREA']);
  for (const el of document.querySelectorAll('body *')) {
    if (skip.has(el.tagName)) { continue; }
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
    if (own && visible(el)) { check(el, own, getComputedStyle(el).color, backgrounds(el)); }
  }
  for (const sel of document.querySelectorAll('select')) {
    if (!visible(sel)) { continue; }
    const opt = sel.options[sel.selectedIndex];
    check(sel, opt ? opt.text : '', getComputedStyle(sel).color, backgrounds(sel), ' (selected option)');
    for (const o of sel.options) {
      const ocs = getComputedStyle(o), obg = parse(ocs.backgroundColor);
      check(o, o.text, ocs.color, obg && obg[3] >= 1 ? [obg] : backgrounds(sel), ' (option)');
    }
  }
  for (const f of document.querySelectorAll('textarea, input:not([type=radio]):not([type=checkbox]):not([type=hidden])')) {
    if (!visible(f)) { continue; }
    if (f.placeholder && !f.value) { check(f, f.placeholder, getComputedStyle(f, '::placeholder').color, backgrounds(f), ' (placeholder)'); }
    if (f.value) { check(f, f.value, getComputedStyle(f).color, backgrounds(f), ' (value)'); }
  }
  return out;
}"""

# Controls of the page outside the viewport's width (those in a sideways-scrolling table are the table's business).
CLIPPED_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('button, a[href], select, textarea, input:not([type=hidden]), summary')) {
    if (!el.checkVisibility({ visibilityProperty: true }) || el.closest('.gwr-cmp-scroll, [hidden]')) { continue; }
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) { continue; }
    if (r.left < -0.5 || r.right > innerWidth + 0.5) {
      out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(r.left)}–${Math.round(r.right)} ${(el.textContent || '').trim().slice(0, 20)}`);
    }
  }
  for (const el of document.querySelectorAll('.gwr-cmp-scroll')) {
    const r = el.getBoundingClientRect();
    if (r.width > 1 && (r.left < -0.5 || r.right > innerWidth + 0.5)) { out.push('table scroller ' + Math.round(r.left) + '–' + Math.round(r.right)); }
  }
  return out;
}"""

# Table cells narrower than two characters of their font that may wrap: text broken one character per line.
NARROW_CELLS_JS = """(sel) => {
  const out = [];
  for (const cell of document.querySelectorAll(sel + ' td, ' + sel + ' th')) {
    const text = cell.innerText.trim();
    if (!text || !cell.checkVisibility()) { continue; }
    const cs = getComputedStyle(cell);
    const width = cell.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (cs.whiteSpace.startsWith('nowrap') || cs.textWrapMode === 'nowrap') { continue; }
    if (width < 2 * parseFloat(cs.fontSize)) { out.push(`${cell.className || cell.tagName}: ${Math.round(width)}px “${text.slice(0, 12)}”`); }
  }
  return out;
}"""

# Tap targets: [selector, what] — checked for size wherever visible.
TAP_TARGETS = [
    (".gwr-act", "action buttons"), (".gwr-example", "examples"), ("#gwr-chat a.gwr-view", "links to the report"),
    ("a.gwr-ref", "[n] markers"), (".gwr-export", "export buttons"), ("#gwr-clear", "clear"), (".gwr-send", "send"),
    (".gwr-retry", "retry"), ("#gwr-compare a.gwr-cmp-source", "comparison sources"),
]
SIZES_JS = """(targets) => {
  const out = [];
  for (const [sel, what] of targets) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.checkVisibility({ visibilityProperty: true })) { continue; }
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) { continue; }
      out.push({ what, text: el.textContent.trim().slice(0, 12), w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10 });
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(service, settings) -> Iterator[str]:
    with serve_app(create_app(ServerConfig(settings=settings), service), free_port()) as base:
        yield base


def _context(browser: Any, requests_seen: list[str], viewport: dict[str, int], scheme: str) -> Any:
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", color_scheme=scheme)
    ctx.on("request", lambda request: requests_seen.append(request.url))
    ctx.set_default_timeout(BROWSER_TIMEOUT)
    return ctx


def _open(ctx: Any, url: str) -> Any:
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector(READY)
    return page


def _shot(page: Any, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"look-{name}.png"), full_page=full_page)


def _assert_contrast(page_or_frame: Any, where: str) -> float:
    """Every text ≥ 4.5:1; returns the lowest ratio found."""
    _settle(page_or_frame)
    measured = page_or_frame.evaluate(CONTRAST_JS)
    assert len(measured) > 5, f"{where}: hardly any text measured"
    bad = sorted((m for m in measured if m["ratio"] < MIN_CONTRAST), key=lambda m: m["ratio"])
    assert not bad, f"{where}: text below {MIN_CONTRAST}:1 —\n" + "\n".join(
        f"  {m['ratio']}: {m['sel']} “{m['text']}” {m['color']} on {m['bg']}" for m in bad)
    return min(m["ratio"] for m in measured)


def _ask_failing(page: Any, question: str) -> None:
    """A question whose request fails: the failed notice and its retry button are on the page."""
    page.route("**/api/ask", lambda route: route.abort("internetdisconnected"))
    box = page.locator("#gwr-input textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#gwr-chat .gwr-failed .gwr-retry").wait_for()
    page.unroute("**/api/ask")


def _open_sources(page: Any) -> None:
    page.evaluate("() => document.querySelectorAll('#gwr-chat details.gwr-sources').forEach((d) => { d.open = true; })")


def _settle(page: Any) -> None:
    """Colour transitions finished (a computed colour mid-transition is neither the old nor the new one)."""
    page.wait_for_function("() => !document.getAnimations().some((a) => a instanceof CSSTransition && a.playState === 'running')",
                           timeout=10_000)


def _show_last_answer(page: Any) -> None:
    """For the screenshot: the chat's table (else its last answer) in view."""
    page.evaluate("""() => { const answers = document.querySelectorAll('#gwr-chat .gwr-answer');
      const t = document.querySelector('#gwr-chat .gwr-chat-cmp') || answers[answers.length - 1];
      if (t) { t.scrollIntoView({ block: 'center' }); } }""")


def _wait_gradio(page: Any) -> None:
    page.wait_for_selector("#gwr-compare-q textarea")


# ---------------------------------------------------------------- (a, b) contrast, dark and light

@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_every_text_is_readable(browser, server, requests_seen, scheme) -> None:
    minima: dict[str, float] = {}
    ctx = _context(browser, requests_seen, DESKTOP, scheme)
    try:
        page = _open(ctx, server + "/")
        _wait_gradio(page)
        ask_in_browser(page, GDP_Q)
        _ask_failing(page, "增长了多少？")
        _open_sources(page)
        page.wait_for_function("() => !document.querySelector('.gwr-status.on')", timeout=10_000)
        if scheme == "dark":
            assert page.evaluate("document.body.classList.contains('dark')"), "Gradio did not follow the system's dark mode"
        minima["page"] = _assert_contrast(page, f"chat page ({scheme})")
        _shot(page, f"desktop-{scheme}")

        # desktop: every tap target at least 24 px high
        low = [t for t in page.evaluate(SIZES_JS, TAP_TARGETS) if t["h"] < 24]
        assert not low, f"tap targets under 24 px high on a desktop: {low}"

        # the report panel over the page, and the report inside it
        page.locator("#gwr-chat a.gwr-ref").first.click()
        page.locator(".gwr-viewer:not([hidden]) .gwr-viewer-close").wait_for()
        frame = page.frame_locator(".gwr-viewer-frame")
        frame.locator("mark#hit").wait_for()
        minima["panel"] = _assert_contrast(page, f"report panel ({scheme})")
        view = next(f for f in page.frames if "/view?" in f.url)
        minima["view"] = _assert_contrast(view, f"report view in the panel ({scheme})")
        page.keyboard.press("Escape")

        widget = _open(ctx, server + "/widget")
        ask_in_browser(widget, GDP_Q)
        _open_sources(widget)
        minima["widget"] = _assert_contrast(widget, f"widget ({scheme})")
        if scheme == "dark":
            widget.set_viewport_size({"width": 400, "height": 600})
            _shot(widget, "widget-dark")
    finally:
        ctx.close()
    print(f"lowest contrast ({scheme}):", minima)


# ---------------------------------------------------------------- (c, d) a phone

def test_phone_layout_and_tap_targets(browser, server, requests_seen) -> None:
    ctx = _context(browser, requests_seen, PHONE, "light")
    try:
        page = _open(ctx, server + "/")
        _wait_gradio(page)
        ask_in_browser(page, GDP_Q)
        ask_in_browser(page, CMP_Q)
        _open_sources(page)
        page.locator("#gwr-compare-q textarea").fill(GRADIO_CMP_Q)
        page.locator("#gwr-compare-go").click()
        page.locator("#gwr-compare-rows tbody tr").first.wait_for()

        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone: {width}px"
        assert not page.evaluate(CLIPPED_JS), page.evaluate(CLIPPED_JS)

        # the sidebar sits below the chat
        chat, side = page.locator("#gwr-chat").bounding_box(), page.locator("#gwr-side").bounding_box()
        assert side["y"] >= chat["y"] + chat["height"], (chat, side)

        # tables: no column so narrow that its text breaks one character per line
        chat_tables = page.locator("#gwr-chat table.gwr-chat-cmp").count()
        if chat_tables:
            assert not page.evaluate(NARROW_CELLS_JS, "#gwr-chat .gwr-chat-cmp")
        else:  # the chat renders the table once the backend answers comparisons with rows
            warnings.warn("no comparison table in the chat's answer: its phone layout was not checked")
        assert not page.evaluate(NARROW_CELLS_JS, "#gwr-compare .gwr-cmp-table")

        # tap targets ≥ 32×32, tips and meta lines ≥ 13.5 px
        small = [t for t in page.evaluate(SIZES_JS, TAP_TARGETS) if t["w"] < 32 or t["h"] < 32]
        assert not small, f"tap targets under 32×32 on a phone: {small}"
        sizes = page.evaluate("""() => [...document.querySelectorAll('.gwr-tips, .gwr-meta, .gwr-cite, .gwr-footer')]
            .map((e) => [e.className, parseFloat(getComputedStyle(e).fontSize)])""")
        assert sizes and all(px >= 13.5 for _, px in sizes), sizes
        _show_last_answer(page)
        _shot(page, "phone-light")
        _assert_contrast(page, "phone, light, with both comparison tables")

        # the report panel: its close button a good target too, and nothing off the screen
        page.locator("#gwr-chat .gwr-src a.gwr-view").first.click()
        close = page.locator(".gwr-viewer:not([hidden]) .gwr-viewer-close")
        close.wait_for()
        box = close.bounding_box()
        assert box["width"] >= 32 and box["height"] >= 32, box
        assert box["x"] + box["width"] <= PHONE["width"], box
        close.click()

        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.body.classList.contains('dark')", timeout=10_000)
        _settle(page)
        _assert_contrast(page, "phone, dark, with both comparison tables")
        _show_last_answer(page)
        _shot(page, "phone-dark")
    finally:
        ctx.close()


# ---------------------------------------------------------------- (e) print, footer, landmarks

def test_print_shows_the_conversation_only(browser, server, requests_seen) -> None:
    ctx = _context(browser, requests_seen, {"width": 1000, "height": 800}, "light")
    try:
        page = _open(ctx, server + "/")
        _wait_gradio(page)
        ask_in_browser(page, GDP_Q)

        footer = page.locator("footer#gwr-footer")
        assert footer.is_visible() and "请以报告原文为准" in footer.inner_text()
        mains = page.evaluate("() => [...document.querySelectorAll('main')].map((m) => !!m.parentElement.closest('main'))")
        assert len(mains) <= 1 and not any(mains), f"main landmarks: {len(mains)}, nested: {mains}"

        page.emulate_media(media="print")
        shown = page.evaluate("""() => Object.fromEntries(['#gwr-input-row', '#gwr-side', 'gradio-app', '.gwr-status',
            '.gwr-actions', '#gwr-chat', '.gwr-turn', '.gwr-q', '.gwr-sentence']
            .map((s) => [s, !!document.querySelector(s) && document.querySelector(s).checkVisibility()]))""")
        assert shown == {"#gwr-input-row": False, "#gwr-side": False, "gradio-app": False, ".gwr-status": False,
                         ".gwr-actions": False, "#gwr-chat": True, ".gwr-turn": True, ".gwr-q": True,
                         ".gwr-sentence": True}, shown
        colours = page.evaluate("""() => ['.gwr-sentence', '.gwr-q', '.gwr-lead strong', '.gwr-sentence mark']
            .map((s) => { const cs = getComputedStyle(document.querySelector(s)); return [s, cs.color, cs.backgroundColor]; })""")
        assert all(c == "rgb(0, 0, 0)" and bg in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)") for _, c, bg in colours), colours
        chat = page.evaluate("() => { const c = getComputedStyle(document.querySelector('#gwr-chat')); return [c.overflowY, c.height]; }")
        assert chat[0] == "visible", chat  # the whole conversation, not its scrolled window
        assert page.evaluate("getComputedStyle(document.querySelector('.gwr-turn')).breakInside") == "avoid"
        _shot(page, "print", full_page=True)
    finally:
        ctx.close()
